#pragma once
// Quantizing a model file to a new GGUF file (the q8quant tool's engine). Output tensors use the
// standard GGUF block types, so any GGUF reader loads them with identical values:
//   Q8, int8 activations (W8A8)  per-output-channel int8 rows stored as Q8_0 blocks that all carry
//                                their row's f16 scale
//   Q8, float activations        Q8_0 (ggml's reference quantizer)
//   Q4, group g                  Q4_0; for g = 64/128 each group's scale is repeated in its 32-blocks
// The embedding table is Q8_0 (Q8) or 4-bit (Q4); the output head (or a tied table) Q8_0. Norms,
// biases and anything else are copied. SmoothQuant folds its factors into norm weights and into
// Wv / W_up rows, so it needs no extra tensors. How the file is meant to run is recorded under
// the q8chat. namespace (see quant/README.md); other readers ignore those keys.
#include <functional>
#include <optional>
#include <string>

#include "act_policy.h"
#include "calibration.h"
#include "model.h"
#include "smoothquant.h"

namespace q8::quant {

struct QuantizeFileOptions {
    std::string input, output;
    Precision type = Precision::Q8;  // Q8 or Q4
    int group = 32;
    bool int8_activations = true;
    // With int8_activations: one scale per 32 values instead of per token (Q8 layer matrices then
    // keep Q8_0's block scales instead of one int8 scale per row).
    bool act_blocks = false;
    bool smoothquant = false;
    std::string calib_file;        // required with smoothquant
    std::optional<float> alpha;    // fixed SmoothQuant alpha (default: searched per layer)
    bool act_policy_auto = false;  // per-layer static/dynamic activation scales (act_policy.h); needs calib_file
    CalibrationOptions calibration;
    int n_threads = 0;
    // stage is "load", "calibrate", "smooth", "write"; returning false cancels (EngineError).
    std::function<bool(const std::string& stage, float fraction)> progress;
};

struct QuantizeFileResult {
    uint64_t output_bytes = 0;
    int64_t calibration_tokens = 0;
    SmoothingReport smoothing;   // empty without SmoothQuant
    ActPolicyReport act_policy;  // empty without act_policy_auto
    double seconds = 0;
};

// Throws EngineError with a clear message for: an input that is already quantized, an empty or
// unreadable calibration file, an unwritable output (checked first; no partial file is ever
// left), bad options, cancellation.
QuantizeFileResult quantize_file(const QuantizeFileOptions& options);

// The q8chat.quant.activations value a file made with these options carries (the loader runs a
// native load with it): "float", "int8" (per token) or "int8-blocks" (one scale per 32 values).
std::string activations_hint(const QuantizeFileOptions& options);

}  // namespace q8::quant
