#include "ops.h"

#include <cmath>

#include "kernels.h"

namespace q8 {

void rms_norm(const float* x, const float* w, size_t n, float eps, float* out) {
    // double: the sum of squares of a few thousand values loses bits in float. Eight partial sums,
    // because one chain of dependent double additions made this a sizeable share of a
    // verification pass (0.36 of 15 ms for five TinyLlama-shape tokens).
    constexpr size_t kParts = 8;
    double part[kParts] = {};
    size_t i = 0;
    for (; i + kParts <= n; i += kParts)
        for (size_t j = 0; j < kParts; ++j) part[j] += double(x[i + j]) * double(x[i + j]);
    double ss = 0.0;
    for (; i < n; ++i) ss += double(x[i]) * double(x[i]);
    for (double p : part) ss += p;
    const float scale = static_cast<float>(1.0 / std::sqrt(ss / double(n) + double(eps)));
    for (size_t i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

void layer_norm(const float* x, const float* w, const float* b, size_t n, float eps, float* out) {
    double sum = 0.0;  // double, as in rms_norm; the variance is taken about the mean (two passes)
    for (size_t i = 0; i < n; ++i) sum += double(x[i]);
    const double mean = sum / double(n);
    double ss = 0.0;
    for (size_t i = 0; i < n; ++i) ss += (double(x[i]) - mean) * (double(x[i]) - mean);
    const float scale = static_cast<float>(1.0 / std::sqrt(ss / double(n) + double(eps)));
    const auto m = static_cast<float>(mean);
    for (size_t i = 0; i < n; ++i) out[i] = (x[i] - m) * scale * w[i] + b[i];
}

void gelu_tanh(float* x, size_t n) {
    constexpr float kSqrt2OverPi = 0.7978845608028654f;
    for (size_t i = 0; i < n; ++i) {
        const float v = x[i];
        x[i] = 0.5f * v * (1.f + std::tanh(kSqrt2OverPi * (v + 0.044715f * v * v * v)));
    }
}

void silu_mul(const float* gate, const float* up, size_t n, float* out) { active_kernels().silu_mul(gate, up, n, out); }

void softmax(float* x, size_t n) { active_kernels().softmax(x, n); }

std::vector<float> rope_inv_freq(const ModelConfig& c, std::span<const float> freq_factors) {
    const size_t half = static_cast<size_t>(c.n_rot / 2);
    std::vector<float> f(half);
    for (size_t i = 0; i < half; ++i) {
        double v = std::pow(double(c.rope_base), -2.0 * double(i) / double(c.n_rot));
        if (i < freq_factors.size()) v /= double(freq_factors[i]);
        f[i] = static_cast<float>(v);
    }
    return f;
}

void rope_angles(std::span<const float> inv_freq, int64_t pos, float* cos_out, float* sin_out) {
    for (size_t i = 0; i < inv_freq.size(); ++i) {
        const double theta = double(pos) * double(inv_freq[i]);
        cos_out[i] = static_cast<float>(std::cos(theta));
        sin_out[i] = static_cast<float>(std::sin(theta));
    }
}

void apply_rope(float* x, int64_t n_heads, int64_t head_dim, int64_t n_rot, RopeStyle style, const float* cs,
                const float* sn) {
    const int64_t half = n_rot / 2;
    for (int64_t h = 0; h < n_heads; ++h) {
        float* v = x + h * head_dim;
        for (int64_t i = 0; i < half; ++i) {
            const int64_t a = style == RopeStyle::Normal ? 2 * i : i;
            const int64_t b = style == RopeStyle::Normal ? 2 * i + 1 : i + half;
            const float c = cs[i], s = sn[i];
            const float x0 = v[a], x1 = v[b];
            v[a] = x0 * c - x1 * s;
            v[b] = x0 * s + x1 * c;
        }
    }
}

}  // namespace q8
