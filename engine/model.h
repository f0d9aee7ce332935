#pragma once
// A loaded model: its file, hyper-parameters, tokenizer and weights. Weights in F32, F16, BF16,
// Q8_0 and Q4_0 are used in place from the memory map; K-quants are converted to F16 at load.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ggml_types.h"
#include "gguf_reader.h"
#include "model_config.h"
#include "tokenizer.h"

namespace q8 {

// One weight matrix y = W x with `rows` outputs and `cols` inputs; each row is `row_bytes` of
// blocks in `type`. Move-only, because `data` may point into `storage`.
struct WeightMatrix {
    GgmlType type = GgmlType::F32;
    int64_t rows = 0;
    int64_t cols = 0;
    size_t row_bytes = 0;
    const uint8_t* data = nullptr;
    std::vector<uint8_t> storage;  // owned bytes when the file's type was converted at load

    WeightMatrix() = default;
    WeightMatrix(WeightMatrix&&) noexcept = default;
    WeightMatrix& operator=(WeightMatrix&&) noexcept = default;
    WeightMatrix(const WeightMatrix&) = delete;
    WeightMatrix& operator=(const WeightMatrix&) = delete;

    const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
    size_t bytes() const { return static_cast<size_t>(rows) * row_bytes; }
};

struct LayerWeights {
    std::vector<float> attn_norm;
    WeightMatrix wq, wk, wv, wo;
    std::vector<float> bq, bk, bv;  // empty unless the architecture has QKV bias
    std::vector<float> ffn_norm;
    WeightMatrix w_gate, w_up, w_down;
};

struct Model {
    std::unique_ptr<GgufFile> file;
    ModelConfig config;
    Tokenizer tokenizer;
    WeightMatrix token_embd{};
    std::vector<float> output_norm{};
    WeightMatrix output{};  // empty (rows == 0) when the embeddings are tied
    std::vector<float> rope_freq_factors{};  // Llama 3 long-context factors, one per rotated pair
    std::vector<LayerWeights> layers{};

    const WeightMatrix& output_matrix() const { return output.rows > 0 ? output : token_embd; }
    size_t weight_bytes() const;      // bytes of all weights as used by the forward pass
    std::string tensor_type_summary() const;  // e.g. "F16 x 154, F32 x 45"
};

struct LoadOptions {
    // Called with the fraction loaded; returning false cancels the load (EngineError "cancelled").
    std::function<bool(float)> progress;
    // Refuse a model whose weights do not fit in available memory (with a message saying so).
    bool check_memory = true;
};

// Throws EngineError with a specific message (file, tensor, key) for anything it cannot load.
std::shared_ptr<const Model> load_model(const std::string& path, const LoadOptions& options = {});

// Bytes of memory the kernel reports as available (MemAvailable), or 0 when unknown.
uint64_t available_memory_bytes();

}  // namespace q8
