#include "matmul.h"

#include <vector>

#include "dequantize.h"
#include "kernels.h"

namespace q8 {

namespace {

KernelTable::DotFn dot_for(const KernelTable& k, GgmlType t) {
    switch (t) {
    case GgmlType::F32: return k.dot_f32;
    case GgmlType::F16: return k.dot_f16;
    case GgmlType::BF16: return k.dot_bf16;
    case GgmlType::Q8_0: return k.dot_q8_0;
    case GgmlType::Q4_0: return k.dot_q4_0;
    default: return nullptr;
    }
}

// Below this many tokens each row is dotted in its stored format; above it, the row is decoded to
// floats once and reused for every token.
constexpr size_t kDecodeRowThreshold = 3;

}  // namespace

void weight_row_to_f32(const WeightMatrix& w, int64_t r, float* dst) {
    dequantize_row(w.type, w.row(r), dst, static_cast<size_t>(w.cols));
}

void matmul(const WeightMatrix& w, const float* x, size_t n, float* y, ThreadPool& pool) {
    const KernelTable& k = active_kernels();
    const size_t cols = static_cast<size_t>(w.cols);
    const size_t rows = static_cast<size_t>(w.rows);
    if (n < kDecodeRowThreshold || w.type == GgmlType::F32) {
        const KernelTable::DotFn dot = dot_for(k, w.type);
        pool.parallel_for(rows, [&](size_t r0, size_t r1) {
            for (size_t r = r0; r < r1; ++r) {
                const uint8_t* wr = w.row(static_cast<int64_t>(r));
                for (size_t t = 0; t < n; ++t) y[t * rows + r] = dot(wr, x + t * cols, cols);
            }
        });
        return;
    }
    pool.parallel_for(rows, [&](size_t r0, size_t r1) {
        thread_local std::vector<float> row;
        row.resize(cols);
        for (size_t r = r0; r < r1; ++r) {
            if (w.type == GgmlType::F16) {
                k.f16_to_f32(reinterpret_cast<const uint16_t*>(w.row(static_cast<int64_t>(r))), row.data(), cols);
            } else {
                dequantize_row(w.type, w.row(static_cast<int64_t>(r)), row.data(), cols);
            }
            for (size_t t = 0; t < n; ++t) y[t * rows + r] = k.dot_f32(row.data(), x + t * cols, cols);
        }
    });
}

}  // namespace q8
