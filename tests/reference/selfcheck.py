#!/usr/bin/python3
"""Self-consistency checks for the reference tooling (run: /usr/bin/python3 tests/reference/selfcheck.py).

Why it exists: the reference is only useful if its own pieces are right. This checks
  1. GGUF writer -> reader round trip of every metadata value type and tensor type, alignment
     and padding, plus literal header bytes;
  2. Q8_0 / Q4_0 block bytes for hand-worked inputs (roundf ties, first-max-on-ties, zero blocks);
  3. the key layout fact: HF rotate_half RoPE on unpermuted q/k equals adjacent-pair ("normal",
     GPT-J) RoPE on rows permuted the way convert_hf_to_gguf permutes them, including attention
     scores, GQA and Llama-3 rope_freqs; with negative controls showing the check can fail;
  4. the tokenizer (byte symbols, merges consistent with tokens);
  5. end to end: for several generated cases, an independent forward pass written the way a GGUF
     consumer works (GGUF names and ne, permuted weights, adjacent-pair RoPE for llama, NEOX RoPE
     for qwen2, angles divided by rope_freqs) reproduces logits.f32 computed by the HF-layout
     reference; plus determinism and causal prefix consistency.
Exits non-zero on the first failure.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import struct
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gguf_read as gr  # noqa: E402
import gguf_writer as gw  # noqa: E402
import llama_reference as ref  # noqa: E402
import make_reference_case as mk  # noqa: E402

N_CHECKS = 0


def check(cond: bool, what: str) -> None:
    global N_CHECKS
    if not cond:
        print(f"FAIL: {what}")
        sys.exit(1)
    N_CHECKS += 1


def section(title: str) -> None:
    print(f"-- {title}")


def make_case(argv: list[str]) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        mk.main(argv)


# ----------------------------------------------------------------------------------------------
# 1. Writer / reader round trip
# ----------------------------------------------------------------------------------------------

def check_header_bytes(tmp: str) -> None:
    p = os.path.join(tmp, "empty.gguf")
    gw.GGUFWriter(p).write()
    b = open(p, "rb").read()
    check(b == b"GGUF" + struct.pack("<IQQ", 3, 0, 0) + b"\0" * 8, "empty file is magic+v3+0+0 padded to 32")

    p = os.path.join(tmp, "one.gguf")
    w = gw.GGUFWriter(p)
    w.add_u32("a", 5)
    w.add_tensor("t", np.array([1.0, 2.0], dtype=np.float32), gw.GGML_F32)
    w.write()
    b = open(p, "rb").read()
    head = (b"GGUF" + struct.pack("<IQQ", 3, 1, 1)
            + struct.pack("<Q", 1) + b"a" + struct.pack("<II", 4, 5)
            + struct.pack("<Q", 1) + b"t" + struct.pack("<IQIQ", 1, 2, 0, 0))
    check(b[:len(head)] == head, "kv and tensor-info byte layout")
    data_at = len(head) + (-len(head)) % 32
    check(b[len(head):data_at] == b"\0" * (data_at - len(head)), "zero padding before data")
    check(b[data_at:data_at + 8] == struct.pack("<2f", 1.0, 2.0), "tensor data at aligned offset")
    check(len(b) == data_at + 32, "tensor padded to alignment")


def check_roundtrip(tmp: str, alignment: int) -> None:
    rng = np.random.default_rng(7)
    p = os.path.join(tmp, f"rt{alignment}.gguf")
    w = gw.GGUFWriter(p, alignment=alignment)
    scalars = [
        ("s.u8", gw.UINT8, 250), ("s.i8", gw.INT8, -100), ("s.u16", gw.UINT16, 65000),
        ("s.i16", gw.INT16, -32000), ("s.u32", gw.UINT32, 4_000_000_000), ("s.i32", gw.INT32, -2_000_000_000),
        ("s.f32", gw.FLOAT32, 0.1), ("s.bool_t", gw.BOOL, True), ("s.bool_f", gw.BOOL, False),
        ("s.str", gw.STRING, "héllo ✓ \n\t"), ("s.empty", gw.STRING, ""),
        ("s.u64", gw.UINT64, 2**63 + 12345), ("s.i64", gw.INT64, -(2**62) - 7), ("s.f64", gw.FLOAT64, math.pi),
    ]
    for k, t, v in scalars:
        w.add(k, t, v)
    arrays = [
        ("a.u8", gw.UINT8, [0, 1, 255]), ("a.i8", gw.INT8, [-128, 0, 127]),
        ("a.u16", gw.UINT16, [0, 65535]), ("a.i16", gw.INT16, [-32768, 32767]),
        ("a.u32", gw.UINT32, [1, 2**32 - 1]), ("a.i32", gw.INT32, [-(2**31), 2**31 - 1, 3]),
        ("a.f32", gw.FLOAT32, [1.5, -2.25, 1e-5]), ("a.bool", gw.BOOL, [True, False, True]),
        ("a.str", gw.STRING, ["a", "", "Ġthe", "日本"]), ("a.u64", gw.UINT64, [2**64 - 1]),
        ("a.i64", gw.INT64, [-(2**63), 2**63 - 1]), ("a.f64", gw.FLOAT64, [math.e, -0.0]),
        ("a.empty", gw.INT32, []),
    ]
    for k, t, v in arrays:
        w.add_array(k, t, v)
    w.add("a.nested", gw.ARRAY, [(gw.INT32, [1, 2]), (gw.STRING, ["x"])], gw.ARRAY)
    tens = {
        "t.f32": (rng.standard_normal((3, 5)).astype(np.float32), gw.GGML_F32),
        "t.f16": (rng.standard_normal((4, 7)).astype(np.float32), gw.GGML_F16),
        "t.bf16": (rng.standard_normal((2, 3)).astype(np.float32), gw.GGML_BF16),
        "t.q8_0": (rng.standard_normal((3, 64)).astype(np.float32), gw.GGML_Q8_0),
        "t.q4_0": (rng.standard_normal((5, 32)).astype(np.float32), gw.GGML_Q4_0),
        "t.1d": (rng.standard_normal(11).astype(np.float32), gw.GGML_F32),
        "t.3d": (rng.standard_normal((2, 3, 32)).astype(np.float32), gw.GGML_Q8_0),
    }
    for n, (a, t) in tens.items():
        w.add_tensor(n, a, t)
    # streamed tensor (callable producing chunks)
    big = rng.standard_normal((6, 64)).astype(np.float32)
    w.add_tensor("t.stream", ggml_type=gw.GGML_F16, shape=big.shape,
                 source=lambda: (big[i:i + 2] for i in range(0, 6, 2)))
    w.write()

    g = gr.read_gguf(p)
    check(g.version == 3 and g.alignment == alignment, f"version/alignment {alignment}")
    check(("general.alignment" in g.fields) == (alignment != 32), "general.alignment written only when non-default")
    for k, t, v in scalars:
        f = g.fields[k]
        ok = f.vtype == t and (abs(f.value - v) < 1e-7 if t == gw.FLOAT32 else f.value == v)
        check(ok, f"scalar {k}: {f.vtype} {f.value!r} vs {t} {v!r}")
    for k, t, v in arrays:
        f = g.fields[k]
        ok = f.vtype == gw.ARRAY and f.elem_type == t and len(f.value) == len(v)
        if t == gw.FLOAT32:
            ok = ok and np.allclose(f.value, v, rtol=1e-7, atol=0)
        else:
            ok = ok and list(f.value) == list(v)
        check(ok, f"array {k}")
    check(g.fields["a.f64"].value[1] == 0.0 and math.copysign(1, g.fields["a.f64"].value[1]) < 0, "-0.0 kept")
    f = g.fields["a.nested"]
    check(f.elem_type == gw.ARRAY and f.value == [(gw.INT32, [1, 2]), (gw.STRING, ["x"])], "nested array")
    check(list(g.fields)[:1] == (["general.alignment"] if alignment != 32 else ["s.u8"]), "key order kept")
    for n, (a, t) in tens.items():
        info = g.tensors[n]
        check(info.ne == tuple(reversed(a.shape)), f"{n}: ne reversed from numpy shape")
        check(info.ggml_type == t, f"{n}: type")
        check(info.offset % alignment == 0 and g.data_offset % alignment == 0, f"{n}: aligned")
        got = g.tensor(n)
        check(got.shape == a.shape, f"{n}: shape back")
        check(np.array_equal(got.astype(np.float32), gw.roundtrip(a, t)), f"{n}: values == writer roundtrip")
        tol = {gw.GGML_F32: 0, gw.GGML_F16: 1e-3, gw.GGML_BF16: 1e-2, gw.GGML_Q8_0: 0.02, gw.GGML_Q4_0: 0.35}[t]
        check(np.max(np.abs(got - a)) <= tol * max(1.0, np.max(np.abs(a))), f"{n}: close to original")
    check(np.array_equal(g.tensor("t.stream").astype(np.float32), big.astype(np.float16).astype(np.float32)),
          "streamed tensor")
    check(os.path.getsize(p) == g.data_offset + max(t.offset + t.nbytes + (-t.nbytes) % alignment
                                                   for t in g.tensors.values()), "file length")


# ----------------------------------------------------------------------------------------------
# 2. Quantised block bytes
# ----------------------------------------------------------------------------------------------

def f16_bytes(v: float) -> bytes:
    return np.array([v], dtype="<f2").tobytes()


def check_quant_blocks() -> None:
    # Q8_0: amax = 127 -> d = 1 exactly, so q = roundf(x): ties go away from zero.
    x = np.zeros(32, dtype=np.float32)
    x[:9] = [127, 2.5, -2.5, 0.5, -0.5, 1.5, 3.49, -100.6, -127]
    want = f16_bytes(1.0) + bytes([127, 3, 0xFD, 1, 0xFF, 2, 3, (256 - 101), (256 - 127)]) + bytes(23)
    check(f16_bytes(1.0) == b"\x00\x3c", "f16(1.0) = 0x3C00")
    check(gw.quantize_q8_0(x) == want, "Q8_0 block bytes (roundf half away from zero)")
    # Q8_0: constant block -> d = 1/127 (f16 0x2008), q = 127
    check(gw.quantize_q8_0(np.ones(32, np.float32)) == b"\x08\x20" + b"\x7f" * 32, "Q8_0 constant block")
    check(gw.quantize_q8_0(np.zeros(32, np.float32)) == bytes(34), "Q8_0 zero block")

    # Q4_0: x_j = j - 16. Largest |x| is -16 (j=0) -> d = -16/-8 = 2, q_j = trunc((j-16)/2 + 8.5)
    x = np.arange(32, dtype=np.float32) - 16
    q = [0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15, 15]
    want = b"\x00\x40" + bytes(q[j] | (q[j + 16] << 4) for j in range(16))
    check(gw.quantize_q4_0(x) == want, "Q4_0 block bytes (d = max/-8, low nibble j, high nibble j+16)")
    # positive extreme -> negative d; the extreme itself maps to q = 0 -> (0-8)*d = +8
    x = np.zeros(32, np.float32)
    x[:4] = [8, -4, 4, 1]
    blk = gw.quantize_q4_0(x)
    q = [0, 12, 4, 7] + [8] * 28
    check(blk == b"\x00\xbc" + bytes(q[j] | (q[j + 16] << 4) for j in range(16)), "Q4_0 positive max, d = -1")
    check(np.array_equal(gw.dequantize_q4_0(np.frombuffer(blk, np.uint8)), x), "Q4_0 exact dequant")
    # ties in |x|: the first element wins
    a = np.zeros(32, np.float32); a[:2] = [-3, 3]
    b = np.zeros(32, np.float32); b[:2] = [3, -3]
    check(gw.quantize_q4_0(a)[:2] == f16_bytes(0.375) and gw.quantize_q4_0(b)[:2] == f16_bytes(-0.375),
          "Q4_0 first max on |x| ties")
    # all-zero block: C's max stays +0.0, so d = 0.0 / -8 = -0.0 (f16 0x8000); q = 8
    zero = b"\x00\x80" + b"\x88" * 16
    check(gw.quantize_q4_0(np.zeros(32, np.float32)) == zero, "Q4_0 zero block")
    check(gw.quantize_q4_0(-np.zeros(32, np.float32)) == zero, "Q4_0 negative-zero block")
    # multi-block rows: blocks are consecutive 32-element runs in C order
    m = np.random.default_rng(3).standard_normal((2, 64)).astype(np.float32)
    whole = gw.quantize_q8_0(m)
    parts = b"".join(gw.quantize_q8_0(m.reshape(-1)[i:i + 32]) for i in range(0, 128, 32))
    check(whole == parts, "Q8_0 block order")


# ----------------------------------------------------------------------------------------------
# 3. Permutation and RoPE variants
# ----------------------------------------------------------------------------------------------

def rope_adjacent(x: np.ndarray, pos: np.ndarray, theta: float, n_rot: int, freq_factors=None) -> np.ndarray:
    """GGUF consumer "normal" RoPE (llama): dims (2i, 2i+1) rotate by pos * theta^(-2i/n_rot) / ff[i]."""
    i = np.arange(n_rot // 2)
    ang = pos[:, None] * theta ** (-2.0 * i / n_rot)
    if freq_factors is not None:
        ang = ang / freq_factors[None, :]
    c, s = np.cos(ang), np.sin(ang)
    out = x.copy()
    x0, x1 = x[..., 0:n_rot:2], x[..., 1:n_rot:2]
    out[..., 0:n_rot:2] = x0 * c - x1 * s
    out[..., 1:n_rot:2] = x0 * s + x1 * c
    return out


def rope_neox(x: np.ndarray, pos: np.ndarray, theta: float, n_rot: int, freq_factors=None) -> np.ndarray:
    """GGUF consumer NEOX RoPE (qwen2): dims (i, i + n_rot/2) rotate by pos * theta^(-2i/n_rot) / ff[i]."""
    h = n_rot // 2
    i = np.arange(h)
    ang = pos[:, None] * theta ** (-2.0 * i / n_rot)
    if freq_factors is not None:
        ang = ang / freq_factors[None, :]
    c, s = np.cos(ang), np.sin(ang)
    out = x.copy()
    x0, x1 = x[..., :h], x[..., h:n_rot]
    out[..., :h] = x0 * c - x1 * s
    out[..., h:n_rot] = x0 * s + x1 * c
    return out


def check_permutation() -> None:
    rng = np.random.default_rng(11)
    dim, nh, nkv, hd, n, theta = 48, 6, 2, 8, 9, 10000.0
    wq = rng.standard_normal((nh * hd, dim))
    wk = rng.standard_normal((nkv * hd, dim))
    x = rng.standard_normal((n, dim))
    pos = np.arange(n, dtype=np.float64) + 3.0

    # where rows go: GGUF row 2j <- HF row j, GGUF row 2j+1 <- HF row j + hd/2 (per head)
    rows = np.arange(nh * hd, dtype=np.float64)[:, None]
    pr = mk.permute_qk(rows, nh)[:, 0].astype(int).reshape(nh, hd)
    want = np.array([[h * hd + (j // 2) + (j % 2) * (hd // 2) for j in range(hd)] for h in range(nh)])
    check(np.array_equal(pr, want), "permute_qk row mapping: new[h, 2j+t] = old[h, t*hd/2 + j]")

    def heads(w, nheads):
        return (x @ w.T).reshape(n, nheads, hd).transpose(1, 0, 2)

    inv = ref.default_inv_freq(theta, hd)
    q_hf = ref.apply_rope_hf(heads(wq, nh), pos, inv)
    k_hf = ref.apply_rope_hf(heads(wk, nkv), pos, inv)
    q_gg = rope_adjacent(heads(mk.permute_qk(wq, nh), nh), pos, theta, hd)
    k_gg = rope_adjacent(heads(mk.permute_qk(wk, nkv), nkv), pos, theta, hd)
    perm = want[0]   # within-head order
    check(np.allclose(q_gg, q_hf[..., perm], atol=1e-12), "rotated q: adjacent(permuted) == permuted(HF rotate_half)")
    check(np.allclose(k_gg, k_hf[..., perm], atol=1e-12), "rotated k (n_head_kv permutation)")

    rep = nh // nkv
    s_hf = q_hf @ np.repeat(k_hf, rep, axis=0).transpose(0, 2, 1)
    s_gg = q_gg @ np.repeat(k_gg, rep, axis=0).transpose(0, 2, 1)
    check(np.allclose(s_hf, s_gg, atol=1e-10), "attention scores identical (GQA h -> h // rep)")
    # NEOX on the unpermuted weights is HF's rotate_half exactly (Qwen2 path)
    check(np.allclose(rope_neox(heads(wq, nh), pos, theta, hd), q_hf, atol=1e-12), "NEOX == HF rotate_half")
    # negative controls: wrong pairing must NOT match
    bad1 = rope_adjacent(heads(wq, nh), pos, theta, hd) @ np.repeat(
        rope_adjacent(heads(wk, nkv), pos, theta, hd), rep, 0).transpose(0, 2, 1)
    bad2 = rope_neox(heads(mk.permute_qk(wq, nh), nh), pos, theta, hd) @ np.repeat(
        rope_neox(heads(mk.permute_qk(wk, nkv), nkv), pos, theta, hd), rep, 0).transpose(0, 2, 1)
    check(not np.allclose(bad1, s_hf, atol=1e-3), "control: adjacent RoPE on unpermuted weights differs")
    check(not np.allclose(bad2, s_hf, atol=1e-3), "control: NEOX RoPE on permuted weights differs")
    # k must be grouped by its own head count (n_head_kv), not another one
    check(not np.allclose(mk.permute_qk(wk, 2 * nkv), mk.permute_qk(wk, nkv)), "control: k head count matters")

    # Llama-3 scaling: converter's rope_freqs in the consumer == HF llama3 inv_freq
    sc = dict(mk.LLAMA3_FIXTURE_SCALING)
    for hd3, th, old in [(16, 10000.0, 64), (128, 500000.0, 8192)]:   # fixture; Llama 3.1 8B
        sc["original_max_position_embeddings"] = old
        ff = mk.converter_rope_freqs(th, hd3, sc).astype(np.float64)
        inv3 = ref.llama3_inv_freq(ref.default_inv_freq(th, hd3), sc["factor"], sc["low_freq_factor"],
                                   sc["high_freq_factor"], old)
        check(np.allclose(th ** (-np.arange(0, hd3, 2) / hd3) / ff, inv3, rtol=2e-6, atol=0),
              f"rope_freqs: theta^(-2i/d)/ff == HF llama3 inv_freq (d={hd3})")
        check(ff[0] == 1.0 and ff[-1] == sc["factor"] and np.all(np.diff(ff) >= 0), "rope_freqs bands monotone 1..factor")
    ff = mk.converter_rope_freqs(10000.0, 16, mk.LLAMA3_FIXTURE_SCALING)
    check(ff[0] == 1.0 and 1 < ff[1] < ff[2] < 8 and np.all(ff[3:] == 8), f"fixture covers all three bands: {ff}")
    # the same through actual rotations: head_dim 16, positions 21..77 (beyond original ctx 64)
    wq16 = rng.standard_normal((2 * 16, dim))
    q16 = (x @ wq16.T).reshape(n, 2, 16).transpose(1, 0, 2)
    inv16 = ref.llama3_inv_freq(ref.default_inv_freq(theta, 16), 8.0, 1.0, 4.0, 64)
    a = ref.apply_rope_hf(q16, pos * 7, inv16)
    b = rope_adjacent((x @ mk.permute_qk(wq16, 2).T).reshape(n, 2, 16).transpose(1, 0, 2), pos * 7, theta, 16,
                      ff.astype(np.float64))
    p16 = mk.permute_qk(np.arange(16.0)[:, None], 1)[:, 0].astype(int)
    check(np.allclose(b, a[..., p16], atol=1e-5), "llama3: adjacent RoPE with rope_freqs == HF llama3 (permuted)")


# ----------------------------------------------------------------------------------------------
# 4. Tokenizer
# ----------------------------------------------------------------------------------------------

def check_tokenizer() -> None:
    b2u = mk.bytes_to_unicode()
    check(len(set(b2u.values())) == 256, "bytes_to_unicode is a bijection")
    check(b2u[ord("A")] == "A" and b2u[32] == "\u0120" and b2u[10] == "\u010a" and b2u[0] == "\u0100"
          and b2u[127] == "\u0121" and b2u[0xAD] == "\u0143", "GPT-2 byte symbols (space=Ġ, newline=Ċ)")
    for nv in (300, 260, 1000):
        t = mk.build_tokenizer(nv)
        toks = t["tokens"]
        check(len(toks) == nv and len(set(toks)) == nv, f"vocab {nv}: size and uniqueness")
        check(toks[:256] == [b2u[b] for b in range(256)], "byte symbols first, by byte value")
        check(toks[-2:] == ["<|bos|>", "<|eos|>"] and t["token_type"][-2:] == [3, 3]
              and set(t["token_type"][:-2]) == {1}, "bos/eos control tokens last")
        known = set(toks)
        ok = all(len(m.split(" ")) == 2 and all(p in known for p in m.split(" ")) and m.replace(" ", "") in known
                 for m in t["merges"])
        check(ok, "every merge 'a b' has a, b and ab in the vocabulary")
        check(set(toks[256:-2]) <= {m.replace(" ", "") for m in t["merges"]}, "every merged token comes from a merge")


# ----------------------------------------------------------------------------------------------
# 5. End to end: GGUF-consumer forward vs the HF-layout reference
# ----------------------------------------------------------------------------------------------

def gguf_forward(path: str, tokens, rope_override: str | None = None, ignore_freqs: bool = False) -> np.ndarray:
    """Forward pass the way a GGUF consumer does it, from the file alone."""
    g = gr.read_gguf(path)
    a = g.get("general.architecture")
    n_embd = g.get(f"{a}.embedding_length")
    n_layer = g.get(f"{a}.block_count")
    nh, nkv = g.get(f"{a}.attention.head_count"), g.get(f"{a}.attention.head_count_kv")
    eps, theta = g.get(f"{a}.attention.layer_norm_rms_epsilon"), g.get(f"{a}.rope.freq_base")
    hd = n_embd // nh
    n_rot = g.get(f"{a}.rope.dimension_count", hd)
    mode = rope_override or {"llama": "norm", "qwen2": "neox"}[a]
    rope = rope_adjacent if mode == "norm" else rope_neox
    ff = None
    if "rope_freqs.weight" in g.tensors and not ignore_freqs:
        ff = g.tensor("rope_freqs.weight").astype(np.float64)   # per pair i: angle / ff[i]

    def T(name):
        return g.tensor(name).astype(np.float64)

    def norm(x, w):
        return x / np.sqrt(np.mean(x * x, -1, keepdims=True) + eps) * w

    tokens = np.asarray(tokens)
    n = len(tokens)
    pos = np.arange(n, dtype=np.float64)
    emb = T("token_embd.weight")                 # ne [n_embd, n_vocab] -> numpy [n_vocab, n_embd]
    h = emb[tokens]
    for L in range(n_layer):
        b = f"blk.{L}."
        x = norm(h, T(b + "attn_norm.weight"))

        def lin(name, bias=None):
            y = x @ T(b + name).T
            return y + T(b + bias) if bias and b + bias in g.tensors else y

        q = lin("attn_q.weight", "attn_q.bias").reshape(n, nh, hd).transpose(1, 0, 2)
        k = lin("attn_k.weight", "attn_k.bias").reshape(n, nkv, hd).transpose(1, 0, 2)
        v = lin("attn_v.weight", "attn_v.bias").reshape(n, nkv, hd).transpose(1, 0, 2)
        q, k = rope(q, pos, theta, n_rot, ff), rope(k, pos, theta, n_rot, ff)
        out = np.empty((nh, n, hd))
        for hh in range(nh):
            kv = hh // (nh // nkv)
            s = q[hh] @ k[kv].T / math.sqrt(hd)
            s[np.triu_indices(n, 1)] = -np.inf
            p = np.exp(s - s.max(-1, keepdims=True))
            out[hh] = (p / p.sum(-1, keepdims=True)) @ v[kv]
        h = h + out.transpose(1, 0, 2).reshape(n, nh * hd) @ T(b + "attn_output.weight").T
        x = norm(h, T(b + "ffn_norm.weight"))
        gate = x @ T(b + "ffn_gate.weight").T
        h = h + (gate / (1 + np.exp(-gate)) * (x @ T(b + "ffn_up.weight").T)) @ T(b + "ffn_down.weight").T
    h = norm(h, T("output_norm.weight"))
    out_w = T("output.weight") if "output.weight" in g.tensors else emb
    return h @ out_w.T


CASES = [
    ["--arch", "llama", "--seed", "1"],
    ["--arch", "llama", "--seed", "2", "--tied", "--dtype", "f16", "--rope-scaling", "llama3"],
    ["--arch", "llama", "--seed", "3", "--dtype", "q8_0", "--n-head", "4", "--n-head-kv", "4"],
    ["--arch", "llama", "--seed", "4", "--dtype", "q4_0", "--n-head", "8", "--n-head-kv", "1",
     "--dim", "128", "--layers", "3", "--ff", "96", "--vocab", "400"],
    ["--arch", "qwen2", "--seed", "1"],
    ["--arch", "qwen2", "--seed", "5", "--tied", "--dtype", "f16"],
]


def expected_tensor_names(cfg: ref.ModelConfig) -> set[str]:
    names = {"token_embd.weight", "output_norm.weight"}
    if not cfg.tie_word_embeddings:
        names.add("output.weight")
    if cfg.rope_scaling:
        names.add("rope_freqs.weight")
    for L in range(cfg.num_hidden_layers):
        for s in ("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"):
            names.add(f"blk.{L}.{s}.weight")
        if cfg.arch == "qwen2":
            names |= {f"blk.{L}.attn_{x}.bias" for x in "qkv"}
    return names


def check_case(tmp: str, argv: list[str]) -> None:
    out = os.path.join(tmp, "case_" + "_".join(a.strip("-") for a in argv))
    make_case(argv + ["--out", out])
    exp = json.load(open(os.path.join(out, "expected.json")))
    cfg = ref.ModelConfig(**exp["config"])
    g = gr.read_gguf(os.path.join(out, "model.gguf"))
    a = exp["arch"]
    check(set(g.tensors) == expected_tensor_names(cfg), f"{argv}: tensor names")
    keys = ["general.architecture", "general.name"] + [f"{a}.{k}" for k in (
        "context_length", "embedding_length", "block_count", "feed_forward_length", "attention.head_count",
        "attention.head_count_kv", "rope.freq_base", "attention.layer_norm_rms_epsilon",
        "rope.dimension_count", "vocab_size")] + ["tokenizer.ggml." + k for k in (
        "model", "pre", "tokens", "token_type", "merges", "bos_token_id", "eos_token_id")]
    check(all(k in g.fields for k in keys), f"{argv}: metadata keys")
    check(g.get("general.architecture") == a and g.get(f"{a}.vocab_size") == exp["n_vocab"], "arch / vocab")
    for n, t in g.tensors.items():
        if n.endswith("norm.weight") or n.endswith(".bias") or n == "rope_freqs.weight":
            check(t.ggml_type == gw.GGML_F32, f"{n} is F32")
        else:
            check(t.ggml_type == mk.DTYPES[exp["dtype"]], f"{n} has --dtype")
    emb = g.tensors["token_embd.weight"]
    check(emb.ne == (cfg.hidden_size, cfg.vocab_size), "token_embd ne = [n_embd, n_vocab]")
    check(g.tensors["blk.0.attn_k.weight"].ne == (cfg.hidden_size, cfg.num_key_value_heads * cfg.head_dim), "attn_k ne")
    check(g.tensors["blk.0.ffn_down.weight"].ne == (cfg.intermediate_size, cfg.hidden_size), "ffn_down ne")

    # q/k rows in the file: permuted for llama, as-is for qwen2
    W = mk.make_weights(cfg, exp["seed"])
    eff = mk.effective_weights(W, mk.stored_types(cfg, exp["dtype"]))
    fq = g.tensor("blk.0.attn_q.weight")
    hq = eff["model.layers.0.self_attn.q_proj.weight"]
    if a == "llama":
        check(np.array_equal(fq, mk.permute_qk(hq, cfg.num_attention_heads)), "llama attn_q rows permuted")
        check(np.array_equal(g.tensor("blk.0.attn_k.weight"),
                             mk.permute_qk(eff["model.layers.0.self_attn.k_proj.weight"], cfg.num_key_value_heads)),
              "llama attn_k rows permuted with n_head_kv")
    else:
        check(np.array_equal(fq, hq), "qwen2 attn_q not permuted")
        check(np.array_equal(g.tensor("blk.0.attn_q.bias"), eff["model.layers.0.self_attn.q_proj.bias"]), "qwen2 bias")

    logits = np.fromfile(os.path.join(out, exp["logits_file"]), dtype="<f4").reshape(exp["logits_shape"])
    check(list(logits.shape) == [len(exp["tokens"]), exp["n_vocab"]], "logits shape")
    mine = gguf_forward(os.path.join(out, "model.gguf"), exp["tokens"])
    err = np.max(np.abs(mine - logits))
    check(err < 1e-4, f"{argv}: GGUF-consumer forward == reference logits (max err {err:.2e})")
    wrong = gguf_forward(os.path.join(out, "model.gguf"), exp["tokens"],
                         rope_override="neox" if a == "llama" else "norm")
    check(np.max(np.abs(wrong - logits)) > 1e-2, f"{argv}: control: wrong RoPE mode changes logits")
    if "rope_freqs.weight" in g.tensors:
        nof = gguf_forward(os.path.join(out, "model.gguf"), exp["tokens"], ignore_freqs=True)
        d = np.max(np.abs(nof - logits))
        check(d > 1e-2, f"{argv}: control: ignoring rope_freqs changes logits ({d:.3f})")
    # greedy ids continue the prompt: the consumer agrees on each step
    seq = list(exp["tokens"])
    for t in exp["greedy"][:4]:
        check(int(np.argmax(gguf_forward(os.path.join(out, "model.gguf"), seq)[-1])) == t, "consumer greedy step")
        seq.append(t)
    print(f"   {' '.join(argv)}: max |consumer - reference| = {err:.2e}, "
          f"greedy margin {exp['greedy_min_margin']:.3f}")


def check_determinism_and_prefix(tmp: str) -> None:
    outs = []
    for i in range(2):
        d = os.path.join(tmp, f"det{i}")
        make_case(["--arch", "qwen2", "--seed", "9", "--dtype", "f16", "--out", d])
        outs.append([open(os.path.join(d, f), "rb").read() for f in ("model.gguf", "expected.json", "logits.f32")])
    check(outs[0] == outs[1], "same seed -> identical model.gguf, expected.json, logits.f32")
    d = os.path.join(tmp, "det0")
    exp = json.load(open(os.path.join(d, "expected.json")))
    cfg = ref.ModelConfig(**exp["config"])
    eff = mk.effective_weights(mk.make_weights(cfg, 9), mk.stored_types(cfg, "f16"))
    full = ref.forward(cfg, eff, exp["tokens"])
    for i in (0, 5, len(exp["tokens"]) - 1):
        pre = ref.forward(cfg, eff, exp["tokens"][:i + 1])
        check(np.allclose(pre[-1], full[i], atol=1e-10), "causal: prefix logits == full-sequence row")
    other = os.path.join(tmp, "det_other")
    make_case(["--arch", "qwen2", "--seed", "10", "--dtype", "f16", "--out", other])
    check(open(os.path.join(other, "logits.f32"), "rb").read() != outs[0][2], "different seed -> different model")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="q8ref_") as tmp:
        section("GGUF header bytes")
        check_header_bytes(tmp)
        section("GGUF writer -> reader round trip (alignment 32 and 64)")
        check_roundtrip(tmp, 32)
        check_roundtrip(tmp, 64)
        section("Q8_0 / Q4_0 block bytes")
        check_quant_blocks()
        section("Q/K permutation vs RoPE variants, rope_freqs")
        check_permutation()
        section("tokenizer")
        check_tokenizer()
        section("end to end: GGUF-consumer forward vs HF-layout reference")
        for argv in CASES:
            check_case(tmp, argv)
        section("determinism, causal prefix consistency")
        check_determinism_and_prefix(tmp)
    print(f"selfcheck: all {N_CHECKS} checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
