#pragma once
// How each architecture's Hugging Face checkpoint maps onto its GGUF form: the config.json
// classes that name it, the config keys behind each GGUF hyper-parameter, and the tensor names.
// Adding an architecture to Hugging Face loading means one entry in hf_architectures.cpp (its
// GGUF tensor table is engine/model/arch_tensors.cpp).
#include <span>
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
};

enum class HfValue { Int, Float };

struct HfConfigKey {
    std::string_view hf;    // config.json key
    std::string_view gguf;  // after "<arch>."
    HfValue type;
    bool required;
};

struct HfArchitecture {
    std::string_view gguf_name;                 // general.architecture
    std::span<const std::string_view> classes;  // config.json "architectures" entries
    std::span<const HfConfigKey> config;
    std::string_view activation;    // the only hidden_act supported
    std::string_view layer_prefix;  // per-layer tensors: prefix + "<i>." + name
    std::span<const HfTensorName> globals;
    std::span<const HfTensorName> layer;
};

// nullptr when no architecture lists `cls`.
const HfArchitecture* find_hf_architecture(std::string_view cls);
std::string hf_architecture_classes();  // "LlamaForCausalLM, ..." for messages

}  // namespace q8
