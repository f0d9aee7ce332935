// AVX-512 kernels (F/BW/VL/DQ with F16C). Four independent accumulators hide FMA latency so that a
// batch-1 product runs at the speed memory delivers the weights.
#include <immintrin.h>

#include <cstring>

#include "half.h"
#include "kernels.h"

namespace q8 {

namespace {

__m512 load_f16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }

__m512 load_bf16(const uint16_t* p) {
    __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
}

// Our own horizontal sum: GCC 12's _mm512_reduce_add_ps trips -Wuninitialized inside its header.
float hsum(__m512 v) {
    const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v),
                                   _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__mmask16 tail_mask(size_t k) { return static_cast<__mmask16>((1u << k) - 1u); }

float dot_f32(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const float*>(wv);
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), a1);
        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 32), _mm512_loadu_ps(x + i + 32), a2);
        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 48), _mm512_loadu_ps(x + i + 48), a3);
    }
    for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w + i), _mm512_maskz_loadu_ps(m, x + i), a1);
    }
    return hsum(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

float dot_f16(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const uint16_t*>(wv);
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        a0 = _mm512_fmadd_ps(load_f16(w + i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(load_f16(w + i + 16), _mm512_loadu_ps(x + i + 16), a1);
        a2 = _mm512_fmadd_ps(load_f16(w + i + 32), _mm512_loadu_ps(x + i + 32), a2);
        a3 = _mm512_fmadd_ps(load_f16(w + i + 48), _mm512_loadu_ps(x + i + 48), a3);
    }
    for (; i + 16 <= n; i += 16) a0 = _mm512_fmadd_ps(load_f16(w + i), _mm512_loadu_ps(x + i), a0);
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        const __m512 wv = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + i));
        a1 = _mm512_fmadd_ps(wv, _mm512_maskz_loadu_ps(m, x + i), a1);
    }
    return hsum(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

float dot_bf16(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const uint16_t*>(wv);
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a0 = _mm512_fmadd_ps(load_bf16(w + i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(load_bf16(w + i + 16), _mm512_loadu_ps(x + i + 16), a1);
    }
    float s = hsum(_mm512_add_ps(a0, a1));
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
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    for (size_t b = 0; b < n / 32; ++b, w += 34, x += 32) {
        const __m512 d = _mm512_set1_ps(scale_of(w));
        const __m512 q0 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2))));
        const __m512 q1 = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 18))));
        acc0 = _mm512_fmadd_ps(_mm512_mul_ps(d, q0), _mm512_loadu_ps(x), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_mul_ps(d, q1), _mm512_loadu_ps(x + 16), acc1);
    }
    return hsum(_mm512_add_ps(acc0, acc1));
}

float dot_q4_0(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const uint8_t*>(wv);
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    const __m128i mask = _mm_set1_epi8(0x0f), eight = _mm_set1_epi8(8);
    for (size_t b = 0; b < n / 32; ++b, w += 18, x += 32) {
        const __m512 d = _mm512_set1_ps(scale_of(w));
        const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2));
        const __m128i lo = _mm_sub_epi8(_mm_and_si128(raw, mask), eight);
        const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), eight);
        acc0 = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo))), _mm512_loadu_ps(x), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi))), _mm512_loadu_ps(x + 16), acc1);
    }
    return hsum(_mm512_add_ps(acc0, acc1));
}

void to_f32(const uint16_t* src, float* dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, load_f16(src + i));
    for (; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

void to_f16(const float* src, uint16_t* dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i),
                            _mm512_cvtps_ph(_mm512_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

void axpy_f16(float a, const void* vv, float* y, size_t n) {
    const auto* v = static_cast<const uint16_t*>(vv);
    const __m512 av = _mm512_set1_ps(a);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(av, load_f16(v + i), _mm512_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += a * f16_to_f32(v[i]);
}


void axpy_f32(float a, const void* vv, float* y, size_t n) {
    const auto* v = static_cast<const float*>(vv);
    const __m512 av = _mm512_set1_ps(a);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(av, _mm512_loadu_ps(v + i), _mm512_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += a * v[i];
}

// 16 codes (int8) times 16 floats, accumulated.
__m512 fma_codes16(__m128i codes, const float* x, __m512 acc) {
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(codes)), _mm512_loadu_ps(x), acc);
}

// Q4G / Q4GA with float activations: 16-byte chunk c of a group holds elements 16c.. (low nibbles)
// and group/2 + 16c.. (high nibbles).
template <bool Asym>
float dot_q4g_t(const void* wv, const float* x, size_t n, size_t group) {
    const auto* w = static_cast<const uint8_t*>(wv);
    const size_t h = group / 2, hdr = Asym ? 4 : 2;
    const __m128i mask = _mm_set1_epi8(0x0f), bias = _mm_set1_epi8(Asym ? 0 : 8);
    __m512 acc = _mm512_setzero_ps(), accm = _mm512_setzero_ps();
    for (size_t b = 0; b < n / group; ++b, w += hdr + h, x += group) {
        __m512 bs = _mm512_setzero_ps(), xs = _mm512_setzero_ps();
        for (size_t c = 0; c < h / 16; ++c) {
            const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + hdr + 16 * c));
            bs = fma_codes16(_mm_sub_epi8(_mm_and_si128(raw, mask), bias), x + 16 * c, bs);
            bs = fma_codes16(_mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), bias), x + h + 16 * c, bs);
            if (Asym) xs = _mm512_add_ps(xs, _mm512_add_ps(_mm512_loadu_ps(x + 16 * c), _mm512_loadu_ps(x + h + 16 * c)));
        }
        acc = _mm512_fmadd_ps(_mm512_set1_ps(scale_of(w)), bs, acc);
        if (Asym) accm = _mm512_fmadd_ps(_mm512_set1_ps(scale_of(w + 2)), xs, accm);
    }
    return hsum(_mm512_add_ps(acc, accm));
}

int32_t hsum_i32(__m512i v) {
    const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

// VNNI vpdpbusd multiplies unsigned by signed bytes. x + 128 (x XOR 0x80) is unsigned, so
// sum (x + 128) w - 128 sum w = sum x w exactly (at most 255 * 127 * 4 per lane and step).
int32_t dot_i8_vnni(const int8_t* w, const int8_t* x, size_t n, int32_t w_sum) {
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    __m512i a0 = _mm512_setzero_si512(), a1 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        a0 = _mm512_dpbusd_epi32(a0, _mm512_xor_si512(_mm512_loadu_si512(x + i), flip), _mm512_loadu_si512(w + i));
        a1 = _mm512_dpbusd_epi32(a1, _mm512_xor_si512(_mm512_loadu_si512(x + i + 64), flip), _mm512_loadu_si512(w + i + 64));
    }
    for (; i < n; i += 64) {
        const __mmask64 m = n - i >= 64 ? ~__mmask64{0} : ((__mmask64{1} << (n - i)) - 1);
        // Masked-off weights load as 0, so their (0x80-flipped) activations contribute nothing.
        a0 = _mm512_dpbusd_epi32(a0, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, x + i), flip), _mm512_maskz_loadu_epi8(m, w + i));
    }
    return hsum_i32(_mm512_add_epi32(a0, a1)) - 128 * w_sum;
}

// Nibble codes (unsigned) times int8 activations with 256-bit vpdpbusd; the activations' sums come
// from a second vpdpbusd against ones. Integer lanes are exact per group.
// Group 32: two groups per 512-bit step. Their 64 codes [lo0 | hi0 | lo1 | hi1] line up with 64
// contiguous activations; lanes 0-7 sum group b, lanes 8-15 group b + 1.
template <bool Asym>
float dot_q4_a8_vnni_g32(const uint8_t* w, const int8_t* x, size_t n_groups, __m256 acc256) {
    constexpr size_t bb = Asym ? 20 : 18, hdr = Asym ? 4 : 2;
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m512i ones = _mm512_set1_epi8(1);
    __m512 acc = _mm512_setzero_ps();
    size_t b = 0;
    for (; b + 2 <= n_groups; b += 2, w += 2 * bb, x += 64) {
        const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + hdr));
        const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + bb + hdr));
        const __m256i q0 = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(r0, 4), mask), _mm_and_si128(r0, mask));
        const __m256i q1 = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(r1, 4), mask), _mm_and_si128(r1, mask));
        const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1);
        const __m512i xv = _mm512_loadu_si512(x);
        const __m512i qx = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, xv);
        const __m512i sx = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, xv);
        const __m512 d = _mm512_insertf32x8(_mm512_set1_ps(scale_of(w)), _mm256_set1_ps(scale_of(w + bb)), 1);
        if (Asym) {
            const __m512 m = _mm512_insertf32x8(_mm512_set1_ps(scale_of(w + 2)), _mm256_set1_ps(scale_of(w + bb + 2)), 1);
            acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(qx), acc);
            acc = _mm512_fmadd_ps(m, _mm512_cvtepi32_ps(sx), acc);
        } else {
            acc = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(qx, _mm512_slli_epi32(sx, 3))), acc);
        }
    }
    if (b < n_groups) {  // one group left: the 256-bit form
        const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + hdr));
        const __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(r0, 4), mask), _mm_and_si128(r0, mask));
        const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
        const __m256i qx = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q, xv);
        const __m256i sx = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), xv);
        if (Asym) {
            acc256 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w)), _mm256_cvtepi32_ps(qx), acc256);
            acc256 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w + 2)), _mm256_cvtepi32_ps(sx), acc256);
        } else {
            acc256 = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w)), _mm256_cvtepi32_ps(_mm256_sub_epi32(qx, _mm256_slli_epi32(sx, 3))), acc256);
        }
    }
    return hsum(acc) + [&] {
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc256), _mm256_extractf128_ps(acc256, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        return _mm_cvtss_f32(s);
    }();
}

template <bool Asym>
float dot_q4_a8_vnni(const void* wv, const int8_t* x, size_t n, size_t group) {
    const auto* w = static_cast<const uint8_t*>(wv);
    if (group == 32) return dot_q4_a8_vnni_g32<Asym>(w, x, n / 32, _mm256_setzero_ps());
    const size_t h = group / 2, hdr = Asym ? 4 : 2;
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m256i ones = _mm256_set1_epi8(1);
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < n / group; ++b, w += hdr + h, x += group) {
        __m256i qx = _mm256_setzero_si256(), sx = _mm256_setzero_si256();
        for (size_t c = 0; c < h / 16; ++c) {
            const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + hdr + 16 * c));
            const __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), _mm_and_si128(raw, mask));
            const __m256i xv = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + h + 16 * c)),
                                                _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 16 * c)));
            qx = _mm256_dpbusd_epi32(qx, q, xv);
            sx = _mm256_dpbusd_epi32(sx, ones, xv);
        }
        const __m256 d = _mm256_set1_ps(scale_of(w));
        if (Asym) {
            acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(qx), acc);
            acc = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w + 2)), _mm256_cvtepi32_ps(sx), acc);
        } else {
            acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_sub_epi32(qx, _mm256_slli_epi32(sx, 3))), acc);
        }
    }
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

KernelTable make_table() {
    KernelTable t{Isa::Avx512, dot_f32, dot_f16, dot_bf16, dot_q8_0, dot_q4_0, to_f32, to_f16, axpy_f16, axpy_f32,
                  dot_q4g_t<false>, dot_q4g_t<true>, dot_i8_vnni, dot_q4_a8_vnni<false>, dot_q4_a8_vnni<true>};
    if (!cpu_features().avx512_vnni) {  // AVX-512 without VNNI: the AVX2 integer kernels
        t.dot_i8 = avx2_kernels().dot_i8;
        t.dot_q4g_a8 = avx2_kernels().dot_q4g_a8;
        t.dot_q4ga_a8 = avx2_kernels().dot_q4ga_a8;
    }
    return t;
}

}  // namespace

const KernelTable& avx512_kernels() {
    static const KernelTable t = make_table();
    return t;
}

}  // namespace q8
