#pragma once
// Models as the app sees them: loading with options, progress and cancellation, and a value-type
// description of a model, read from its file before loading (for the memory it will need) or from
// a loaded model. The weights themselves stay behind the opaque Model.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace q8 {

struct Model;  // defined inside the engine (model/model.h)

// What the weight matrices of a model run as. Native: as stored in the file (Q8_0 and Q4_0 files
// are used directly; a file written by q8quant also says, under q8chat.quant.*, which activation
// mode and group size it was made for). F16/Q8/Q4: F32, F16 and BF16 matrices are converted in
// memory at load; norms and biases stay F32. A file that is already quantized (Q8_0, Q4_0,
// K-quants) loads as Q8 only if it is Q8_0 and as Q4 only if it is Q4_0, never requantized; any
// other request on such a file is refused with a message saying what the file holds.
enum class Precision { Native, F16, Q8, Q4 };

std::string_view precision_name(Precision p);   // "native", "fp16", "q8", "q4"
Precision parse_precision(std::string_view s);  // also accepts "f16"; throws EngineError

// How the activations (inputs) of the quantized layer matrices enter their products.
//   Auto:         Q4 runs Int8Blocks, Q8 runs Float (docs/quantization.md says why); Native follows
//                 the file's q8quant hint (int8: Int8PerToken with the file's static scales), else
//                 Float.
//   Float:        float activations: W8A16 (Q8_0 weights) and W4A16.
//   Int8PerToken: int8 with one scale per token, or the static per-layer scales a file written by
//                 `q8quant --act-policy auto` carries: W8A8 (per-channel int8 weights) and W4A8.
//   Int8Blocks:   int8 with one scale per block of 32 values, the weights' block granularity:
//                 W4A8 at W4A16's fidelity, and W8A8 on the Q8_0 weights themselves (converted or
//                 native). Q4 matrices whose rows are not a multiple of 128 run float activations.
enum class ActivationMode { Auto, Float, Int8PerToken, Int8Blocks };

std::string_view activation_mode_name(ActivationMode m);   // "auto", "a16", "a8", "a8b"
ActivationMode parse_activation_mode(std::string_view s);  // throws EngineError

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
    // Q8/Q4 (and quantized files loaded natively): float or int8 activations, see ActivationMode.
    ActivationMode activations = ActivationMode::Auto;

    // Non-empty: converted weights (F16/Q8/Q4 of a float file) are cached in this directory and
    // the next load with the same file and settings reads them instead of converting again (see
    // weight_cache.h; stale or damaged entries are rebuilt).
    std::string cache_dir;
};

// Loads a GGUF model. Throws EngineError with a specific message (file, tensor, key) for anything
// it cannot load, and "cancelled" when options.progress asked to stop.
std::shared_ptr<const Model> load_model(const std::string& path, const LoadOptions& options = {});

struct SpecialToken {
    int32_t id = -1;  // -1: the vocabulary has none
    std::string text;
};

struct SpecialTokens {
    SpecialToken bos, eos, eot, fim_prefix, fim_suffix, fim_middle;
    std::vector<int32_t> end_of_generation;  // every id that ends an answer
    bool adds_bos = false;                   // the tokenizer puts BOS in front of every prompt
};

struct ModelInfo {
    std::string path;
    std::string name;          // general.name, or the file name
    std::string architecture;  // general.architecture, e.g. "llama", "qwen2"
    int64_t n_vocab = 0, n_embd = 0, n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0, n_ff = 0;
    int64_t n_ctx_train = 0;
    int64_t parameters = 0;  // elements of every tensor in the file
    uint64_t file_bytes = 0;
    std::string file_type;      // tensor types in the file, e.g. "F16 x 154, F32 x 45"
    std::string tokenizer;      // e.g. "gpt2 (pre-tokenizer gpt-2)", "llama (SentencePiece)"
    std::string chat_template;  // tokenizer.chat_template, empty when the file has none
    SpecialTokens special;
    // Loaded models only: what the weights run as and their bytes in memory.
    std::string precision;
    uint64_t weight_bytes = 0;

    // Bytes of the KV cache for n_ctx positions (keys and values of every layer).
    uint64_t kv_cache_bytes(int64_t n_ctx, bool f32_cache = false) const;
};

// Reads the header and vocabulary only (no weights are mapped in): cheap enough to call before
// deciding to load. Throws EngineError for a file it cannot read.
ModelInfo read_model_info(const std::string& path);
ModelInfo model_info(const Model& model);

// What loading at `precision` will cost: the weights as they will run (the estimate load_model
// checks against available memory) plus the KV cache for n_ctx positions. Throws EngineError when
// the file cannot be loaded at that precision, with the reason loading would give.
struct MemoryEstimate {
    uint64_t weights = 0;
    uint64_t kv_cache = 0;
    uint64_t total() const { return weights + kv_cache; }
};
MemoryEstimate estimate_memory(const ModelInfo& info, Precision precision, int64_t n_ctx,
                               ActivationMode activations = ActivationMode::Auto);

}  // namespace q8
