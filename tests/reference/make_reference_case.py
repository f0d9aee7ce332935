#!/usr/bin/python3
"""Build a tiny random-weight Llama, Qwen2, StarCoder2 or StarCoder (GPTBigCode) model, write it as
GGUF the way llama.cpp's convert_hf_to_gguf.py would, and record what the independent NumPy
reference computes for it.

Why it exists: end-to-end engine tests need a model whose correct output is known. The weights are
made in Hugging Face layout; `llama_reference.py` / `starcoder_reference.py` compute logits from that HF form, and only the
writer step here applies the converter's GGUF conventions (tensor names, reversed dims, the Q/K row
permutation for `llama`, rope_freqs for Llama-3 scaling). An engine that reads the GGUF and
reproduces the logits therefore agrees with Hugging Face, not merely with this script.

Output, in --out DIR:
  model.gguf     the model (+ a small byte-level BPE tokenizer, tokenizer.ggml.model = "gpt2")
  hf/            with --hf-shards N: the same model as a Hugging Face folder (config.json,
                 tokenizer.json, tokenizer_config.json, N safetensors shards and, for N > 1,
                 model.safetensors.index.json), weights stored as --dtype (f32 or f16) or --hf-dtype
  expected.json  {"arch", "tokens", "n_vocab", "greedy", "logits_file", "logits_shape", ...}
  logits.f32     raw little-endian float32 logits, row-major [n_tokens, n_vocab]

Usage:
  /usr/bin/python3 tests/reference/make_reference_case.py --arch llama --out /tmp/refcase_llama --seed 1
"""
from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections import Counter

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gguf_writer as gw  # noqa: E402
import hf_writer  # noqa: E402
import llama_reference  # noqa: E402
import starcoder_reference  # noqa: E402
from llama_reference import ModelConfig, greedy, identity, int8_blocks  # noqa: E402
from starcoder_reference import StarcoderConfig  # noqa: E402

ARCHS = llama_reference.ARCHS + starcoder_reference.ARCHS


def reference_for(cfg):
    """The reference module of cfg's architecture (weight_names, weight_shapes, forward)."""
    return starcoder_reference if cfg.arch in starcoder_reference.ARCHS else llama_reference

N_PROMPT = 12
N_GREEDY = 16

DTYPES = {"f32": gw.GGML_F32, "f16": gw.GGML_F16, "q8_0": gw.GGML_Q8_0, "q4_0": gw.GGML_Q4_0}
FILE_TYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q8_0": 7}   # llama_ftype: ALL_F32, MOSTLY_F16, ...

# Scaled-down Llama-3.1 style rope scaling (real models: factor 8, 1, 4, 8192). With head_dim 16
# and theta 1e4 the pairs fall in all three bands (unchanged / smoothed / divided by factor).
LLAMA3_FIXTURE_SCALING = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                          "high_freq_factor": 4.0, "original_max_position_embeddings": 64}


# ----------------------------------------------------------------------------------------------
# Converter conventions (llama.cpp convert_hf_to_gguf.py)
# ----------------------------------------------------------------------------------------------

def permute_qk(w: np.ndarray, n_head: int) -> np.ndarray:
    """The converter's LlamaModel.permute: per head, rows [h, t, j] (t in {0,1}, j < head_dim/2)
    move to [h, j, t]. So GGUF row h*hd + 2j   = HF row h*hd + j
                         GGUF row h*hd + 2j+1 = HF row h*hd + hd/2 + j
    i.e. HF's rotate_half partners (j, j+hd/2) become adjacent, and the GGUF consumer applies RoPE
    to adjacent pairs. Applied to q_proj with n_head, to k_proj with n_head_kv (also to q/k biases,
    had Llama any)."""
    if w.shape[0] % (2 * n_head):
        raise ValueError(f"{w.shape[0]} rows do not split into {n_head} heads of even size")
    hd = w.shape[0] // n_head
    return w.reshape(n_head, 2, hd // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def converter_rope_freqs(theta: float, head_dim: int, scaling: dict) -> np.ndarray:
    """rope_freqs.weight as convert_hf_to_gguf computes it for rope_type "llama3" (float32 math):
       freq_i = 1 / theta^(2i/d);  wavelen = 2*pi / freq_i
       factor_i = 1                     if wavelen < old_ctx / high_freq_factor
                = factor                if wavelen > old_ctx / low_freq_factor
                = 1 / ((1 - s)/factor + s), s = (old_ctx/wavelen - low)/(high - low), otherwise.
    The consumer divides each pair's angle by factor_i."""
    f32 = np.float32
    freqs = f32(1.0) / (f32(theta) ** (np.arange(0, head_dim, 2, dtype=np.float32) / f32(head_dim)))
    factor = f32(scaling["factor"])
    low, high = f32(scaling["low_freq_factor"]), f32(scaling["high_freq_factor"])
    old = f32(scaling["original_max_position_embeddings"])
    low_wavelen, high_wavelen = old / low, old / high
    out = []
    for fr in freqs.astype(np.float32):
        wavelen = f32(2 * math.pi) / fr
        if wavelen < high_wavelen:
            out.append(f32(1))
        elif wavelen > low_wavelen:
            out.append(factor)
        else:
            smooth = (old / wavelen - low) / (high - low)
            out.append(f32(1) / ((f32(1) - smooth) / factor + smooth))
    return np.array(out, dtype=np.float32)


def gguf_tensor_name(hf: str) -> str:
    """llama.cpp's tensor names (gguf-py tensor_mapping) for the HF names of all four architectures."""
    fixed = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
             "model.norm.bias": "output_norm.bias", "lm_head.weight": "output.weight",
             "transformer.wte.weight": "token_embd.weight", "transformer.wpe.weight": "position_embd.weight",
             "transformer.ln_f.weight": "output_norm.weight", "transformer.ln_f.bias": "output_norm.bias"}
    if hf in fixed:
        return fixed[hf]
    m = re.fullmatch(r"model\.layers\.(\d+)\.(.+)\.(weight|bias)", hf) or \
        re.fullmatch(r"transformer\.h\.(\d+)\.(.+)\.(weight|bias)", hf)
    if not m:
        raise KeyError(hf)
    sub = {"input_layernorm": "attn_norm", "ln_1": "attn_norm",
           "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
           "self_attn.o_proj": "attn_output", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output",
           "post_attention_layernorm": "ffn_norm", "ln_2": "ffn_norm",
           "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up", "mlp.down_proj": "ffn_down",
           "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down"}[m.group(2)]
    return f"blk.{m.group(1)}.{sub}.{m.group(3)}"


def is_matrix(shape: tuple) -> bool:
    """2-D weights take --dtype; norms and biases stay F32 (as in converted files)."""
    return len(shape) == 2


# ----------------------------------------------------------------------------------------------
# Tokenizer: byte-level BPE (GPT-2 style) trained on a fixed paragraph
# ----------------------------------------------------------------------------------------------

TRAINING_TEXT = (
    "The quick brown fox jumps over the lazy dog. A model reads the text one token at a time and "
    "predicts what comes next. When the weather is fine, the children play in the garden, and the "
    "old cat sleeps in the sun near the window. There are many ways to write a program, but the "
    "best ones are simple, clear and tested. In the morning we drink tea; in the evening we read "
    "books and talk about the day. Numbers such as 12, 345 and 2024 appear in the text as well. "
    "The engine runs on the processor, it loads the weights from the file and it writes the answer "
    "to the screen. Hello world! This is a small test of the tokenizer, the reader and the writer. "
    "Then the river ran through the town, under the bridge and into the sea, where the ships wait "
    "for the wind. She said that there is nothing better than a good story told on a long night."
)


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable unicode map (printable Latin-1 bytes map to themselves,
    the other 68 bytes to U+0100 upwards, in byte order)."""
    keep = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1))
            + list(range(ord("\xae"), ord("\xff") + 1)))
    mapping, extra = {}, 0
    for b in range(256):
        if b in keep:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + extra)
            extra += 1
    return mapping


def build_tokenizer(n_vocab: int) -> dict:
    """tokens: 256 byte symbols (id = byte value), then BPE merge results, then <|bos|>, <|eos|>."""
    if n_vocab < 260:
        raise ValueError("vocab must be at least 260 (256 bytes + merges + bos/eos)")
    b2u = bytes_to_unicode()
    tokens = [b2u[b] for b in range(256)]
    known = set(tokens)
    target = n_vocab - 2
    merges: list[str] = []
    words = Counter(re.findall(r" ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+", TRAINING_TEXT))
    corpus = {tuple(b2u[b] for b in w.encode("utf-8")): c for w, c in words.items()}
    while len(tokens) < target:
        pairs: Counter = Counter()
        for sym, c in corpus.items():
            for a, b in zip(sym, sym[1:]):
                pairs[(a, b)] += c
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merged = best[0] + best[1]
        merges.append(f"{best[0]} {best[1]}")
        if merged not in known:
            tokens.append(merged)
            known.add(merged)
        new_corpus = {}
        for sym, c in corpus.items():
            out, i = [], 0
            while i < len(sym):
                if i + 1 < len(sym) and (sym[i], sym[i + 1]) == best:
                    out.append(merged)
                    i += 2
                else:
                    out.append(sym[i])
                    i += 1
            new_corpus[tuple(out)] = new_corpus.get(tuple(out), 0) + c
        corpus = new_corpus
    # Larger vocabularies than the paragraph supports: pair up lowercase letters.
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    for a in letters:
        for b in letters:
            if len(tokens) >= target:
                break
            if a + b not in known:
                merges.append(f"{a} {b}")
                tokens.append(a + b)
                known.add(a + b)
    if len(tokens) < target:
        raise ValueError(f"cannot build {n_vocab} tokens")
    tokens += ["<|bos|>", "<|eos|>"]
    types = [1] * (n_vocab - 2) + [3, 3]
    return {"tokens": tokens, "token_type": types, "merges": merges,
            "bos": n_vocab - 2, "eos": n_vocab - 1}


def add_tokenizer(w: gw.GGUFWriter, tok: dict) -> None:
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "gpt-2")
    w.add_array("tokenizer.ggml.tokens", gw.STRING, tok["tokens"])
    w.add_array("tokenizer.ggml.token_type", gw.INT32, tok["token_type"])
    w.add_array("tokenizer.ggml.merges", gw.STRING, tok["merges"])
    w.add_u32("tokenizer.ggml.bos_token_id", tok["bos"])
    w.add_u32("tokenizer.ggml.eos_token_id", tok["eos"])


# ----------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------

def make_config(args):
    if args.dim % args.n_head:
        raise SystemExit("--dim must be a multiple of --n-head")
    n_head_kv = args.n_head_kv if args.n_head_kv is not None else (1 if args.arch == "starcoder" else 2)
    if args.arch in starcoder_reference.ARCHS:
        if args.rope_scaling != "none":
            raise SystemExit("--rope-scaling llama3 is only for --arch llama")
        if args.sliding_window is not None and args.arch != "starcoder2":
            raise SystemExit("--sliding-window is only for --arch starcoder2")
        if args.arch == "starcoder" and n_head_kv != 1:
            raise SystemExit("--arch starcoder is multi-query: --n-head-kv 1")
        theta = args.rope_base if args.rope_base is not None else 100000.0
        eps = args.eps if args.eps is not None else 1e-5
        return StarcoderConfig(
            arch=args.arch, vocab_size=args.vocab, hidden_size=args.dim, intermediate_size=args.ff,
            num_hidden_layers=args.layers, num_attention_heads=args.n_head, num_key_value_heads=n_head_kv,
            norm_epsilon=float(np.float32(eps)), rope_theta=float(np.float32(theta)),
            max_position_embeddings=args.ctx, tie_word_embeddings=args.tied, sliding_window=args.sliding_window)
    if args.sliding_window is not None:
        raise SystemExit("--sliding-window is only for --arch starcoder2")
    scaling = None
    if args.rope_scaling == "llama3":
        if args.arch != "llama":
            raise SystemExit("--rope-scaling llama3 is only for --arch llama")
        scaling = dict(LLAMA3_FIXTURE_SCALING)
    theta = args.rope_base if args.rope_base is not None else (10000.0 if args.arch == "llama" else 1000000.0)
    eps = args.eps if args.eps is not None else (1e-5 if args.arch == "llama" else 1e-6)
    return ModelConfig(
        arch=args.arch, vocab_size=args.vocab, hidden_size=args.dim, intermediate_size=args.ff,
        num_hidden_layers=args.layers, num_attention_heads=args.n_head,
        num_key_value_heads=n_head_kv,
        # The file stores these as float32; the reference uses exactly what the engine will read.
        rms_norm_eps=float(np.float32(eps)), rope_theta=float(np.float32(theta)),
        max_position_embeddings=args.ctx, tie_word_embeddings=args.tied, rope_scaling=scaling)


def make_weights(cfg, seed: int) -> dict[str, np.ndarray]:
    """Deterministic float32 HF-layout weights: Linear weights N(0, (1.5/sqrt(in))^2) (std 0.19
    for in=64, 0.12 for in=160), lm_head N(0, (2/sqrt(in))^2), token and position embeddings
    N(0, 0.3^2), norm weights 1 + N(0, 0.1^2), biases (LayerNorm's too) N(0, 0.1^2). Smaller scales (HF's 0.02 init) give nearly
    flat logits and greedy runs that repeat one token; these give logits with std ~2 and varied
    greedy continuations, which exercise the KV cache and positions much better."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in reference_for(cfg).weight_shapes(cfg).items():
        if name.endswith(".bias"):
            w = 0.1 * rng.standard_normal(shape)
        elif len(shape) == 1:
            w = 1.0 + 0.1 * rng.standard_normal(shape)
        elif name in ("model.embed_tokens.weight", "transformer.wte.weight", "transformer.wpe.weight"):
            w = 0.3 * rng.standard_normal(shape)
        elif name == "lm_head.weight":
            w = (2.0 / math.sqrt(shape[1])) * rng.standard_normal(shape)
        else:
            w = (1.5 / math.sqrt(shape[1])) * rng.standard_normal(shape)
        out[name] = w.astype(np.float32)
    return out


def stored_types(cfg, dtype: str) -> dict[str, int]:
    shapes = reference_for(cfg).weight_shapes(cfg)
    return {n: (DTYPES[dtype] if is_matrix(s) else gw.GGML_F32) for n, s in shapes.items()}


def effective_weights(weights: dict, types: dict) -> dict[str, np.ndarray]:
    """What a reader of the file sees (f16 / Q8_0 / Q4_0 rounding), in HF layout."""
    return {n: gw.roundtrip(w, types[n]) for n, w in weights.items()}


def add_starcoder_hparams(w: gw.GGUFWriter, cfg: StarcoderConfig) -> None:
    """The keys the converter writes for these architectures: no vocab_size (the embedding table
    says it), LayerNorm's epsilon, RoPE's base only for starcoder2, head_count_kv 1 for starcoder."""
    a = cfg.arch
    w.add_u32(f"{a}.context_length", cfg.max_position_embeddings)
    w.add_u32(f"{a}.embedding_length", cfg.hidden_size)
    w.add_u32(f"{a}.feed_forward_length", cfg.intermediate_size)
    w.add_u32(f"{a}.block_count", cfg.num_hidden_layers)
    w.add_u32(f"{a}.attention.head_count", cfg.num_attention_heads)
    w.add_u32(f"{a}.attention.head_count_kv", cfg.num_key_value_heads)
    if a == "starcoder2":
        w.add_f32(f"{a}.rope.freq_base", cfg.rope_theta)
        if cfg.sliding_window is not None:
            w.add_u32(f"{a}.attention.sliding_window", cfg.sliding_window)
    w.add_f32(f"{a}.attention.layer_norm_epsilon", cfg.norm_epsilon)


def write_model_gguf(path: str, cfg, weights: dict, types: dict, tok: dict,
                     dtype: str, name: str) -> None:
    a = cfg.arch
    w = gw.GGUFWriter(path)
    w.add_string("general.architecture", a)
    w.add_string("general.name", name)
    w.add_u32("general.file_type", FILE_TYPES[dtype])
    w.add_u32("general.quantization_version", 2)
    if a in starcoder_reference.ARCHS:
        add_starcoder_hparams(w, cfg)
        add_tokenizer(w, tok)
        for hf in reference_for(cfg).weight_names(cfg):
            w.add_tensor(gguf_tensor_name(hf), weights[hf], types[hf])
        w.write()
        return
    w.add_u32(f"{a}.vocab_size", cfg.vocab_size)
    w.add_u32(f"{a}.context_length", cfg.max_position_embeddings)
    w.add_u32(f"{a}.embedding_length", cfg.hidden_size)
    w.add_u32(f"{a}.block_count", cfg.num_hidden_layers)
    w.add_u32(f"{a}.feed_forward_length", cfg.intermediate_size)
    w.add_u32(f"{a}.attention.head_count", cfg.num_attention_heads)
    w.add_u32(f"{a}.attention.head_count_kv", cfg.num_key_value_heads)
    w.add_f32(f"{a}.rope.freq_base", cfg.rope_theta)
    w.add_f32(f"{a}.attention.layer_norm_rms_epsilon", cfg.rms_norm_eps)
    w.add_u32(f"{a}.rope.dimension_count", cfg.head_dim)
    add_tokenizer(w, tok)

    if cfg.rope_scaling:
        w.add_tensor("rope_freqs.weight",
                     converter_rope_freqs(cfg.rope_theta, cfg.head_dim, cfg.rope_scaling), gw.GGML_F32)
    for hf in llama_reference.weight_names(cfg):
        data = weights[hf]
        if cfg.arch == "llama" and (".q_proj." in hf or ".k_proj." in hf):
            n = cfg.num_attention_heads if ".q_proj." in hf else cfg.num_key_value_heads
            data = permute_qk(data, n)
        w.add_tensor(gguf_tensor_name(hf), data, types[hf])
    w.write()


def hf_config(cfg, tok: dict, dtype: str) -> dict:
    """config.json as transformers writes it for the architecture. Tied StarCoder models leave
    tie_word_embeddings out (transformers' default for them is tied), and StarCoder leaves n_inner
    out when it is the default 4 * n_embd, so folders exercise both defaults."""
    common = {"vocab_size": cfg.vocab_size, "bos_token_id": tok["bos"], "eos_token_id": tok["eos"],
              "torch_dtype": {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[dtype]}
    if cfg.arch == "starcoder":
        c = {"architectures": ["GPTBigCodeForCausalLM"], "model_type": "gpt_bigcode",
             "activation_function": "gelu_pytorch_tanh", "n_embd": cfg.hidden_size, "n_layer": cfg.num_hidden_layers,
             "n_head": cfg.num_attention_heads, "n_positions": cfg.max_position_embeddings,
             "layer_norm_epsilon": cfg.norm_epsilon, "multi_query": True, "scale_attn_weights": True}
        if cfg.intermediate_size != 4 * cfg.hidden_size:
            c["n_inner"] = cfg.intermediate_size
    elif cfg.arch == "starcoder2":
        c = {"architectures": ["Starcoder2ForCausalLM"], "model_type": "starcoder2", "hidden_act": "gelu_pytorch_tanh",
             "hidden_size": cfg.hidden_size, "intermediate_size": cfg.intermediate_size,
             "num_hidden_layers": cfg.num_hidden_layers, "num_attention_heads": cfg.num_attention_heads,
             "num_key_value_heads": cfg.num_key_value_heads, "max_position_embeddings": cfg.max_position_embeddings,
             "norm_epsilon": cfg.norm_epsilon, "rope_theta": cfg.rope_theta, "use_bias": True,
             "sliding_window": cfg.sliding_window}
    else:
        c = {"architectures": ["LlamaForCausalLM" if cfg.arch == "llama" else "Qwen2ForCausalLM"],
             "model_type": cfg.arch, "hidden_act": "silu", "hidden_size": cfg.hidden_size,
             "intermediate_size": cfg.intermediate_size, "num_hidden_layers": cfg.num_hidden_layers,
             "num_attention_heads": cfg.num_attention_heads, "num_key_value_heads": cfg.num_key_value_heads,
             "max_position_embeddings": cfg.max_position_embeddings, "rms_norm_eps": cfg.rms_norm_eps,
             "rope_theta": cfg.rope_theta, "rope_scaling": cfg.rope_scaling,
             "tie_word_embeddings": cfg.tie_word_embeddings}
    if cfg.arch in starcoder_reference.ARCHS and not cfg.tie_word_embeddings:
        c["tie_word_embeddings"] = False
    return {**c, **common}


def write_hf_folder(out: str, cfg, weights: dict, tok: dict, dtype: str, shards: int) -> None:
    """The checkpoint as Hugging Face stores it: HF tensor names and layout (no permutation; StarCoder's
    fused c_attn as it is)."""
    os.makedirs(out, exist_ok=True)
    hf_writer.write_json(os.path.join(out, "config.json"), hf_config(cfg, tok, dtype))
    names = reference_for(cfg).weight_names(cfg)
    dtypes = {n: (dtype if is_matrix(weights[n].shape) else "f32") for n in names}
    hf_writer.write_checkpoint(out, {n: weights[n] for n in names}, dtypes, shards)
    doc = hf_writer.tokenizer_json(tok["tokens"], tok["token_type"], "bpe", merges=tok["merges"])
    hf_writer.write_json(os.path.join(out, "tokenizer.json"), doc)
    hf_writer.write_json(os.path.join(out, "tokenizer_config.json"),
                         {"bos_token": tok["tokens"][tok["bos"]], "eos_token": tok["tokens"][tok["eos"]],
                          "add_bos_token": False, "add_eos_token": False})


def prompt_tokens(n_vocab: int, bos: int) -> list[int]:
    """Fixed prompt: BOS then 11 ids spread over bytes and merged tokens."""
    return [bos] + [(17 + 29 * i) % (n_vocab - 2) for i in range(N_PROMPT - 1)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", choices=ARCHS, required=True)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--tied", action="store_true", help="no output.weight; token_embd is the output")
    ap.add_argument("--n-head", type=int, default=4)
    ap.add_argument("--n-head-kv", type=int, default=None, help="default 1 for starcoder, else 2")
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--ff", type=int, default=160)
    ap.add_argument("--vocab", type=int, default=300)
    ap.add_argument("--rope-scaling", choices=["none", "llama3"], default="none")
    ap.add_argument("--rope-base", type=float, default=None, help="default 1e4 llama, 1e6 qwen2, 1e5 starcoder2")
    ap.add_argument("--eps", type=float, default=None, help="default 1e-6 qwen2, else 1e-5")
    ap.add_argument("--dtype", choices=list(DTYPES), default="f32",
                    help="type of the 2-D weights (norms and biases are always f32)")
    ap.add_argument("--ctx", type=int, default=128)
    ap.add_argument("--sliding-window", type=int, default=None,
                    help="starcoder2: each position attends to this many positions, itself included")
    ap.add_argument("--hf-shards", type=int, default=0, help="also write the model as a Hugging Face folder "
                    "(DIR/hf) in this many safetensors shards")
    ap.add_argument("--hf-dtype", choices=["f32", "f16", "bf16"], default=None,
                    help="type of the folder's 2-D weights (default: --dtype; the expected logits then use it)")
    ap.add_argument("--act-blocks", action="store_true",
                    help="expected logits for W4A8 with int8 activation blocks (the engine's default Q4)")
    args = ap.parse_args(argv)

    cfg = make_config(args)
    if args.dtype in ("q8_0", "q4_0") and (cfg.hidden_size % 32 or cfg.intermediate_size % 32
                                          or (cfg.num_attention_heads * cfg.head_dim) % 32):
        raise SystemExit("quantised types need --dim, --ff and n_head*head_dim multiples of 32")
    if N_PROMPT + N_GREEDY > cfg.max_position_embeddings:
        raise SystemExit("--ctx too small")
    os.makedirs(args.out, exist_ok=True)

    tok = build_tokenizer(cfg.vocab_size)
    weights = make_weights(cfg, args.seed)
    types = stored_types(cfg, args.dtype)
    eff = effective_weights(weights, types)

    if args.hf_shards > 0:
        hf_dtype = args.hf_dtype or args.dtype
        if hf_dtype not in ("f32", "f16", "bf16"):
            raise SystemExit("--hf-shards needs --dtype f32/f16 or --hf-dtype")
        write_hf_folder(os.path.join(args.out, "hf"), cfg, weights, tok, hf_dtype, args.hf_shards)
        if hf_dtype == "bf16":   # the logits expected are those of the folder's weights
            eff = {n: (hf_writer.from_bf16(hf_writer.to_bf16(w)) if is_matrix(w.shape) else w)
                   for n, w in weights.items()}

    name = f"q8chat-reference-{cfg.arch}-seed{args.seed}"
    write_model_gguf(os.path.join(args.out, "model.gguf"), cfg, weights, types, tok, args.dtype, name)

    prompt = prompt_tokens(cfg.vocab_size, tok["bos"])
    act = int8_blocks if args.act_blocks else identity
    fwd = reference_for(cfg).forward
    logits = fwd(cfg, eff, prompt, act=act)
    new_ids, min_gap = greedy(cfg, eff, prompt, N_GREEDY, act=act, fwd=fwd)

    logits_path = os.path.join(args.out, "logits.f32")
    tmp = logits_path + ".tmp"
    logits.astype("<f4").tofile(tmp)
    os.replace(tmp, logits_path)

    expected = {
        "arch": cfg.arch,
        "tokens": prompt,
        "n_vocab": cfg.vocab_size,
        "greedy": new_ids,
        "logits_file": "logits.f32",
        "logits_shape": [len(prompt), cfg.vocab_size],
        # Extras, for diagnostics:
        "greedy_min_margin": min_gap,
        "bos_token_id": tok["bos"],
        "eos_token_id": tok["eos"],
        "seed": args.seed,
        "dtype": args.dtype,
        "activations": "int8-blocks" if args.act_blocks else "float",
        "config": cfg.to_dict(),
    }
    jpath = os.path.join(args.out, "expected.json")
    with open(jpath + ".tmp", "w") as f:   # one key per line, values compact
        f.write("{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in expected.items())
                + "\n}\n")
    os.replace(jpath + ".tmp", jpath)
    print(f"{args.out}: {cfg.arch} dtype={args.dtype} tied={cfg.tie_word_embeddings} "
          f"logits std {logits.std():.3f}, greedy {new_ids}, min top-2 margin {min_gap:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
