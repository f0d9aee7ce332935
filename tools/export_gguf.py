#!/usr/bin/python3
"""Write a demo-model training checkpoint as a GGUF F16 file the engine loads (`llama`
architecture, byte-level BPE tokenizer `gpt2` / pre-tokenizer `gpt-2`).

Why it exists: training (tools/train_demo.py) saves PyTorch checkpoints in Hugging Face layout;
the app needs GGUF. The conventions are llama.cpp's converter's, as in
tests/reference/make_reference_case.py: tensor names token_embd / blk.N.attn_q ... / output_norm /
output, dims reversed by the writer, and the rows of attn_q / attn_k permuted per head so that the
Hugging Face rotate_half pairs (j, j + head_dim/2) become adjacent (the engine applies
adjacent-pair RoPE to `llama` files). 2-D matrices are F16, norm weights F32. A tied model has no
output.weight (the engine then uses token_embd). The writer writes a temporary file and renames it.

Usage:
  /usr/bin/python3 tools/export_gguf.py --ckpt /work/train_runs/demo/target \\
      [--tokenizer /work/train_runs/demo/data/tokenizer.json] -o resources/models/demo-target.gguf
  (--ckpt takes a checkpoint file or a run directory, whose latest checkpoint is used.)
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "reference"))
import gguf_writer as gw  # noqa: E402

DATA_LICENSE = "PSF-2.0"
DATA_DESCRIPTION = (
    "Small Llama-architecture code-completion model trained from scratch by the q8chat project "
    "(tools/train_demo.py) on the Python 3.11 standard library sources: every *.py under "
    "/usr/lib/python3.11 of Debian 12's python3.11 package (site-packages and dist-packages "
    "excluded; files whose sorted index % 20 == 0 held out for validation). Training data license: "
    "Python Software Foundation License Agreement (PSF-2.0). Byte-level BPE tokenizer trained on "
    "the same files.")


def permute_qk(w: np.ndarray, n_head: int) -> np.ndarray:
    """HF rotate_half row order -> GGUF adjacent-pair order, per head: GGUF row h*hd + 2j is HF row
    h*hd + j and GGUF row h*hd + 2j + 1 is HF row h*hd + hd/2 + j (llama.cpp's converter)."""
    hd = w.shape[0] // n_head
    if w.shape[0] != n_head * hd or hd % 2:
        raise ValueError(f"{w.shape[0]} rows do not split into {n_head} heads of even size")
    return w.reshape(n_head, 2, hd // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gguf_name(hf: str) -> str:
    fixed = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "lm_head.weight": "output.weight"}
    if hf in fixed:
        return fixed[hf]
    parts = hf.split(".")
    if len(parts) < 4 or parts[0] != "model" or parts[1] != "layers":
        raise KeyError(hf)
    sub = {"input_layernorm.weight": "attn_norm.weight",
           "self_attn.q_proj.weight": "attn_q.weight",
           "self_attn.k_proj.weight": "attn_k.weight",
           "self_attn.v_proj.weight": "attn_v.weight",
           "self_attn.o_proj.weight": "attn_output.weight",
           "post_attention_layernorm.weight": "ffn_norm.weight",
           "mlp.gate_proj.weight": "ffn_gate.weight",
           "mlp.up_proj.weight": "ffn_up.weight",
           "mlp.down_proj.weight": "ffn_down.weight"}[".".join(parts[3:])]
    return f"blk.{int(parts[2])}.{sub}"


def resolve_ckpt(path: str) -> str:
    if os.path.isdir(path):
        latest = os.path.join(path, "latest.txt")
        if not os.path.exists(latest):
            raise SystemExit(f"{path} has no latest.txt (no checkpoint yet)")
        with open(latest) as f:
            return os.path.join(path, f.read().strip())
    if not os.path.exists(path):
        raise SystemExit(f"{path} does not exist")
    return path


def load_checkpoint(path: str):
    """(config dict, HF-named float32 numpy weights, checkpoint state without the big parts)."""
    import torch
    import demo_model as dm
    state = torch.load(resolve_ckpt(path), map_location="cpu")
    hp = state["hyper_params"]
    cfg = dm.ModelConfig(**hp["model"])
    model = dm.LlamaModel(cfg)
    model.load_state_dict(state["model"])
    weights = {k: v.numpy() for k, v in model.hf_state_dict().items()}
    info = {"step": state["step"], "hyper_params": hp, "extra": state.get("extra", {})}
    return cfg, weights, info, model


def hf_order(cfg) -> list[str]:
    names = ["model.embed_tokens.weight"]
    for i in range(cfg.n_layers):
        p = f"model.layers.{i}."
        names += [p + "input_layernorm.weight", p + "self_attn.q_proj.weight",
                  p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight",
                  p + "self_attn.o_proj.weight", p + "post_attention_layernorm.weight",
                  p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight", p + "mlp.down_proj.weight"]
    names.append("model.norm.weight")
    if not cfg.tied:
        names.append("lm_head.weight")
    return names


def export(ckpt: str, tokenizer_json: str, out: str, name: str | None = None) -> dict:
    import bpe_tokenizer as bpe
    cfg, weights, info, _ = load_checkpoint(ckpt)
    tok = bpe.Tokenizer.load(tokenizer_json)
    if tok.vocab_size != cfg.vocab_size:
        raise SystemExit(f"tokenizer has {tok.vocab_size} tokens, model {cfg.vocab_size}")
    sp = tok.specials
    preset = info["hyper_params"].get("model_preset", "model")
    name = name or f"q8chat-demo-{preset}"

    w = gw.GGUFWriter(out)
    a = "llama"
    w.add_string("general.architecture", a)
    w.add_string("general.name", name)
    w.add_string("general.license", DATA_LICENSE)
    hp = info["hyper_params"]
    description = DATA_DESCRIPTION + (f" Checkpoint step {info['step']},"
                                      f" {info['extra'].get('tokens_seen', 0)} training tokens.")
    if "distilled_from" in hp:
        # tools/distill_draft.py: the shipped draft's own history, then its fine-tuning.
        description = (hp["base_description"] + f" Then distilled towards {hp['distilled_from']}"
                       f" (tools/distill_draft.py): {info['step']} steps,"
                       f" {info['extra'].get('tokens_seen', 0)} tokens.")
    w.add_string("general.description", description)
    w.add_string("general.source.url", "file:///usr/lib/python3.11")
    w.add_u32("general.file_type", 1)   # MOSTLY_F16
    w.add_u32(f"{a}.vocab_size", cfg.vocab_size)
    w.add_u32(f"{a}.context_length", cfg.max_seq_len)
    w.add_u32(f"{a}.embedding_length", cfg.dim)
    w.add_u32(f"{a}.block_count", cfg.n_layers)
    w.add_u32(f"{a}.feed_forward_length", cfg.ff_dim)
    w.add_u32(f"{a}.attention.head_count", cfg.n_heads)
    w.add_u32(f"{a}.attention.head_count_kv", cfg.n_kv_heads)
    w.add_f32(f"{a}.rope.freq_base", cfg.rope_base)
    w.add_f32(f"{a}.attention.layer_norm_rms_epsilon", cfg.norm_eps)
    w.add_u32(f"{a}.rope.dimension_count", cfg.head_dim)

    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", bpe.GGUF_PRE)
    w.add_array("tokenizer.ggml.tokens", gw.STRING, tok.tokens)
    special_ids = set(sp.values())
    w.add_array("tokenizer.ggml.token_type", gw.INT32,
                [3 if i in special_ids else 1 for i in range(tok.vocab_size)])
    w.add_array("tokenizer.ggml.merges", gw.STRING, tok.data["merges"])
    w.add_u32("tokenizer.ggml.bos_token_id", sp["<|endoftext|>"])
    w.add_u32("tokenizer.ggml.eos_token_id", sp["<|endoftext|>"])
    w.add_u32("tokenizer.ggml.padding_token_id", sp["<fim_pad>"])
    w.add_bool("tokenizer.ggml.add_bos_token", False)
    w.add_bool("tokenizer.ggml.add_eos_token", False)
    w.add_u32("tokenizer.ggml.fim_pre_token_id", sp["<fim_prefix>"])
    w.add_u32("tokenizer.ggml.fim_suf_token_id", sp["<fim_suffix>"])
    w.add_u32("tokenizer.ggml.fim_mid_token_id", sp["<fim_middle>"])
    w.add_u32("tokenizer.ggml.fim_pad_token_id", sp["<fim_pad>"])

    for hf in hf_order(cfg):
        data = weights[hf]
        if ".q_proj." in hf:
            data = permute_qk(data, cfg.n_heads)
        elif ".k_proj." in hf:
            data = permute_qk(data, cfg.n_kv_heads)
        ttype = gw.GGML_F32 if hf.endswith("norm.weight") else gw.GGML_F16
        if ttype == gw.GGML_F16 and not np.all(np.abs(data) < 65504):
            raise SystemExit(f"{hf} has values outside the F16 range")
        w.add_tensor(gguf_name(hf), data, ttype)
    w.write()
    n_params = sum(v.size for v in weights.values())
    return {"path": out, "step": info["step"], "params": n_params, "bytes": os.path.getsize(out)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ckpt", required=True, help="checkpoint file, or run directory (latest checkpoint)")
    ap.add_argument("--tokenizer", default="/work/train_runs/demo/data/tokenizer.json")
    ap.add_argument("-o", "--out", required=True)
    ap.add_argument("--name", default=None, help="general.name (default q8chat-demo-<preset>)")
    args = ap.parse_args(argv)
    r = export(args.ckpt, args.tokenizer, args.out, args.name)
    print(f"{r['path']}: step {r['step']}, {r['params']} parameters, {r['bytes']} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
