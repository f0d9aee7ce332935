#!/usr/bin/python3
"""Random rows and their Q8_0 / Q4_0 / Q4_1 encodings, for the C++ quantizer test.

Q8_0 and Q4_0 come from gguf_writer.py (ggml's reference quantizers, float32 arithmetic).
Q4_1 is written here from ggml's quantize_row_q4_1_ref rule, also in float32:
  min, max over the block; d = (max - min) / 15; id = 1/d (0 if d == 0);
  q = min(15, trunc((x - min) * id + 0.5)); bytes: f16 d, f16 min, q[j] | q[j+16] << 4.

Usage: quant_vectors.py OUT_DIR   -> x.f32 (rows x 256 float32), q8_0.bin, q4_0.bin, q4_1.bin
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402

COLS = 256


def quantize_q4_1(x: np.ndarray) -> bytes:
    b = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, 32)
    mn = b.min(axis=1, keepdims=True).astype(np.float32)
    mx = b.max(axis=1, keepdims=True).astype(np.float32)
    d = ((mx - mn) / np.float32(15)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inv = np.where(d != 0, np.float32(1) / d, np.float32(0)).astype(np.float32)
    v = (((b - mn).astype(np.float32) * inv).astype(np.float32) + np.float32(0.5)).astype(np.float32)
    q = np.minimum(np.trunc(v), 15).clip(0, 15).astype(np.uint8)
    out = np.empty((b.shape[0], 20), dtype=np.uint8)
    out[:, 0:2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:4] = mn.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 4:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def rows() -> np.ndarray:
    rng = np.random.default_rng(20240601)
    r = [rng.standard_normal(COLS) for _ in range(24)]
    r += [rng.uniform(-1, 1, COLS) * 10 ** rng.uniform(-6, 4) for _ in range(24)]
    r += [rng.standard_t(2, COLS) for _ in range(8)]                  # heavy tails
    z = np.zeros(COLS); z[40:] = rng.standard_normal(COLS - 40); r.append(z)  # all-zero block
    t = rng.standard_normal(COLS); t[3] = 2.5; t[9] = -2.5; t[[70, 71]] = [-4.0, 4.0]; r.append(t)  # ties
    h = rng.integers(-8, 8, COLS).astype(np.float64) * 0.25; r.append(h)      # exact grid points
    g = np.round(rng.standard_normal(COLS) * 127) / 127; r.append(g)          # .5 ties after scaling
    r.append(rng.standard_normal(COLS) * 1e-7)                                # f16-subnormal scales
    r.append(np.abs(rng.standard_normal(COLS)) + 3)                           # all positive (Q4_1 min)
    return np.array(r, dtype=np.float32)


def main() -> int:
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    x = rows()
    x.astype("<f4").tofile(os.path.join(out, "x.f32"))
    with open(os.path.join(out, "q8_0.bin"), "wb") as f:
        f.write(gw.quantize_q8_0(x))
    with open(os.path.join(out, "q4_0.bin"), "wb") as f:
        f.write(gw.quantize_q4_0(x))
    with open(os.path.join(out, "q4_1.bin"), "wb") as f:
        f.write(quantize_q4_1(x))
    return 0


if __name__ == "__main__":
    sys.exit(main())
