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

#include "ggml_types.h"
#include "gguf_reader.h"
#include "model_config.h"
#include "tokenizer.h"
#include "weight_arena.h"

namespace q8 {

// How the rows of a WeightMatrix are laid out. Ggml: blocks of `type` exactly as in GGUF. The
// others are defined in quant/formats.h: Q4Group / Q4GroupAsym are group-wise 4-bit (group 32 is
// byte-for-byte Q4_0 / Q4_1), I8Row is int8 with one scale per row (W8A8 weights). Q4Split /
// Q4SplitAsym hold the same groups with codes and scales apart (quant/formats.h "split"): the
// arrangement Q4 matrices are repacked into at load when their rows allow it.
enum class WeightLayout : uint8_t { Ggml, Q4Group, Q4GroupAsym, I8Row, Q4Split, Q4SplitAsym };

// One weight matrix y = W x with `rows` outputs and `cols` inputs; each row is `row_bytes` of
// blocks in `type` (or in `layout`). Move-only, because `data` may point into `storage`.
struct WeightMatrix {
    GgmlType type = GgmlType::F32;
    int64_t rows = 0;
    int64_t cols = 0;
    size_t row_bytes = 0;
    const uint8_t* data = nullptr;
    std::vector<uint8_t> storage;  // owned bytes when the file's type was converted at load
    WeightLayout layout = WeightLayout::Ggml;
    uint32_t group = 0;             // Q4Group / Q4GroupAsym: values per group (32, 64, 128)
    bool int8_activations = false;  // quantize each input token to int8 (W8A8 / W4A8)
    float act_scale = 0.f;          // int8 activations: 0 = per token (dynamic); > 0 = one static
                                    // per-tensor scale from calibration (values beyond clip)
    std::vector<float> row_scale;   // I8Row: scale of each row
    std::vector<int32_t> row_sum;   // I8Row: sum of each row's int8 values

    WeightMatrix() = default;
    WeightMatrix(WeightMatrix&&) noexcept = default;
    WeightMatrix& operator=(WeightMatrix&&) noexcept = default;
    WeightMatrix(const WeightMatrix&) = delete;
    WeightMatrix& operator=(const WeightMatrix&) = delete;

    const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
    size_t bytes() const { return static_cast<size_t>(rows) * row_bytes + row_scale.size() * 4 + row_sum.size() * 4; }
    std::string format_name() const;  // e.g. "F16", "Q8_0", "Q4G64", "Q4GA32", "I8 row"
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
