"""Independent NumPy forward pass for Llama and Qwen2 on Hugging Face-layout weights.

Why it exists: it is the ground truth the C++ engine is compared against. It deliberately works on
the weights as Hugging Face transformers holds them (state-dict names, Linear weights [out, in],
q/k rows NOT permuted) and applies RoPE in HF's `rotate_half` form, so it shares no layout
assumption with a GGUF consumer. The GGUF-specific permutation lives only in the file writer
(make_reference_case.py); if the engine and the writer disagreed with HF, the logits would differ.

Math (float64 throughout), following transformers' LlamaForCausalLM / Qwen2ForCausalLM:
  h = embed_tokens[ids]
  per layer:
    x = RMSNorm(h) * input_layernorm.weight            RMSNorm(x) = x / sqrt(mean(x^2) + eps)
    q = x Wq^T (+ bq for qwen2), k = x Wk^T (+ bk), v = x Wv^T (+ bv)
    q, k split into heads of head_dim; RoPE (rotate_half):
        out = x * cos + rotate_half(x) * sin, rotate_half(x) = concat(-x[d/2:], x[:d/2]),
        cos/sin of angle pos * inv_freq[j], j = i mod d/2  (dim i pairs with dim i + d/2)
    grouped-query attention: query head h uses kv head h // (n_head / n_head_kv),
        scores = q k^T / sqrt(head_dim), causal mask, softmax, times v
    h = h + concat(heads) Wo^T
    x = RMSNorm(h) * post_attention_layernorm.weight
    h = h + down( silu(gate(x)) * up(x) )
  logits = (RMSNorm(h) * norm.weight) lm_head^T     (lm_head = embed_tokens when tied)

inv_freq[j] = rope_theta ** (-2j / head_dim), optionally rescaled by Llama-3 "llama3" scaling
(see llama3_inv_freq).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

ARCHS = ("llama", "qwen2")


@dataclass
class ModelConfig:
    arch: str                       # "llama" or "qwen2"
    vocab_size: int
    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    num_attention_heads: int
    num_key_value_heads: int
    rms_norm_eps: float = 1e-5
    rope_theta: float = 10000.0
    max_position_embeddings: int = 2048
    tie_word_embeddings: bool = False
    rope_scaling: Optional[dict] = None   # {"rope_type": "llama3", "factor", "low_freq_factor",
                                          #  "high_freq_factor", "original_max_position_embeddings"}
    head_dim: Optional[int] = None

    def __post_init__(self):
        if self.arch not in ARCHS:
            raise ValueError(f"arch must be one of {ARCHS}")
        if self.head_dim is None:
            self.head_dim = self.hidden_size // self.num_attention_heads
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("num_attention_heads must be a multiple of num_key_value_heads")
        if self.head_dim % 2:
            raise ValueError("head_dim must be even")

    @property
    def attention_bias(self) -> bool:
        return self.arch == "qwen2"   # Qwen2: bias on q/k/v (not o); Llama: no biases

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def weight_names(cfg: ModelConfig) -> list[str]:
    """Hugging Face state-dict names the reference expects."""
    names = ["model.embed_tokens.weight"]
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        names += [p + "input_layernorm.weight"]
        for proj in ("q_proj", "k_proj", "v_proj"):
            names.append(p + f"self_attn.{proj}.weight")
            if cfg.attention_bias:
                names.append(p + f"self_attn.{proj}.bias")
        names += [p + "self_attn.o_proj.weight", p + "post_attention_layernorm.weight",
                  p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight", p + "mlp.down_proj.weight"]
    names.append("model.norm.weight")
    if not cfg.tie_word_embeddings:
        names.append("lm_head.weight")
    return names


def weight_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    d, f, v, hd = cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size, cfg.head_dim
    nq, nkv = cfg.num_attention_heads * hd, cfg.num_key_value_heads * hd
    shapes = {}
    for n in weight_names(cfg):
        if n == "model.embed_tokens.weight" or n == "lm_head.weight":
            s = (v, d)
        elif n.endswith("norm.weight"):
            s = (d,)
        elif n.endswith("q_proj.weight"):
            s = (nq, d)
        elif n.endswith(("k_proj.weight", "v_proj.weight")):
            s = (nkv, d)
        elif n.endswith("q_proj.bias"):
            s = (nq,)
        elif n.endswith(("k_proj.bias", "v_proj.bias")):
            s = (nkv,)
        elif n.endswith("o_proj.weight"):
            s = (d, nq)
        elif n.endswith(("gate_proj.weight", "up_proj.weight")):
            s = (f, d)
        elif n.endswith("down_proj.weight"):
            s = (d, f)
        else:
            raise AssertionError(n)
        shapes[n] = s
    return shapes


# ----------------------------------------------------------------------------------------------
# RoPE
# ----------------------------------------------------------------------------------------------

def default_inv_freq(theta: float, head_dim: int) -> np.ndarray:
    """inv_freq[j] = theta ** (-(2j) / head_dim), j = 0 .. head_dim/2 - 1."""
    return 1.0 / (float(theta) ** (np.arange(0, head_dim, 2, dtype=np.float64) / head_dim))


def llama3_inv_freq(inv_freq: np.ndarray, factor: float, low_freq_factor: float,
                    high_freq_factor: float, original_max_position_embeddings: float) -> np.ndarray:
    """HF `_compute_llama3_parameters`: with wavelen = 2*pi/inv_freq,
         wavelen < old_ctx/high_freq_factor      -> inv_freq unchanged
         wavelen > old_ctx/low_freq_factor       -> inv_freq / factor
         otherwise, smooth = (old_ctx/wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
                    inv_freq * ((1 - smooth) / factor + smooth)"""
    old = float(original_max_position_embeddings)
    low_wavelen = old / low_freq_factor
    high_wavelen = old / high_freq_factor
    wavelen = 2.0 * math.pi / inv_freq
    scaled = np.where(wavelen > low_wavelen, inv_freq / factor, inv_freq)
    smooth = (old / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed = (1.0 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return np.where(medium, smoothed, scaled)


def rope_inv_freq(cfg: ModelConfig) -> np.ndarray:
    inv = default_inv_freq(cfg.rope_theta, cfg.head_dim)
    rs = cfg.rope_scaling
    if rs:
        kind = rs.get("rope_type", rs.get("type"))
        if kind != "llama3":
            raise NotImplementedError(f"rope scaling {kind!r}")
        inv = llama3_inv_freq(inv, rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"],
                              rs["original_max_position_embeddings"])
    return inv


def rotate_half(x: np.ndarray) -> np.ndarray:
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def apply_rope_hf(x: np.ndarray, positions: np.ndarray, inv_freq: np.ndarray) -> np.ndarray:
    """x: [..., seq, head_dim]. HF form: x*cos + rotate_half(x)*sin with cos = cat(c, c)."""
    ang = positions.astype(np.float64)[:, None] * inv_freq[None, :]   # [seq, d/2]
    emb = np.concatenate([ang, ang], axis=-1)                          # [seq, d]
    return x * np.cos(emb) + rotate_half(x) * np.sin(emb)


# ----------------------------------------------------------------------------------------------
# Forward
# ----------------------------------------------------------------------------------------------

def rms_norm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1.0 + np.exp(-x))


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=axis, keepdims=True)


def int8_blocks(x: np.ndarray) -> np.ndarray:
    """x [n, d] as W4A8 with int8 activation blocks sees it: each block of 32 values of a row
    quantized to int8 with scale amax/127 (float32 arithmetic, q = round half away from zero of
    x * (1/scale) clamped to +-127), then decoded to q * scale."""
    n, d = x.shape
    b = x.astype(np.float32).reshape(n, d // 32, 32)
    scale = (np.abs(b).max(axis=-1, keepdims=True) / np.float32(127)).astype(np.float32)
    inv = np.divide(np.float32(1), scale, out=np.zeros_like(scale), where=scale != 0).astype(np.float32)
    v = np.clip((b * inv).astype(np.float32), -127, 127).astype(np.float64)
    q = np.trunc(v + np.copysign(0.5, v))
    return (q * scale.astype(np.float64)).reshape(n, d)


def identity(x: np.ndarray) -> np.ndarray:
    return x


def attention(cfg: ModelConfig, W: dict, p: str, x: np.ndarray, positions: np.ndarray,
              inv_freq: np.ndarray, act=identity) -> np.ndarray:
    n, hd = x.shape[0], cfg.head_dim
    nh, nkv = cfg.num_attention_heads, cfg.num_key_value_heads
    x = act(x)

    def proj(name):
        y = x @ W[p + f"self_attn.{name}.weight"].T
        if cfg.attention_bias:
            y = y + W[p + f"self_attn.{name}.bias"]
        return y

    q = proj("q_proj").reshape(n, nh, hd).transpose(1, 0, 2)    # [nh, n, hd]
    k = proj("k_proj").reshape(n, nkv, hd).transpose(1, 0, 2)   # [nkv, n, hd]
    v = proj("v_proj").reshape(n, nkv, hd).transpose(1, 0, 2)
    q = apply_rope_hf(q, positions, inv_freq)
    k = apply_rope_hf(k, positions, inv_freq)
    rep = nh // nkv
    k = np.repeat(k, rep, axis=0)   # head h -> kv head h // rep (HF repeat_kv)
    v = np.repeat(v, rep, axis=0)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(hd)           # [nh, n, n]
    mask = np.triu(np.ones((n, n), dtype=bool), k=1)
    scores = np.where(mask[None], -np.inf, scores)
    out = softmax(scores) @ v                                    # [nh, n, hd]
    out = out.transpose(1, 0, 2).reshape(n, nh * hd)
    return act(out) @ W[p + "self_attn.o_proj.weight"].T


def forward(cfg: ModelConfig, weights: dict, tokens, positions=None, act=identity) -> np.ndarray:
    """Logits [len(tokens), vocab] (float64) for every position of a causal sequence. `act` is
    applied to the input of every layer matrix (int8_blocks: W4A8 with activation blocks); the
    output head always sees float activations."""
    W = {k: np.asarray(v, dtype=np.float64) for k, v in weights.items()}
    tokens = np.asarray(tokens, dtype=np.int64)
    if tokens.min() < 0 or tokens.max() >= cfg.vocab_size:
        raise ValueError("token id out of range")
    positions = np.arange(len(tokens)) if positions is None else np.asarray(positions)
    inv_freq = rope_inv_freq(cfg)
    h = W["model.embed_tokens.weight"][tokens]
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        x = rms_norm(h, W[p + "input_layernorm.weight"], cfg.rms_norm_eps)
        h = h + attention(cfg, W, p, x, positions, inv_freq, act)
        x = act(rms_norm(h, W[p + "post_attention_layernorm.weight"], cfg.rms_norm_eps))
        mlp = silu(x @ W[p + "mlp.gate_proj.weight"].T) * (x @ W[p + "mlp.up_proj.weight"].T)
        h = h + act(mlp) @ W[p + "mlp.down_proj.weight"].T
    h = rms_norm(h, W["model.norm.weight"], cfg.rms_norm_eps)
    head = W["model.embed_tokens.weight"] if cfg.tie_word_embeddings else W["lm_head.weight"]
    return h @ head.T


def greedy(cfg, weights: dict, prompt, n_new: int, act=identity, fwd=forward) -> tuple[list[int], float]:
    """Greedy continuation (no EOS stop), recomputing the whole sequence each step with `fwd` (this
    module's forward, or another architecture's with the same signature).
    Returns (new ids, smallest top-1 minus top-2 logit gap seen, a measure of how robust the
    argmax choices are to small numerical differences)."""
    seq = list(int(t) for t in prompt)
    out, min_gap = [], math.inf
    for _ in range(n_new):
        last = fwd(cfg, weights, seq, act=act)[-1]
        top = int(np.argmax(last))
        second = np.partition(last, -2)[-2]
        min_gap = min(min_gap, float(last[top] - second))
        out.append(top)
        seq.append(top)
    return out, min_gap
