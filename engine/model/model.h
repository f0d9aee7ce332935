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

#include <q8/models.h>

#include "gguf_reader.h"
#include "model_config.h"
#include "tokenizer.h"
#include "weight_arena.h"
#include "weight_matrix.h"

namespace q8 {

// What an architecture does not have stays empty (rows == 0, or no values): the biases and
// LayerNorm biases, the fused wqkv (GPTBigCode; wq/wk/wv are empty then), w_gate (ungated FFNs).
struct LayerWeights {
    std::vector<float> attn_norm, attn_norm_b;
    WeightMatrix wq, wk, wv, wqkv, wo;
    std::vector<float> bq, bk, bv, bqkv, bo;
    std::vector<float> ffn_norm, ffn_norm_b;
    WeightMatrix w_gate, w_up, w_down;
    std::vector<float> b_up, b_down;
};

struct Model {
    std::unique_ptr<GgufFile> file;
    ModelConfig config;
    Tokenizer tokenizer;
    WeightMatrix token_embd{};
    WeightMatrix position_embd{};  // learned positions (GPTBigCode), one row per position; else empty
    std::vector<float> output_norm{};
    std::vector<float> output_norm_b{};      // LayerNorm architectures only
    WeightMatrix output{};                   // empty (rows == 0) when the embeddings are tied
    std::vector<float> rope_freq_factors{};  // Llama 3 long-context factors, one per rotated pair
    std::vector<LayerWeights> layers{};

    HugePageBuffer weight_arena{};  // the weight matrices' bytes (see weight_arena.h)

    std::string precision{};          // what the weights run as, e.g. "native", "q8 (W8A8)", "q4 g32 (W4A16)"
    bool weights_from_cache = false;  // converted weights came from LoadOptions::cache_dir

    const WeightMatrix& output_matrix() const { return output.rows > 0 ? output : token_embd; }
    size_t weight_bytes() const;                // bytes of all weights as used by the forward pass
    int64_t weight_count() const;               // parameters in the weight matrices, norms and biases
    std::string weight_format_summary() const;  // formats as loaded, e.g. "Q4G32 x 154, Q8_0 x 1"
};

// Bytes the weights of `f` will take in memory once loaded with `options` (what load_model checks
// against available memory).
uint64_t estimate_weight_bytes(const GgufFile& f, const LoadOptions& options);

}  // namespace q8
