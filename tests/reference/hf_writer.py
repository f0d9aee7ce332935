"""Writes Hugging Face checkpoint files with NumPy: safetensors (an 8-byte little-endian header
length, a JSON header of dtype / shape / data_offsets per tensor, then the data), sharded folders
with model.safetensors.index.json, config.json, and tokenizer.json / tokenizer_config.json built
from a vocabulary (a byte-level BPE one, or a SentencePiece one given by its scores).

Why it exists: the engine opens Hugging Face folders, and its tests need folders whose content is
known. Written from the format description, independently of the engine's reader.
"""
from __future__ import annotations

import json
import os

import numpy as np

_DTYPES = {np.dtype("float32"): "F32", np.dtype("float16"): "F16"}


def to_bf16(a: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 bit patterns (uint16), rounding to nearest even."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def from_bf16(bits: np.ndarray) -> np.ndarray:
    return (bits.astype(np.uint32) << 16).view(np.float32)


def safetensors_bytes(tensors: dict[str, tuple[str, np.ndarray]]) -> bytes:
    """tensors: name -> (dtype name "F32" / "F16" / "BF16", array of matching item size)."""
    header, blobs, at = {}, [], 0
    for name, (dtype, arr) in tensors.items():
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [at, at + len(data)]}
        blobs.append(data)
        at += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)   # keeps the data 8-byte aligned, as the reference writer does
    return len(text).to_bytes(8, "little") + text + b"".join(blobs)


def stored(arr: np.ndarray, dtype: str) -> tuple[str, np.ndarray]:
    if dtype == "bf16":
        return "BF16", to_bf16(arr)
    a = arr.astype(np.float16 if dtype == "f16" else np.float32)
    return _DTYPES[a.dtype], a


def write_checkpoint(out: str, weights: dict[str, np.ndarray], dtypes: dict[str, str], shards: int) -> None:
    """shards == 1: model.safetensors; more: model-0000i-of-0000n.safetensors + the index."""
    names = list(weights)
    if shards <= 1:
        parts = {"model.safetensors": names}
    else:
        per = -(-len(names) // shards)
        parts = {f"model-{i + 1:05d}-of-{shards:05d}.safetensors": names[i * per:(i + 1) * per]
                 for i in range(shards)}
    for file, part in parts.items():
        with open(os.path.join(out, file), "wb") as f:
            f.write(safetensors_bytes({n: stored(weights[n], dtypes[n]) for n in part}))
    if shards > 1:
        index = {"metadata": {"total_size": 0},
                 "weight_map": {n: file for file, part in parts.items() for n in part}}
        write_json(os.path.join(out, "model.safetensors.index.json"), index)


def write_json(path: str, value) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)


def _added(tid: int, text: str, special: bool, rstrip: bool = False) -> dict:
    return {"id": tid, "content": text, "single_word": False, "lstrip": False, "rstrip": rstrip,
            "normalized": False, "special": special}


def spm_merges(tokens: list[str], scores: list[float], types: list[int]) -> list[list[str]]:
    """SentencePiece pieces as ranked BPE merges, the way Hugging Face converts them: every split of
    a normal piece into two pieces of the vocabulary, pieces of higher score first."""
    ids = {t: i for i, t in enumerate(tokens) if types[i] == 1}
    ranked = []
    for t, i in ids.items():
        for k in range(1, len(t)):
            if t[:k] in ids and t[k:] in ids:
                ranked.append((-scores[i], i, k, [t[:k], t[k:]]))
    ranked.sort(key=lambda r: r[:3])
    return [r[3] for r in ranked]


def tokenizer_json(tokens: list[str], types: list[int], kind: str, merges=None, scores=None,
                   pre_regexes=None, unk: int | None = None, add_space_prefix: bool = True,
                   rstrip: frozenset = frozenset()) -> dict:
    """kind "bpe": byte-level BPE (ByteLevel, with `pre_regexes` as Split steps before it, or its own
    regex when None); kind "spm": SentencePiece-style BPE with byte fallback. Types follow GGUF:
    control and unknown-type ids become special added tokens, user-defined ones plain added tokens;
    ids in `rstrip` are marked rstrip."""
    added = [_added(i, t, ty in (2, 3), i in rstrip)
             for i, (t, ty) in enumerate(zip(tokens, types)) if ty in (2, 3, 4) or i in rstrip]
    if kind == "bpe":
        steps = [{"type": "Split", "pattern": {"Regex": r}, "behavior": "Isolated", "invert": False}
                 for r in pre_regexes or []]
        steps.append({"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                      "use_regex": pre_regexes is None})
        pre = steps[0] if len(steps) == 1 else {"type": "Sequence", "pretokenizers": steps}
        normalizer = None
        model = {"type": "BPE", "dropout": None, "unk_token": None, "byte_fallback": False,
                 "ignore_merges": False, "vocab": {t: i for i, t in enumerate(tokens)}, "merges": merges}
    else:
        pre = None
        seq = [{"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]
        if add_space_prefix:
            seq.insert(0, {"type": "Prepend", "prepend": "\u2581"})
        normalizer = {"type": "Sequence", "normalizers": seq}
        model = {"type": "BPE", "dropout": None, "unk_token": tokens[unk] if unk is not None else None,
                 "fuse_unk": True, "byte_fallback": True, "vocab": {t: i for i, t in enumerate(tokens)},
                 "merges": spm_merges(tokens, scores, types)}
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
            "normalizer": normalizer, "pre_tokenizer": pre, "post_processor": None, "decoder": None,
            "model": model}
