#pragma once
// The one narrow interface every weight product in the forward pass goes through:
// y[t] = W x[t] for n tokens. Kernels can replace its implementation without touching callers.
#include <cstddef>

#include "model.h"
#include "thread_pool.h"

namespace q8 {

// x: n rows of w.cols floats; y: n rows of w.rows floats. Rows of W are split across the pool.
void matmul(const WeightMatrix& w, const float* x, size_t n, float* y, ThreadPool& pool);

// Copies row `r` of W (any loadable type) into dst as floats (embedding lookup).
void weight_row_to_f32(const WeightMatrix& w, int64_t r, float* dst);

}  // namespace q8
