#!/usr/bin/python3
"""Writes tokenizer.json and tokenizer_config.json for the vocabulary of a GGUF file, as Hugging
Face stores the same tokenizer, so the engine's tokenizer.json path can be checked against its GGUF
path on the same vocabulary.

Usage: gguf_to_tokenizer_json.py VOCAB.gguf OUT_DIR
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_read  # noqa: E402
import hf_writer  # noqa: E402

# The Split steps each tokenizer.ggml.pre name stands for, in tokenizers' regex syntax (None: the
# ByteLevel step's own regex).
PRE_REGEXES = {
    "gpt-2": None,
    "gpt2": None,
    "starcoder": [r"\p{N}", r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"],
    "qwen2": [r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
              r"|\s+(?!\S)|\s+"],
}


def main(argv) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    g = gguf_read.read_gguf(argv[1])
    out = argv[2]
    os.makedirs(out, exist_ok=True)
    tokens = g.get("tokenizer.ggml.tokens")
    types = g.get("tokenizer.ggml.token_type") or [1] * len(tokens)
    model = g.get("tokenizer.ggml.model")
    if model == "gpt2":
        pre = g.get("tokenizer.ggml.pre", "gpt2")
        if pre not in PRE_REGEXES:
            raise SystemExit(f"no regexes known for pre-tokenizer '{pre}'")
        regexes = PRE_REGEXES[pre]
        if regexes is not None and regexes[-1] == PRE_REGEXES["starcoder"][-1]:
            # StarCoder's tokenizer.json: Digits(individual) then ByteLevel with its own regex.
            doc = hf_writer.tokenizer_json(tokens, types, "bpe", merges=g.get("tokenizer.ggml.merges"))
            doc["pre_tokenizer"] = {"type": "Sequence", "pretokenizers": [
                {"type": "Digits", "individual_digits": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}]}
        else:
            doc = hf_writer.tokenizer_json(tokens, types, "bpe", merges=g.get("tokenizer.ggml.merges"),
                                           pre_regexes=regexes)
    elif model == "llama":
        rstrip = frozenset()
        if "phi3" in g.get("general.name", "").lower().replace("-", ""):
            # Phi-3's tokenizer.json marks its added tokens and "</s>" rstrip, but not <unk>, <s>
            # and <|endoftext|>.
            keep = {"<unk>", "<s>", "<|endoftext|>"}
            rstrip = frozenset(i for i, (t, ty) in enumerate(zip(tokens, types))
                               if (ty in (2, 3, 4) or t == "</s>") and t not in keep)
        doc = hf_writer.tokenizer_json(tokens, types, "spm", scores=g.get("tokenizer.ggml.scores"),
                                       unk=g.get("tokenizer.ggml.unknown_token_id", 0),
                                       add_space_prefix=g.get("tokenizer.ggml.add_space_prefix", True),
                                       rstrip=rstrip)
    else:
        raise SystemExit(f"tokenizer model '{model}' is not converted")
    hf_writer.write_json(os.path.join(out, "tokenizer.json"), doc)

    config = {}
    for key, field in (("bos_token_id", "bos_token"), ("eos_token_id", "eos_token"),
                       ("padding_token_id", "pad_token"), ("unknown_token_id", "unk_token")):
        tid = g.get("tokenizer.ggml." + key)
        if tid is not None:
            config[field] = tokens[tid]
    for key in ("add_bos_token", "add_eos_token"):
        if g.get("tokenizer.ggml." + key) is not None:
            config[key] = bool(g.get("tokenizer.ggml." + key))
    hf_writer.write_json(os.path.join(out, "tokenizer_config.json"), config)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
