#pragma once
// Test inputs for the int8 activation-block kernels (W4A8, W8A8), shared so that both suites
// exercise the same kind of hidden state.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "weight_formats.h"

namespace q8::test {

inline bool same_bits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

// Activations with a few large values, as real hidden states have, so that blocks get very
// different scales (what the per-block mode is for). With zero_blocks, one block in eight is all
// zero (scale 0), an edge case of the block quantizer.
inline std::vector<float> outlier_activations(size_t n, std::mt19937& rng, bool zero_blocks) {
    std::normal_distribution<float> d(0.f, 1.f);
    std::uniform_int_distribution<size_t> pick(0, n - 1);
    std::vector<float> v(n);
    for (float& f : v) f = d(rng);
    for (int k = 0; k < 3; ++k) v[pick(rng)] *= 40.f;
    if (zero_blocks) {
        for (size_t b = 7; b < n / quant::kActBlock; b += 8)
            for (size_t j = 0; j < quant::kActBlock; ++j) v[b * quant::kActBlock + j] = 0.f;
    }
    return v;
}

}  // namespace q8::test
