#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora: small valid inputs made here, plus a few mutations of
each (cut short, a count or length field blown up), so libFuzzer starts past the first checks.

Why generated: the corpora are the project's own (no copied files), reproducible from a seed, and
follow the formats as the engine's tests define them (tests/reference/gguf_writer.py and
make_reference_case.py for GGUF and Hugging Face folders, hf_writer.py for safetensors and
tokenizer.json, tests/chat_templates.h for chat templates; docs/chat-format.md for saved chats).

Targets that read several files from one input get them joined by SEPARATOR (as
tests/fuzz/fuzz_sections.h cuts them).

Usage: /usr/bin/python3 tests/fuzz/make_seeds.py OUT_DIR
Writes OUT_DIR/<target>/<name> for every target below; a target with no seeds here starts from
libFuzzer's empty input.
"""
from __future__ import annotations

import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "reference")
sys.path.insert(0, REFERENCE)
import gguf_writer as gw  # noqa: E402
import hf_writer  # noqa: E402
import numpy as np  # noqa: E402

SEPARATOR = b"\x1eq8fuzz-file\x1e"
# fuzz_hf_folder's files, in the order its input lists them (fuzz_hf_folder.cpp).
HF_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors", "model.safetensors.index.json"]


def mutations(data: bytes, rng: random.Random) -> dict[str, bytes]:
    """Cuts and field corruptions a reader must refuse cleanly."""
    out = {"cut-half": data[: len(data) // 2], "cut-header": data[:24]}
    for i in range(4):
        at = rng.randrange(4, max(5, min(len(data) - 8, 4096)))
        huge = data[:at] + struct.pack("<Q", 0xFFFF_FFFF_FFFF_FF00 >> (8 * i)) + data[at + 8:]
        out[f"huge-field-{i}"] = huge
        flip = bytearray(data)
        flip[rng.randrange(len(flip))] ^= 1 << rng.randrange(8)
        out[f"bit-flip-{i}"] = bytes(flip)
    return out


def tiny_models(tmp: str) -> dict[str, bytes]:
    """Two-layer-or-less Llama and Qwen2 models in each tensor type the loader reads."""
    cases = {
        "llama-q4_0-tied": ["--arch", "llama", "--dim", "32", "--ff", "32", "--dtype", "q4_0", "--tied"],
        "llama-q8_0": ["--arch", "llama", "--dim", "32", "--ff", "32", "--dtype", "q8_0"],
        "qwen2-f16": ["--arch", "qwen2", "--dim", "16", "--ff", "16", "--dtype", "f16"],
        "llama-f32-llama3-rope": ["--arch", "llama", "--dim", "16", "--ff", "16", "--rope-scaling", "llama3"],
    }
    models = {}
    for name, args in cases.items():
        out = os.path.join(tmp, name)
        subprocess.run([sys.executable, os.path.join(REFERENCE, "make_reference_case.py"), "--out", out, "--seed",
                        "1", "--n-head", "2", "--n-head-kv", "1", "--layers", "1", "--vocab", "260", "--ctx", "32"]
                       + args, check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(out, "model.gguf"), "rb") as f:
            models[name] = f.read()
    return models


def metadata_file(tmp: str) -> bytes:
    """Every GGUF value type, arrays of each, and two small tensors at an odd alignment."""
    path = os.path.join(tmp, "metadata.gguf")
    w = gw.GGUFWriter(path, alignment=64)
    w.add_u8("t.u8", 200)
    w.add_i8("t.i8", -100)
    w.add_u16("t.u16", 60000)
    w.add_i16("t.i16", -30000)
    w.add_u32("t.u32", 4_000_000_000)
    w.add_i32("t.i32", -2_000_000_000)
    w.add_u64("t.u64", 2**63)
    w.add_i64("t.i64", -(2**62))
    w.add_f32("t.f32", 1.5)
    w.add_f64("t.f64", -2.25)
    w.add_bool("t.bool", True)
    w.add_string("t.string", "héllo ▁world")
    w.add_array("t.strings", gw.STRING, ["a", "", "ü"])
    w.add_array("t.floats", gw.FLOAT32, [0.5, -1.0])
    w.add_array("t.ints", gw.INT32, [1, -2, 3])
    w.add_array("t.bools", gw.BOOL, [True, False])
    w.add_tensor("a", np.arange(8, dtype=np.float32).reshape(2, 4))
    w.add_tensor("b", np.ones((1, 32), dtype=np.float32), gw.GGML_Q8_0)
    w.write()
    with open(path, "rb") as f:
        return f.read()


def gguf_seeds(tmp: str, rng: random.Random) -> dict[str, bytes]:
    seeds = {"metadata": metadata_file(tmp)}
    seeds.update(tiny_models(tmp))
    for name, data in list(seeds.items()):
        seeds.update({f"{name}-{m}": d for m, d in mutations(data, rng).items()})
    return seeds


def tokenizer_seeds() -> dict[str, bytes]:
    """First byte: vocabulary (low 2 bits) and flags (see fuzz_tokenizer.cpp); then the text."""
    texts = {
        "ascii": b"Hello, world! It's 2026: 3.14 apples.",
        "spaces": b"  leading\ttabs\n\nand   runs  ",
        "code": b"def f(x):\n    return x**2  # square\n",
        "multilingual": "Grüße, 你好, こんにちは, Привет, مرحبا 🙂".encode(),
        "special": b"<s>[INST] hi [/INST]</s><|im_start|>user<|im_end|><|endoftext|>",
        "ill-formed": b"ok \xff\xfe \xc3 \xe2\x82 \xf0\x9f\x99 \xed\xa0\x80 end",
        "digits": b"1234567890 0.000001 -42",
    }
    seeds = {}
    for name, text in texts.items():
        for select in (0, 1, 2, 3, 0x33, 0x72):
            seeds[f"{name}-{select:02x}"] = bytes([select]) + text
    return seeds


def chat_seeds(rng: random.Random) -> dict[str, bytes]:
    figures = {"decode_tokens_per_s": 12.5, "prompt_tokens_per_s": 80.0, "time_to_first_token_s": 0.4,
               "prompt_tokens": 12, "generated_tokens": 30, "configuration": "Q4+spec",
               "peak_resident_bytes": 123456789, "drafted": 20, "accepted": 15, "sampling": "greedy",
               "record": {"engine": "q8chat"}}
    chat = {"format": "q8chat.chat", "version": 1, "id": "20261203-120000-abcd", "title": "Seed chat",
            "created": "2026-12-03T12:00:00.000Z", "updated": "2026-12-03T12:01:00.000Z",
            "system_prompt": "Be brief.", "completion_mode": False,
            "messages": [{"role": "user", "text": "Hi there", "state": "complete", "note": ""},
                         {"role": "assistant", "text": "Hello! ```code``` é", "state": "complete", "note": "",
                          "figures": figures, "draft_spans": [[0, 3], [5, 2]]},
                         {"role": "assistant", "text": "cut", "state": "stopped", "note": "stopped by you"}]}
    seeds = {"chat": json.dumps(chat, indent=2, ensure_ascii=False).encode()}
    empty = dict(chat, messages=[], completion_mode=True)
    seeds["empty"] = json.dumps(empty).encode()
    seeds["newer-version"] = json.dumps(dict(chat, version=2)).encode()
    text = seeds["chat"]
    seeds["cut"] = text[: len(text) // 2]
    seeds["not-object"] = b"[1, 2, 3]"
    flip = bytearray(text)
    flip[rng.randrange(len(flip))] = ord("}")
    seeds["stray-brace"] = bytes(flip)
    return seeds


def hf_folders(tmp: str) -> dict[str, dict[str, bytes]]:
    """Tiny Llama and Qwen2 checkpoints as Hugging Face folders (make_reference_case.py --hf-shards):
    one shard or two with an index, F32, F16 and BF16 weights, tied and untied, Llama 3 RoPE."""
    cases = {
        "llama-bf16-tied": ["--arch", "llama", "--hf-dtype", "bf16", "--tied", "--hf-shards", "1"],
        "llama-f16-2shards": ["--arch", "llama", "--dtype", "f16", "--hf-shards", "2"],
        "qwen2-f16": ["--arch", "qwen2", "--dtype", "f16", "--tied", "--hf-shards", "1"],
        "llama-llama3-rope": ["--arch", "llama", "--hf-dtype", "bf16", "--tied", "--rope-scaling", "llama3",
                              "--hf-shards", "1"],
    }
    folders = {}
    for name, args in cases.items():
        out = os.path.join(tmp, "hf-" + name)
        subprocess.run([sys.executable, os.path.join(REFERENCE, "make_reference_case.py"), "--out", out, "--seed",
                        "1", "--n-head", "2", "--n-head-kv", "1", "--layers", "1", "--vocab", "260", "--ctx", "32",
                        "--dim", "16", "--ff", "16"] + args, check=True, stdout=subprocess.DEVNULL)
        files = {}
        for file in sorted(os.listdir(os.path.join(out, "hf"))):
            with open(os.path.join(out, "hf", file), "rb") as f:
                # A single shard takes the first shard's place: the reader globs *.safetensors.
                files[HF_FILES[3] if file == "model.safetensors" else file] = f.read()
        folders[name] = files
    return folders


def joined(files: dict[str, bytes], order: list[str]) -> bytes:
    """Files in `order` joined by SEPARATOR; a file not given is an empty section (left out)."""
    return SEPARATOR.join(files.get(name, b"") for name in order)


def config_edits() -> dict[str, dict]:
    """config.json fields set to what a reader must refuse or bound (None: the key removed)."""
    return {
        "huge-head-dim": {"head_dim": 2_000_000_000},
        "huge-hidden": {"hidden_size": 2_147_483_647, "num_attention_heads": 1},
        "huge-layers": {"num_hidden_layers": 2_147_483_647},
        "huge-vocab": {"vocab_size": 2_000_000_000},
        "negative-heads": {"num_attention_heads": -2},
        "zero-kv-heads": {"num_key_value_heads": 0},
        "float-layers": {"num_hidden_layers": 1.5},
        "string-vocab": {"vocab_size": "260"},
        "no-architectures": {"architectures": None},
        "unknown-architecture": {"architectures": ["MambaForCausalLM"]},
        "gelu": {"hidden_act": "gelu"},
        "untied": {"tie_word_embeddings": False},
        "rope-yarn": {"rope_scaling": {"rope_type": "yarn", "factor": 4.0}},
        "rope-type-number": {"rope_scaling": {"rope_type": 5}},
        "rope-llama3-zero": {"rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 0,
                                              "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}},
        "rope-llama3-huge-head": {"head_dim": 1_000_000_000,
                                  "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                                   "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}},
    }


def hf_folder_seeds(folders: dict[str, dict[str, bytes]], rng: random.Random) -> dict[str, bytes]:
    seeds = {}
    for name, files in folders.items():
        seeds[name] = joined(files, HF_FILES)
        seeds[f"{name}-no-tokenizer-config"] = joined({k: v for k, v in files.items() if k != HF_FILES[2]}, HF_FILES)
        flip = bytearray(seeds[name])
        flip[rng.randrange(len(flip))] ^= 1 << rng.randrange(8)
        seeds[f"{name}-bit-flip"] = bytes(flip)
    base = folders["llama-bf16-tied"]
    config = json.loads(base["config.json"])
    for edit, fields in config_edits().items():
        changed = dict(config)
        for key, value in fields.items():
            if value is None:
                changed.pop(key, None)
            else:
                changed[key] = value
        seeds[f"config-{edit}"] = joined(dict(base, **{"config.json": json.dumps(changed).encode()}), HF_FILES)
    sharded = folders["llama-f16-2shards"]
    index = json.loads(sharded[HF_FILES[5]])
    some = sorted(index["weight_map"])[0]
    for edit, target in {"index-outside": "../model.safetensors", "index-missing": "model-00003-of-00003.safetensors",
                         "index-wrong-shard": HF_FILES[4] if index["weight_map"][some] == HF_FILES[3] else HF_FILES[3]
                         }.items():
        bad = dict(index, weight_map=dict(index["weight_map"], **{some: target}))
        seeds[edit] = joined(dict(sharded, **{HF_FILES[5]: json.dumps(bad).encode()}), HF_FILES)
    return seeds


def safetensors_seeds(folders: dict[str, dict[str, bytes]], rng: random.Random) -> dict[str, bytes]:
    """The folders' shards, hand-made files at the format's corners, and mutations of each."""
    seeds = {f"{name}-{file[:14]}": data for name, files in folders.items()
             for file, data in files.items() if file.endswith(".safetensors")}
    seeds["corners"] = hf_writer.safetensors_bytes({
        "scalar": ("F32", np.array(1.5, dtype=np.float32)),
        "empty": ("F16", np.zeros((0, 4), dtype=np.float16)),
        "bf16": ("BF16", hf_writer.to_bf16(np.arange(6, dtype=np.float32).reshape(2, 3))),
        "row": ("F32", np.ones(5, dtype=np.float32)),
    })
    seeds["metadata-only"] = hf_writer.safetensors_bytes({})
    seeds["int-dtype"] = hf_writer.safetensors_bytes({"ids": ("I32", np.arange(4, dtype=np.int32))})

    def header_edit(entry: dict, data_len: int) -> bytes:
        text = json.dumps({"t": entry}).encode()
        return len(text).to_bytes(8, "little") + text + bytes(data_len)

    seeds["overlap"] = (lambda text: len(text).to_bytes(8, "little") + text + bytes(16))(json.dumps({
        "a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
        "b": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}).encode())
    seeds["offsets-past-end"] = header_edit({"dtype": "F32", "shape": [4], "data_offsets": [0, 1 << 40]}, 16)
    seeds["negative-offset"] = header_edit({"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}, 16)
    seeds["shape-overflow"] = header_edit({"dtype": "F16", "shape": [1 << 32, 1 << 32, 0], "data_offsets": [0, 0]}, 0)
    seeds["header-too-long"] = (1 << 62).to_bytes(8, "little") + b"{}"
    for name, data in list(seeds.items()):
        if name.startswith("llama-bf16-tied") or name == "corners":
            seeds.update({f"{name}-{m}": d for m, d in mutations(data, rng).items()})
    return seeds


def spm_tokenizer() -> tuple[dict, dict]:
    """A SentencePiece-style vocabulary made here: control tokens, the 256 byte pieces, "▁" words
    and chat markers, scored so longer pieces merge first; and its tokenizer_config.json."""
    words = ["▁", "h", "e", "l", "o", "w", "r", "d", "▁h", "he", "ll", "lo", "▁he", "▁hel", "▁hello", "▁w", "or",
             "▁wor", "▁world", "1", "2", "3", "▁1", "12"]
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + words + ["<|user|>", "<|end|>"]
    types = [2, 3, 3] + [6] * 256 + [1] * len(words) + [3, 4]
    scores = [0.0] * (3 + 256) + [-float(i) for i in range(len(words))] + [0.0, 0.0]
    doc = hf_writer.tokenizer_json(tokens, types, "spm", scores=scores, unk=0, rstrip=frozenset({len(tokens) - 1}))
    config = {"bos_token": "<s>", "eos_token": {"content": "</s>", "special": True}, "unk_token": "<unk>",
              "add_bos_token": True, "add_eos_token": False,
              "chat_template": "{% for m in messages %}<|user|>{{ m['content'] }}<|end|>{% endfor %}"}
    return doc, config


def tokenizer_json_seeds(folders: dict[str, dict[str, bytes]], rng: random.Random) -> dict[str, bytes]:
    """tokenizer.json, tokenizer_config.json and a text, joined by SEPARATOR."""
    texts = [b"hello world 123", "Grüße <s> </s> <|user|>hi<|end|> \U0001F642".encode(), b"a\xff\xc3 b  \t\n"]
    bpe = folders["qwen2-f16"]
    spm_doc, spm_config = spm_tokenizer()
    docs = {"bpe": (json.loads(bpe["tokenizer.json"]), json.loads(bpe["tokenizer_config.json"])),
            "spm": (spm_doc, spm_config)}
    # Variants of the steps around the model that real files use, and some the reader refuses.
    metaspace = dict(spm_doc, normalizer=None, pre_tokenizer={"type": "Metaspace", "replacement": "▁",
                                                              "prepend_scheme": "first", "split": False})
    docs["spm-metaspace"] = (metaspace, {"chat_template": [{"name": "default", "template": "{{ messages }}"}]})
    digits = dict(json.loads(bpe["tokenizer.json"]))
    digits["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\s+|[a-z]+"},
                                                "behavior": "Isolated", "invert": False}]},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]}
    digits["model"] = dict(digits["model"], merges=[m.split(" ") for m in digits["model"]["merges"]],
                           ignore_merges=True)
    docs["bpe-digits-pairs"] = (digits, {})
    docs["unigram"] = (dict(spm_doc, model=dict(spm_doc["model"], type="Unigram")), {})
    docs["wordpiece-normalizer"] = (dict(spm_doc, normalizer={"type": "BertNormalizer"}), {})
    gap = dict(spm_doc, model=dict(spm_doc["model"], vocab={k: v + (v > 10) for k, v in
                                                           spm_doc["model"]["vocab"].items()}))
    docs["id-gap"] = (gap, {})
    docs["unknown-bos"] = (spm_doc, dict(spm_config, bos_token="<bos>"))
    seeds = {}
    for name, (doc, config) in docs.items():
        for i, text in enumerate(texts):
            seeds[f"{name}-{i}"] = SEPARATOR.join([json.dumps(doc).encode(), json.dumps(config).encode(), text])
        seeds[f"{name}-no-config"] = json.dumps(doc).encode()
    whole = seeds["spm-0"]
    seeds["spm-cut"] = whole[: len(whole) // 2]
    flip = bytearray(whole)
    flip[rng.randrange(len(flip))] ^= 1 << rng.randrange(8)
    seeds["spm-bit-flip"] = bytes(flip)
    return seeds


def chat_template_seeds() -> dict[str, bytes]:
    """The families' templates from tests/chat_templates.h, templates using every construct the
    renderer supports (docs/chat-templates.md), ones it must refuse, and cut-short copies."""
    with open(os.path.join(HERE, "..", "chat_templates.h"), encoding="utf-8") as f:
        header = f.read()
    seeds = {f"family-{i}": t.encode() for i, t in enumerate(re.findall(r'R"tpl\((.*?)\)tpl"', header, re.S))}
    constructs = {
        "loop-vars": "{% for m in messages if m.role != 'system' %}{{ loop.index }}/{{ loop.length }} "
                     "{{ loop.previtem.role if not loop.first else '' }}{{ loop.revindex0 }}{% else %}none{% endfor %}",
        "namespace": "{% set ns = namespace(n=0, s='') %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
                     "{% set ns.s = ns.s ~ m['role'][:1] %}{% endfor %}{{ ns.n }} {{ ns.s }}",
        "filters": "{{ messages | length }} {{ messages[0].content | trim | upper | replace('A', 'a') }} "
                   "{{ messages | first | tojson(indent=2) }} {{ messages | items if false else 'no' }}"
                   "{{ (messages | last)['content'] | default('x') | title }} {{ [3, 1] | join('-') }}",
        "tests": "{% for m in messages %}{% if m is mapping and m.content is string and loop.index is odd %}"
                 "{{ m.content is defined }}{{ m.nothing is undefined }}{{ 4 is divisibleby 2 }}{% endif %}{% endfor %}",
        "arith": "{{ 7 // 2 }} {{ -7 % 3 }} {{ 2 * 3 + 1 }} {{ 9223372036854775807 + 1 }} {{ 'ab' * 3 }}",
        "slices-methods": "{{ messages[1:][::-1][0].content.strip().split(' ')[0] }} {{ bos_token[1:-1] }}"
                          "{{ 'a,b,,c'.split(',') }}{{ {'k': 1, 'j': [1, 2]}.items() | list }}"
                          "{% for k, v in {'x': 1}.items() %}{{ k }}={{ v }}{% endfor %}",
        "range": "{% for i in range(3) %}{% for j in range(i, 10, 3) %}{{ i * j }},{% endfor %}{% endfor %}",
        "whitespace": "  {%- if add_generation_prompt -%}\n  yes  {%+ endif %}\n{# comment #}  {{- eos_token -}}  ",
        "raise": "{% if messages[0]['role'] == 'system' %}{{ raise_exception('no system role') }}{% endif %}ok",
        "big-loop": "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        "grow-string": "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
                       "{% endfor %}{{ ns.s | length }}",
        # Loops that read or extend a long string: they hung before the renderer's work budget.
        "read-long-string": "{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(20) %}"
                            "{% set ns.s = ns.s + ns.s %}{% endfor %}{% for i in range(99000) %}{% if ns.s %}"
                            "{% endif %}{% endfor %}",
        "extend-string": "{% set ns = namespace(s='') %}{% for i in range(99999) %}{% set ns.s = ns.s ~ '"
                         + "x" * 160 + "' %}{% endfor %}",
        "macro": "{% macro f(x) %}{{ x }}{% endmacro %}{{ f(1) }}",
        "unclosed": "{% for m in messages %}{{ m.content }",
        "deep": "{{ " + "(" * 80 + "1" + ")" * 80 + " }}",
    }
    seeds.update({k: v.encode() for k, v in constructs.items()})
    for name, data in list(seeds.items()):
        if name.startswith("family-"):
            seeds[f"{name}-cut"] = data[: len(data) * 2 // 3]
    return seeds


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    rng = random.Random(17)
    with tempfile.TemporaryDirectory() as tmp:
        gguf = gguf_seeds(tmp, rng)
        folders = hf_folders(tmp)
    corpora = {
        "fuzz_gguf_reader": gguf,
        "fuzz_model_loader": {k: v for k, v in gguf.items() if not k.startswith("metadata")},
        "fuzz_tokenizer": tokenizer_seeds(),
        "fuzz_chat_store": chat_seeds(rng),
        "fuzz_safetensors": safetensors_seeds(folders, rng),
        "fuzz_hf_folder": hf_folder_seeds(folders, rng),
        "fuzz_tokenizer_json": tokenizer_json_seeds(folders, rng),
        "fuzz_chat_template": chat_template_seeds(),
    }
    for target, seeds in corpora.items():
        folder = os.path.join(argv[1], target)
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
