#!/usr/bin/python3
"""Reads a GGUF file with the independent NumPy reader (gguf_read.py) and prints a JSON summary:
every metadata key with its value (arrays as [element type, length]), and every tensor's type,
NumPy shape and the float64 sum and sum of squares of its dequantized values. Tests compare this
with what the engine reads from files our C++ writer produced.

Usage: gguf_summary.py FILE
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_read  # noqa: E402


def main() -> int:
    f = gguf_read.read_gguf(sys.argv[1])
    kv = {}
    for k, fld in f.fields.items():
        v = fld.value
        if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], list):
            kv[k] = ["array", len(v[1])]
        elif isinstance(v, list):
            kv[k] = ["array", len(v)]
        else:
            kv[k] = v
    tensors = {}
    for name, t in f.tensors.items():
        a = f.tensor(name).astype(np.float64)
        tensors[name] = {"type": t.type_name, "shape": list(t.shape), "sum": float(a.sum()), "sumsq": float((a * a).sum())}
    json.dump({"version": f.version, "alignment": f.alignment, "kv": kv, "tensors": tensors}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
