#!/usr/bin/python3
"""Distil the demo draft towards the demo target: fine-tune the draft to predict the target's
next-token distribution (forward KL, temperature 1) on the training stream.

Why it exists: speculative decoding's speed-up is decided by how often the target accepts the
draft's proposals. The two demo models were trained separately on the same data and agree on
only ~58% of held-out positions (greedy), although the draft alone predicts the data about as
well as the target does; each has learned its own guesses. A draft that imitates the target
rather than the data proposes what the target will pick (the DistillSpec observation), and the
draft's cost does not change.

The starting weights come from the shipped GGUF files (tools/import_gguf.py), so no training
checkpoint is needed. The output is a checkpoint in train_demo.py's format, which
tools/export_gguf.py and tools/compare_logits.py read as they are.

Reported every --eval-every steps on the held-out validation windows: the mean KL(target || draft)
per token and the greedy agreement (fraction of positions where both models' argmax is the same,
what greedy speculation accepts position by position).

Usage:
  /usr/bin/python3 tools/train_demo.py prepare        # token streams (same tokenizer as the GGUFs)
  /usr/bin/python3 tools/distill_draft.py --threads 1 --total-steps 600 --max-minutes 70
  /usr/bin/python3 tools/export_gguf.py --ckpt /work/train_runs/distill -o resources/models/demo-draft.gguf
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bpe_tokenizer as bpe  # noqa: E402
import import_gguf  # noqa: E402
import train_demo as td  # noqa: E402

MODELS = os.path.join(HERE, "..", "resources", "models")


def kl_and_agreement(draft, target, x):
    """Per-token forward KL(target || draft) summed, and the number of argmax matches."""
    import torch
    import torch.nn.functional as F
    with torch.autocast("cpu", dtype=torch.bfloat16):
        lt = target(x)
        ld = draft(x)
    lt = F.log_softmax(lt.float(), dim=-1)
    ld = F.log_softmax(ld.float(), dim=-1)
    kl = (lt.exp() * (lt - ld)).sum(-1)
    agree = (lt.argmax(-1) == ld.argmax(-1)).sum()
    return kl, agree


def evaluate(draft, target, val: np.ndarray, seq: int, batch: int, windows: int):
    import torch
    n_win = min(windows, (val.size - 1) // seq)
    starts = np.linspace(0, val.size - seq - 1, n_win).astype(np.int64)
    kl_sum, agree, count = 0.0, 0, 0
    draft.eval()
    with torch.no_grad():
        for b0 in range(0, n_win, batch):
            x = torch.from_numpy(np.stack([val[i:i + seq] for i in starts[b0:b0 + batch]]).astype(np.int64))
            kl, a = kl_and_agreement(draft, target, x)
            kl_sum += kl.sum().item()
            agree += int(a)
            count += kl.numel()
    draft.train()
    return kl_sum / count, agree / count


def tokenizer_matches(gguf_path: str, tok_json: str) -> bool:
    g = import_gguf.gguf_read.read_gguf(gguf_path)
    return list(g.get("tokenizer.ggml.tokens")) == bpe.Tokenizer.load(tok_json).tokens


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--target", default=os.path.join(MODELS, "demo-target.gguf"))
    ap.add_argument("--draft", default=os.path.join(MODELS, "demo-draft.gguf"))
    ap.add_argument("--data", default=os.path.join(td.DEFAULT_RUN, "data"))
    ap.add_argument("--run", default="/work/train_runs/distill")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seq-len", type=int, default=512)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--total-steps", type=int, required=True)
    ap.add_argument("--max-minutes", type=float, default=60.0)
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--eval-windows", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1234)
    args = ap.parse_args(argv)

    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    tok_json = os.path.join(args.data, "tokenizer.json")
    if not tokenizer_matches(args.draft, tok_json) or not tokenizer_matches(args.target, tok_json):
        raise SystemExit(f"{tok_json} is not the models' tokenizer: run `train_demo.py prepare`")
    train = np.load(os.path.join(args.data, "train.npy"))
    val = np.load(os.path.join(args.data, "val.npy"))

    _, target = import_gguf.load_gguf_model(args.target)
    target.eval()
    for p in target.parameters():
        p.requires_grad_(False)
    cfg, draft = import_gguf.load_gguf_model(args.draft)
    hp = {"model_preset": "draft", "model": cfg.to_dict(), "distilled_from": os.path.basename(args.target),
          "base_description": import_gguf.gguf_read.read_gguf(args.draft).get("general.description"),
          "seq_len": args.seq_len, "batch_size": args.batch_size, "lr": args.lr, "min_lr": args.lr * 0.1,
          "warmup_steps": args.warmup, "total_steps": args.total_steps, "weight_decay": 0.1,
          "betas": [0.9, 0.95], "grad_clip": 1.0, "seed": args.seed, "autocast": "bf16",
          "loss": "forward KL(target || draft), temperature 1"}
    decay = [p for p in draft.parameters() if p.ndim >= 2]
    no_decay = [p for p in draft.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": hp["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=tuple(hp["betas"]), eps=1e-8)
    os.makedirs(args.run, exist_ok=True)
    rng = np.random.default_rng(args.seed)

    kl0, agree0 = evaluate(draft, target, val, args.seq_len, args.batch_size, args.eval_windows)
    td.log(f"start: validation KL {kl0:.4f}, greedy agreement {agree0:.4f}")
    with open(os.path.join(args.run, "curve.csv"), "w", newline="") as f:
        wr = csv.writer(f)
        wr.writerow(["step", "tokens", "lr", "train_kl", "val_kl", "val_agreement", "tok_per_s"])
        wr.writerow([0, 0, "", "", f"{kl0:.4f}", f"{agree0:.4f}", ""])
        deadline = time.time() + args.max_minutes * 60
        step, tokens, win_kl, win_n, win_t = 0, 0, 0.0, 0, time.time()
        stopped_by = "total-steps"
        while step < args.total_steps:
            if time.time() >= deadline:
                stopped_by = "max-minutes"
                break
            lr = td.lr_at(step, hp)
            for g in opt.param_groups:
                g["lr"] = lr
            x, _ = td.batch_at(train, rng, args.batch_size, args.seq_len)
            kl, _ = kl_and_agreement(draft, target, x)
            loss = kl.mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(draft.parameters(), hp["grad_clip"])
            opt.step()
            step += 1
            tokens += x.numel()
            win_kl += loss.item()
            win_n += 1
            if step % args.eval_every == 0 or step == args.total_steps:
                vkl, vagree = evaluate(draft, target, val, args.seq_len, args.batch_size, args.eval_windows)
                tps = win_n * x.numel() / (time.time() - win_t)
                wr.writerow([step, tokens, f"{lr:.6g}", f"{win_kl / win_n:.4f}", f"{vkl:.4f}",
                             f"{vagree:.4f}", f"{tps:.0f}"])
                f.flush()
                td.log(f"step {step}/{args.total_steps} lr {lr:.2e} train KL {win_kl / win_n:.4f} "
                       f"| val KL {vkl:.4f} agreement {vagree:.4f} | {tps:.0f} tok/s")
                win_kl, win_n, win_t = 0.0, 0, time.time()
    path = td.save_checkpoint(args.run, draft, opt, step, hp, rng, {"tokens_seen": tokens})
    td.log(f"stopped ({stopped_by}) at step {step}; checkpoint {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
