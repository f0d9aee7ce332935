#pragma once
// Calibration: runs the floating-point model over calibration text and records, for every linear
// layer input, the maximum |x| of each input channel and a sample of whole input rows (tokens), via
// the engine's read-only matmul observer. Four inputs per layer: the attention input (shared by
// Q, K, V after attn_norm), the attention output (input of Wo), the FFN input (shared by gate and
// up after ffn_norm) and the down projection's input (silu(gate) * up).
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "model.h"

namespace q8::quant {

enum class LinearInput { Attn = 0, AttnOut = 1, Ffn = 2, Down = 3 };
inline constexpr int kLinearInputs = 4;
const char* linear_input_name(LinearInput i);  // "attn", "attn_out", "ffn", "down"

struct InputStats {
    int64_t cols = 0;
    std::vector<float> act_max;  // per input channel, max |x| over every calibration token
    std::vector<float> samples;  // n_samples rows of cols (evenly spaced calibration tokens)
    int64_t n_samples = 0;
    int64_t n_seen = 0;  // tokens observed
};

struct CalibrationStats {
    std::vector<std::array<InputStats, kLinearInputs>> layers;
    int64_t n_tokens = 0;
    InputStats& at(size_t layer, LinearInput i) { return layers[layer][static_cast<size_t>(i)]; }
    const InputStats& at(size_t layer, LinearInput i) const { return layers[layer][static_cast<size_t>(i)]; }
};

struct CalibrationOptions {
    int64_t ctx = 512;          // window length (each window starts from an empty cache)
    int64_t max_tokens = 8192;  // calibration tokens used at most
    int64_t samples = 128;      // rows kept per input for choosing alpha
    int n_threads = 0;
    std::function<void(float)> progress;
    const std::atomic<bool>* cancel = nullptr;
};

// Throws EngineError for an empty token list (e.g. an empty calibration file).
CalibrationStats calibrate(const std::shared_ptr<const Model>& model, std::span<const int32_t> tokens,
                           const CalibrationOptions& options = {});

// Reads and tokenizes a calibration text file; throws EngineError naming the file when it cannot
// be read or holds no text.
std::vector<int32_t> calibration_tokens(const Model& model, const std::string& path);

}  // namespace q8::quant
