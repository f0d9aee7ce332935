#pragma once
// Weight matrices for matmul tests, built from dense floats the way the loader builds them.
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "weight_formats.h"
#include "weight_matrix.h"
#include "weight_quant.h"

// A rows x cols matrix of `dense` (row-major) in `target`; with `split`, repacked as the loader
// does for 4-bit groups (weight_arena.cpp).
inline q8::WeightMatrix make_matrix(int64_t rows, int64_t cols, const std::vector<float>& dense,
                                    const q8::WeightTarget& target, bool split = false) {
    q8::WeightMatrix w;
    const bool ok = q8::quantize_matrix(
        rows, cols,
        [&](int64_t r, float* dst) { std::memcpy(dst, dense.data() + r * cols, size_t(cols) * sizeof(float)); }, target,
        w);
    if (!ok) throw std::runtime_error("quantize_matrix stopped");
    if (split) {
        const bool asym = w.layout == q8::WeightLayout::Q4GroupAsym;
        std::vector<uint8_t> packed(static_cast<size_t>(rows) * w.row_bytes);
        for (int64_t r = 0; r < rows; ++r)
            q8::quant::q4g_to_split(w.row(r), packed.data() + static_cast<size_t>(r) * w.row_bytes, size_t(cols),
                                    w.group, asym);
        w.storage = std::move(packed);
        w.data = w.storage.data();
        w.layout = asym ? q8::WeightLayout::Q4SplitAsym : q8::WeightLayout::Q4Split;
    }
    return w;
}
