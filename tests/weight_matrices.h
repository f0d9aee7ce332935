#pragma once
// Weight matrices for matmul tests, built from dense floats the way the loader builds them.
#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include "weight_formats.h"
#include "weight_matrix.h"
#include "weight_quant.h"

// n weights drawn from N(0, 0.05^2), about the spread of the trained demo models' weights.
inline std::vector<float> normal_weights(size_t n, std::mt19937& rng) {
    std::normal_distribution<float> nd(0.f, 0.05f);
    std::vector<float> w(n);
    for (float& f : w) f = nd(rng);
    return w;
}

// A rows x cols matrix of `dense` (row-major) in `target`; with `repacked`, in the layout the loader
// gives it (weight_quant.h, repack_for_kernels: split rows or row tiles for 4-bit groups).
inline q8::WeightMatrix make_matrix(int64_t rows, int64_t cols, const std::vector<float>& dense,
                                    const q8::WeightTarget& target, bool repacked = false) {
    q8::WeightMatrix w;
    const bool ok = q8::quantize_matrix(
        rows, cols,
        [&](int64_t r, float* dst) { std::memcpy(dst, dense.data() + r * cols, size_t(cols) * sizeof(float)); }, target,
        w);
    if (!ok) throw std::runtime_error("quantize_matrix stopped");
    if (repacked) {
        std::vector<uint8_t> packed(static_cast<size_t>(rows) * w.row_bytes);
        q8::repack_for_kernels(w, packed.data());
        w.storage = std::move(packed);
        w.data = w.storage.data();
    }
    return w;
}
