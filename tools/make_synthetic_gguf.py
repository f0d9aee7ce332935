#!/usr/bin/python3
"""Write a random-weight F16 GGUF with the exact tensor shapes of a real model, plus a real
vocabulary copied from a vocab-only GGUF.

Why it exists: performance, memory-mapping and loader tests need a full-size model file
(TinyLlama-1.1B: ~2.2 GB) without downloading one. The weights are N(0, 0.02^2) (norm weights 1),
so every activation stays finite but the text is gibberish; the tokenizer is real, so tokenisation
and detokenisation behave as with the real model.

Tensors are generated and written in chunks (never the whole model in memory), 2-D weights as F16
and norm weights as F32, with the names and ne a llama.cpp conversion of the model has.

Usage:
  /usr/bin/python3 tools/make_synthetic_gguf.py --shape tinyllama-1.1b \\
      --vocab ../shared/fixtures/tokenizers/ggml-vocab-llama-spm.gguf -o /tmp/tinyllama-synthetic.gguf
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import gguf_read as gr  # noqa: E402
import gguf_writer as gw  # noqa: E402

SHAPES = {
    "tinyllama-1.1b": dict(arch="llama", name="TinyLlama-1.1B (synthetic random weights)",
                           n_embd=2048, n_layer=22, n_head=32, n_head_kv=4, n_ff=5632,
                           n_vocab=32000, n_ctx=2048, rope_base=10000.0, eps=1e-5),
}

WEIGHT_STD = 0.02
CHUNK_ELEMS = 1 << 23   # 8M values (16 MB of f16) per generated chunk


def tensor_plan(s: dict) -> list[tuple[str, tuple[int, ...], int]]:
    """(name, NumPy-order shape, ggml type) in conversion order."""
    d, hd = s["n_embd"], s["n_embd"] // s["n_head"]
    kv = s["n_head_kv"] * hd
    plan = [("token_embd.weight", (s["n_vocab"], d), gw.GGML_F16)]
    for i in range(s["n_layer"]):
        b = f"blk.{i}."
        plan += [
            (b + "attn_norm.weight", (d,), gw.GGML_F32),
            (b + "attn_q.weight", (d, d), gw.GGML_F16),
            (b + "attn_k.weight", (kv, d), gw.GGML_F16),
            (b + "attn_v.weight", (kv, d), gw.GGML_F16),
            (b + "attn_output.weight", (d, d), gw.GGML_F16),
            (b + "ffn_norm.weight", (d,), gw.GGML_F32),
            (b + "ffn_gate.weight", (s["n_ff"], d), gw.GGML_F16),
            (b + "ffn_up.weight", (s["n_ff"], d), gw.GGML_F16),
            (b + "ffn_down.weight", (d, s["n_ff"]), gw.GGML_F16),
        ]
    plan += [("output_norm.weight", (d,), gw.GGML_F32),
             ("output.weight", (s["n_vocab"], d), gw.GGML_F16)]
    return plan


def random_f16_source(rng: np.random.Generator, shape: tuple[int, ...]):
    rows, cols = shape
    step = max(1, CHUNK_ELEMS // cols)

    def gen():
        for r in range(0, rows, step):
            n = min(step, rows - r)
            a = rng.standard_normal((n, cols), dtype=np.float32)
            a *= np.float32(WEIGHT_STD)
            yield memoryview(a.astype("<f2")).cast("B")
    return gen


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", choices=sorted(SHAPES), required=True)
    ap.add_argument("--vocab", required=True, help="vocab-only GGUF whose tokenizer.* keys are copied")
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    s = SHAPES[args.shape]
    a = s["arch"]
    voc = gr.read_gguf(args.vocab)
    tok_keys = [k for k in voc.fields if k.startswith("tokenizer.")]
    n_tokens = len(voc.get("tokenizer.ggml.tokens", []))
    if n_tokens != s["n_vocab"]:
        raise SystemExit(f"{args.vocab} has {n_tokens} tokens, {args.shape} needs {s['n_vocab']}")

    w = gw.GGUFWriter(args.output)
    w.add_string("general.architecture", a)
    w.add_string("general.name", s["name"])
    w.add_u32("general.file_type", 1)   # mostly F16
    w.add_u32("general.quantization_version", 2)
    w.add_u32(f"{a}.vocab_size", s["n_vocab"])
    w.add_u32(f"{a}.context_length", s["n_ctx"])
    w.add_u32(f"{a}.embedding_length", s["n_embd"])
    w.add_u32(f"{a}.block_count", s["n_layer"])
    w.add_u32(f"{a}.feed_forward_length", s["n_ff"])
    w.add_u32(f"{a}.attention.head_count", s["n_head"])
    w.add_u32(f"{a}.attention.head_count_kv", s["n_head_kv"])
    w.add_f32(f"{a}.rope.freq_base", s["rope_base"])
    w.add_f32(f"{a}.attention.layer_norm_rms_epsilon", s["eps"])
    w.add_u32(f"{a}.rope.dimension_count", s["n_embd"] // s["n_head"])
    for k in tok_keys:   # exact copy, value types included
        f = voc.fields[k]
        w.add(k, f.vtype, f.value, f.elem_type)

    rng = np.random.default_rng(args.seed)
    total = 0
    for name, shape, t in tensor_plan(s):
        if t == gw.GGML_F32:
            w.add_tensor(name, np.ones(shape, dtype=np.float32), gw.GGML_F32)
        else:
            w.add_tensor(name, ggml_type=t, shape=shape, source=random_f16_source(rng, shape))
        total += int(np.prod(shape))

    t0 = time.time()
    w.write()
    size = os.path.getsize(args.output)
    print(f"{args.output}: {args.shape}, {total / 1e9:.3f} B parameters, {size / 2**30:.2f} GiB, "
          f"{len(tok_keys)} tokenizer keys copied, {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
