#!/usr/bin/python3
"""Read a demo-model GGUF (as tools/export_gguf.py writes it) back into a PyTorch model.

Why it exists: the shipped GGUF files are the only lasting copy of the demo pair's weights
(training checkpoints live outside the repository and are not kept), and distilling the draft
needs the target's weights in PyTorch. This inverts export_gguf.py exactly: GGUF names back to
Hugging Face names, the per-head Q/K row permutation undone, F16 matrices widened to float32.

Usage (a check that the round trip is exact):
  /usr/bin/python3 tools/import_gguf.py resources/models/demo-draft.gguf
"""
from __future__ import annotations

import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import gguf_read  # noqa: E402


def unpermute_qk(w: np.ndarray, n_head: int) -> np.ndarray:
    """GGUF adjacent-pair row order -> HF rotate_half order; the inverse of export_gguf.permute_qk."""
    hd = w.shape[0] // n_head
    return w.reshape(n_head, hd // 2, 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def config_from_gguf(g) -> "ModelConfig":
    import demo_model as dm
    if g.get("general.architecture") != "llama":
        raise SystemExit(f"{g.path}: architecture {g.get('general.architecture')!r}, expected llama")
    a = "llama"
    tied = "output.weight" not in g.tensors
    return dm.ModelConfig(vocab_size=len(g.get("tokenizer.ggml.tokens")),
                          dim=int(g.get(f"{a}.embedding_length")),
                          n_layers=int(g.get(f"{a}.block_count")),
                          n_heads=int(g.get(f"{a}.attention.head_count")),
                          n_kv_heads=int(g.get(f"{a}.attention.head_count_kv")),
                          ff_dim=int(g.get(f"{a}.feed_forward_length")),
                          max_seq_len=int(g.get(f"{a}.context_length")),
                          rope_base=float(g.get(f"{a}.rope.freq_base")),
                          norm_eps=float(g.get(f"{a}.attention.layer_norm_rms_epsilon")),
                          tied=tied)


def load_gguf_model(path: str):
    """(ModelConfig, demo_model.LlamaModel in float32) from a demo-model GGUF."""
    import torch
    import demo_model as dm
    import export_gguf as ex
    g = gguf_read.read_gguf(path)
    cfg = config_from_gguf(g)
    model = dm.LlamaModel(cfg)
    hf_names = ex.hf_order(cfg)
    if len(hf_names) != len(g.tensors):
        raise SystemExit(f"{path}: {len(g.tensors)} tensors, the demo layout has {len(hf_names)}")
    state = {}
    for hf in hf_names:
        data = np.array(g.tensor(ex.gguf_name(hf)), dtype=np.float32)
        if ".q_proj." in hf:
            data = unpermute_qk(data, cfg.n_heads)
        elif ".k_proj." in hf:
            data = unpermute_qk(data, cfg.n_kv_heads)
        state[hf if hf.startswith("lm_head") else hf[len("model."):]] = torch.from_numpy(data)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.startswith("rope_")]
    if missing or unexpected:
        raise SystemExit(f"{path}: missing {missing}, unexpected {unexpected}")
    return cfg, model


def main(argv=None) -> int:
    import export_gguf as ex
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        raise SystemExit("usage: import_gguf.py FILE.gguf")
    cfg, model = load_gguf_model(argv[0])
    g = gguf_read.read_gguf(argv[0])
    # Round trip: re-permuting what was read gives the stored matrices bit for bit.
    worst = 0.0
    for hf, v in model.hf_state_dict().items():
        data = v.numpy()
        if ".q_proj." in hf:
            data = ex.permute_qk(data, cfg.n_heads)
        elif ".k_proj." in hf:
            data = ex.permute_qk(data, cfg.n_kv_heads)
        stored = g.tensor(ex.gguf_name(hf)).astype(np.float32)
        worst = max(worst, float(np.max(np.abs(stored - data))))
    n = sum(p.numel() for p in model.parameters())
    print(f"{argv[0]}: {cfg}, {n} parameters, round trip worst difference {worst}")
    return 0 if worst == 0.0 else 1


if __name__ == "__main__":
    sys.exit(main())
