#pragma once
// The one narrow interface every weight product in the forward pass goes through:
// y[t] = W x[t] for n tokens. Kernels can replace its implementation without touching callers.
#include <cstddef>
#include <functional>

#include "model.h"
#include "thread_pool.h"

namespace q8 {

// x: n rows of w.cols floats; y: n rows of w.rows floats. Rows of W are split across the pool.
// A matrix with int8_activations quantizes each token of x to int8 (per-token scale) first.
void matmul(const WeightMatrix& w, const float* x, size_t n, float* y, ThreadPool& pool);

// Several matrices over the same input (Q/K/V, gate/up): identical results to separate calls, but
// int8 activations are quantized once and shared.
void matmul_shared_input(std::initializer_list<std::pair<const WeightMatrix*, float*>> products, const float* x,
                         size_t n, ThreadPool& pool);

// Within this scope (on this thread) every product runs the row kernels whatever the number of
// tokens, so n tokens give bit-identical outputs to n one-token products. Speculative
// verification needs that; prompt evaluation does not, and from a few tokens on it uses a
// register-blocked product that sums in another order (and is about twice as fast).
class ExactBatchScope {
public:
    ExactBatchScope();
    ~ExactBatchScope();
    ExactBatchScope(const ExactBatchScope&) = delete;
    ExactBatchScope& operator=(const ExactBatchScope&) = delete;

private:
    bool previous_;
};

// Copies row `r` of W (any loadable type or layout) into dst as floats (embedding lookup).
void weight_row_to_f32(const WeightMatrix& w, int64_t r, float* dst);

// A read-only hook for activation statistics (calibration): when set on a thread, every matmul
// called from that thread first passes the matrix and its input to the observer. Costs one
// thread-local load when unset. Pass nullptr to remove.
using MatmulObserver = std::function<void(const WeightMatrix& w, const float* x, size_t n)>;
void set_matmul_observer(const MatmulObserver* observer);

}  // namespace q8
