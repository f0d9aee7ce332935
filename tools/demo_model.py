"""PyTorch Llama model for the demo pair, written to compute exactly what the engine computes for an
`llama` GGUF: token embedding -> n_layer x [RMSNorm -> GQA causal attention with RoPE -> residual,
RMSNorm -> SwiGLU FFN -> residual] -> RMSNorm -> output projection. No biases. RMSNorm is
x / sqrt(mean(x^2) + eps) * weight (eps 1e-5). RoPE is Hugging Face's rotate_half form (pairs
(j, j + head_dim/2) of each head, inv_freq_j = base^(-2j/head_dim)); the exporter permutes the
Q/K rows so that the engine's adjacent-pair RoPE sees the same pairs.

Parameter names follow Hugging Face's LlamaForCausalLM, so export_gguf.py maps them one to one.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int
    dim: int
    n_layers: int
    n_heads: int
    n_kv_heads: int
    ff_dim: int
    max_seq_len: int = 512
    rope_base: float = 10000.0
    norm_eps: float = 1e-5
    tied: bool = False

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def to_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> None:
        if self.dim % self.n_heads or self.n_heads % self.n_kv_heads or self.head_dim % 2:
            raise ValueError(f"bad head layout: {self}")


PRESETS = {
    # ~27M parameters (54 MB as F16): the "target" of speculative decoding.
    "target": dict(dim=512, n_layers=7, n_heads=8, n_kv_heads=4, ff_dim=1408, tied=False),
    # ~3M parameters, tied embeddings: the "draft".
    "draft": dict(dim=256, n_layers=2, n_heads=4, n_kv_heads=2, ff_dim=768, tied=True),
    # tiny, for tests of the tools themselves
    "tiny": dict(dim=64, n_layers=2, n_heads=4, n_kv_heads=2, ff_dim=160, tied=False),
}


class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        xf = x.float()
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return (y * self.weight.float()).to(x.dtype)


def rope_tables(cfg: ModelConfig, seq_len: int, device=None):
    hd = cfg.head_dim
    inv_freq = 1.0 / (cfg.rope_base ** (torch.arange(0, hd, 2, dtype=torch.float64, device=device) / hd))
    t = torch.arange(seq_len, dtype=torch.float64, device=device)
    ang = torch.outer(t, inv_freq)                 # [T, hd/2]
    ang = torch.cat([ang, ang], dim=-1)            # [T, hd]  (HF layout)
    return ang.cos().float(), ang.sin().float()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


def apply_rope(x, cos, sin):
    # x: [B, H, T, hd]; cos/sin: [T, hd] (computed in x's dtype: bf16 while training, f32 in eval)
    return x * cos.to(x.dtype) + rotate_half(x) * sin.to(x.dtype)


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.q_proj = nn.Linear(cfg.dim, cfg.n_heads * hd, bias=False)
        self.k_proj = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.v_proj = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)
        self.o_proj = nn.Linear(cfg.n_heads * hd, cfg.dim, bias=False)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        c = self.cfg
        hd = c.head_dim
        q = self.q_proj(x).view(B, T, c.n_heads, hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, c.n_kv_heads, hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, c.n_kv_heads, hd).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        rep = c.n_heads // c.n_kv_heads
        if rep > 1:
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
        # causal softmax(q k^T / sqrt(hd)) v, in the matmuls' dtype (bf16 under autocast)
        att = torch.matmul(q * (1.0 / math.sqrt(hd)), k.transpose(-1, -2))
        bias = torch.full((T, T), float("-inf"), dtype=att.dtype, device=x.device).triu(1)
        att = torch.softmax(att + bias, dim=-1)
        y = torch.matmul(att.to(v.dtype), v)
        y = y.transpose(1, 2).reshape(B, T, c.n_heads * hd)
        return self.o_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.dim, cfg.ff_dim, bias=False)
        self.up_proj = nn.Linear(cfg.dim, cfg.ff_dim, bias=False)
        self.down_proj = nn.Linear(cfg.ff_dim, cfg.dim, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.mlp(self.post_attention_layernorm(x))


class LlamaModel(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.dim)
        self.layers = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layers)])
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.lm_head = None if cfg.tied else nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
        cos, sin = rope_tables(cfg, cfg.max_seq_len)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self._init_weights()

    def _init_weights(self):
        std = 0.02
        resid_std = std / math.sqrt(2 * self.cfg.n_layers)
        for name, p in self.named_parameters():
            if name.endswith("layernorm.weight") or name == "norm.weight":
                nn.init.ones_(p)
            elif name.endswith("o_proj.weight") or name.endswith("down_proj.weight"):
                nn.init.normal_(p, 0.0, resid_std)
            else:
                nn.init.normal_(p, 0.0, std)

    def hf_state_dict(self) -> dict[str, torch.Tensor]:
        """Weights under Hugging Face LlamaForCausalLM names (float32, HF layout)."""
        out = {}
        for k, v in self.state_dict().items():
            if k.startswith("rope_"):
                continue
            out[k if k.startswith("lm_head") else "model." + k] = v.detach().float().cpu()
        if self.cfg.tied:
            out.pop("lm_head.weight", None)
        return out

    def forward(self, idx):
        B, T = idx.shape
        if T > self.cfg.max_seq_len:
            raise ValueError(f"sequence {T} longer than max_seq_len {self.cfg.max_seq_len}")
        x = self.embed_tokens(idx)
        cos, sin = self.rope_cos[:T], self.rope_sin[:T]
        for blk in self.layers:
            x = blk(x, cos, sin)
        x = self.norm(x)
        w = self.embed_tokens.weight if self.lm_head is None else self.lm_head.weight
        return F.linear(x, w)


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
