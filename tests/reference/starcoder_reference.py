"""Independent NumPy forward pass for StarCoder2 and StarCoder (GPTBigCode) on Hugging Face-layout
weights.

Why it exists: the ground truth the engine's StarCoder architectures are compared against, written
from transformers' Starcoder2ForCausalLM and GPTBigCodeForCausalLM. Like llama_reference.py it
works on the weights as Hugging Face holds them (state-dict names, Linear weights [out, in], Q/K
unpermuted, GPTBigCode's fused c_attn), so only the GGUF writer (make_reference_case.py) knows the
GGUF conventions.

Math (float64 throughout). LayerNorm(x) = (x - mean) / sqrt(var + eps) * w + b (biased variance),
gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))   ("gelu_pytorch_tanh").

starcoder2 (use_bias = True, as in every released checkpoint):
  h = embed_tokens[ids]
  per layer:
    x = LayerNorm(h; input_layernorm)
    q = x Wq^T + bq, k = x Wk^T + bk, v = x Wv^T + bv; RoPE in rotate_half form on q and k
      (dim i pairs with dim i + head_dim/2), inv_freq[j] = rope_theta^(-2j/head_dim)
    grouped-query attention (query head h reads kv head h // (n_head / n_kv)),
      scores / sqrt(head_dim), causal; with sliding_window w, position i attends to j only when
      i - w < j <= i (the w newest positions, itself included)
    h = h + attn Wo^T + bo
    x = LayerNorm(h; post_attention_layernorm)
    h = h + gelu(x Wfc^T + bfc) Wproj^T + bproj          (mlp.c_fc, mlp.c_proj)
  logits = LayerNorm(h; model.norm) lm_head^T            (lm_head = embed_tokens when tied)

starcoder (GPTBigCode, multi_query = True: one key/value head):
  h = wte[ids] + wpe[positions]
  per layer:
    x = LayerNorm(h; ln_1)
    qkv = x Wattn^T + battn, split into q (n_embd), k (head_dim), v (head_dim)
    every query head attends to the one k/v head, scores / sqrt(head_dim), causal (no RoPE)
    h = h + attn Wproj^T + bproj                          (attn.c_proj)
    x = LayerNorm(h; ln_2)
    h = h + gelu(x Wfc^T + bfc) Wproj^T + bproj          (mlp.c_fc, mlp.c_proj)
  logits = LayerNorm(h; ln_f) lm_head^T                  (lm_head = wte when tied)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from llama_reference import apply_rope_hf, default_inv_freq, identity, softmax

ARCHS = ("starcoder2", "starcoder")


@dataclass
class StarcoderConfig:
    arch: str                  # "starcoder2" or "starcoder"
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int   # 1 for starcoder (multi-query)
    norm_epsilon: float = 1e-5
    rope_theta: float = 10000.0            # starcoder2 only
    max_position_embeddings: int = 2048    # starcoder: rows of wpe
    tie_word_embeddings: bool = False
    sliding_window: int | None = None      # starcoder2: a position attends to this many, itself included

    def __post_init__(self):
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError("hidden_size must be a multiple of num_attention_heads")
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        if self.arch == "starcoder" and self.num_key_value_heads != 1:
            raise ValueError("GPTBigCode's fused c_attn is [q, k, v] only in its multi-query form")
        if self.sliding_window is not None and (self.arch != "starcoder2" or self.sliding_window < 1):
            raise ValueError("sliding_window is a positive window for starcoder2")

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _linear(names: list, prefix: str) -> None:
    names += [prefix + ".weight", prefix + ".bias"]


def weight_names(cfg: StarcoderConfig) -> list[str]:
    """Hugging Face state-dict names the reference expects."""
    if cfg.arch == "starcoder2":
        names = ["model.embed_tokens.weight"]
        for i in range(cfg.num_hidden_layers):
            p = f"model.layers.{i}."
            _linear(names, p + "input_layernorm")
            for proj in ("q_proj", "k_proj", "v_proj", "o_proj"):
                _linear(names, p + "self_attn." + proj)
            _linear(names, p + "post_attention_layernorm")
            _linear(names, p + "mlp.c_fc")
            _linear(names, p + "mlp.c_proj")
        _linear(names, "model.norm")
    else:
        names = ["transformer.wte.weight", "transformer.wpe.weight"]
        for i in range(cfg.num_hidden_layers):
            p = f"transformer.h.{i}."
            for part in ("ln_1", "attn.c_attn", "attn.c_proj", "ln_2", "mlp.c_fc", "mlp.c_proj"):
                _linear(names, p + part)
        _linear(names, "transformer.ln_f")
    if not cfg.tie_word_embeddings:
        names.append("lm_head.weight")
    return names


def weight_shapes(cfg: StarcoderConfig) -> dict[str, tuple[int, ...]]:
    d, f, v, hd = cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size, cfg.head_dim
    nq, nkv = cfg.num_attention_heads * hd, cfg.num_key_value_heads * hd
    out_in = {  # Linear layers by the last part of their name: (out, in)
        "q_proj": (nq, d), "k_proj": (nkv, d), "v_proj": (nkv, d), "o_proj": (d, nq),
        "c_attn": (nq + 2 * nkv, d), "attn.c_proj": (d, nq), "c_fc": (f, d), "mlp.c_proj": (d, f),
    }
    shapes = {}
    for n in weight_names(cfg):
        if n in ("model.embed_tokens.weight", "transformer.wte.weight", "lm_head.weight"):
            s = (v, d)
        elif n == "transformer.wpe.weight":
            s = (cfg.max_position_embeddings, d)
        elif "norm" in n or ".ln_" in n or "transformer.ln_f" in n:
            s = (d,)
        else:
            module, kind = n.rsplit(".", 1)
            key = next(k for k in out_in if module.endswith(k))
            s = out_in[key] if kind == "weight" else (out_in[key][0],)
        shapes[n] = s
    return shapes


def layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = np.mean(x, axis=-1, keepdims=True)
    var = np.mean((x - mean) ** 2, axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def _ln(W: dict, prefix: str, x: np.ndarray, eps: float) -> np.ndarray:
    return layer_norm(x, W[prefix + ".weight"], W[prefix + ".bias"], eps)


def _lin(W: dict, prefix: str, x: np.ndarray) -> np.ndarray:
    return x @ W[prefix + ".weight"].T + W[prefix + ".bias"]


def _attend(q: np.ndarray, k: np.ndarray, v: np.ndarray, window: int | None = None) -> np.ndarray:
    """q [nh, n, hd], k/v [nkv, n, hd] -> [n, nh*hd]; head h reads kv head h // (nh / nkv). With a
    window, position i reads positions j with i - window < j <= i only."""
    nh, n, hd = q.shape
    rep = nh // k.shape[0]
    k = np.repeat(k, rep, axis=0)
    v = np.repeat(v, rep, axis=0)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
    mask = np.triu(np.ones((n, n), dtype=bool), k=1)
    if window is not None:
        mask |= np.tril(np.ones((n, n), dtype=bool), k=-window)
    scores = np.where(mask[None], -np.inf, scores)
    return (softmax(scores) @ v).transpose(1, 0, 2).reshape(n, nh * hd)


def _heads(x: np.ndarray, n_heads: int, hd: int) -> np.ndarray:
    return x.reshape(x.shape[0], n_heads, hd).transpose(1, 0, 2)


def forward(cfg: StarcoderConfig, weights: dict, tokens, positions=None, act=identity) -> np.ndarray:
    """Logits [len(tokens), vocab] (float64) for every position of a causal sequence. `act` is
    applied to the input of every layer matrix (int8_blocks: W4A8 with activation blocks)."""
    W = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    tokens = np.asarray(tokens, dtype=np.int64)
    if tokens.min() < 0 or tokens.max() >= cfg.vocab_size:
        raise ValueError("token id out of range")
    positions = np.arange(len(tokens)) if positions is None else np.asarray(positions)
    nh, nkv, hd, eps = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim, cfg.norm_epsilon

    if cfg.arch == "starcoder2":
        inv_freq = default_inv_freq(cfg.rope_theta, hd)
        h = W["model.embed_tokens.weight"][tokens]
        for i in range(cfg.num_hidden_layers):
            p = f"model.layers.{i}."
            x = act(_ln(W, p + "input_layernorm", h, eps))
            q = apply_rope_hf(_heads(_lin(W, p + "self_attn.q_proj", x), nh, hd), positions, inv_freq)
            k = apply_rope_hf(_heads(_lin(W, p + "self_attn.k_proj", x), nkv, hd), positions, inv_freq)
            v = _heads(_lin(W, p + "self_attn.v_proj", x), nkv, hd)
            h = h + _lin(W, p + "self_attn.o_proj", act(_attend(q, k, v, cfg.sliding_window)))
            x = act(_ln(W, p + "post_attention_layernorm", h, eps))
            h = h + _lin(W, p + "mlp.c_proj", act(gelu_tanh(_lin(W, p + "mlp.c_fc", x))))
        h = _ln(W, "model.norm", h, eps)
        head = W["model.embed_tokens.weight"] if cfg.tie_word_embeddings else W["lm_head.weight"]
        return h @ head.T

    h = W["transformer.wte.weight"][tokens] + W["transformer.wpe.weight"][positions]
    for i in range(cfg.num_hidden_layers):
        p = f"transformer.h.{i}."
        x = act(_ln(W, p + "ln_1", h, eps))
        qkv = _lin(W, p + "attn.c_attn", x)
        q = _heads(qkv[:, :nh * hd], nh, hd)
        k = _heads(qkv[:, nh * hd:nh * hd + nkv * hd], nkv, hd)
        v = _heads(qkv[:, nh * hd + nkv * hd:], nkv, hd)
        h = h + _lin(W, p + "attn.c_proj", act(_attend(q, k, v)))
        x = act(_ln(W, p + "ln_2", h, eps))
        h = h + _lin(W, p + "mlp.c_proj", act(gelu_tanh(_lin(W, p + "mlp.c_fc", x))))
    h = _ln(W, "transformer.ln_f", h, eps)
    head = W["transformer.wte.weight"] if cfg.tie_word_embeddings else W["lm_head.weight"]
    return h @ head.T
