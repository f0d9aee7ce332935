// AVX2 + FMA + F16C kernels (built with those flags only; called only after run-time detection).
#include <immintrin.h>

#include <cstring>

#include "half.h"
#include "kernels.h"
#include "kernels_activation.h"
#include "kernels_batch_loop.h"
#include "kernels_row_tiles.h"
#include "weight_formats.h"

namespace q8 {

namespace {

float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

float dot_f32(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const float*>(wv);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    float s = hsum(_mm256_add_ps(a0, a1));
    for (; i < n; ++i) s += w[i] * x[i];
    return s;
}

__m256 load_f16(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

__m256 load_bf16(const uint16_t* p) {
    __m256i v = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(v, 16));
}

float dot_f16(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const uint16_t*>(wv);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(load_f16(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(load_f16(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    float s = hsum(_mm256_add_ps(a0, a1));
    for (; i < n; ++i) s += f16_to_f32(w[i]) * x[i];
    return s;
}

float dot_bf16(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const uint16_t*>(wv);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(load_bf16(w + i), _mm256_loadu_ps(x + i), a0);
        a1 = _mm256_fmadd_ps(load_bf16(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
    }
    float s = hsum(_mm256_add_ps(a0, a1));
    for (; i < n; ++i) s += bf16_to_f32(w[i]) * x[i];
    return s;
}

float scale_of(const uint8_t* block) {
    uint16_t h;
    std::memcpy(&h, block, 2);
    return f16_to_f32(h);
}

float dot_q8_0(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const uint8_t*>(wv);
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < n / 32; ++b, w += 34, x += 32) {
        const __m256 d = _mm256_set1_ps(scale_of(w));
        __m256 bs = _mm256_setzero_ps();
        for (int k = 0; k < 4; ++k) {
            __m128i q8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(w + 2 + 8 * k));
            __m256 q = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8));
            bs = _mm256_fmadd_ps(q, _mm256_loadu_ps(x + 8 * k), bs);
        }
        acc = _mm256_fmadd_ps(d, bs, acc);
    }
    return hsum(acc);
}

float dot_q4_0(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const uint8_t*>(wv);
    __m256 acc = _mm256_setzero_ps();
    const __m128i mask = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    for (size_t b = 0; b < n / 32; ++b, w += 18, x += 32) {
        const __m256 d = _mm256_set1_ps(scale_of(w));
        const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2));
        const __m128i lo = _mm_sub_epi8(_mm_and_si128(raw, mask), eight);
        const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), eight);
        __m256 bs = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo)), _mm256_loadu_ps(x));
        bs = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8))), _mm256_loadu_ps(x + 8),
                             bs);
        bs = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi)), _mm256_loadu_ps(x + 16), bs);
        bs = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8))), _mm256_loadu_ps(x + 24),
                             bs);
        acc = _mm256_fmadd_ps(d, bs, acc);
    }
    return hsum(acc);
}

void to_f32(const uint16_t* src, float* dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, load_f16(src + i));
    for (; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

void to_f16(const float* src, uint16_t* dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

void axpy_f16(float a, const void* vv, float* y, size_t n) {
    const auto* v = static_cast<const uint16_t*>(vv);
    const __m256 av = _mm256_set1_ps(a);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, load_f16(v + i), _mm256_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += a * f16_to_f32(v[i]);
}

void axpy_f32(float a, const void* vv, float* y, size_t n) {
    const auto* v = static_cast<const float*>(vv);
    const __m256 av = _mm256_set1_ps(a);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(v + i), _mm256_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += a * v[i];
}

float f16_at(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return f16_to_f32(h);
}

// Adds 16 nibble codes (minus `bias`) times 16 floats of x to acc, as 8-lane halves.
__m256 fma_codes16(__m128i codes, const float* x, __m256 acc) {
    acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(codes)), _mm256_loadu_ps(x), acc);
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(codes, 8))), _mm256_loadu_ps(x + 8),
                           acc);
}

// Q4G / Q4GA with float activations: each 16-byte chunk c of a group holds elements 16c.. (low
// nibbles) and group/2 + 16c.. (high nibbles).
template <bool Asym>
float dot_q4g_t(const void* wv, const float* x, size_t n, size_t group) {
    const auto* w = static_cast<const uint8_t*>(wv);
    const size_t h = group / 2, hdr = Asym ? 4 : 2;
    const __m128i mask = _mm_set1_epi8(0x0f), bias = _mm_set1_epi8(Asym ? 0 : 8);
    __m256 acc = _mm256_setzero_ps(), accm = _mm256_setzero_ps();
    for (size_t b = 0; b < n / group; ++b, w += hdr + h, x += group) {
        __m256 bs = _mm256_setzero_ps(), xs = _mm256_setzero_ps();
        for (size_t c = 0; c < h / 16; ++c) {
            const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + hdr + 16 * c));
            const __m128i lo = _mm_sub_epi8(_mm_and_si128(raw, mask), bias);
            const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), bias);
            bs = fma_codes16(lo, x + 16 * c, bs);
            bs = fma_codes16(hi, x + h + 16 * c, bs);
            if (Asym) {
                xs = _mm256_add_ps(xs, _mm256_add_ps(_mm256_loadu_ps(x + 16 * c), _mm256_loadu_ps(x + 16 * c + 8)));
                xs = _mm256_add_ps(xs,
                                   _mm256_add_ps(_mm256_loadu_ps(x + h + 16 * c), _mm256_loadu_ps(x + h + 16 * c + 8)));
            }
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_at(w)), bs, acc);
        if (Asym) accm = _mm256_fmadd_ps(_mm256_set1_ps(f16_at(w + 2)), xs, accm);
    }
    return hsum(_mm256_add_ps(acc, accm));
}

int32_t hsum_i32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

// Signed x signed with vpmaddubsw: |w| (unsigned) times x with w's sign; both within [-127, 127],
// so each pair sum (at most 2 * 127 * 127) fits int16 without saturation.
int32_t dot_i8(const int8_t* w, const int8_t* x, size_t n, int32_t /*w_sum*/) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i acc = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i));
        const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i));
        const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, ones));
    }
    int32_t s = hsum_i32(acc);
    for (; i < n; ++i) s += int32_t(w[i]) * int32_t(x[i]);
    return s;
}

// Nibble codes (0..15, unsigned) times int8 activations with vpmaddubsw (pair sums at most
// 2 * 15 * 127), and the activations' own sum; per group the integer lanes are exact.
template <bool Asym>
float dot_q4_a8(const void* wv, const int8_t* x, size_t n, size_t group) {
    const auto* w = static_cast<const uint8_t*>(wv);
    const size_t h = group / 2, hdr = Asym ? 4 : 2;
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < n / group; ++b, w += hdr + h, x += group) {
        __m256i qx = _mm256_setzero_si256(), sx = _mm256_setzero_si256();
        for (size_t c = 0; c < h / 16; ++c) {
            const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + hdr + 16 * c));
            const __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), _mm_and_si128(raw, mask));
            const __m256i xv = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + h + 16 * c)),
                                                _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 16 * c)));
            qx = _mm256_add_epi32(qx, _mm256_madd_epi16(_mm256_maddubs_epi16(q, xv), ones16));
            sx = _mm256_add_epi32(sx, _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, xv), ones16));
        }
        const __m256 d = _mm256_set1_ps(f16_at(w));
        if (Asym) {
            acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(qx), acc);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_at(w + 2)), _mm256_cvtepi32_ps(sx), acc);
        } else {
            acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_sub_epi32(qx, _mm256_slli_epi32(sx, 3))), acc);
        }
    }
    return hsum(acc);
}

// ---- Q4 split rows (compute/weight_formats.h), one token at a time; batches loop over tokens.

// sum over groups of c_g * sums[g] (c: the row's f16 scales or minimums).
float q4s_correction(const uint8_t* c, const float* sums, size_t n_groups) {
    __m256 acc = _mm256_setzero_ps();
    size_t g = 0;
    for (; g + 8 <= n_groups; g += 8)
        acc = _mm256_fmadd_ps(load_f16(reinterpret_cast<const uint16_t*>(c) + g), _mm256_loadu_ps(sums + g), acc);
    float s = hsum(acc);
    for (; g < n_groups; ++g) s += f16_at(c + 2 * g) * sums[g];
    return s;
}

// Where group g's first-half activations start in split order (the second half is 64 further).
size_t q4s_group_offset(size_t g, size_t group) {
    const size_t per_span = quant::kQ4SplitSpan / group;
    return g / per_span * quant::kQ4SplitSpan + g % per_span * (group / 2);
}

// Codes are unsigned: the symmetric -8 and the asymmetric minimum enter through the group sums.
float q4s_row_a8(const uint8_t* w, const int8_t* xp, const float* sums, size_t n, size_t group, bool asym) {
    const size_t h = group / 2, n_groups = n / group;
    const uint8_t* scales = w + n / 2;
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc = _mm256_setzero_ps();
    for (size_t g = 0; g < n_groups; ++g) {
        const int8_t* lo = xp + q4s_group_offset(g, group);
        __m256i isum = _mm256_setzero_si256();
        for (size_t j = 0; j < h; j += 16) {
            const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + g * h + j));
            const __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), _mm_and_si128(raw, mask));
            const __m256i xv = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(lo + 64 + j)),
                                                _mm_loadu_si128(reinterpret_cast<const __m128i*>(lo + j)));
            // codes (0..15) times int8: each pair sum is at most 2 * 15 * 127, exact in int16.
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(_mm256_maddubs_epi16(q, xv), ones));
        }
        acc = _mm256_fmadd_ps(_mm256_set1_ps(f16_at(scales + 2 * g)), _mm256_cvtepi32_ps(isum), acc);
    }
    const float corr = q4s_correction(asym ? scales + 2 * n_groups : scales, sums, n_groups);
    return hsum(acc) + (asym ? 1.f : -8.f) * corr;
}

float q4s_row_f32(const uint8_t* w, const float* xp, const float* sums, size_t n, size_t group, bool asym) {
    const size_t h = group / 2, n_groups = n / group;
    const uint8_t* scales = w + n / 2;
    const __m128i mask = _mm_set1_epi8(0x0f);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (size_t g = 0; g < n_groups; ++g) {
        const float* lo = xp + q4s_group_offset(g, group);
        const __m256 d = _mm256_set1_ps(f16_at(scales + 2 * g));
        for (size_t j = 0; j < h; j += 16) {
            const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + g * h + j));
            const __m128i ql = _mm_and_si128(raw, mask), qh = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
            const __m256 w0 = _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(ql)));
            const __m256 w1 = _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(ql, 8))));
            const __m256 w2 = _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(qh)));
            const __m256 w3 = _mm256_mul_ps(d, _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(qh, 8))));
            acc0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(lo + j), acc0);
            acc1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(lo + j + 8), acc1);
            acc0 = _mm256_fmadd_ps(w2, _mm256_loadu_ps(lo + 64 + j), acc0);
            acc1 = _mm256_fmadd_ps(w3, _mm256_loadu_ps(lo + 64 + j + 8), acc1);
        }
    }
    const float corr = q4s_correction(asym ? scales + 2 * n_groups : scales, sums, n_groups);
    return hsum(_mm256_add_ps(acc0, acc1)) + (asym ? 1.f : -8.f) * corr;
}

// Int8 activation blocks, a tile of up to four tokens per pass over the row (its codes are
// widened once for the tile). A 16-byte code chunk holds 16 first-half and 16 second-half codes;
// the low four lanes of its product are first-half values, the high four second-half ones, each
// scaled by the group's scale times the scale of the activation block they fall in.
template <int NT>
void q4s_a8b_tile(const uint8_t* w, const A8Blocks& x, size_t t0, size_t n, size_t group, bool asym, float* y,
                  size_t ldy) {
    const size_t h = group / 2, n_groups = n / group;
    const uint8_t* scales = w + n / 2;
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (size_t g = 0; g < n_groups; ++g) {
        const size_t off = q4s_group_offset(g, group);
        const float d = f16_at(scales + 2 * g);
        for (size_t j = 0; j < h; j += 16) {
            const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + g * h + j));
            const __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), _mm_and_si128(raw, mask));
            const size_t b_lo = (g * group + j) / quant::kActBlock, b_hi = (g * group + h + j) / quant::kActBlock;
            for (int t = 0; t < NT; ++t) {
                const size_t tok = t0 + static_cast<size_t>(t);
                const int8_t* lo = x.xp + tok * x.ldx + off;
                const float* xs = x.scales + tok * x.ld_scales;
                const __m256i xv = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(lo + 64 + j)),
                                                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(lo + j)));
                // codes (0..15) times int8: each pair sum is at most 2 * 15 * 127, exact in int16.
                const __m256i isum = _mm256_madd_epi16(_mm256_maddubs_epi16(q, xv), ones);
                const __m256 ds = _mm256_set_m128(_mm_set1_ps(d * xs[b_hi]), _mm_set1_ps(d * xs[b_lo]));
                acc[t] = _mm256_fmadd_ps(ds, _mm256_cvtepi32_ps(isum), acc[t]);
            }
        }
    }
    const uint8_t* c = asym ? scales + 2 * n_groups : scales;
    for (int t = 0; t < NT; ++t)
        y[t * ldy] = hsum(acc[t]) + (asym ? 1.f : -8.f) * q4s_correction(c, x.sums + (t0 + t) * x.ld_sums, n_groups);
}

void q4s_a8b_batch(const uint8_t* w, const A8Blocks& x, size_t n_tok, size_t n, size_t group, bool asym, float* y,
                   size_t ldy) {
    size_t t = 0;
    for (; t + 4 <= n_tok; t += 4) q4s_a8b_tile<4>(w, x, t, n, group, asym, y + t * ldy, ldy);
    switch (n_tok - t) {
    case 3: q4s_a8b_tile<3>(w, x, t, n, group, asym, y + t * ldy, ldy); break;
    case 2: q4s_a8b_tile<2>(w, x, t, n, group, asym, y + t * ldy, ldy); break;
    case 1: q4s_a8b_tile<1>(w, x, t, n, group, asym, y + t * ldy, ldy); break;
    default: break;
    }
}

// Q8_0 rows against int8 activation blocks, a tile of up to four tokens per pass over the row:
// each block's |w| is taken once for the tile, and per token vpmaddubsw multiplies it by x with
// w's sign (pair sums at most 2 * 128 * 127, exact in int16; a code of -128 reads as 128). The
// block's eight int32 lanes are scaled by weight scale times activation-block scale.
template <int NT>
void q8_0_a8b_tile(const uint8_t* w, const A8Blocks& x, size_t t0, size_t n, float* y, size_t ldy) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < n / 32; ++b, w += quant::kQ8_0Bytes) {
        const float d = scale_of(w);
        const __m256i wv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2));
        const __m256i wabs = _mm256_sign_epi8(wv, wv);
        for (int t = 0; t < NT; ++t) {
            const size_t tok = t0 + static_cast<size_t>(t);
            const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.xp + tok * x.ldx + 32 * b));
            const __m256i isum = _mm256_madd_epi16(_mm256_maddubs_epi16(wabs, _mm256_sign_epi8(xv, wv)), ones);
            const __m256 ds = _mm256_set1_ps(d * x.scales[tok * x.ld_scales + b]);
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), ds, acc[t]);
        }
    }
    for (int t = 0; t < NT; ++t) y[t * ldy] = hsum(acc[t]);
}

void q8_0_a8b_batch(const uint8_t* w, const A8Blocks& x, size_t n_tok, size_t n, float* y, size_t ldy) {
    size_t t = 0;
    for (; t + 4 <= n_tok; t += 4) q8_0_a8b_tile<4>(w, x, t, n, y + t * ldy, ldy);
    switch (n_tok - t) {
    case 3: q8_0_a8b_tile<3>(w, x, t, n, y + t * ldy, ldy); break;
    case 2: q8_0_a8b_tile<2>(w, x, t, n, y + t * ldy, ldy); break;
    case 1: q8_0_a8b_tile<1>(w, x, t, n, y + t * ldy, ldy); break;
    default: break;
    }
}

template <class T, float (*Row)(const uint8_t*, const T*, const float*, size_t, size_t, bool)>
void q4s_batch(const void* w, const T* xp, const float* sums, size_t ldx, size_t ld_sums, size_t n_tok, size_t n,
               size_t group, bool asym, float* y, size_t ldy) {
    for (size_t t = 0; t < n_tok; ++t)
        y[t * ldy] = Row(static_cast<const uint8_t*>(w), xp + t * ldx, sums + t * ld_sums, n, group, asym);
}

KernelTable make_table() {
    KernelTable t{Isa::Avx2,        dot_f32,         dot_f16, dot_bf16,         dot_q8_0,
                  dot_q4_0,         to_f32,          to_f16,  axpy_f16,         axpy_f32,
                  dot_q4g_t<false>, dot_q4g_t<true>, dot_i8,  dot_q4_a8<false>, dot_q4_a8<true>};
    batch_loop::fill<dot_f32, dot_f16, dot_bf16, dot_q8_0, dot_q4_0, dot_q4g_t<false>, dot_q4g_t<true>, dot_i8,
                     dot_q4_a8<false>, dot_q4_a8<true>, axpy_f16, axpy_f32>(t);
    t.batch_q4s = q4s_batch<float, q4s_row_f32>;
    t.batch_q4s_a8 = q4s_batch<int8_t, q4s_row_a8>;
    t.batch_q4s_a8b = batch_loop::q4s_a8b_rows<q4s_a8b_batch>;
    t.batch_q8_0_a8b = batch_loop::q8_0_a8b_rows<q8_0_a8b_batch>;
    t.batch_q4t_a8b = row_tiles::q4_batch_a8b_avx2;
    t.batch_q8t_a8b = row_tiles::q8_batch_a8b_avx2;
    t.silu_mul = activation::silu_mul_avx2;
    t.softmax = activation::softmax_avx2;
    return t;
}

}  // namespace

const KernelTable& avx2_kernels() {
    static const KernelTable t = make_table();
    return t;
}

}  // namespace q8
