#pragma once
// Matrix-matrix products through oneDNN for prompt evaluation: int8 for W8A8 weights, bf16 for
// float-activation prompts. oneDNN's brgemm/JIT kernels (VNNI and AVX512-BF16 here, AMX on Xeons
// that have it) beat our own once enough tokens share the weights.
//
// Every call runs on the calling thread only: callers split the rows across our own pool. Debian's
// oneDNN uses OpenMP, whose idle threads spin; next to our pool's threads on the same cores they
// halved decode speed after a prompt (measured: 27.7 -> 16.1 tokens/s on the TinyLlama shape),
// and its wait policy can only be set before the library loads.
//
// Both functions return false (logging why, once) when oneDNN refuses the shape or fails, and the
// caller then uses its own kernels. They never throw: they run on pool threads. Primitives are
// created once per shape and cached.
#include <cstddef>
#include <cstdint>
#include <string>

namespace q8 {

// out[t * ldo + r] = sum_c x[t * k + c] * w[r * k + c] for t < m, r < n (x: m rows of k
// activations; w: n rows of k weights, each row contiguous, read in place).
// Int8: exact int32 sums, so the result equals our own int8 kernels bit for bit.
bool onednn_gemm_s8s8s32(const int8_t* x, size_t m, const int8_t* w, size_t n, size_t k, int32_t* out,
                         size_t ldo) noexcept;
// Bf16 operands (raw bf16 bits), f32 accumulation and output.
bool onednn_gemm_bf16(const uint16_t* x, size_t m, const uint16_t* w, size_t n, size_t k, float* out,
                      size_t ldo) noexcept;

// The implementation oneDNN picks for a product of this shape (int8 or bf16), e.g.
// "brg:avx512_core_amx" on a Xeon with AMX; empty when oneDNN refuses the shape.
std::string onednn_gemm_implementation(bool int8, size_t m, size_t n, size_t k);

// Tokens from which the int8 oneDNN path is faster than the per-row kernels (measured with q8bench
// bench -p; see docs/performance.md). Q8_ONEDNN_MIN_TOKENS overrides it; 0 turns it off.
size_t onednn_min_tokens();

}  // namespace q8
