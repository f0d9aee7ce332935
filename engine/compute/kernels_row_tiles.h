#pragma once
// Kernels for Q4 and Q8 row tiles (compute/weight_formats.h) on the vector ISAs, one file per ISA;
// the scalar references are in kernels_scalar.cpp. The tables in kernels_<isa>.cpp point at these.
#include "kernels.h"

namespace q8::row_tiles {

void q4_batch_a8b_avx512(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n, size_t group,
                         float* y, size_t ldy);
void q4_decode_rows_avx512(const uint8_t* w, size_t row_bytes, size_t n_rows, size_t n, size_t group, float* dst);
void q8_batch_a8b_avx512(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n, float* y,
                         size_t ldy);
void q8_decode_rows_avx512(const uint8_t* w, size_t row_bytes, size_t n_rows, size_t n, size_t group, float* dst);

void q4_batch_a8b_avx2(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n, size_t group, float* y,
                       size_t ldy);
void q8_batch_a8b_avx2(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n, float* y, size_t ldy);

}  // namespace q8::row_tiles
