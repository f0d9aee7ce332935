#pragma once
// Table entries for the paths without a dedicated kernel (scalar, AVX2). Batched kernels: one
// single-token call per token; the row stays in L1 between calls, so memory is still read once and
// only the decoding is repeated, and results are bit-identical to the single-token kernels by
// construction. Also the portable activation quantizer and bf16 conversion.
#include "half.h"
#include "kernels.h"

namespace q8::batch_loop {

template <KernelTable::DotFn Dot>
void plain(const void* w, const float* x, size_t ldx, size_t n_tok, size_t n, size_t, float* y, size_t ldy) {
    for (size_t t = 0; t < n_tok; ++t) y[t * ldy] = Dot(w, x + t * ldx, n);
}

template <KernelTable::GroupDotFn Dot>
void group(const void* w, const float* x, size_t ldx, size_t n_tok, size_t n, size_t g, float* y, size_t ldy) {
    for (size_t t = 0; t < n_tok; ++t) y[t * ldy] = Dot(w, x + t * ldx, n, g);
}

template <int32_t (*Dot)(const int8_t*, const int8_t*, size_t, int32_t)>
void i8(const void* w, const int8_t* x, size_t ldx, size_t n_tok, size_t n, size_t, int32_t w_sum, float* y,
        size_t ldy) {
    for (size_t t = 0; t < n_tok; ++t)
        y[t * ldy] = static_cast<float>(Dot(static_cast<const int8_t*>(w), x + t * ldx, n, w_sum));
}

template <KernelTable::GroupDotA8Fn Dot>
void group_a8(const void* w, const int8_t* x, size_t ldx, size_t n_tok, size_t n, size_t g, int32_t, float* y,
              size_t ldy) {
    for (size_t t = 0; t < n_tok; ++t) y[t * ldy] = Dot(w, x + t * ldx, n, g);
}

// Several Q4 split rows against int8 activation blocks through a one-row kernel.
template <void (*Row)(const uint8_t*, const A8Blocks&, size_t, size_t, size_t, bool, float*, size_t)>
void q4s_a8b_rows(const void* w, size_t row_bytes, size_t n_rows, const A8Blocks& x, size_t n_tok, size_t n,
                  size_t group, bool asym, float* y, size_t ldy) {
    for (size_t r = 0; r < n_rows; ++r)
        Row(static_cast<const uint8_t*>(w) + r * row_bytes, x, n_tok, n, group, asym, y + r, ldy);
}

// Several Q8_0 rows against int8 activation blocks through a one-row kernel.
template <void (*Row)(const uint8_t*, const A8Blocks&, size_t, size_t, float*, size_t)>
void q8_0_a8b_rows(const void* w, size_t row_bytes, size_t n_rows, const A8Blocks& x, size_t n_tok, size_t n, float* y,
                   size_t ldy) {
    for (size_t r = 0; r < n_rows; ++r) Row(static_cast<const uint8_t*>(w) + r * row_bytes, x, n_tok, n, y + r, ldy);
}

// The portable activation quantizer (compute/weight_formats.h) in the table's signature.
float quantize_act_i8(const float* x, int8_t* q, size_t n, float static_scale);

inline void f32_to_bf16_rows(const float* src, uint16_t* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = f32_to_bf16(src[i]);
}

// Attention through the per-position dot and axpy entries.
template <KernelTable::DotFn Dot>
void scores(const void* keys, size_t stride, size_t n_pos, const float* q, size_t q_stride, size_t n_heads, size_t hd,
            float scale, float* s, size_t s_stride) {
    const auto* k = static_cast<const uint8_t*>(keys);
    for (size_t h = 0; h < n_heads; ++h)
        for (size_t p = 0; p < n_pos; ++p) s[h * s_stride + p] = Dot(k + p * stride, q + h * q_stride, hd) * scale;
}

template <KernelTable::AxpyFn Axpy>
void mix(const float* weight, size_t w_stride, size_t n_heads, const void* values, size_t stride, size_t n_pos,
         size_t hd, float* out, size_t out_stride) {
    const auto* v = static_cast<const uint8_t*>(values);
    for (size_t h = 0; h < n_heads; ++h) {
        float* o = out + h * out_stride;
        for (size_t i = 0; i < hd; ++i) o[i] = 0.f;
        for (size_t p = 0; p < n_pos; ++p) Axpy(weight[h * w_stride + p], v + p * stride, o, hd);
    }
}

// Fills every batched entry of `t` (and attention) from its single-token entries.
template <KernelTable::DotFn F32, KernelTable::DotFn F16, KernelTable::DotFn BF16, KernelTable::DotFn Q8,
          KernelTable::DotFn Q4, KernelTable::GroupDotFn Q4G, KernelTable::GroupDotFn Q4GA,
          int32_t (*I8)(const int8_t*, const int8_t*, size_t, int32_t), KernelTable::GroupDotA8Fn Q4GA8,
          KernelTable::GroupDotA8Fn Q4GAA8, KernelTable::AxpyFn Axpy16, KernelTable::AxpyFn Axpy32>
void fill(KernelTable& t) {
    t.batch_f32 = plain<F32>;
    t.batch_f16 = plain<F16>;
    t.batch_bf16 = plain<BF16>;
    t.batch_q8_0 = plain<Q8>;
    t.batch_q4_0 = plain<Q4>;
    t.batch_q4g = group<Q4G>;
    t.batch_q4ga = group<Q4GA>;
    t.batch_i8 = i8<I8>;
    t.batch_q4g_a8 = group_a8<Q4GA8>;
    t.batch_q4ga_a8 = group_a8<Q4GAA8>;
    t.quantize_act_i8 = quantize_act_i8;
    t.f32_to_bf16 = f32_to_bf16_rows;
    t.scores_f16 = scores<F16>;
    t.scores_f32 = scores<F32>;
    t.mix_f16 = mix<Axpy16>;
    t.mix_f32 = mix<Axpy32>;
}

}  // namespace q8::batch_loop
