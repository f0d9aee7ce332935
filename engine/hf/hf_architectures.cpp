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

constexpr std::array<std::string_view, 1> kLlamaClasses{"LlamaForCausalLM"};
constexpr std::array<std::string_view, 1> kQwen2Classes{"Qwen2ForCausalLM"};

const std::array<HfArchitecture, 2> kArchitectures{{
    {.gguf_name = "llama",
     .classes = kLlamaClasses,
     .config = kLlamaConfig,
     .activation = "silu",
     .layer_prefix = "model.layers.",
     .globals = kLlamaGlobals,
     .layer = kLlamaLayer},
    {.gguf_name = "qwen2",
     .classes = kQwen2Classes,
     .config = kLlamaConfig,
     .activation = "silu",
     .layer_prefix = "model.layers.",
     .globals = kLlamaGlobals,
     .layer = kQwen2Layer},
}};

}  // namespace

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
