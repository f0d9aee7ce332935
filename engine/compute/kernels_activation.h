#pragma once
// SiLU-gated activation and softmax on the vector ISAs (one file per ISA); the scalar forms, with
// std::exp, are in kernels_scalar.cpp. exp(x) = 2^n * e^r with n = round(x / ln 2) and |r| <= ln 2 / 2, e^r by its
// Taylor series to r^7 (truncation below 2^-27 relative, under the float rounding), so each ISA
// stays within a few float steps of the exact value; arguments beyond float range give inf and 0,
// as std::exp does. Lanes are computed independently, with masked or padded tails, so a value
// does not depend on its position in the array (a token's activation is the same alone as in a
// verification batch).
#include <cstddef>

namespace q8::activation {

void silu_mul_avx512(const float* gate, const float* up, size_t n, float* out);
void silu_mul_avx2(const float* gate, const float* up, size_t n, float* out);
void softmax_avx512(float* x, size_t n);
void softmax_avx2(float* x, size_t n);

}  // namespace q8::activation
