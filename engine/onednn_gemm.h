#pragma once
// Matrix-matrix int8 products through oneDNN, for prompt evaluation of W8A8 weights. oneDNN's
// brgemm kernels (VNNI here, AMX on Xeons that have it) beat our per-row kernels once enough tokens
// share the weights. The result is exact int32 arithmetic, so it equals our own int8 kernels bit
// for bit and can serve any batch size without changing a single logit.
#include <cstddef>
#include <cstdint>

namespace q8 {

// out[t * ldo + r] = sum_c x[t * k + c] * w[r * k + c] for t < m, r < n (x: m rows of k int8
// activations; w: n rows of k int8 weights, each row contiguous). Returns false (logging why,
// once) when oneDNN refuses the shape or fails; the caller then uses its own kernels. Never
// throws: it runs on pool threads. Primitives are created once per shape and cached.
//
// Runs on the calling thread only: callers split the rows across our own pool. Debian's oneDNN
// uses OpenMP, whose idle threads spin; next to our pool's threads on the same cores they halved
// decode speed after a prompt (measured: 27.7 -> 16.1 tokens/s on the TinyLlama shape), and its
// wait policy can only be set before the library loads.
bool onednn_gemm_s8s8s32(const int8_t* x, size_t m, const int8_t* w, size_t n, size_t k, int32_t* out, size_t ldo) noexcept;

// Tokens from which the oneDNN path is faster than the per-row kernels (measured with q8bench
// bench -p; see docs/performance.md). Q8_ONEDNN_MIN_TOKENS overrides it; 0 turns oneDNN off.
size_t onednn_min_tokens();

}  // namespace q8
