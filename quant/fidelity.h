#pragma once
// The fidelity report: one model in several precisions over one text, each variant's perplexity
// (quant/perplexity.h rule), change against FP16, weight size, bits per weight and top-1
// agreement with FP16 on every scored position. Variants are built in memory from the same float
// weights with the formats quantize-at-load uses, so the table compares formats, not files.
#include <optional>
#include <string>
#include <vector>

#include "calibration.h"
#include "model.h"
#include "perplexity.h"

namespace q8::quant {

// Variant names: fp16, q8 (W8A16 Q8_0), q8-a8 (W8A8 per-channel, naive), q8-sq (W8A8 with
// SmoothQuant; needs calibration tokens), q4 (g32 W4A16 = Q4_0), q4-g64, q4-g128, q4-asym
// (g32 with minimum), q4-a8 (g32 W4A8).
const std::vector<std::string>& fidelity_variant_names();

struct FidelityOptions {
    std::vector<std::string> variants{"fp16", "q8", "q8-a8", "q8-sq", "q4", "q4-g128", "q4-asym", "q4-a8"};
    PerplexityOptions ppl;
    std::vector<int32_t> calibration;  // tokens for q8-sq (skipped when empty)
    CalibrationOptions calib_options;
    std::optional<float> sq_alpha;
    float outlier_factor = 0.f;  // > 0: the ablation model (inject_outlier_channels)
    std::vector<int64_t> outlier_channels;
    std::function<void(const std::string& variant)> on_variant;
};

struct FidelityRow {
    std::string variant, description;
    double ppl = 0, delta_pct = 0, top1_agreement = 0, bits_per_weight = 0, seconds = 0;
    uint64_t weight_bytes = 0;
    int64_t scored = 0;
};

// The first variant is the reference for delta and agreement (fp16 by default).
std::vector<FidelityRow> fidelity(const std::shared_ptr<const Model>& base, std::span<const int32_t> tokens,
                                  const FidelityOptions& options);

std::string fidelity_markdown(const std::vector<FidelityRow>& rows);

}  // namespace q8::quant
