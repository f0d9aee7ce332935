#pragma once
// Element-wise and per-row operations of the transformer block (everything but the weight
// products and attention).
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "model_config.h"

namespace q8 {

// out = x / rms(x) * w, for one row of n values.
void rms_norm(const float* x, const float* w, size_t n, float eps, float* out);

// out = (x - mean(x)) / sqrt(var(x) + eps) * w + b, for one row of n values.
void layer_norm(const float* x, const float* w, const float* b, size_t n, float eps, float* out);

// In place: the tanh approximation of GELU, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), which
// GPTBigCode and StarCoder2 configs name "gelu_pytorch_tanh".
void gelu_tanh(float* x, size_t n);

// out[i] = silu(gate[i]) * up[i]
void silu_mul(const float* gate, const float* up, size_t n, float* out);

// In-place softmax of n values.
void softmax(float* x, size_t n);

// Per-pair inverse frequencies: base^(-2i/n_rot) / factor[i] (factors empty means 1).
std::vector<float> rope_inv_freq(const ModelConfig& c, std::span<const float> freq_factors);

// The cosine and sine of each pair's angle at position pos (n_rot / 2 of each). They are the same
// for every head and layer, so a pass computes them once per token: recomputing them in double for
// q and k of every layer was most of the RoPE step's time.
void rope_angles(std::span<const float> inv_freq, int64_t pos, float* cos_out, float* sin_out);

// Rotates the first n_rot dims of each of n_heads vectors of head_dim by the angles of one position.
void apply_rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, RopeStyle style, const float* cos_a,
                const float* sin_a);

}  // namespace q8
