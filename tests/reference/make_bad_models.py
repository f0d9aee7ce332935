#!/usr/bin/env python3
"""Broken and hostile variants of a valid fixture model, for the engine's bad-input tests.

Each variant changes one thing a real user's file could get wrong (an architecture we do not
run, a missing or misshapen tensor, a tensor type we cannot load, a vocabulary that does not fit
the embeddings, a model far larger than memory). The huge one is a sparse file: its header is
real, its data section is holes, so it costs no disk.

With --good-starcoder (a GPTBigCode fixture) it also writes the StarCoder-specific ones: a
missing bias and a learned position table whose size does not match the context length.

usage: make_bad_models.py --good MODEL.gguf [--good-starcoder MODEL.gguf] --out DIR
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_read as gr  # noqa: E402
import gguf_writer as gw  # noqa: E402

GGML_Q4_1 = 3  # a real GGUF type the engine does not load: 32 values in 20 bytes
gw.GGML_BLOCK.setdefault(GGML_Q4_1, (32, 20))


def copy_model(good: gr.GGUFFile, path: str, *, arch=None, drop=(), reshape=None, retype=None, tokens_cut=0,
               override=None):
    """Writes `good` again with the requested changes."""
    w = gw.GGUFWriter(path)
    old_arch = good.get("general.architecture")
    for key, f in good.fields.items():
        value = f.value
        if key == "general.alignment":
            continue
        if override and key in override:
            value = override[key]
        if arch is not None and key == "general.architecture":
            value = arch
        if arch is not None and key.startswith(old_arch + "."):
            key = arch + key[len(old_arch):]
        if tokens_cut and key in ("tokenizer.ggml.tokens", "tokenizer.ggml.token_type", "tokenizer.ggml.scores"):
            value = value[:len(value) - tokens_cut]
        if tokens_cut and key in ("tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"):
            value = 0
        if tokens_cut and key == "tokenizer.ggml.merges":
            value = []
        w.add(key, f.vtype, value, f.elem_type)
    for name, t in good.tensors.items():
        if name in drop:
            continue
        raw = bytes(good.raw(name))
        shape, ttype = t.shape, t.ggml_type
        if reshape and name in reshape:
            shape = reshape[name]
            raw = bytes(gw.tensor_nbytes(shape, ttype))
        if retype and name in retype:
            ttype = retype[name]
            raw = bytes(gw.tensor_nbytes(shape, ttype))
        w.add_tensor(name, shape=shape, ggml_type=ttype, source=raw)
    w.write()


def write_huge_sparse(path: str, good: gr.GGUFFile):
    """A Llama-70B-shaped F16 model whose data section is a hole: loadable header, 130+ GiB claimed."""
    dim, ff, layers, heads, kv = 8192, 28672, 80, 64, 8
    vocab = good.get("llama.vocab_size")
    w = gw.GGUFWriter(path)
    w.add_string("general.architecture", "llama")
    w.add_string("general.name", "huge sparse")
    for k, v in [("context_length", 4096), ("embedding_length", dim), ("block_count", layers),
                 ("feed_forward_length", ff), ("attention.head_count", heads), ("attention.head_count_kv", kv),
                 ("rope.dimension_count", dim // heads), ("vocab_size", vocab)]:
        w.add_u32("llama." + k, v)
    for key, f in good.fields.items():
        if key.startswith("tokenizer."):
            w.add(key, f.vtype, f.value, f.elem_type)
    hd = dim // heads
    shapes = {"token_embd.weight": (vocab, dim), "output_norm.weight": (dim,), "output.weight": (vocab, dim)}
    for i in range(layers):
        p = f"blk.{i}."
        shapes.update({p + "attn_norm.weight": (dim,), p + "attn_q.weight": (dim, dim),
                       p + "attn_k.weight": (kv * hd, dim), p + "attn_v.weight": (kv * hd, dim),
                       p + "attn_output.weight": (dim, dim), p + "ffn_norm.weight": (dim,),
                       p + "ffn_gate.weight": (ff, dim), p + "ffn_up.weight": (ff, dim),
                       p + "ffn_down.weight": (dim, ff)})
    for name, shape in shapes.items():
        ttype = gw.GGML_F32 if len(shape) == 1 else gw.GGML_F16
        w.add_tensor(name, shape=shape, ggml_type=ttype, source=b"")
    head = w._header_bytes()
    total = len(head) + sum(t.nbytes + w._pad(t.nbytes) for t in w.tensors)
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(total)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--good", required=True)
    ap.add_argument("--good-starcoder")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    good = gr.read_gguf(a.good)
    copy_model(good, os.path.join(a.out, "unknown_arch.gguf"), arch="mamba")
    copy_model(good, os.path.join(a.out, "missing_tensor.gguf"), drop={"blk.1.ffn_up.weight"})
    q = good.tensors["blk.0.attn_q.weight"].shape
    copy_model(good, os.path.join(a.out, "wrong_shape.gguf"), reshape={"blk.0.attn_q.weight": (q[0] // 2, q[1])})
    copy_model(good, os.path.join(a.out, "unsupported_type.gguf"), retype={"blk.0.ffn_down.weight": GGML_Q4_1})
    copy_model(good, os.path.join(a.out, "vocab_mismatch.gguf"), tokens_cut=5)
    copy_model(good, os.path.join(a.out, "zero_kv_heads.gguf"), override={"llama.attention.head_count_kv": 0})
    copy_model(good, os.path.join(a.out, "absurd_layers.gguf"), override={"llama.block_count": 4000000000})
    write_huge_sparse(os.path.join(a.out, "huge_sparse.gguf"), good)
    if a.good_starcoder:
        sc = gr.read_gguf(a.good_starcoder)
        copy_model(sc, os.path.join(a.out, "starcoder_missing_bias.gguf"), drop={"blk.1.attn_qkv.bias"})
        rows, cols = sc.tensors["position_embd.weight"].shape
        copy_model(sc, os.path.join(a.out, "starcoder_wrong_positions.gguf"),
                   reshape={"position_embd.weight": (rows // 2, cols)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
