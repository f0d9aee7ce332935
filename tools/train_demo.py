#!/usr/bin/python3
"""Train the built-in demo model pair (a Llama "target" and a small "draft" sharing one tokenizer)
on the Python 3.11 standard library sources. Reproducible (seeded, sorted inputs) and resumable.

Why it exists: the app ships a small code-completion model pair it can run on any CPU and use to
show speculative decoding; we train it ourselves so that every weight has a known origin. The
training data are this machine's /usr/lib/python3.11/**/*.py (site-packages and dist-packages
excluded), licensed under the PSF License Agreement (PSF-2.0).

Subcommands:
  prepare  list the corpus (sorted paths; every file whose sorted index % 20 == 0 is held out for
           validation and never trained on), train the byte-level BPE tokenizer on the training
           files only, encode both splits once and cache them as uint16 .npy token streams
           (documents separated by <|endoftext|>).
  train    train one model (--model target|draft) in its own run directory; checkpoints every few
           minutes (model, optimizer, step, RNG states, hyper-parameters) and resumes from the
           latest one when the hyper-parameters match. --max-minutes bounds one invocation,
           --total-steps is the target of the whole run.
  bench    measure training tokens/s of a preset at a thread count (no files written).

Usage:
  /usr/bin/python3 tools/train_demo.py prepare [--data /work/train_runs/demo/data]
  /usr/bin/python3 tools/train_demo.py train --model target --threads 1 --total-steps 6000 \\
      --max-minutes 170 [--run /work/train_runs/demo]
  /usr/bin/python3 tools/train_demo.py bench --model target --threads 1
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import random
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bpe_tokenizer as bpe  # noqa: E402

CORPUS_ROOT = "/usr/lib/python3.11"
EXCLUDE_DIRS = {"site-packages", "dist-packages"}
VAL_EVERY = 20
DEFAULT_RUN = "/work/train_runs/demo"
VOCAB_SIZE = 6016
DATA_DESCRIPTION = ("Trained from scratch by q8chat on the Python 3.11 standard library sources "
                    "(/usr/lib/python3.11/**/*.py of Debian 12's python3.11, site-packages and "
                    "dist-packages excluded; PSF License Agreement, PSF-2.0).")


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


# ----------------------------------------------------------------------------------------------
# Corpus
# ----------------------------------------------------------------------------------------------

def list_corpus(root: str = CORPUS_ROOT) -> list[str]:
    """Every *.py under root (not following directory symlinks), site/dist-packages excluded,
    as sorted paths relative to root."""
    if not os.path.isdir(root):
        raise SystemExit(f"corpus directory {root} does not exist")
    out = []
    for d, dirs, files in os.walk(root):
        dirs[:] = [x for x in dirs if x not in EXCLUDE_DIRS]
        for f in files:
            if f.endswith(".py"):
                out.append(os.path.relpath(os.path.join(d, f), root))
    out.sort()
    if not out:
        raise SystemExit(f"corpus {root} has no *.py files")
    return out


def split_corpus(paths: list[str]) -> tuple[list[str], list[str]]:
    train = [p for i, p in enumerate(paths) if i % VAL_EVERY != 0]
    val = [p for i, p in enumerate(paths) if i % VAL_EVERY == 0]
    return train, val


def read_text(root: str, rel: str) -> str:
    with open(os.path.join(root, rel), "rb") as f:
        return f.read().decode("utf-8")


def encode_docs(tok: bpe.Tokenizer, texts: list[str]) -> np.ndarray:
    ids: list[int] = []
    for t in texts:
        ids.extend(tok.encode(t))
        ids.append(tok.eot)
    if max(ids) >= 65536:
        raise ValueError("token ids do not fit uint16")
    return np.asarray(ids, dtype=np.uint16)


def save_npy(arr: np.ndarray, path: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}.npy"
    np.save(tmp, arr)
    os.replace(tmp, path)


def cmd_prepare(args) -> int:
    t0 = time.time()
    os.makedirs(args.data, exist_ok=True)
    paths = list_corpus(args.corpus)
    train, val = split_corpus(paths)
    texts = {p: read_text(args.corpus, p) for p in paths}
    n_bytes = sum(len(texts[p].encode()) for p in paths)
    if n_bytes == 0:
        raise SystemExit(f"corpus {args.corpus} is empty")
    digest = hashlib.sha256()
    for p in paths:
        digest.update(p.encode() + b"\0" + texts[p].encode() + b"\0")
    log(f"corpus: {len(paths)} files, {n_bytes} bytes ({len(train)} train, {len(val)} validation), "
        f"sha256 {digest.hexdigest()[:16]}")

    tok_path = os.path.join(args.data, "tokenizer.json")
    counts = bpe.word_counts(texts[p] for p in train)
    log(f"pre-tokenized: {sum(counts.values())} pieces, {len(counts)} unique; training BPE to {args.vocab}")
    data = bpe.train_bpe(counts, args.vocab, log=log)
    data["corpus"] = {"root": args.corpus, "files": len(paths), "bytes": n_bytes,
                      "sha256": digest.hexdigest(), "val_rule": f"sorted index % {VAL_EVERY} == 0",
                      "license": "PSF-2.0"}
    bpe.save_json(data, tok_path)
    log(f"tokenizer: {len(data['tokens'])} tokens, {len(data['merges'])} merges -> {tok_path}")

    tok = bpe.Tokenizer(data)
    tr = encode_docs(tok, [texts[p] for p in train])
    va = encode_docs(tok, [texts[p] for p in val])
    save_npy(tr, os.path.join(args.data, "train.npy"))
    save_npy(va, os.path.join(args.data, "val.npy"))
    tr_bytes = sum(len(texts[p].encode()) for p in train)
    meta = {"train_files": train, "val_files": val, "train_tokens": int(tr.size),
            "val_tokens": int(va.size), "train_bytes": tr_bytes,
            "bytes_per_token": tr_bytes / tr.size, "corpus_sha256": digest.hexdigest()}
    with open(os.path.join(args.data, "split.json"), "w") as f:
        json.dump(meta, f, indent=1)
    log(f"encoded: train {tr.size} tokens ({meta['bytes_per_token']:.2f} bytes/token), "
        f"val {va.size} tokens; {time.time() - t0:.0f} s")
    return 0


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------

def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hyper_params(args, vocab_size: int) -> dict:
    import demo_model as dm
    preset = dict(dm.PRESETS[args.model])
    model = dict(vocab_size=vocab_size, max_seq_len=args.seq_len, **preset)
    return {
        "model_preset": args.model,
        "data_sha256": {f: file_sha256(os.path.join(args.data, f))[:16]
                        for f in ("tokenizer.json", "train.npy", "val.npy")},
        "model": model,
        "seq_len": args.seq_len,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "min_lr": args.lr * 0.1,
        "warmup_steps": args.warmup,
        "total_steps": args.total_steps,
        "weight_decay": args.weight_decay,
        "betas": [0.9, 0.95],
        "grad_clip": 1.0,
        "seed": args.seed,
        "autocast": "bf16",
    }


# Hyper-parameters that may differ between invocations of one run.
RESUMABLE_DIFFERENCES = set()


def lr_at(step: int, hp: dict) -> float:
    if step < hp["warmup_steps"]:
        return hp["lr"] * (step + 1) / hp["warmup_steps"]
    prog = min(1.0, (step - hp["warmup_steps"]) / max(1, hp["total_steps"] - hp["warmup_steps"]))
    return hp["min_lr"] + 0.5 * (hp["lr"] - hp["min_lr"]) * (1 + math.cos(math.pi * prog))


def make_model_and_opt(hp: dict):
    import torch
    import demo_model as dm
    cfg = dm.ModelConfig(**hp["model"])
    model = dm.LlamaModel(cfg)
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.ndim < 2 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": hp["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=hp["lr"], betas=tuple(hp["betas"]), eps=1e-8)
    return model, opt


def batch_at(data: np.ndarray, rng: np.random.Generator, batch: int, seq: int):
    import torch
    starts = rng.integers(0, data.size - seq - 1, size=batch)
    x = np.stack([data[s:s + seq] for s in starts]).astype(np.int64)
    y = np.stack([data[s + 1:s + seq + 1] for s in starts]).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def evaluate(model, val: np.ndarray, seq: int, batch: int, max_windows: int) -> float:
    """Mean next-token loss over `max_windows` windows spread evenly over the whole validation
    stream (the same windows every time: a deterministic curve; the first windows alone would
    over-represent the first few files)."""
    import torch
    import torch.nn.functional as F
    n_win = min(max_windows, (val.size - 1) // seq)
    starts = np.linspace(0, val.size - seq - 1, n_win).astype(np.int64)
    total, count = 0.0, 0
    model.eval()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        for b0 in range(0, n_win, batch):
            idx = starts[b0:b0 + batch]
            x = torch.from_numpy(np.stack([val[i:i + seq] for i in idx]).astype(np.int64))
            y = torch.from_numpy(np.stack([val[i + 1:i + seq + 1] for i in idx]).astype(np.int64))
            logits = model(x).float()
            total += F.cross_entropy(logits.view(-1, logits.size(-1)), y.view(-1), reduction="sum").item()
            count += y.numel()
    model.train()
    return total / count


def save_checkpoint(run: str, model, opt, step: int, hp: dict, rng: np.random.Generator,
                    extra: dict) -> str:
    import torch
    state = {
        "step": step,
        "hyper_params": hp,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "rng": {"numpy_batches": rng.bit_generator.state, "torch": torch.get_rng_state(),
                "python": random.getstate(), "numpy_global": np.random.get_state()},
        "extra": extra,
        "saved_at": time.time(),
    }
    path = os.path.join(run, f"ckpt_{step:07d}.pt")
    tmp = path + f".tmp{os.getpid()}"
    torch.save(state, tmp)
    os.replace(tmp, path)
    latest = os.path.join(run, "latest.txt")
    with open(latest + ".tmp", "w") as f:
        f.write(os.path.basename(path) + "\n")
    os.replace(latest + ".tmp", latest)
    # keep the newest 3 checkpoints plus every 1000th step
    ckpts = sorted(x for x in os.listdir(run) if x.startswith("ckpt_") and x.endswith(".pt"))
    for old in ckpts[:-3]:
        s = int(old[5:12])
        if s % 1000 != 0:
            os.unlink(os.path.join(run, old))
    return path


def latest_checkpoint(run: str) -> str | None:
    p = os.path.join(run, "latest.txt")
    if not os.path.exists(p):
        return None
    with open(p) as f:
        name = f.read().strip()
    return os.path.join(run, name)


def diff_hp(a: dict, b: dict, prefix="") -> list[str]:
    out = []
    for k in sorted(set(a) | set(b)):
        if k in RESUMABLE_DIFFERENCES:
            continue
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += diff_hp(va, vb, prefix + k + ".")
        elif va != vb:
            out.append(f"{prefix}{k}: checkpoint {va!r} vs now {vb!r}")
    return out


def cmd_train(args) -> int:
    import torch
    torch.set_num_threads(args.threads)
    data_dir = args.data
    tok_path = os.path.join(data_dir, "tokenizer.json")
    for f in ("tokenizer.json", "train.npy", "val.npy"):
        if not os.path.exists(os.path.join(data_dir, f)):
            raise SystemExit(f"{os.path.join(data_dir, f)} missing: run `train_demo.py prepare` first")
    tok = bpe.Tokenizer.load(tok_path)
    train = np.load(os.path.join(data_dir, "train.npy"))
    val = np.load(os.path.join(data_dir, "val.npy"))
    if train.size < 10 * args.seq_len or val.size < 2 * args.seq_len:
        raise SystemExit("token streams are too short for the sequence length")

    hp = hyper_params(args, tok.vocab_size)
    run = os.path.join(args.run, args.model) if args.run_subdir else args.run
    os.makedirs(run, exist_ok=True)

    random.seed(hp["seed"])
    np.random.seed(hp["seed"])
    torch.manual_seed(hp["seed"])
    model, opt = make_model_and_opt(hp)
    rng = np.random.default_rng(hp["seed"])
    step = 0
    tokens_seen = 0
    ck = latest_checkpoint(run)
    if ck is not None:
        state = torch.load(ck, map_location="cpu")
        diffs = diff_hp(state["hyper_params"], hp)
        if diffs:
            raise SystemExit(f"{run} holds a run with different hyper-parameters; refusing to resume:\n  "
                             + "\n  ".join(diffs) + "\n(use another --run directory, or the same options)")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        step = state["step"]
        rng.bit_generator.state = state["rng"]["numpy_batches"]
        torch.set_rng_state(state["rng"]["torch"])
        random.setstate(state["rng"]["python"])
        np.random.set_state(state["rng"]["numpy_global"])
        tokens_seen = state["extra"].get("tokens_seen", 0)
        log(f"resumed {ck} at step {step}")
    else:
        with open(os.path.join(run, "hyper_params.json"), "w") as f:
            json.dump(hp, f, indent=1)
        log(f"new run in {run}")

    n_params = sum(p.numel() for p in model.parameters())
    log(f"{args.model}: {n_params} parameters ({n_params * 2 / 1e6:.1f} MB as F16), "
        f"train {train.size} tokens, val {val.size} tokens, {args.threads} thread(s), hp {json.dumps(hp)}")

    csv_path = os.path.join(run, "curve.csv")
    if os.path.exists(csv_path):
        # Rows logged after the checkpoint we resume from are redone (identically): drop them.
        with open(csv_path, newline="") as f:
            rows = list(csv.reader(f))
        keep = rows[:1] + [r for r in rows[1:] if r and int(r[0]) <= step]
        if len(keep) != len(rows):
            with open(csv_path + ".tmp", "w", newline="") as f:
                csv.writer(f).writerows(keep)
            os.replace(csv_path + ".tmp", csv_path)
            log(f"curve.csv: dropped {len(rows) - len(keep)} rows after step {step}")
    new_csv = not os.path.exists(csv_path)
    csv_f = open(csv_path, "a", newline="")
    wr = csv.writer(csv_f)
    if new_csv:
        wr.writerow(["step", "tokens", "lr", "train_loss", "val_loss", "val_ppl", "tok_per_s", "wall_time"])

    import torch.nn.functional as F
    t_start = time.time()
    last_ckpt = time.time()
    deadline = t_start + args.max_minutes * 60
    win_t, win_tok, win_loss, win_n = time.time(), 0, 0.0, 0
    tok_per_step = hp["batch_size"] * hp["seq_len"]
    model.train()
    stopped_by = "total-steps"
    first_step = step
    while step < hp["total_steps"]:
        if time.time() >= deadline:
            stopped_by = "max-minutes"
            break
        if args.stop_after_steps and step - first_step >= args.stop_after_steps:
            stopped_by = "stop-after-steps"
            break
        lr = lr_at(step, hp)
        for g in opt.param_groups:
            g["lr"] = lr
        x, y = batch_at(train, rng, hp["batch_size"], hp["seq_len"])
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(x)
        loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), hp["grad_clip"])
        opt.step()
        step += 1
        tokens_seen += tok_per_step
        win_tok += tok_per_step
        win_loss += loss.item()
        win_n += 1

        val_loss = None
        if step % args.eval_every == 0 or step == hp["total_steps"]:
            val_loss = evaluate(model, val, hp["seq_len"], hp["batch_size"], args.eval_windows)
        if step % args.log_every == 0 or val_loss is not None:
            now = time.time()
            tps = win_tok / max(1e-9, now - win_t)
            tl = win_loss / max(1, win_n)
            wr.writerow([step, tokens_seen, f"{lr:.6g}", f"{tl:.4f}",
                         "" if val_loss is None else f"{val_loss:.4f}",
                         "" if val_loss is None else f"{math.exp(val_loss):.3f}", f"{tps:.0f}",
                         f"{now:.0f}"])
            csv_f.flush()
            msg = f"step {step}/{hp['total_steps']} lr {lr:.2e} train_loss {tl:.4f} {tps:.0f} tok/s"
            if val_loss is not None:
                msg += f" | val_loss {val_loss:.4f} ppl {math.exp(val_loss):.2f}"
            log(msg)
            win_t, win_tok, win_loss, win_n = time.time(), 0, 0.0, 0
        if time.time() - last_ckpt >= args.ckpt_minutes * 60:
            p = save_checkpoint(run, model, opt, step, hp, rng, {"tokens_seen": tokens_seen})
            log(f"checkpoint {p}")
            last_ckpt = time.time()
    p = save_checkpoint(run, model, opt, step, hp, rng, {"tokens_seen": tokens_seen})
    log(f"stopped ({stopped_by}) at step {step}; checkpoint {p}")
    csv_f.close()
    return 0


def cmd_bench(args) -> int:
    import torch
    import torch.nn.functional as F
    import demo_model as dm
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = dm.ModelConfig(vocab_size=VOCAB_SIZE, max_seq_len=args.seq_len, **dm.PRESETS[args.model])
    model = dm.LlamaModel(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    x = torch.randint(0, VOCAB_SIZE, (args.batch_size, args.seq_len))
    for i in range(args.steps + 2):
        if i == 2:
            t0 = time.time()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(x)
        loss = F.cross_entropy(logits.float().view(-1, logits.size(-1)), x.view(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    dt = time.time() - t0
    n = sum(p.numel() for p in model.parameters())
    print(f"{args.model} ({n} params) threads={args.threads} batch={args.batch_size}x{args.seq_len}: "
          f"{args.steps * args.batch_size * args.seq_len / dt:.0f} tok/s ({dt / args.steps:.2f} s/step)",
          flush=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("prepare", help="corpus split, tokenizer, encoded token cache")
    p.add_argument("--corpus", default=CORPUS_ROOT)
    p.add_argument("--data", default=os.path.join(DEFAULT_RUN, "data"))
    p.add_argument("--vocab", type=int, default=VOCAB_SIZE)

    t = sub.add_parser("train", help="train (or resume) one model")
    t.add_argument("--model", choices=["target", "draft", "tiny"], required=True)
    t.add_argument("--data", default=os.path.join(DEFAULT_RUN, "data"))
    t.add_argument("--run", default=DEFAULT_RUN,
                   help="run root; the model trains in RUN/<model> (or RUN itself with --no-subdir)")
    t.add_argument("--no-subdir", dest="run_subdir", action="store_false")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--seq-len", type=int, default=512)
    t.add_argument("--batch-size", type=int, default=16)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--warmup", type=int, default=200)
    t.add_argument("--weight-decay", type=float, default=0.1)
    t.add_argument("--total-steps", type=int, required=True)
    t.add_argument("--seed", type=int, default=1234)
    t.add_argument("--max-minutes", type=float, default=60.0, help="budget of this invocation")
    t.add_argument("--ckpt-minutes", type=float, default=5.0)
    t.add_argument("--stop-after-steps", type=int, default=0,
                   help="end this invocation after N steps (0: no limit; for tests of resuming)")
    t.add_argument("--log-every", type=int, default=10)
    t.add_argument("--eval-every", type=int, default=200)
    t.add_argument("--eval-windows", type=int, default=64, help="512-token validation windows per eval")

    b = sub.add_parser("bench", help="measure training speed")
    b.add_argument("--model", choices=["target", "draft", "tiny"], required=True)
    b.add_argument("--threads", type=int, default=1)
    b.add_argument("--batch-size", type=int, default=8)
    b.add_argument("--seq-len", type=int, default=512)
    b.add_argument("--steps", type=int, default=5)

    args = ap.parse_args(argv)
    return {"prepare": cmd_prepare, "train": cmd_train, "bench": cmd_bench}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
