#!/usr/bin/python3
"""PyTorch logits of a demo-model checkpoint for a fixed token list, for comparison with the engine.

Why it exists: the exported GGUF must compute what PyTorch computed during training. This script
runs the checkpoint's model in float64 with the weights rounded exactly as the GGUF stores them
(2-D matrices through F16, norms F32), so any difference left is the engine's arithmetic. It
writes a sample in the format of tests/reference (expected.json + raw float32 logits):

  OUT.json  {"tokens", "n_vocab", "greedy", "logits_file", "logits_shape", "text", "model_file",
             "checkpoint_step", ...}
  OUT.f32   little-endian float32 logits, row-major [n_tokens][n_vocab]

With --engine BINARY (build/release/tools/engine_logits) and --gguf FILE it also
runs the engine on the same tokens and prints the worst relative difference per row
(max |engine - torch| / max |torch|, the measure test_forward_reference uses).

Usage:
  /usr/bin/python3 tools/compare_logits.py --ckpt /work/train_runs/demo/target \\
      --out resources/models/demo-target.logits-sample --gguf resources/models/demo-target.gguf \\
      [--engine build/release/tools/engine_logits]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

SAMPLE_TEXT = 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n'
N_GREEDY = 16


def f16_round(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float32).astype(np.float16).astype(np.float32)


def torch_logits(ckpt: str, tokens: list[int], n_greedy: int):
    import torch
    import export_gguf as ex
    torch.set_num_threads(1)
    cfg, weights, info, model = ex.load_checkpoint(ckpt)
    # weights as the GGUF holds them
    sd = model.state_dict()
    with torch.no_grad():
        for k, v in sd.items():
            if k.startswith("rope_") or v.ndim < 2:
                continue
            v.copy_(torch.from_numpy(f16_round(v.numpy())))
    model = model.double()
    # RoPE tables in float64 too
    import demo_model as dm
    t = torch.arange(cfg.max_seq_len, dtype=torch.float64)
    inv = 1.0 / (cfg.rope_base ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float64) / cfg.head_dim))
    ang = torch.outer(t, inv)
    ang = torch.cat([ang, ang], -1)
    model.rope_cos, model.rope_sin = ang.cos(), ang.sin()
    model.eval()
    with torch.no_grad():
        logits = model(torch.tensor([tokens]))[0].numpy()
        seq = list(tokens)
        greedy = []
        for _ in range(n_greedy):
            nxt = int(model(torch.tensor([seq]))[0, -1].argmax())
            greedy.append(nxt)
            seq.append(nxt)
    del dm
    return logits, greedy, info, cfg


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a.astype(np.float64) - b)) / max(np.max(np.abs(b)), 1e-30))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ckpt", required=True, help="checkpoint file or run directory")
    ap.add_argument("--tokenizer", default="/work/train_runs/demo/data/tokenizer.json")
    ap.add_argument("--out", required=True, help="output prefix (writes PREFIX.json and PREFIX.f32)")
    ap.add_argument("--gguf", default=None, help="the exported model (recorded; needed for --engine)")
    ap.add_argument("--engine", default=None, help="engine_logits binary to compare against")
    ap.add_argument("--n-tokens", type=int, default=16)
    args = ap.parse_args(argv)

    import bpe_tokenizer as bpe
    tok = bpe.Tokenizer.load(args.tokenizer)
    ids = [tok.eot] + tok.encode(SAMPLE_TEXT)
    ids = ids[:args.n_tokens]
    logits, greedy, info, cfg = torch_logits(args.ckpt, ids, N_GREEDY)

    f32_path = args.out + ".f32"
    logits.astype("<f4").tofile(f32_path + ".tmp")
    os.replace(f32_path + ".tmp", f32_path)
    sample = {
        "tokens": ids,
        "n_vocab": cfg.vocab_size,
        "greedy": greedy,
        "logits_file": os.path.basename(f32_path),
        "logits_shape": [len(ids), cfg.vocab_size],
        "text": tok.decode(ids),
        "model_file": os.path.basename(args.gguf) if args.gguf else None,
        "checkpoint_step": info["step"],
        "reference": "PyTorch float64 forward with the GGUF's F16-rounded matrices (tools/compare_logits.py)",
    }
    with open(args.out + ".json.tmp", "w") as f:
        f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in sample.items()) + "\n}\n")
    os.replace(args.out + ".json.tmp", args.out + ".json")
    print(f"torch: {len(ids)} tokens {ids}; greedy {greedy}; logits std {logits.std():.3f} -> {args.out}.json/.f32")

    if args.engine:
        if not args.gguf:
            raise SystemExit("--engine needs --gguf")
        worst = {}
        for kv in ("f32", "f16"):
            with tempfile.TemporaryDirectory() as d:
                out = os.path.join(d, "engine.f32")
                subprocess.run([args.engine, args.gguf, out, "--kv", kv] + [str(i) for i in ids], check=True)
                eng = np.fromfile(out, dtype="<f4").reshape(len(ids), cfg.vocab_size)
            errs = [rel_error(eng[t], logits[t]) for t in range(len(ids))]
            same_argmax = all(int(eng[t].argmax()) == int(logits[t].argmax()) for t in range(len(ids)))
            worst[kv] = max(errs)
            print(f"engine (KV {kv}) vs torch: worst row relative error {max(errs):.3g} "
                  f"(median {np.median(errs):.3g}); argmax identical at every position: {same_argmax}")
        return 0 if worst["f32"] < 1e-3 else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
