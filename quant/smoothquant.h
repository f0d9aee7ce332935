#pragma once
// SmoothQuant (Xiao et al., 2023) for W8A8: per input channel j of a linear input X with weights W,
//     s_j = max|X_j|^alpha / max|W_j|^(1 - alpha),   X' = X / s,   W'[:, j] = W[:, j] * s_j,
// so X' W'^T = X W^T exactly, while X' has flatter channels (easier per-token int8) and W' takes
// the difference (per-output-channel int8 absorbs it well). Where each 1/s is folded:
//   attention input (Q, K, V)   into attn_norm's weight (the RMSNorm that produces X)
//   FFN input (gate, up)        into ffn_norm's weight
//   attention output (Wo)       into the rows of Wv (and bv): softmax-weighted sums of V rows are
//                               linear in V. Query heads sharing a KV head share the factor.
//   down projection input       into the rows of W_up: silu(gate) * (up / s) = (silu(gate) * up) / s
// All four folds are exact in real arithmetic and leave no extra operation at run time; the
// smoothed model is an ordinary model.
//
// alpha is chosen per layer and per input from a grid by the relative output error
// ||X W^T - Q8(X / s) Q8(W s)^T||^2 / ||X W^T||^2 on calibration samples, with "no smoothing"
// always a candidate (so calibration never makes the sampled error worse).
#include <array>
#include <optional>
#include <vector>

#include "calibration.h"
#include "float_model.h"
#include "model_config.h"
#include "thread_pool.h"

namespace q8::quant {

struct SmoothQuantOptions {
    std::vector<float> alpha_grid{0.f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f, 0.9f, 1.f};
    std::optional<float> alpha;  // one alpha for every input: no search
    bool smooth_attn_out = true;
    bool smooth_down = true;
    int n_threads = 0;
};

struct SmoothingChoice {
    bool smoothed = false;
    float alpha = 0.f;            // meaningful when smoothed
    double error = 0;             // relative output error with the chosen scales (W8A8)
    double error_unsmoothed = 0;  // the same without smoothing (naive W8A8)
    std::vector<float> scales;    // per input channel (empty when not smoothed)
};

struct SmoothingReport {
    std::vector<std::array<SmoothingChoice, kLinearInputs>> layers;
};

// Chooses and folds the factors into `layers` in place.
SmoothingReport smooth_quant(FloatLayers& layers, const ModelConfig& config, const CalibrationStats& stats,
                             const SmoothQuantOptions& options = {});

// s_j = a_j^alpha / w_j^(1 - alpha), 1 where either maximum is 0, clamped to [1e-5, 1e5].
std::vector<float> smoothing_scales(const std::vector<float>& act_max, const std::vector<float>& weight_max,
                                    float alpha);

// Folds per-channel factors for one input of one layer (see above); `s` has one value per input
// channel of that input (for the attention output, equal within each KV group).
void apply_smoothing(FloatLayer& layer, const ModelConfig& config, LinearInput input, const std::vector<float>& s);

// Relative W8A8 output error of the matrices of `input` on X (n rows), with the factors s applied
// (s empty: none).
double w8a8_output_error(const FloatLayer& layer, LinearInput input, const std::vector<float>& x, int64_t n,
                         const std::vector<float>& s, ThreadPool& pool);

// The same for any weight target (e.g. W4A8 groups), with activations quantized per token
// (act_scale 0) or with one static scale (act_scale > 0, applied to X / s).
double quantized_output_error(const FloatLayer& layer, LinearInput input, const std::vector<float>& x, int64_t n,
                              const std::vector<float>& s, const WeightTarget& target, float act_scale,
                              ThreadPool& pool);

}  // namespace q8::quant
