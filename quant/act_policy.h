#pragma once
// Per-layer activation quantization policy for int8 activations (W4A8, W8A8), in the spirit of
// FPTQ (Li et al., 2023): each linear input of each layer is quantized either with one static
// per-tensor scale fixed at calibration (max |x| over the calibration tokens / 127; no per-token
// pass at run time) or dynamically per token. The choice is made from the input's range: the
// output error of both modes is measured on the calibration samples, and static is chosen when its
// error is within `tolerance` times the dynamic one. Inputs whose range varies a lot between tokens
// (outlier tokens, e.g. the first one) therefore stay dynamic. Outlier smoothing, where it helps, is
// SmoothQuant (smoothquant.h) applied before this choice.
#include <array>
#include <string>
#include <vector>

#include "calibration.h"
#include "float_model.h"
#include "thread_pool.h"

namespace q8::quant {

struct ActPolicyChoice {
    bool is_static = false;
    float static_scale = 0.f;  // the calibrated scale (also when dynamic was chosen)
    double error_dynamic = 0, error_static = 0;
    float range_ratio = 0;  // max over tokens of max|x| / median over tokens (from the samples)
};

struct ActPolicyReport {
    std::vector<std::array<ActPolicyChoice, kLinearInputs>> layers;
    // Per layer, 4 values (attn, attn_out, ffn, down): the static scale, 0 where dynamic. The layout
    // of the q8chat.quant.act_static_scale key.
    std::vector<float> static_scales() const;
    std::string summary() const;  // e.g. "static 17 / dynamic 11"
};

// `layers` must already hold any smoothing that will be used (the samples are divided by
// `smoothing` scales where given: smoothing[l][i], empty = none).
ActPolicyReport choose_activation_policy(
    const FloatLayers& layers, const CalibrationStats& stats, const WeightTarget& target,
    const std::vector<std::array<std::vector<float>, kLinearInputs>>& smoothing = {}, double tolerance = 1.25,
    int n_threads = 0);

}  // namespace q8::quant
