#pragma once
// How each architecture's Hugging Face checkpoint maps onto its GGUF form: the config.json
// classes that name it, the config keys behind each GGUF hyper-parameter, and the tensor names.
// Adding an architecture to Hugging Face loading means one entry in hf_architectures.cpp (its
// GGUF tensor table is engine/model/arch_tensors.cpp).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace q8 {

// Llama's Q/K rows are permuted by converters so that RoPE rotates adjacent pairs (RopeStyle
// Normal): Query rows by the head count, Key rows by the key/value head count.
enum class HfPermute { None, Query, Key };

struct HfTensorName {
    std::string_view hf;    // model-wide: the full name; per layer: the name after the prefix
    std::string_view gguf;  // model-wide: the full name; per layer: the name after "blk.<i>."
    HfPermute permute = HfPermute::None;
    bool untied_only = false;  // the output head: absent when the embeddings are tied
    // GPTBigCode's c_attn: queries, then the key and value heads, in one projection (weight or
    // bias). Its rows are checked against the heads before anything else reads it.
    bool fused_qkv = false;
};

enum class HfValue { Int, Float };

struct HfConfigKey {
    std::string_view hf;    // config.json key
    std::string_view gguf;  // after "<arch>."
    HfValue type;
    bool required;
    // Absent: this multiple of embedding_length (GPTBigCode's n_inner defaults to 4 n_embd); 0 for
    // no default. embedding_length must come earlier in the table.
    int64_t embd_multiple = 0;
};

// A config.json switch the engine runs in one position only; `fallback` is transformers' default
// when the key is absent.
struct HfSwitch {
    std::string_view key;
    bool fallback;
    bool supported;
    std::string_view why;  // why the other position is refused
};

struct HfArchitecture {
    std::string_view gguf_name;                 // general.architecture
    std::span<const std::string_view> classes;  // config.json "architectures" entries
    std::span<const HfConfigKey> config;
    std::string_view activation_key;                // "hidden_act", or GPTBigCode's "activation_function"
    std::span<const std::string_view> activations;  // the values accepted (the first is the one run)
    bool tied_by_default;  // transformers' default for 'tie_word_embeddings' when config.json omits it
    bool rope;             // RoPE positions: rope.dimension_count written, 'rope_scaling' read
    int64_t kv_heads;      // a fixed key/value head count (multi-query GPTBigCode: 1); 0: from config
    std::span<const HfSwitch> switches;
    std::string_view layer_prefix;  // per-layer tensors: prefix + "<i>." + name
    std::span<const HfTensorName> globals;
    std::span<const HfTensorName> layer;

    // The config.json key written as `gguf` (after "<arch>."); empty when the table has none.
    std::string_view hf_key(std::string_view gguf) const;
};

// nullptr when no architecture lists `cls`.
const HfArchitecture* find_hf_architecture(std::string_view cls);
std::string hf_architecture_classes();  // "LlamaForCausalLM, ..." for messages

}  // namespace q8
