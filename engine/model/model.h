#pragma once
// A loaded model: its file, hyper-parameters, tokenizer and weights. Weights in F32, F16, BF16,
// Q8_0 and Q4_0 are used in place from the memory map; K-quants are converted to F16 at load.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gguf_reader.h"
#include "model_config.h"
#include "tokenizer.h"
#include "weight_arena.h"
#include "weight_matrix.h"

namespace q8 {

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
    WeightMatrix output{};                   // empty (rows == 0) when the embeddings are tied
    std::vector<float> rope_freq_factors{};  // Llama 3 long-context factors, one per rotated pair
    std::vector<LayerWeights> layers{};

    HugePageBuffer weight_arena{};  // the weight matrices' bytes (see weight_arena.h)

    std::string precision{};          // what the weights run as, e.g. "native", "q8 (W8A8)", "q4 g32 (W4A16)"
    bool weights_from_cache = false;  // converted weights came from LoadOptions::cache_dir

    const WeightMatrix& output_matrix() const { return output.rows > 0 ? output : token_embd; }
    size_t weight_bytes() const;                // bytes of all weights as used by the forward pass
    int64_t weight_count() const;               // parameters in the weight matrices, norms and biases
    std::string tensor_type_summary() const;    // e.g. "F16 x 154, F32 x 45"
    std::string weight_format_summary() const;  // formats as loaded, e.g. "Q4G32 x 154, Q8_0 x 1"
};

// What the weight matrices of a model run as. Native: as stored in the file (Q8_0 and Q4_0 files
// are used directly; a file written by q8quant also says, under q8chat.quant.*, which activation
// mode and group size it was made for). F16/Q8/Q4: F32, F16 and BF16 matrices are converted in
// memory at load; norms and biases stay F32. A file that is already quantized (Q8_0, Q4_0,
// K-quants) loads as Q8 only if it is Q8_0 and as Q4 only if it is Q4_0, never requantized; any
// other request on such a file is refused with a message saying what the file holds.
enum class Precision { Native, F16, Q8, Q4 };

std::string_view precision_name(Precision p);   // "native", "fp16", "q8", "q4"
Precision parse_precision(std::string_view s);  // also accepts "f16"; throws EngineError

struct LoadOptions {
    // Called with the fraction loaded; returning false cancels the load (EngineError "cancelled").
    // During quantize-at-load it is called at least every few MiB of weights.
    std::function<bool(float)> progress;
    // Refuse a model whose weights do not fit in available memory (with a message saying so).
    bool check_memory = true;

    Precision precision = Precision::Native;
    // Q4: values per scale (32, 64 or 128) and whether each group also has a minimum (f16 scale +
    // f16 min, "asymmetric"). Group 32 symmetric is exactly Q4_0.
    int q4_group = 32;
    bool q4_asymmetric = false;
    // Q8/Q4: quantize activations to int8 per token at run time (W8A8 with per-output-channel int8
    // weights for Q8, W4A8 for Q4). Off: float activations (Q8 weights are then Q8_0 blocks).
    bool int8_activations = false;

    // Non-empty: converted weights (F16/Q8/Q4 of a float file) are cached in this directory and
    // the next load with the same file and settings reads them instead of converting again (see
    // weight_cache.h; stale or damaged entries are rebuilt).
    std::string cache_dir;
};

// Throws EngineError with a specific message (file, tensor, key) for anything it cannot load.
std::shared_ptr<const Model> load_model(const std::string& path, const LoadOptions& options = {});

// Bytes of memory the kernel reports as available (MemAvailable), or 0 when unknown.
uint64_t available_memory_bytes();

}  // namespace q8
