#pragma once
// The one narrow interface every weight product in the forward pass goes through:
// y[t] = W x[t] for n tokens. Kernels can replace its implementation without touching callers.
#include <cstddef>
#include <functional>

#include "thread_pool.h"
#include "weight_matrix.h"

namespace q8 {

// How products over several tokens are computed (one token always runs the row kernels).
//   Exact: the row kernels, so n tokens give bit-identical outputs to n one-token products.
//          Speculative verification needs this.
//   F32:   from 8 tokens, rows decoded to f32 once and a register-blocked product: the same values
//          up to summation order, about twice as fast. The default.
//   BF16:  from 16 tokens, operands rounded to bf16 with f32 accumulation, through oneDNN
//          (AVX512-BF16, or AMX where present); falls back to F32 on CPUs without bf16 arithmetic.
//          Interactive prompts use it; reference tests and perplexity keep F32. Matrices with
//          int8 activation blocks use it too (their prompts then run with bf16 activations).
enum class BatchArithmetic { Exact, F32, BF16 };

// A read-only hook for activation statistics (calibration): sees the matrix and its input before
// each product.
using MatmulObserver = std::function<void(const WeightMatrix& w, const float* x, size_t n)>;

// What the caller (the inference session) decides for its products.
struct MatmulOptions {
    BatchArithmetic arithmetic = BatchArithmetic::F32;
    const MatmulObserver* observer = nullptr;  // must outlive the call
};

// x: n rows of w.cols floats; y: n rows of w.rows floats. Rows of W are split across the pool.
// A matrix with int8_activations quantizes each token of x to int8 first (one scale per token, or
// per block of 32 values with act_blocks); BF16 prompts over act_blocks matrices take the bf16
// product instead (matmul.cpp, matmul_prompt).
void matmul(const WeightMatrix& w, const float* x, size_t n, float* y, ThreadPool& pool,
            const MatmulOptions& options = {});

// Several matrices over the same input (Q/K/V, gate/up): identical results to separate calls, but
// int8 activations are quantized once and shared.
void matmul_shared_input(std::initializer_list<std::pair<const WeightMatrix*, float*>> products, const float* x,
                         size_t n, ThreadPool& pool, const MatmulOptions& options = {});

// Copies row `r` of W (any loadable type or layout) into dst as floats (embedding lookup).
void weight_row_to_f32(const WeightMatrix& w, int64_t r, float* dst);

}  // namespace q8
