#!/usr/bin/python3
"""Perplexity of a token sequence under a small random Llama, computed with the NumPy reference
(llama_reference.forward, float64), by the windowing rule of quant/perplexity.h:

  windows of ctx tokens, non-overlapping, floor(N / ctx) of them; the first token of each window
  is replaced by BOS (the fixture vocabulary adds BOS); logits at positions ctx/2 .. ctx-2 score
  the next token; ppl = exp(mean NLL).

Writes OUT/model.gguf (F32 weights, so the engine reads exactly the weights used here) and
OUT/expected.json {"tokens", "ctx", "ppl", "mean_nll", "n_scored", "argmax"}.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_reference_case as mrc  # noqa: E402
from llama_reference import ModelConfig, forward  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--ctx", type=int, default=16)
    ap.add_argument("--n-tokens", type=int, default=60)
    ap.add_argument("--seed", type=int, default=12)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    cfg = ModelConfig(arch="llama", vocab_size=300, hidden_size=64, intermediate_size=160, num_hidden_layers=2,
                      num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=float(np.float32(1e-5)),
                      rope_theta=10000.0, max_position_embeddings=128)
    tok = mrc.build_tokenizer(cfg.vocab_size)
    weights = mrc.make_weights(cfg, args.seed)
    types = mrc.stored_types(cfg, "f32")
    path = os.path.join(args.out, "model.gguf")
    # The file says explicitly that the vocabulary adds BOS, so both sides replace window starts.
    plain_add_tokenizer = mrc.add_tokenizer

    def add_tokenizer_with_bos(w, t):
        plain_add_tokenizer(w, t)
        w.add_bool("tokenizer.ggml.add_bos_token", True)

    mrc.add_tokenizer = add_tokenizer_with_bos
    mrc.write_model_gguf(path, cfg, weights, types, tok, "f32", "q8chat-ppl-reference")

    rng = np.random.default_rng(args.seed)
    tokens = [int(t) for t in rng.integers(0, cfg.vocab_size - 2, args.n_tokens)]
    ctx, first = args.ctx, args.ctx // 2
    nll, argmax = [], []
    for w in range(len(tokens) // ctx):
        window = tokens[w * ctx:(w + 1) * ctx]
        window[0] = tok["bos"]
        logits = forward(cfg, weights, window)
        for j in range(first, ctx - 1):
            row = logits[j]
            m = row.max()
            lse = m + np.log(np.exp(row - m).sum())
            nll.append(float(lse - row[window[j + 1]]))
            argmax.append(int(np.argmax(row)))
    mean = float(np.mean(nll))
    out = {"tokens": tokens, "ctx": ctx, "ppl": float(np.exp(mean)), "mean_nll": mean, "n_scored": len(nll),
           "argmax": argmax, "bos": tok["bos"]}
    with open(os.path.join(args.out, "expected.json"), "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
