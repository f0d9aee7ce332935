#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora: small valid inputs made here, plus a few mutations of
each (cut short, a count or length field blown up), so libFuzzer starts past the first checks.

Why generated: the corpora are the project's own (no copied files), reproducible from a seed, and
follow the formats as the engine's tests define them (tests/reference/gguf_writer.py and
make_reference_case.py for GGUF; docs/chat-format.md for saved chats).

Usage: /usr/bin/python3 tests/fuzz/make_seeds.py OUT_DIR
Writes OUT_DIR/<target>/<name> for every target below; a target with no seeds here starts from
libFuzzer's empty input.
"""
from __future__ import annotations

import json
import os
import random
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.join(HERE, "..", "reference")
sys.path.insert(0, REFERENCE)
import gguf_writer as gw  # noqa: E402
import numpy as np  # noqa: E402


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


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    rng = random.Random(17)
    with tempfile.TemporaryDirectory() as tmp:
        gguf = gguf_seeds(tmp, rng)
    corpora = {
        "fuzz_gguf_reader": gguf,
        "fuzz_model_loader": {k: v for k, v in gguf.items() if not k.startswith("metadata")},
        "fuzz_tokenizer": tokenizer_seeds(),
        "fuzz_chat_store": chat_seeds(rng),
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
