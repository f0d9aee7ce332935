#!/usr/bin/env python3
"""Independent NumPy reference for GGUF dequantization (tests/test_dequantize.cpp).

Written from the published GGUF/ggml block layouts, not from engine/dequantize.cpp. For each
loadable type it draws random blocks from a seeded generator (random bytes everywhere, except that
the f16 scale fields get sane finite values), and writes

    OUT/<TYPE>.bin   the raw little-endian blocks, as they would sit in a GGUF file
    OUT/<TYPE>.f32   the expected values, little-endian float32, in element order

for TYPE in F32 F16 BF16 Q8_0 Q4_0 Q4_K Q5_K Q6_K. Quantized types get --blocks blocks; the plain
types get --blocks * 256 elements (F16 additionally holds all 65536 codes, in shuffled order, so
the half -> float conversion is checked exhaustively against NumPy's).

It also writes the float -> half rounding sweep:

    OUT/f32_to_f16.f32   inputs (float32): every half, every midpoint between neighbouring halves
                         and the floats either side of it, specials, and a strided walk over all
                         2^32 bit patterns
    OUT/f32_to_f16.f16   NumPy's float16 conversion of each input (uint16 bits, round to nearest
                         even)

Arithmetic is done in float32 in the order the format defines: x = d*q (Q8_0), (q-8)*d (Q4_0),
(d*scale)*q - dmin*min (Q4_K, Q5_K), (d*scale)*(q-32) (Q6_K).

Usage: python3 dequant_reference.py --out DIR [--seed 7] [--blocks 64]
"""
import argparse
import os
import sys

import numpy as np

F32 = np.float32


def sane_f16(rng, n):
    """Finite f16 scales, spanning subnormal to moderately large, either sign, some exact zeros."""
    mag = np.exp2(rng.uniform(-22.0, 3.0, size=n))
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    v = (sign * mag).astype(np.float16)
    v[rng.random(n) < 1.0 / 32] = 0.0
    assert np.all(np.isfinite(v))
    return v


def random_blocks(rng, n, block_bytes):
    return rng.integers(0, 256, size=(n, block_bytes), dtype=np.uint8)


def put_f16(blocks, offset, values):
    """Stores float16 values little-endian at byte `offset` of every block."""
    bits = values.astype(np.float16).view(np.uint16)
    blocks[:, offset] = (bits & 0xFF).astype(np.uint8)
    blocks[:, offset + 1] = (bits >> 8).astype(np.uint8)


def get_f16(blocks, offset):
    bits = blocks[:, offset].astype(np.uint16) | (blocks[:, offset + 1].astype(np.uint16) << 8)
    return bits.view(np.float16).astype(F32)


# ---------------------------------------------------------------- plain types

def gen_f32(rng, nb):
    raw = rng.integers(0, 256, size=nb * 256 * 4, dtype=np.uint8)
    # Raw bytes are the values: F32 is a copy, NaN payloads included.
    return raw, raw.view('<f4').astype(F32)


def gen_f16(rng, nb):
    codes = np.concatenate([rng.permutation(65536).astype(np.uint16),
                            rng.integers(0, 65536, size=nb * 256, dtype=np.uint16)])
    raw = codes.astype('<u2').view(np.uint8)
    return raw, codes.view(np.float16).astype(F32)


def gen_bf16(rng, nb):
    codes = rng.integers(0, 65536, size=nb * 256, dtype=np.uint16)
    raw = codes.astype('<u2').view(np.uint8)
    # bfloat16 is the top half of a float32.
    return raw, (codes.astype(np.uint32) << 16).view(F32)


# ---------------------------------------------------------------- 32-element blocks

def gen_q8_0(rng, nb):
    # 34 bytes: f16 d | int8 q[32]
    b = random_blocks(rng, nb, 34)
    put_f16(b, 0, sane_f16(rng, nb))
    d = get_f16(b, 0)
    q = b[:, 2:34].view(np.int8).astype(F32)
    return b.reshape(-1), (d[:, None] * q).reshape(-1)


def gen_q4_0(rng, nb):
    # 18 bytes: f16 d | 16 bytes; element j < 16 = low nibble of byte j, element j + 16 = high.
    b = random_blocks(rng, nb, 18)
    put_f16(b, 0, sane_f16(rng, nb))
    d = get_f16(b, 0)
    qs = b[:, 2:18]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int32) - 8
    return b.reshape(-1), (q.astype(F32) * d[:, None]).reshape(-1)


# ---------------------------------------------------------------- K-quants (256 per super-block)

def k_scales_mins(s):
    """The 12-byte scale field of Q4_K/Q5_K -> (scales, mins), each (n, 8) of 6-bit integers.

    Sub-blocks 0-3 keep their scale in the low 6 bits of byte j and their min in the low 6 bits of
    byte j + 4. Sub-blocks 4-7 (j = 4..7) take the low 4 bits of scale and min from the low and high
    nibbles of byte j + 4, and their bits 4-5 from the top two bits of byte j - 4 (scale) and byte j
    (min)."""
    s = s.astype(np.int32)
    sc = np.empty((s.shape[0], 8), dtype=np.int32)
    mn = np.empty_like(sc)
    for j in range(8):
        if j < 4:
            sc[:, j] = s[:, j] & 63
            mn[:, j] = s[:, j + 4] & 63
        else:
            sc[:, j] = (s[:, j + 4] & 0x0F) | ((s[:, j - 4] >> 6) << 4)
            mn[:, j] = (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
    return sc, mn


def k_nibbles(qs):
    """128 bytes -> (n, 8, 32) 4-bit values. Sub-block k reads bytes 32*(k//2) .. +31, low nibbles
    for even k, high nibbles for odd k."""
    n = qs.shape[0]
    q = np.empty((n, 8, 32), dtype=np.int32)
    for k in range(8):
        chunk = qs[:, 32 * (k // 2): 32 * (k // 2) + 32].astype(np.int32)
        q[:, k, :] = (chunk & 0x0F) if k % 2 == 0 else (chunk >> 4)
    return q


def k_combine(d, dmin, sc, mn, q):
    d1 = d[:, None] * sc.astype(F32)          # (n, 8) float32, exact
    m1 = dmin[:, None] * mn.astype(F32)
    y = d1[:, :, None] * q.astype(F32) - m1[:, :, None]
    assert y.dtype == F32
    return y.reshape(-1)


def gen_q4_k(rng, nb):
    # 144 bytes: f16 d | f16 dmin | scales[12] | qs[128]
    b = random_blocks(rng, nb, 144)
    put_f16(b, 0, sane_f16(rng, nb))
    put_f16(b, 2, sane_f16(rng, nb))
    d, dmin = get_f16(b, 0), get_f16(b, 2)
    sc, mn = k_scales_mins(b[:, 4:16])
    q = k_nibbles(b[:, 16:144])
    return b.reshape(-1), k_combine(d, dmin, sc, mn, q)


def gen_q5_k(rng, nb):
    # 176 bytes: f16 d | f16 dmin | scales[12] | qh[32] | qs[128]
    # Bit k of qh[i] is bit 4 of element i of sub-block k.
    b = random_blocks(rng, nb, 176)
    put_f16(b, 0, sane_f16(rng, nb))
    put_f16(b, 2, sane_f16(rng, nb))
    d, dmin = get_f16(b, 0), get_f16(b, 2)
    sc, mn = k_scales_mins(b[:, 4:16])
    qh = b[:, 16:48].astype(np.int32)
    q = k_nibbles(b[:, 48:176])
    for k in range(8):
        q[:, k, :] |= ((qh >> k) & 1) << 4
    return b.reshape(-1), k_combine(d, dmin, sc, mn, q)


def gen_q6_k(rng, nb):
    # 210 bytes: ql[128] | qh[64] | int8 scales[16] | f16 d
    # Element e = 128*h + 32*g + l (h < 2, g < 4, l < 32): low 4 bits from ql[64h + l + 32*(g & 1)]
    # (low nibble for g < 2, high nibble for g >= 2), bits 4-5 from bits 2g, 2g+1 of qh[32h + l];
    # scale = scales[e // 16]; x = (d * scale) * (q - 32).
    b = random_blocks(rng, nb, 210)
    put_f16(b, 208, sane_f16(rng, nb))
    d = get_f16(b, 208)
    ql = b[:, 0:128].astype(np.int32)
    qh = b[:, 128:192].astype(np.int32)
    scales = b[:, 192:208].view(np.int8).astype(F32)
    e = np.arange(256)
    h, g, l = e // 128, (e % 128) // 32, e % 32
    low_byte = ql[:, 64 * h + l + 32 * (g & 1)]
    low = np.where(g < 2, low_byte & 0x0F, low_byte >> 4)
    high = (qh[:, 32 * h + l] >> (2 * g)) & 3
    q = (low | (high << 4)) - 32
    ds = d[:, None] * scales                      # (n, 16), exact
    y = ds[:, e // 16] * q.astype(F32)
    assert y.dtype == F32
    return b.reshape(-1), y.reshape(-1)


GENERATORS = [
    ("F32", gen_f32), ("F16", gen_f16), ("BF16", gen_bf16),
    ("Q8_0", gen_q8_0), ("Q4_0", gen_q4_0),
    ("Q4_K", gen_q4_k), ("Q5_K", gen_q5_k), ("Q6_K", gen_q6_k),
]


# ---------------------------------------------------------------- float -> half rounding sweep

def f16_sweep():
    halves = np.arange(0, 0x7C00, dtype=np.uint16)          # every finite non-negative half
    lo = halves.view(np.float16).astype(np.float64)
    hi = (halves + 1).view(np.float16).astype(np.float64)   # 0x7C00 -> inf for the last one
    hi[-1] = 65536.0                                        # the next step past 65504
    mid = ((lo + hi) / 2).astype(F32)                       # exact: 12 significant bits
    assert np.all(mid.astype(np.float64) == (lo + hi) / 2)
    up = np.nextafter(mid, F32(np.inf))
    down = np.nextafter(mid, F32(0))
    exact = lo.astype(F32)
    specials = np.array([0.0, np.inf, np.nan, 65504.0, 65519.99, 65520.0, 65536.0, 1e30,
                         np.finfo(F32).max, np.finfo(F32).tiny, 1e-45, 2.0 ** -24, 2.0 ** -25,
                         3 * 2.0 ** -26, 2.0 ** -14, 2.0 ** -14 - 2.0 ** -25], dtype=F32)
    pos = np.concatenate([exact, mid, up, down, specials])
    walk = (np.arange(0, 2 ** 32, 4093, dtype=np.uint64) + 1234).astype(np.uint32).view(F32)
    x = np.concatenate([pos, -pos, walk]).astype(F32)
    with np.errstate(over="ignore", invalid="ignore"):
        y = x.astype(np.float16).view(np.uint16)
    return x, y


def write(path, arr):
    with open(path, "wb") as f:
        f.write(np.ascontiguousarray(arr).tobytes())


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory (created if missing)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--blocks", type=int, default=64)
    args = ap.parse_args(argv)
    if args.blocks < 1:
        ap.error("--blocks must be positive")
    if sys.byteorder != "little":
        ap.error("little-endian host required")
    os.makedirs(args.out, exist_ok=True)
    for name, gen in GENERATORS:
        # One generator per type, so adding a type never changes another type's data.
        rng = np.random.default_rng([args.seed, *name.encode()])
        raw, expected = gen(rng, args.blocks)
        assert raw.dtype == np.uint8 and expected.dtype == F32
        write(os.path.join(args.out, name + ".bin"), raw)
        write(os.path.join(args.out, name + ".f32"), expected.astype("<f4"))
    x, y = f16_sweep()
    write(os.path.join(args.out, "f32_to_f16.f32"), x.astype("<f4"))
    write(os.path.join(args.out, "f32_to_f16.f16"), y.astype("<u2"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
