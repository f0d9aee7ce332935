#include <immintrin.h>

#include <initializer_list>

#include <algorithm>
#include <cstring>
#include <limits>

#include "kernels_activation.h"

namespace q8::activation {

namespace {

__m256 exp_ps(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-104.f)), _mm256_set1_ps(89.f));
    const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                     _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860682030941723e-6f), r);
    __m256 p = _mm256_set1_ps(1.f / 5040.f);
    for (const float c : {1.f / 720.f, 1.f / 120.f, 1.f / 24.f, 1.f / 6.f, 0.5f, 1.f, 1.f})
        p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
    // 2^n as two powers of two, each within the normal exponent range for n in [-150, 129], so
    // the products over- and underflow as the exact value would.
    const __m256i ni = _mm256_cvtps_epi32(n);
    const __m256i n1 = _mm256_srai_epi32(ni, 1), n2 = _mm256_sub_epi32(ni, n1);
    const __m256i bias = _mm256_set1_epi32(127);
    const __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n1, bias), 23));
    const __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n2, bias), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

__m256 silu_mul(__m256 g, __m256 u) {
    const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), g));
    return _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(_mm256_set1_ps(1.f), e)), u);
}

float hmax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

}  // namespace

void softmax_avx2(float* x, size_t n) {
    if (n == 0) return;
    const size_t full = n / 8 * 8, rest = n - full;
    float t[8];  // the tail, padded: -inf gives exp 0, which neither the maximum nor the sum sees
    std::fill(t, t + 8, -std::numeric_limits<float>::infinity());
    std::memcpy(t, x + full, rest * sizeof(float));
    __m256 mx = _mm256_loadu_ps(t);
    for (size_t i = 0; i < full; i += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(x + i));
    const __m256 m = _mm256_set1_ps(hmax(mx));
    __m256 sum = _mm256_setzero_ps();
    for (size_t i = 0; i < full; i += 8) {
        const __m256 e = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), m));
        _mm256_storeu_ps(x + i, e);
        sum = _mm256_add_ps(sum, e);
    }
    const __m256 et = exp_ps(_mm256_sub_ps(_mm256_loadu_ps(t), m));
    sum = _mm256_add_ps(sum, et);
    const float inv = 1.f / hsum(sum);
    for (size_t i = 0; i < full; i += 8)
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(inv)));
    _mm256_storeu_ps(t, _mm256_mul_ps(et, _mm256_set1_ps(inv)));
    std::memcpy(x + full, t, rest * sizeof(float));
}

void silu_mul_avx2(const float* gate, const float* up, size_t n, float* out) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, silu_mul(_mm256_loadu_ps(gate + i), _mm256_loadu_ps(up + i)));
    if (i < n) {  // the tail through the same lanes, padded
        float g[8] = {}, u[8] = {}, o[8];
        std::memcpy(g, gate + i, (n - i) * sizeof(float));
        std::memcpy(u, up + i, (n - i) * sizeof(float));
        _mm256_storeu_ps(o, silu_mul(_mm256_loadu_ps(g), _mm256_loadu_ps(u)));
        std::memcpy(out + i, o, (n - i) * sizeof(float));
    }
}

}  // namespace q8::activation
