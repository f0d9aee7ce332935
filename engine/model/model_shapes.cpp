#include "model_shapes.h"

#include <array>

namespace q8 {

namespace {

// From each model's config.json (hidden_size, num_hidden_layers, num_attention_heads,
// num_key_value_heads, intermediate_size, vocab_size, max_position_embeddings, rope_theta,
// rms_norm_eps, tie_word_embeddings, rope_scaling). Qwen2.5-1.5B is the base model (131072
// positions; its Instruct variant says 32768). StarCoderBase-1B is GPTBigCode (n_embd, n_layer,
// n_head, multi_query, n_inner = 4 n_embd, n_positions, layer_norm_epsilon; lm_head tied to wte).
const std::array<ModelShape, 10> kShapes{{
    {.name = "tinyllama-1.1b",
     .title = "TinyLlama-1.1B (synthetic random weights)",
     .arch = "llama",
     .n_embd = 2048,
     .n_layer = 22,
     .n_head = 32,
     .n_head_kv = 4,
     .n_ff = 5632,
     .n_vocab = 32000,
     .n_ctx = 2048,
     .rope_base = 10000.f,
     .norm_eps = 1e-5f,
     .tied = false},
    {.name = "llama-3.2-1b",
     .title = "Llama-3.2-1B (synthetic random weights)",
     .arch = "llama",
     .n_embd = 2048,
     .n_layer = 16,
     .n_head = 32,
     .n_head_kv = 8,
     .n_ff = 8192,
     .n_vocab = 128256,
     .n_ctx = 131072,
     .rope_base = 500000.f,
     .norm_eps = 1e-5f,
     .tied = true,
     .rope_scaling =
         Llama3RopeScaling{
             .factor = 32.0, .low_freq_factor = 1.0, .high_freq_factor = 4.0, .original_context = 8192.0}},
    {.name = "qwen2.5-0.5b",
     .title = "Qwen2.5-0.5B (synthetic random weights)",
     .arch = "qwen2",
     .n_embd = 896,
     .n_layer = 24,
     .n_head = 14,
     .n_head_kv = 2,
     .n_ff = 4864,
     .n_vocab = 151936,
     .n_ctx = 32768,
     .rope_base = 1000000.f,
     .norm_eps = 1e-6f,
     .tied = true},
    {.name = "qwen2.5-1.5b",
     .title = "Qwen2.5-1.5B (synthetic random weights)",
     .arch = "qwen2",
     .n_embd = 1536,
     .n_layer = 28,
     .n_head = 12,
     .n_head_kv = 2,
     .n_ff = 8960,
     .n_vocab = 151936,
     .n_ctx = 131072,
     .rope_base = 1000000.f,
     .norm_eps = 1e-6f,
     .tied = true},
    {.name = "starcoderbase-1b",
     .title = "StarCoderBase-1B (synthetic random weights)",
     .arch = "starcoder",
     .n_embd = 2048,
     .n_layer = 24,
     .n_head = 16,
     .n_head_kv = 1,
     .n_ff = 8192,
     .n_vocab = 49152,
     .n_ctx = 8192,
     .rope_base = 10000.f,  // not used: learned positions
     .norm_eps = 1e-5f,
     .tied = true},
    // The vocabulary size of the llama-spm test fixture, so tests can copy it in.
    {.name = "tiny-llama-test",
     .title = "tiny llama test model (synthetic random weights)",
     .arch = "llama",
     .n_embd = 64,
     .n_layer = 2,
     .n_head = 4,
     .n_head_kv = 2,
     .n_ff = 128,
     .n_vocab = 32000,
     .n_ctx = 512,
     .rope_base = 10000.f,
     .norm_eps = 1e-5f,
     .tied = false,
     .for_tests = true},
    // tiny-llama-test widened with its head size kept: the target shape of embedding tests.
    {.name = "tiny-llama-test-wide",
     .title = "tiny llama test model, wide (synthetic random weights)",
     .arch = "llama",
     .n_embd = 128,
     .n_layer = 3,
     .n_head = 8,
     .n_head_kv = 2,
     .n_ff = 256,
     .n_vocab = 32000,
     .n_ctx = 512,
     .rope_base = 10000.f,
     .norm_eps = 1e-5f,
     .tied = false,
     .for_tests = true},
    // The built-in demo target's head size and query-to-key/value ratio, with every other
    // dimension larger: the target shape of the demo's embedding test.
    {.name = "demo-wide-test",
     .title = "demo-sized llama test model, wide (synthetic random weights)",
     .arch = "llama",
     .n_embd = 640,
     .n_layer = 8,
     .n_head = 10,
     .n_head_kv = 5,
     .n_ff = 1536,
     .n_vocab = 6016,
     .n_ctx = 512,
     .rope_base = 10000.f,
     .norm_eps = 1e-5f,
     .tied = false,
     .for_tests = true},
    // Qwen2.5's vocabulary size, so a smaller vocabulary is padded as for the real shapes.
    {.name = "tiny-qwen2-test",
     .title = "tiny qwen2 test model (synthetic random weights)",
     .arch = "qwen2",
     .n_embd = 64,
     .n_layer = 2,
     .n_head = 4,
     .n_head_kv = 2,
     .n_ff = 128,
     .n_vocab = 151936,
     .n_ctx = 512,
     .rope_base = 1000000.f,
     .norm_eps = 1e-6f,
     .tied = true,
     .for_tests = true},
    {.name = "tiny-starcoder-test",
     .title = "tiny starcoder test model (synthetic random weights)",
     .arch = "starcoder",
     .n_embd = 64,
     .n_layer = 2,
     .n_head = 4,
     .n_head_kv = 1,
     .n_ff = 256,
     .n_vocab = 49152,
     .n_ctx = 512,
     .rope_base = 10000.f,
     .norm_eps = 1e-5f,
     .tied = true,
     .for_tests = true},
}};

}  // namespace

std::span<const ModelShape> model_shapes() { return kShapes; }

const ModelShape* find_model_shape(std::string_view name) {
    for (const ModelShape& s : kShapes) {
        if (s.name == name) return &s;
    }
    return nullptr;
}

std::string model_shape_names() {
    std::string s;
    for (const ModelShape& shape : kShapes) {
        if (!s.empty()) s += ", ";
        s += shape.name;
        if (shape.for_tests) s += " (for tests)";
    }
    return s;
}

}  // namespace q8
