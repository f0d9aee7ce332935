#pragma once
// The one narrow interface every weight product in the forward pass goes through:
// y[t] = W x[t] for n tokens. Kernels can replace its implementation without touching callers.
#include <cstddef>
#include <functional>

#include "thread_pool.h"
#include "weight_matrix.h"

namespace q8 {

// x: n rows of w.cols floats; y: n rows of w.rows floats. Rows of W are split across the pool.
// A matrix with int8_activations quantizes each token of x to int8 (per-token scale) first.
void matmul(const WeightMatrix& w, const float* x, size_t n, float* y, ThreadPool& pool);

// Several matrices over the same input (Q/K/V, gate/up): identical results to separate calls, but
// int8 activations are quantized once and shared.
void matmul_shared_input(std::initializer_list<std::pair<const WeightMatrix*, float*>> products, const float* x,
                         size_t n, ThreadPool& pool);

// How products over several tokens are computed on this thread (one token always runs the row
// kernels).
//   Exact: the row kernels, so n tokens give bit-identical outputs to n one-token products.
//          Speculative verification needs this.
//   F32:   from 8 tokens, rows decoded to f32 once and a register-blocked product: the same values
//          up to summation order, about twice as fast. The default.
//   BF16:  from 16 tokens, operands rounded to bf16 with f32 accumulation, through oneDNN
//          (AVX512-BF16, or AMX where present); falls back to F32 on CPUs without bf16 arithmetic.
//          Interactive prompts use it; reference tests and perplexity keep F32.
enum class BatchArithmetic { Exact, F32, BF16 };

// Sets this thread's arithmetic while it lives. Exact, once set, is kept by inner scopes, so
// verification stays exact whatever arithmetic the session asks for its prompts.
class BatchArithmeticScope {
public:
    explicit BatchArithmeticScope(BatchArithmetic a);
    ~BatchArithmeticScope();
    BatchArithmeticScope(const BatchArithmeticScope&) = delete;
    BatchArithmeticScope& operator=(const BatchArithmeticScope&) = delete;

private:
    BatchArithmetic previous_;
};

// Copies row `r` of W (any loadable type or layout) into dst as floats (embedding lookup).
void weight_row_to_f32(const WeightMatrix& w, int64_t r, float* dst);

// A read-only hook for activation statistics (calibration): when set on a thread, every matmul
// called from that thread first passes the matrix and its input to the observer. Costs one
// thread-local load when unset. Pass nullptr to remove.
using MatmulObserver = std::function<void(const WeightMatrix& w, const float* x, size_t n)>;
void set_matmul_observer(const MatmulObserver* observer);

}  // namespace q8
