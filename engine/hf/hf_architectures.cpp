#include "hf_architectures.h"

#include <array>
#include <string>

namespace q8 {

namespace {

constexpr std::array<HfConfigKey, 9> kLlamaConfig{{
    {"vocab_size", "vocab_size", HfValue::Int, true},
    {"hidden_size", "embedding_length", HfValue::Int, true},
    {"num_hidden_layers", "block_count", HfValue::Int, true},
    {"intermediate_size", "feed_forward_length", HfValue::Int, true},
    {"num_attention_heads", "attention.head_count", HfValue::Int, true},
    {"num_key_value_heads", "attention.head_count_kv", HfValue::Int, false},
    {"max_position_embeddings", "context_length", HfValue::Int, false},
    {"rope_theta", "rope.freq_base", HfValue::Float, false},
    {"rms_norm_eps", "attention.layer_norm_rms_epsilon", HfValue::Float, false},
}};

constexpr std::array<HfTensorName, 3> kLlamaGlobals{{
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight", HfPermute::None, true},
}};

constexpr std::array<HfTensorName, 9> kLlamaLayer{{
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight", HfPermute::Query},
    {"self_attn.k_proj.weight", "attn_k.weight", HfPermute::Key},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
}};

constexpr std::array<HfTensorName, 12> kQwen2Layer{{
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
}};

// StarCoder2: Llama's names for the attention and the norms, all with biases (LayerNorm), and
// GPT-2's names for the ungated feed-forward.
constexpr std::array<HfConfigKey, 10> kStarcoder2Config{{
    {"vocab_size", "vocab_size", HfValue::Int, true},
    {"hidden_size", "embedding_length", HfValue::Int, true},
    {"num_hidden_layers", "block_count", HfValue::Int, true},
    {"intermediate_size", "feed_forward_length", HfValue::Int, true},
    {"num_attention_heads", "attention.head_count", HfValue::Int, true},
    {"num_key_value_heads", "attention.head_count_kv", HfValue::Int, false},
    {"max_position_embeddings", "context_length", HfValue::Int, false},
    {"rope_theta", "rope.freq_base", HfValue::Float, false},
    {"norm_epsilon", "attention.layer_norm_epsilon", HfValue::Float, false},
    {"sliding_window", "attention.sliding_window", HfValue::Int, false},  // null: none
}};

constexpr std::array<HfTensorName, 4> kStarcoder2Globals{{
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"model.norm.bias", "output_norm.bias"},
    {"lm_head.weight", "output.weight", HfPermute::None, true},
}};

constexpr std::array<HfTensorName, 16> kStarcoder2Layer{{
    {"input_layernorm.weight", "attn_norm.weight"},
    {"input_layernorm.bias", "attn_norm.bias"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.o_proj.bias", "attn_output.bias"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"post_attention_layernorm.bias", "ffn_norm.bias"},
    {"mlp.c_fc.weight", "ffn_up.weight"},
    {"mlp.c_fc.bias", "ffn_up.bias"},
    {"mlp.c_proj.weight", "ffn_down.weight"},
    {"mlp.c_proj.bias", "ffn_down.bias"},
}};

constexpr std::array<HfSwitch, 1> kStarcoder2Switches{{
    {"use_bias", true, true, "the engine's starcoder2 has a bias on every projection and norm"},
}};

// GPTBigCode keeps GPT-2's names: n_embd, n_layer, n_head, n_positions, n_inner. Its Linear layers
// are nn.Linear ([out, in], as GGUF wants them), not GPT-2's transposed Conv1D.
constexpr std::array<HfConfigKey, 7> kGptBigCodeConfig{{
    {"vocab_size", "vocab_size", HfValue::Int, true},
    {"n_embd", "embedding_length", HfValue::Int, true},
    {"n_layer", "block_count", HfValue::Int, true},
    {"n_inner", "feed_forward_length", HfValue::Int, false, 4},
    {"n_head", "attention.head_count", HfValue::Int, true},
    {"n_positions", "context_length", HfValue::Int, true},  // the rows of wpe
    {"layer_norm_epsilon", "attention.layer_norm_epsilon", HfValue::Float, false},
}};

constexpr std::array<HfTensorName, 5> kGptBigCodeGlobals{{
    {"transformer.wte.weight", "token_embd.weight"},
    {"transformer.wpe.weight", "position_embd.weight"},
    {"transformer.ln_f.weight", "output_norm.weight"},
    {"transformer.ln_f.bias", "output_norm.bias"},
    {"lm_head.weight", "output.weight", HfPermute::None, true},
}};

constexpr std::array<HfTensorName, 12> kGptBigCodeLayer{{
    {"ln_1.weight", "attn_norm.weight"},
    {"ln_1.bias", "attn_norm.bias"},
    {"attn.c_attn.weight", "attn_qkv.weight", HfPermute::None, false, true},
    {"attn.c_attn.bias", "attn_qkv.bias", HfPermute::None, false, true},
    {"attn.c_proj.weight", "attn_output.weight"},
    {"attn.c_proj.bias", "attn_output.bias"},
    {"ln_2.weight", "ffn_norm.weight"},
    {"ln_2.bias", "ffn_norm.bias"},
    {"mlp.c_fc.weight", "ffn_up.weight"},
    {"mlp.c_fc.bias", "ffn_up.bias"},
    {"mlp.c_proj.weight", "ffn_down.weight"},
    {"mlp.c_proj.bias", "ffn_down.bias"},
}};

// Multi-head GPTBigCode interleaves c_attn per head (q, k, v of head 0, then head 1, ...), which
// no converter reorders and no released checkpoint uses; attention without the 1/sqrt(head_dim)
// scale is not what the engine computes.
constexpr std::array<HfSwitch, 2> kGptBigCodeSwitches{{
    {"multi_query", true, true, "only multi-query GPTBigCode (one key/value head) is supported"},
    {"scale_attn_weights", true, true, "the engine scales attention scores by 1/sqrt(head_dim)"},
}};

constexpr std::array<std::string_view, 1> kLlamaClasses{"LlamaForCausalLM"};
constexpr std::array<std::string_view, 1> kQwen2Classes{"Qwen2ForCausalLM"};
constexpr std::array<std::string_view, 1> kStarcoder2Classes{"Starcoder2ForCausalLM"};
constexpr std::array<std::string_view, 1> kGptBigCodeClasses{"GPTBigCodeForCausalLM"};

constexpr std::array<std::string_view, 1> kSilu{"silu"};
// The released StarCoder checkpoints say "gelu" (the erf form); converters and the engine's GGUF
// path run the tanh approximation for every one of them, within 5e-4 of it per activation.
constexpr std::array<std::string_view, 3> kGelu{"gelu_pytorch_tanh", "gelu_new", "gelu"};

const std::array<HfArchitecture, 4> kArchitectures{{
    {.gguf_name = "llama",
     .classes = kLlamaClasses,
     .config = kLlamaConfig,
     .activation_key = "hidden_act",
     .activations = kSilu,
     .tied_by_default = false,
     .rope = true,
     .kv_heads = 0,
     .switches = {},
     .layer_prefix = "model.layers.",
     .globals = kLlamaGlobals,
     .layer = kLlamaLayer},
    {.gguf_name = "qwen2",
     .classes = kQwen2Classes,
     .config = kLlamaConfig,
     .activation_key = "hidden_act",
     .activations = kSilu,
     .tied_by_default = false,
     .rope = true,
     .kv_heads = 0,
     .switches = {},
     .layer_prefix = "model.layers.",
     .globals = kLlamaGlobals,
     .layer = kQwen2Layer},
    {.gguf_name = "starcoder2",
     .classes = kStarcoder2Classes,
     .config = kStarcoder2Config,
     .activation_key = "hidden_act",
     .activations = kGelu,
     .tied_by_default = true,
     .rope = true,
     .kv_heads = 0,
     .switches = kStarcoder2Switches,
     .layer_prefix = "model.layers.",
     .globals = kStarcoder2Globals,
     .layer = kStarcoder2Layer},
    {.gguf_name = "starcoder",
     .classes = kGptBigCodeClasses,
     .config = kGptBigCodeConfig,
     .activation_key = "activation_function",
     .activations = kGelu,
     .tied_by_default = true,
     .rope = false,
     .kv_heads = 1,
     .switches = kGptBigCodeSwitches,
     .layer_prefix = "transformer.h.",
     .globals = kGptBigCodeGlobals,
     .layer = kGptBigCodeLayer},
}};

}  // namespace

std::string_view HfArchitecture::hf_key(std::string_view gguf) const {
    for (const HfConfigKey& k : config) {
        if (k.gguf == gguf) return k.hf;
    }
    return {};
}

const HfArchitecture* find_hf_architecture(std::string_view cls) {
    for (const HfArchitecture& a : kArchitectures) {
        for (std::string_view c : a.classes) {
            if (c == cls) return &a;
        }
    }
    return nullptr;
}

std::string hf_architecture_classes() {
    std::string s;
    for (const HfArchitecture& a : kArchitectures) {
        for (std::string_view c : a.classes) s += (s.empty() ? "" : ", ") + std::string(c);
    }
    return s;
}

}  // namespace q8
