#pragma once
// The model shapes `q8bench synth` can write: the hyper-parameters of real checkpoints as their
// config.json publishes them, so a random-weight file has exactly the tensors, bytes and memory
// traffic of the real model.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace q8 {

// Llama 3's long-context RoPE rescaling (rope_scaling with rope_type "llama3" in config.json),
// which converters store as the rope_freqs.weight tensor.
struct Llama3RopeScaling {
    double factor;
    double low_freq_factor;
    double high_freq_factor;
    double original_context;
};

struct ModelShape {
    std::string_view name;   // the --shape value
    std::string_view title;  // general.name of the written file
    std::string_view arch;   // general.architecture; its tensors come from the engine's table (arch_tensors.h)
    int64_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_vocab, n_ctx;
    float rope_base, norm_eps;
    bool tied;  // no output.weight: the token embedding is the output head
    std::optional<Llama3RopeScaling> rope_scaling{};
    bool for_tests = false;  // tiny shapes that keep test suites fast

    int64_t head_dim() const { return n_embd / n_head; }
};

std::span<const ModelShape> model_shapes();
const ModelShape* find_model_shape(std::string_view name);
// "tinyllama-1.1b, llama-3.2-1b, ..." for help texts and errors.
std::string model_shape_names();

}  // namespace q8
