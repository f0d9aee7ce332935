// AVX-512 kernels (F/BW/VL/DQ with F16C). Four independent accumulators hide FMA latency so that a
// batch-1 product runs at the speed memory delivers the weights.
#include <immintrin.h>

#include <cstring>
#include <type_traits>

#include "half.h"
#include "kernels.h"
#include "kernels_activation.h"
#include "kernels_batch_loop.h"
#include "kernels_row_tiles.h"
#include "weight_formats.h"

namespace q8 {

namespace {

__m512 load_f16(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }

__m512 load_bf16(const uint16_t* p) {
    __m512i v = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
}

// Our own horizontal sum: GCC 12's _mm512_reduce_add_ps trips -Wuninitialized inside its header.
float hsum(__m512 v) {
    const __m256 h =
        _mm256_add_ps(_mm512_castps512_ps256(v), _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__mmask16 tail_mask(size_t k) { return static_cast<__mmask16>((1u << k) - 1u); }

// Float-activation products. Every format is a "row" that decodes one block at a time into
// 16-float chunks (scales folded in); one template multiplies the chunks into a tile of up to four
// tokens, so the decoding is shared by the tile. Each token has its own four accumulators, used in
// the same order whatever the tile size, which makes batched results bit-identical to single-token
// ones. Float rows (kPlain) also have a chunk() and a masked tail() for lengths that are not a
// multiple of the block.
template <class Load>
struct PlainRow {
    static constexpr int kChunks = 4;
    static constexpr bool kPlain = true;
    Load load;
    void block(size_t b, __m512* w) const {
        for (int j = 0; j < 4; ++j) w[j] = load.chunk(4 * b + j);
    }
    __m512 chunk(size_t c) const { return load.chunk(c); }
    __m512 tail(size_t c, __mmask16 m) const { return load.tail(c, m); }
};

struct F32Load {
    const float* w;
    __m512 chunk(size_t c) const { return _mm512_loadu_ps(w + 16 * c); }
    __m512 tail(size_t c, __mmask16 m) const { return _mm512_maskz_loadu_ps(m, w + 16 * c); }
};

struct F16Load {
    const uint16_t* w;
    __m512 chunk(size_t c) const { return load_f16(w + 16 * c); }
    __m512 tail(size_t c, __mmask16 m) const { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, w + 16 * c)); }
};

struct BF16Load {
    const uint16_t* w;
    __m512 chunk(size_t c) const { return load_bf16(w + 16 * c); }
    __m512 tail(size_t c, __mmask16 m) const {
        const __m512i v = _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, w + 16 * c));
        return _mm512_castsi512_ps(_mm512_slli_epi32(v, 16));
    }
};

float scale_of(const uint8_t* block) {
    uint16_t h;
    std::memcpy(&h, block, 2);
    return _cvtsh_ss(h);
}

__m512 codes_to_ps(__m128i q) { return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)); }

// Q8_0 blocks: f16 scale + 32 int8 codes.
struct Q8_0Row {
    static constexpr int kChunks = 2;
    static constexpr bool kPlain = false;
    const uint8_t* w;
    void block(size_t b, __m512* out) const {
        const uint8_t* p = w + 34 * b;
        const __m512 d = _mm512_set1_ps(scale_of(p));
        out[0] = _mm512_mul_ps(d, codes_to_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2))));
        out[1] = _mm512_mul_ps(d, codes_to_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 18))));
    }
};

// Group-wise 4-bit (Q4_0 is Q4G with group 32): a group is its header (f16 scale, plus an f16
// minimum when Asym) and G/2 bytes; byte chunk j holds elements 16j.. in its low nibbles and
// G/2 + 16j.. in its high nibbles. Symmetric codes are centred on 8; asymmetric values are
// d * q + m.
template <bool Asym, int G>
struct Q4GRow {
    static constexpr int kChunks = G / 16;
    static constexpr bool kPlain = false;
    static constexpr size_t kHdr = Asym ? 4 : 2, kBytes = kHdr + G / 2;
    const uint8_t* w;
    void block(size_t b, __m512* out) const {
        const uint8_t* g = w + kBytes * b;
        const __m512 d = _mm512_set1_ps(scale_of(g));
        const __m512 m = Asym ? _mm512_set1_ps(scale_of(g + 2)) : _mm512_setzero_ps();
        const __m128i mask = _mm_set1_epi8(0x0f), bias = _mm_set1_epi8(Asym ? 0 : 8);
        for (int j = 0; j < G / 32; ++j) {
            const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(g + kHdr + 16 * j));
            const __m512 lo = codes_to_ps(_mm_sub_epi8(_mm_and_si128(raw, mask), bias));
            const __m512 hi = codes_to_ps(_mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), bias));
            out[j] = Asym ? _mm512_fmadd_ps(d, lo, m) : _mm512_mul_ps(d, lo);
            out[G / 32 + j] = Asym ? _mm512_fmadd_ps(d, hi, m) : _mm512_mul_ps(d, hi);
        }
    }
};

template <int NT, class Row>
void dot_tile(const Row& row, const float* x, size_t ldx, size_t n, float* y, size_t ldy) {
    constexpr int K = Row::kChunks;
    constexpr int B = K >= 4 ? 1 : 4 / K;  // blocks per step, so a step fills all four accumulators
    constexpr int S = K * B;
    __m512 acc[NT][4];
    for (int t = 0; t < NT; ++t)
        for (int j = 0; j < 4; ++j) acc[t][j] = _mm512_setzero_ps();
    auto fma_chunk = [&](const __m512 w, size_t c, int j) {
        for (int t = 0; t < NT; ++t) acc[t][j] = _mm512_fmadd_ps(w, _mm512_loadu_ps(x + t * ldx + 16 * c), acc[t][j]);
    };
    const size_t chunks = n / 16;
    __m512 w[S];
    size_t c = 0;
    for (; c + S <= chunks; c += S) {
        for (int b = 0; b < B; ++b) row.block(c / K + b, w + b * K);
        for (int j = 0; j < S; ++j) fma_chunk(w[j], c + j, j & 3);
    }
    if constexpr (B > 1) {
        for (; c + K <= chunks; c += K) {  // whole blocks left over (fewer than B)
            row.block(c / K, w);
            for (int j = 0; j < K; ++j) fma_chunk(w[j], c + j, j & 3);
        }
    }
    if constexpr (Row::kPlain) {
        if (c < chunks) fma_chunk(row.chunk(c), c, 0), ++c;
        if (c < chunks) fma_chunk(row.chunk(c), c, 1), ++c;
        if (c < chunks) fma_chunk(row.chunk(c), c, 2), ++c;
        if (n % 16 != 0) {
            const __mmask16 m = tail_mask(n % 16);
            const __m512 wt = row.tail(c, m);
            for (int t = 0; t < NT; ++t)
                acc[t][3] = _mm512_fmadd_ps(wt, _mm512_maskz_loadu_ps(m, x + t * ldx + 16 * c), acc[t][3]);
        }
    }
    for (int t = 0; t < NT; ++t)
        y[t * ldy] = hsum(_mm512_add_ps(_mm512_add_ps(acc[t][0], acc[t][1]), _mm512_add_ps(acc[t][2], acc[t][3])));
}

template <class Row>
void dot_tokens(const Row& row, const float* x, size_t ldx, size_t n_tok, size_t n, float* y, size_t ldy) {
    size_t t = 0;
    for (; t + 4 <= n_tok; t += 4) dot_tile<4>(row, x + t * ldx, ldx, n, y + t * ldy, ldy);
    switch (n_tok - t) {
    case 3: dot_tile<3>(row, x + t * ldx, ldx, n, y + t * ldy, ldy); break;
    case 2: dot_tile<2>(row, x + t * ldx, ldx, n, y + t * ldy, ldy); break;
    case 1: dot_tile<1>(row, x + t * ldx, ldx, n, y + t * ldy, ldy); break;
    default: break;
    }
}

void batch_f32(const void* w, const float* x, size_t ldx, size_t n_tok, size_t n, size_t, float* y, size_t ldy) {
    dot_tokens(PlainRow<F32Load>{{static_cast<const float*>(w)}}, x, ldx, n_tok, n, y, ldy);
}
void batch_f16(const void* w, const float* x, size_t ldx, size_t n_tok, size_t n, size_t, float* y, size_t ldy) {
    dot_tokens(PlainRow<F16Load>{{static_cast<const uint16_t*>(w)}}, x, ldx, n_tok, n, y, ldy);
}
void batch_bf16(const void* w, const float* x, size_t ldx, size_t n_tok, size_t n, size_t, float* y, size_t ldy) {
    dot_tokens(PlainRow<BF16Load>{{static_cast<const uint16_t*>(w)}}, x, ldx, n_tok, n, y, ldy);
}
void batch_q8_0(const void* w, const float* x, size_t ldx, size_t n_tok, size_t n, size_t, float* y, size_t ldy) {
    dot_tokens(Q8_0Row{static_cast<const uint8_t*>(w)}, x, ldx, n_tok, n, y, ldy);
}
template <bool Asym>
void batch_q4g(const void* wv, const float* x, size_t ldx, size_t n_tok, size_t n, size_t group, float* y, size_t ldy) {
    const auto* w = static_cast<const uint8_t*>(wv);
    switch (group) {
    case 32: dot_tokens(Q4GRow<Asym, 32>{w}, x, ldx, n_tok, n, y, ldy); break;
    case 64: dot_tokens(Q4GRow<Asym, 64>{w}, x, ldx, n_tok, n, y, ldy); break;
    default: dot_tokens(Q4GRow<Asym, 128>{w}, x, ldx, n_tok, n, y, ldy); break;
    }
}
void batch_q4_0(const void* w, const float* x, size_t ldx, size_t n_tok, size_t n, size_t, float* y, size_t ldy) {
    batch_q4g<false>(w, x, ldx, n_tok, n, 32, y, ldy);
}

template <KernelTable::DotBatchFn Batch>
float single(const void* w, const float* x, size_t n) {
    float y;
    Batch(w, x, n, 1, n, 0, &y, 1);
    return y;
}

template <bool Asym>
float single_q4g(const void* w, const float* x, size_t n, size_t group) {
    float y;
    batch_q4g<Asym>(w, x, n, 1, n, group, &y, 1);
    return y;
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
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(av, _mm512_loadu_ps(v + i), _mm512_loadu_ps(y + i)));
    for (; i < n; ++i) y[i] += a * v[i];
}

// Attention rows of C chunks of 16 values (head sizes 32 to 256), in the cache's type.
__m512 load_row_chunk(const uint16_t* p) { return load_f16(p); }
__m512 load_row_chunk(const float* p) { return _mm512_loadu_ps(p); }

// One head: the query stays in registers; each key is one chain of C FMAs and a horizontal sum,
// and the chains of successive positions overlap.
template <typename T, int C>
void scores_one(const uint8_t* k, size_t stride, size_t n_pos, const float* q, float scale, float* s) {
    __m512 qv[C];
    for (int c = 0; c < C; ++c) qv[c] = _mm512_loadu_ps(q + 16 * c);
    for (size_t p = 0; p < n_pos; ++p) {
        const T* key = reinterpret_cast<const T*>(k + p * stride);
        __m512 acc = _mm512_mul_ps(load_row_chunk(key), qv[0]);
        for (int c = 1; c < C; ++c) acc = _mm512_fmadd_ps(load_row_chunk(key + 16 * c), qv[c], acc);
        s[p] = hsum(acc) * scale;
    }
}

// Four heads at four positions: the sixteen dot products' partial sums reduce together, in one
// tree of shuffles that pairs lanes as hsum does (i and i + 8, then 4, 2, 1), so each score keeps
// scores_one's bits. That tree costs about three instructions per score where one tree per
// position cost about six, once the extraction of each score is counted. The result's 128-bit
// lane h holds head h at the four positions.
template <typename T, int C>
void scores_four_at_four(const uint8_t* k, size_t stride, const float* q, size_t q_stride, __m512 scale_v, float* s,
                         size_t s_stride) {
    __m512 acc[16];  // position p, head h at 4 * p + h
    for (int p = 0; p < 4; ++p) {
        const T* key = reinterpret_cast<const T*>(k + p * stride);
        __m512 kc[C];
        for (int c = 0; c < C; ++c) kc[c] = load_row_chunk(key + 16 * c);
        for (int h = 0; h < 4; ++h) {
            const float* qh = q + h * q_stride;
            __m512 a = _mm512_mul_ps(kc[0], _mm512_loadu_ps(qh));
            for (int c = 1; c < C; ++c) a = _mm512_fmadd_ps(kc[c], _mm512_loadu_ps(qh + 16 * c), a);
            acc[4 * p + h] = a;
        }
    }
    __m512 halves[8], quarters[4], pairs[2];
    for (int j = 0; j < 8; ++j) {  // i and i + 8: vectors 2j and 2j + 1, one per 256-bit half
        const __m512 a = acc[2 * j], b = acc[2 * j + 1];
        halves[j] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xEE));
    }
    for (int j = 0; j < 4; ++j) {  // i and i + 4: vectors 4j to 4j + 3, one per 128-bit lane
        const __m512 a = halves[2 * j], b = halves[2 * j + 1];
        quarters[j] = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x88), _mm512_shuffle_f32x4(a, b, 0xDD));
    }
    for (int j = 0; j < 2; ++j) {  // i and i + 2
        const __m512 a = quarters[2 * j], b = quarters[2 * j + 1];
        pairs[j] = _mm512_add_ps(_mm512_shuffle_ps(a, b, 0x44), _mm512_shuffle_ps(a, b, 0xEE));
    }
    // i and i + 1: lane 4h + p ends with vector h + 4p, which is head h at position p.
    const __m512 v = _mm512_mul_ps(
        _mm512_add_ps(_mm512_shuffle_ps(pairs[0], pairs[1], 0x88), _mm512_shuffle_ps(pairs[0], pairs[1], 0xDD)),
        scale_v);
    _mm_storeu_ps(s, _mm512_castps512_ps128(v));
    _mm_storeu_ps(s + s_stride, _mm512_extractf32x4_ps(v, 1));
    _mm_storeu_ps(s + 2 * s_stride, _mm512_extractf32x4_ps(v, 2));
    _mm_storeu_ps(s + 3 * s_stride, _mm512_extractf32x4_ps(v, 3));
}

// Two or four heads: each key is loaded (and converted) once for all of them, and their
// horizontal sums share shuffles. Each lane pairing is hsum's (halves, then quarters, then pairs),
// so every score has scores_one's bits; the key conversions and the sums were most of a score's
// cost. Two heads serve models whose kv heads are shared by two query heads (or a run halved to
// two), which otherwise took scores_one twice.
template <typename T, int C, int NH>
void scores_heads(const uint8_t* k, size_t stride, size_t n_pos, const float* q, size_t q_stride, float scale, float* s,
                  size_t s_stride) {
    static_assert(NH == 2 || NH == 4);
    const __m512 scale_v = _mm512_set1_ps(scale);
    alignas(64) float out[16];
    size_t p = 0;
    if constexpr (NH == 4) {
        for (; p + 4 <= n_pos; p += 4)
            scores_four_at_four<T, C>(k + p * stride, stride, q, q_stride, scale_v, s + p, s_stride);
    }
    for (; p < n_pos; ++p) {
        const T* key = reinterpret_cast<const T*>(k + p * stride);
        __m512 kc[C];
        for (int c = 0; c < C; ++c) kc[c] = load_row_chunk(key + 16 * c);
        __m512 acc[NH];
        for (int h = 0; h < NH; ++h) {
            const float* qh = q + h * q_stride;
            acc[h] = _mm512_mul_ps(kc[0], _mm512_loadu_ps(qh));
            for (int c = 1; c < C; ++c) acc[h] = _mm512_fmadd_ps(kc[c], _mm512_loadu_ps(qh + 16 * c), acc[h]);
        }
        // Lanes i and i + 8 of each head: heads 0 and 1 in one vector, 2 and 3 in another.
        const __m512 h01 =
            _mm512_add_ps(_mm512_shuffle_f32x4(acc[0], acc[1], 0x44), _mm512_shuffle_f32x4(acc[0], acc[1], 0xEE));
        __m512 h23 = h01;  // with two heads, lanes 8 to 15 repeat heads 0 and 1
        if constexpr (NH == 4)
            h23 = _mm512_add_ps(_mm512_shuffle_f32x4(acc[2], acc[3], 0x44), _mm512_shuffle_f32x4(acc[2], acc[3], 0xEE));
        // Then i and i + 4: head h in 128-bit lane h.
        __m512 v = _mm512_add_ps(_mm512_shuffle_f32x4(h01, h23, 0x88), _mm512_shuffle_f32x4(h01, h23, 0xDD));
        v = _mm512_add_ps(v, _mm512_permute_ps(v, 0xEE));  // i and i + 2
        v = _mm512_add_ps(v, _mm512_movehdup_ps(v));       // i and i + 1, in each lane's first float
        _mm512_store_ps(out, _mm512_mul_ps(v, scale_v));
        for (int h = 0; h < NH; ++h) s[h * s_stride + p] = out[4 * h];
    }
}

template <typename T, int C>
void scores_chunks(const uint8_t* k, size_t stride, size_t n_pos, const float* q, size_t q_stride, size_t n_heads,
                   float scale, float* s, size_t s_stride) {
    size_t h = 0;
    for (; h + 4 <= n_heads; h += 4)
        scores_heads<T, C, 4>(k, stride, n_pos, q + h * q_stride, q_stride, scale, s + h * s_stride, s_stride);
    for (; h + 2 <= n_heads; h += 2)
        scores_heads<T, C, 2>(k, stride, n_pos, q + h * q_stride, q_stride, scale, s + h * s_stride, s_stride);
    for (; h < n_heads; ++h) scores_one<T, C>(k, stride, n_pos, q + h * q_stride, scale, s + h * s_stride);
}

// NH heads' outputs stay in registers across positions: one load of each value row for all of
// them, no stores until the end, each head in the order axpy would add.
template <typename T, int C, int NH>
void mix_heads_chunks(const float* weight, size_t w_stride, const uint8_t* v, size_t stride, size_t n_pos, float* out,
                      size_t out_stride) {
    __m512 acc[NH][C];
    for (int h = 0; h < NH; ++h)
        for (int c = 0; c < C; ++c) acc[h][c] = _mm512_setzero_ps();
    for (size_t p = 0; p < n_pos; ++p) {
        const T* value = reinterpret_cast<const T*>(v + p * stride);
        __m512 vc[C];
        for (int c = 0; c < C; ++c) vc[c] = load_row_chunk(value + 16 * c);
        for (int h = 0; h < NH; ++h) {
            const __m512 a = _mm512_set1_ps(weight[h * w_stride + p]);
            for (int c = 0; c < C; ++c) acc[h][c] = _mm512_fmadd_ps(a, vc[c], acc[h][c]);
        }
    }
    for (int h = 0; h < NH; ++h)
        for (int c = 0; c < C; ++c) _mm512_storeu_ps(out + h * out_stride + 16 * c, acc[h][c]);
}

template <typename T, int C>
void mix_chunks(const float* weight, size_t w_stride, size_t n_heads, const uint8_t* v, size_t stride, size_t n_pos,
                float* out, size_t out_stride) {
    constexpr int kHeads = C <= 6 ? 4 : 2;  // kHeads x C accumulators + C value chunks in 32 registers
    size_t h = 0;
    for (; h + kHeads <= n_heads; h += kHeads)
        mix_heads_chunks<T, C, kHeads>(weight + h * w_stride, w_stride, v, stride, n_pos, out + h * out_stride,
                                       out_stride);
    if constexpr (kHeads > 2) {
        for (; h + 2 <= n_heads; h += 2)
            mix_heads_chunks<T, C, 2>(weight + h * w_stride, w_stride, v, stride, n_pos, out + h * out_stride,
                                      out_stride);
    }
    for (; h < n_heads; ++h)
        mix_heads_chunks<T, C, 1>(weight + h * w_stride, w_stride, v, stride, n_pos, out + h * out_stride, out_stride);
}

template <typename T, KernelTable::DotFn Dot>
void scores(const void* keys, size_t stride, size_t n_pos, const float* q, size_t q_stride, size_t n_heads, size_t hd,
            float scale, float* s, size_t s_stride) {
    const auto* k = static_cast<const uint8_t*>(keys);
    switch (hd) {
    case 32: scores_chunks<T, 2>(k, stride, n_pos, q, q_stride, n_heads, scale, s, s_stride); return;
    case 64: scores_chunks<T, 4>(k, stride, n_pos, q, q_stride, n_heads, scale, s, s_stride); return;
    case 80: scores_chunks<T, 5>(k, stride, n_pos, q, q_stride, n_heads, scale, s, s_stride); return;
    case 96: scores_chunks<T, 6>(k, stride, n_pos, q, q_stride, n_heads, scale, s, s_stride); return;
    case 128: scores_chunks<T, 8>(k, stride, n_pos, q, q_stride, n_heads, scale, s, s_stride); return;
    default: batch_loop::scores<Dot>(keys, stride, n_pos, q, q_stride, n_heads, hd, scale, s, s_stride);
    }
}

template <typename T, KernelTable::AxpyFn Axpy>
void mix(const float* weight, size_t w_stride, size_t n_heads, const void* values, size_t stride, size_t n_pos,
         size_t hd, float* out, size_t out_stride) {
    const auto* v = static_cast<const uint8_t*>(values);
    switch (hd) {
    case 32: mix_chunks<T, 2>(weight, w_stride, n_heads, v, stride, n_pos, out, out_stride); return;
    case 64: mix_chunks<T, 4>(weight, w_stride, n_heads, v, stride, n_pos, out, out_stride); return;
    case 80: mix_chunks<T, 5>(weight, w_stride, n_heads, v, stride, n_pos, out, out_stride); return;
    case 96: mix_chunks<T, 6>(weight, w_stride, n_heads, v, stride, n_pos, out, out_stride); return;
    case 128: mix_chunks<T, 8>(weight, w_stride, n_heads, v, stride, n_pos, out, out_stride); return;
    default: batch_loop::mix<Axpy>(weight, w_stride, n_heads, values, stride, n_pos, hd, out, out_stride);
    }
}

int32_t hsum_i32(__m512i v) {
    const __m256i h = _mm256_add_epi32(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

// Calls tile.template operator()<NT>(t) for token tiles of four, then the remainder.
template <class Tile>
void for_token_tiles(size_t n_tok, const Tile& tile) {
    size_t t = 0;
    for (; t + 4 <= n_tok; t += 4) tile.template operator()<4>(t);
    switch (n_tok - t) {
    case 3: tile.template operator()<3>(t); break;
    case 2: tile.template operator()<2>(t); break;
    case 1: tile.template operator()<1>(t); break;
    default: break;
    }
}

float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// VNNI vpdpbusd multiplies unsigned by signed bytes. x + 128 (x XOR 0x80) is unsigned, so
// sum (x + 128) w - 128 sum w = sum x w exactly (at most 255 * 127 * 4 per lane and step).
template <int NT>
void i8_tile(const int8_t* w, const int8_t* x, size_t ldx, size_t n, int32_t w_sum, int32_t* out) {
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    __m512i a[NT][2];
    for (int t = 0; t < NT; ++t) a[t][0] = a[t][1] = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        const __m512i w0 = _mm512_loadu_si512(w + i), w1 = _mm512_loadu_si512(w + i + 64);
        for (int t = 0; t < NT; ++t) {
            const int8_t* xt = x + t * ldx + i;
            a[t][0] = _mm512_dpbusd_epi32(a[t][0], _mm512_xor_si512(_mm512_loadu_si512(xt), flip), w0);
            a[t][1] = _mm512_dpbusd_epi32(a[t][1], _mm512_xor_si512(_mm512_loadu_si512(xt + 64), flip), w1);
        }
    }
    for (; i < n; i += 64) {
        const __mmask64 m = n - i >= 64 ? ~__mmask64{0} : ((__mmask64{1} << (n - i)) - 1);
        // Masked-off weights load as 0, so their (0x80-flipped) activations contribute nothing.
        const __m512i wm = _mm512_maskz_loadu_epi8(m, w + i);
        for (int t = 0; t < NT; ++t)
            a[t][0] =
                _mm512_dpbusd_epi32(a[t][0], _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, x + t * ldx + i), flip), wm);
    }
    for (int t = 0; t < NT; ++t) out[t] = hsum_i32(_mm512_add_epi32(a[t][0], a[t][1])) - 128 * w_sum;
}

void batch_i8(const void* wv, const int8_t* x, size_t ldx, size_t n_tok, size_t n, size_t, int32_t w_sum, float* y,
              size_t ldy) {
    const auto* w = static_cast<const int8_t*>(wv);
    for_token_tiles(n_tok, [&]<int NT>(size_t t) {
        int32_t out[NT];
        i8_tile<NT>(w, x + t * ldx, ldx, n, w_sum, out);
        for (int j = 0; j < NT; ++j) y[(t + j) * ldy] = static_cast<float>(out[j]);
    });
}

int32_t dot_i8_vnni(const int8_t* w, const int8_t* x, size_t n, int32_t w_sum) {
    int32_t out[1];
    i8_tile<1>(w, x, n, n, w_sum, out);
    return out[0];
}

// Nibble codes (unsigned) times int8 activations with vpdpbusd; the activations' sums come from a
// second vpdpbusd against ones. Integer lanes are exact per group.
// Group 32: two groups per 512-bit step. Their 64 codes [lo0 | hi0 | lo1 | hi1] line up with 64
// contiguous activations; lanes 0-7 sum group b, lanes 8-15 group b + 1.
template <bool Asym, int NT>
void q4_a8_g32_tile(const uint8_t* w, const int8_t* x, size_t ldx, size_t n_groups, float* y, size_t ldy) {
    constexpr size_t bb = Asym ? 20 : 18, hdr = Asym ? 4 : 2;
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m512i ones = _mm512_set1_epi8(1);
    __m512 acc[NT];
    __m256 acc256[NT];
    for (int t = 0; t < NT; ++t) {
        acc[t] = _mm512_setzero_ps();
        acc256[t] = _mm256_setzero_ps();
    }
    size_t b = 0;
    for (; b + 2 <= n_groups; b += 2, w += 2 * bb) {
        const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + hdr));
        const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + bb + hdr));
        const __m256i q0 = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(r0, 4), mask), _mm_and_si128(r0, mask));
        const __m256i q1 = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(r1, 4), mask), _mm_and_si128(r1, mask));
        const __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1);
        const __m512 d = _mm512_insertf32x8(_mm512_set1_ps(scale_of(w)), _mm256_set1_ps(scale_of(w + bb)), 1);
        const __m512 m =
            Asym ? _mm512_insertf32x8(_mm512_set1_ps(scale_of(w + 2)), _mm256_set1_ps(scale_of(w + bb + 2)), 1)
                 : _mm512_setzero_ps();
        for (int t = 0; t < NT; ++t) {
            const __m512i xv = _mm512_loadu_si512(x + t * ldx + 32 * b);
            const __m512i qx = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, xv);
            const __m512i sx = _mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, xv);
            if (Asym) {
                acc[t] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(qx), acc[t]);
                acc[t] = _mm512_fmadd_ps(m, _mm512_cvtepi32_ps(sx), acc[t]);
            } else {
                acc[t] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(_mm512_sub_epi32(qx, _mm512_slli_epi32(sx, 3))), acc[t]);
            }
        }
    }
    if (b < n_groups) {  // one group left: the 256-bit form
        const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + hdr));
        const __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(r0, 4), mask), _mm_and_si128(r0, mask));
        for (int t = 0; t < NT; ++t) {
            const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + t * ldx + 32 * b));
            const __m256i qx = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q, xv);
            const __m256i sx = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(1), xv);
            if (Asym) {
                acc256[t] = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w)), _mm256_cvtepi32_ps(qx), acc256[t]);
                acc256[t] = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w + 2)), _mm256_cvtepi32_ps(sx), acc256[t]);
            } else {
                acc256[t] =
                    _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w)),
                                    _mm256_cvtepi32_ps(_mm256_sub_epi32(qx, _mm256_slli_epi32(sx, 3))), acc256[t]);
            }
        }
    }
    for (int t = 0; t < NT; ++t) y[t * ldy] = hsum(acc[t]) + hsum256(acc256[t]);
}

// Groups of 64 or 128: 16-byte code chunks against the matching 32 activations (256-bit).
template <bool Asym, int NT>
void q4_a8_tile(const uint8_t* w, const int8_t* x, size_t ldx, size_t n, size_t group, float* y, size_t ldy) {
    const size_t h = group / 2, hdr = Asym ? 4 : 2;
    const __m128i mask = _mm_set1_epi8(0x0f);
    const __m256i ones = _mm256_set1_epi8(1);
    __m256 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < n / group; ++b, w += hdr + h) {
        __m256i qx[NT], sx[NT];
        for (int t = 0; t < NT; ++t) qx[t] = sx[t] = _mm256_setzero_si256();
        for (size_t c = 0; c < h / 16; ++c) {
            const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + hdr + 16 * c));
            const __m256i q = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), _mm_and_si128(raw, mask));
            for (int t = 0; t < NT; ++t) {
                const int8_t* xg = x + t * ldx + b * group;
                const __m256i xv = _mm256_set_m128i(_mm_loadu_si128(reinterpret_cast<const __m128i*>(xg + h + 16 * c)),
                                                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(xg + 16 * c)));
                qx[t] = _mm256_dpbusd_epi32(qx[t], q, xv);
                sx[t] = _mm256_dpbusd_epi32(sx[t], ones, xv);
            }
        }
        const __m256 d = _mm256_set1_ps(scale_of(w));
        for (int t = 0; t < NT; ++t) {
            if (Asym) {
                acc[t] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(qx[t]), acc[t]);
                acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(scale_of(w + 2)), _mm256_cvtepi32_ps(sx[t]), acc[t]);
            } else {
                acc[t] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(_mm256_sub_epi32(qx[t], _mm256_slli_epi32(sx[t], 3))),
                                         acc[t]);
            }
        }
    }
    for (int t = 0; t < NT; ++t) y[t * ldy] = hsum256(acc[t]);
}

template <bool Asym>
void batch_q4_a8(const void* wv, const int8_t* x, size_t ldx, size_t n_tok, size_t n, size_t group, int32_t, float* y,
                 size_t ldy) {
    const auto* w = static_cast<const uint8_t*>(wv);
    for_token_tiles(n_tok, [&]<int NT>(size_t t) {
        if (group == 32) {
            q4_a8_g32_tile<Asym, NT>(w, x + t * ldx, ldx, n / 32, y + t * ldy, ldy);
        } else {
            q4_a8_tile<Asym, NT>(w, x + t * ldx, ldx, n, group, y + t * ldy, ldy);
        }
    });
}

template <bool Asym>
float dot_q4_a8_vnni(const void* w, const int8_t* x, size_t n, size_t group) {
    float y;
    batch_q4_a8<Asym>(w, x, n, 1, n, group, 0, &y, 1);
    return y;
}

// Q4 split rows (compute/weight_formats.h): one 64-byte load gives the 128 codes of a span, low nibbles
// against the first 64 split-ordered activations, high nibbles against the next 64. With int8
// activations the codes are used unsigned, and the symmetric -8 offset and the asymmetric minimum
// enter through the group sums at the end (q4s_correction); with float activations each nibble is
// looked up as its value (q4s_f32_tile).

// Split rows lie back to back, so a matrix is one sequential stream, and still one core's hardware
// prefetchers leave it short of DRAM bandwidth: on the 2-vCPU EPYC guest one thread streaming a
// 115 MB split matrix read 12.7 GB/s without software prefetch, 20 GB/s asking 1.5 KiB ahead and
// 23-25 GB/s asking 4-8 KiB ahead (alternating runs). Prefetch never faults past the end.
constexpr size_t kSplitPrefetchBytes = 4096;

// Always inlined: GCC 12 emitted no prefetch at all where this was called, as a plain function,
// from the always-inlined Q8_0 step below (checked in the assembly).
[[gnu::always_inline]] inline void prefetch_ahead(const uint8_t* p) {
    _mm_prefetch(reinterpret_cast<const char*>(p + kSplitPrefetchBytes), _MM_HINT_T0);
}

// Per-lane index of the group (within a span) a 32-bit lane of a span's dot product belongs to.
template <int G>
__m512i span_lane_groups() {
    return _mm512_srli_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), G == 32   ? 2
                                                                                                     : G == 64 ? 3
                                                                                                               : 4);
}

// The scales of span s's groups, one per 32-bit lane of its dot product.
template <int G>
__m512 span_lane_scales(const uint8_t* scales, size_t s, __m512i lane_groups) {
    constexpr size_t per_span = 128 / G;
    const uint8_t* p = scales + 2 * per_span * s;
    if constexpr (G == 128) {
        return _mm512_set1_ps(scale_of(p));
    } else {
        __m128i h;
        if constexpr (G == 32) {
            h = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
        } else {
            uint32_t two;
            std::memcpy(&two, p, 4);
            h = _mm_cvtsi32_si128(static_cast<int>(two));
        }
        return _mm512_permutexvar_ps(lane_groups, _mm512_castps128_ps512(_mm_cvtph_ps(h)));
    }
}

// sum over groups of c_g * sums[g], with c the row's scales (times -8 by the caller) or minimums.
float q4s_correction(const uint8_t* c, const float* sums, size_t n_groups) {
    __m512 acc = _mm512_setzero_ps();
    size_t g = 0;
    for (; g + 16 <= n_groups; g += 16)
        acc = _mm512_fmadd_ps(load_f16(reinterpret_cast<const uint16_t*>(c) + g), _mm512_loadu_ps(sums + g), acc);
    if (g < n_groups) {
        const __mmask16 m = tail_mask(n_groups - g);
        const __m512 cv = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, reinterpret_cast<const uint16_t*>(c) + g));
        acc = _mm512_fmadd_ps(cv, _mm512_maskz_loadu_ps(m, sums + g), acc);
    }
    return hsum(acc);
}

template <int G, int NT>
void q4s_a8_tile(const uint8_t* w, const int8_t* xp, const float* sums, size_t ldx, size_t ld_sums, size_t n, bool asym,
                 float* y, size_t ldy) {
    const size_t n_groups = n / G;
    const uint8_t* scales = w + n / 2;
    const __m512i mask = _mm512_set1_epi8(0x0f);
    const __m512i lane_groups = span_lane_groups<G>();
    __m512 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
    for (size_t s = 0; s < n / 128; ++s) {
        prefetch_ahead(w + 64 * s);
        const __m512i v = _mm512_loadu_si512(w + 64 * s);
        const __m512i lo = _mm512_and_si512(v, mask), hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), mask);
        const __m512 d = span_lane_scales<G>(scales, s, lane_groups);
        for (int t = 0; t < NT; ++t) {
            const int8_t* x = xp + t * ldx + 128 * s;
            __m512i qx = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, _mm512_loadu_si512(x));
            qx = _mm512_dpbusd_epi32(qx, hi, _mm512_loadu_si512(x + 64));
            acc[t] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(qx), acc[t]);
        }
    }
    const uint8_t* c = asym ? scales + 2 * n_groups : scales;
    const float k = asym ? 1.f : -8.f;
    for (int t = 0; t < NT; ++t) y[t * ldy] = hsum(acc[t]) + k * q4s_correction(c, sums + t * ld_sums, n_groups);
}

// Int8 activation blocks: a span covers four blocks of 32 activations. Each 32-bit lane of a
// span's product belongs to one weight group and one activation block, and is scaled by the
// product of their scales, looked up per lane from the span's four (group scale x block scale)
// products. With group 32 both halves of a group are its one block, so the low- and high-nibble
// products share a lane's scale and one product serves both; larger groups keep them apart.
template <int G>
struct A8BlockLanes {
    // Lane l of the low-nibble (first-half) product reads activation block lo[l] of the span.
    __m512i lo, hi;
    A8BlockLanes() {
        const __m512i l = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        if constexpr (G == 32) {
            lo = hi = _mm512_srli_epi32(l, 2);  // group = block = lane / 4
        } else if constexpr (G == 64) {
            lo = _mm512_slli_epi32(_mm512_srli_epi32(l, 3), 1);  // group lane / 8, its blocks 2g, 2g + 1
            hi = _mm512_add_epi32(lo, _mm512_set1_epi32(1));
        } else {
            lo = _mm512_srli_epi32(l, 3);  // one group: blocks 0, 1 in the first half, 2, 3 in the second
            hi = _mm512_add_epi32(lo, _mm512_set1_epi32(2));
        }
    }
};

// The weight scale each of span s's four activation blocks is multiplied by.
template <int G>
__m128 span_block_scales(const uint8_t* scales, size_t s) {
    const uint8_t* p = scales + 2 * (128 / G) * s;
    if constexpr (G == 32) {
        return _mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    } else if constexpr (G == 64) {
        uint32_t two;
        std::memcpy(&two, p, 4);
        const __m128 d = _mm_cvtph_ps(_mm_cvtsi32_si128(static_cast<int>(two)));
        return _mm_unpacklo_ps(d, d);
    } else {
        return _mm_set1_ps(scale_of(p));
    }
}

// A tile of NR rows by NT tokens. Each row's span is loaded and unpacked once for the NT tokens,
// and each token's activations and block scales once for the NR rows, so one product costs two
// `vpdpbusd`, a conversion, a multiply and an FMA; verifying several drafted tokens then costs
// little more than reading the weights once. The lane scales are the weight scale times the block
// scale, the same product (and so the same bits) whatever the tile.
template <int G, int NR, int NT>
void q4s_a8b_tile(const uint8_t* w, size_t row_bytes, const A8Blocks& x, size_t t0, size_t n, bool asym, float* y,
                  size_t ldy) {
    constexpr bool two_halves = G != 32;  // the low- and high-nibble products need their own scales
    const size_t n_groups = n / G;
    const __m512i mask = _mm512_set1_epi8(0x0f);
    const A8BlockLanes<G> lanes;
    __m512 acc[NR][NT];
    for (int r = 0; r < NR; ++r)
        for (int t = 0; t < NT; ++t) acc[r][t] = _mm512_setzero_ps();
    for (size_t s = 0; s < n / 128; ++s) {
        __m512i lo[NR], hi[NR];
        __m512 dlo[NR], dhi[NR];
        for (int r = 0; r < NR; ++r) {
            const uint8_t* wr = w + r * row_bytes;
            prefetch_ahead(wr + 64 * s);
            const __m512i v = _mm512_loadu_si512(wr + 64 * s);
            lo[r] = _mm512_and_si512(v, mask);
            hi[r] = _mm512_and_si512(_mm512_srli_epi16(v, 4), mask);
            const __m512 d = _mm512_castps128_ps512(span_block_scales<G>(wr + n / 2, s));
            dlo[r] = _mm512_permutexvar_ps(lanes.lo, d);
            if constexpr (two_halves) dhi[r] = _mm512_permutexvar_ps(lanes.hi, d);
        }
        for (int t = 0; t < NT; ++t) {
            const int8_t* xt = x.xp + (t0 + t) * x.ldx + 128 * s;
            const __m512i x0 = _mm512_loadu_si512(xt), x1 = _mm512_loadu_si512(xt + 64);
            const __m512 xs = _mm512_castps128_ps512(_mm_loadu_ps(x.scales + (t0 + t) * x.ld_scales + 4 * s));
            const __m512 xlo = _mm512_permutexvar_ps(lanes.lo, xs);
            const __m512 xhi = two_halves ? _mm512_permutexvar_ps(lanes.hi, xs) : xlo;
            for (int r = 0; r < NR; ++r) {
                const __m512i ql = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo[r], x0);
                if constexpr (two_halves) {
                    const __m512i qh = _mm512_dpbusd_epi32(_mm512_setzero_si512(), hi[r], x1);
                    acc[r][t] = _mm512_fmadd_ps(_mm512_mul_ps(dlo[r], xlo), _mm512_cvtepi32_ps(ql), acc[r][t]);
                    acc[r][t] = _mm512_fmadd_ps(_mm512_mul_ps(dhi[r], xhi), _mm512_cvtepi32_ps(qh), acc[r][t]);
                } else {
                    const __m512i q = _mm512_dpbusd_epi32(ql, hi[r], x1);
                    acc[r][t] = _mm512_fmadd_ps(_mm512_mul_ps(dlo[r], xlo), _mm512_cvtepi32_ps(q), acc[r][t]);
                }
            }
        }
    }
    for (int r = 0; r < NR; ++r) {
        const uint8_t* scales = w + r * row_bytes + n / 2;
        const uint8_t* c = asym ? scales + 2 * n_groups : scales;
        const float k = asym ? 1.f : -8.f;
        for (int t = 0; t < NT; ++t)
            y[t * ldy + r] = hsum(acc[r][t]) + k * q4s_correction(c, x.sums + (t0 + t) * x.ld_sums, n_groups);
    }
}

// Tiles as large as the 32 vector registers allow: with group 32, three rows by up to five tokens
// (15 accumulators), so that verifying a draft of four is one pass; larger groups keep separate
// low- and high-half scales, two rows by up to four tokens.
template <int G>
struct A8bTiles {
    static constexpr int rows = G == 32 ? 3 : 2;
    static constexpr int tokens = G == 32 ? 5 : 4;
};

// Tokens [t, t + left) with left < MaxNT, as one tile.
template <int G, int NR, int NT>
void q4s_a8b_token_rest(const uint8_t* w, size_t row_bytes, const A8Blocks& x, size_t t, size_t left, size_t n,
                        bool asym, float* y, size_t ldy) {
    if constexpr (NT >= 1) {
        if (left == NT) {
            q4s_a8b_tile<G, NR, NT>(w, row_bytes, x, t, n, asym, y + t * ldy, ldy);
            return;
        }
        q4s_a8b_token_rest<G, NR, NT - 1>(w, row_bytes, x, t, left, n, asym, y, ldy);
    }
}

template <int G, int NR>
void q4s_a8b_rows(const uint8_t* w, size_t row_bytes, const A8Blocks& x, size_t n_tok, size_t n, bool asym, float* y,
                  size_t ldy) {
    constexpr int MaxNT = A8bTiles<G>::tokens;
    size_t t = 0;
    for (; t + MaxNT <= n_tok; t += MaxNT) q4s_a8b_tile<G, NR, MaxNT>(w, row_bytes, x, t, n, asym, y + t * ldy, ldy);
    if (t < n_tok) q4s_a8b_token_rest<G, NR, MaxNT - 1>(w, row_bytes, x, t, n_tok - t, n, asym, y, ldy);
}

template <int G>
void q4s_a8b_group(const uint8_t* w, size_t row_bytes, size_t n_rows, const A8Blocks& x, size_t n_tok, size_t n,
                   bool asym, float* y, size_t ldy) {
    // A decode step (one token) streams rows one at a time, as fast as memory delivers them; tiles
    // of rows pay off once several tokens share them.
    constexpr int NR = A8bTiles<G>::rows;
    size_t r = 0;
    if (n_tok == 1) {
        for (; r < n_rows; ++r) q4s_a8b_rows<G, 1>(w + r * row_bytes, row_bytes, x, n_tok, n, asym, y + r, ldy);
        return;
    }
    for (; r + NR <= n_rows; r += NR) q4s_a8b_rows<G, NR>(w + r * row_bytes, row_bytes, x, n_tok, n, asym, y + r, ldy);
    for (; r < n_rows; ++r) q4s_a8b_rows<G, 1>(w + r * row_bytes, row_bytes, x, n_tok, n, asym, y + r, ldy);
}

void batch_q4s_a8b(const void* wv, size_t row_bytes, size_t n_rows, const A8Blocks& x, size_t n_tok, size_t n,
                   size_t group, bool asym, float* y, size_t ldy) {
    const auto* w = static_cast<const uint8_t*>(wv);
    switch (group) {
    case 32: q4s_a8b_group<32>(w, row_bytes, n_rows, x, n_tok, n, asym, y, ldy); break;
    case 64: q4s_a8b_group<64>(w, row_bytes, n_rows, x, n_tok, n, asym, y, ldy); break;
    default: q4s_a8b_group<128>(w, row_bytes, n_rows, x, n_tok, n, asym, y, ldy); break;
    }
}

// Q8_0 rows against int8 activation blocks (VNNI). A step is four blocks (128 values, 136 bytes of
// a row) in two registers of two blocks each: lanes 0-7 of a register sum its first block, lanes
// 8-15 its second. vpdpbusd needs one unsigned operand; x + 128 (x XOR 0x80) is one, and each lane
// starts at -128 times the sum of its weight codes (one vpdpbusd of 0x80 bytes against the codes
// per row and step, shared by the tile's tokens), which leaves sum w x exactly (|lane| < 2^17).
// The lanes are scaled by weight scale times activation-block scale, the scalar reference's
// product, and accumulated in float. A last step of one to three blocks loads zeros for the
// missing blocks (codes, scales and activations), so it reads nothing past the row or the token.
struct Q8A8bLanes {
    __m512i block[2];  // register k, lane l: block 2k + l / 8 of the step
    Q8A8bLanes() {
        const __m512i half =
            _mm512_srli_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), 3);
        block[0] = half;
        block[1] = _mm512_add_epi32(half, _mm512_set1_epi32(2));
    }
};

// One row's codes, lane bases and lane weight scales for step s (`blocks` of its blocks present).
struct Q8A8bRowStep {
    __m512i w[2], base[2];
    __m512 d[2];
};

template <bool Tail>
[[gnu::always_inline]] inline Q8A8bRowStep q8_0_a8b_row_step(const uint8_t* row, size_t s, size_t blocks,
                                                             const Q8A8bLanes& lanes) {
    constexpr size_t bb = quant::kQ8_0Bytes;
    const uint8_t* p = row + 4 * bb * s;
    // 4 KiB ahead, as for split rows (above). The step's 136 bytes touch at most three cache
    // lines, each holding one of these three addresses or the next step's first.
    prefetch_ahead(p);
    prefetch_ahead(p + 64);
    prefetch_ahead(p + 128);
    // The four f16 scales gathered in a general register: assembling them in memory and loading
    // 16 bytes defeats store forwarding, which cost more than the rest of the step.
    uint64_t scales = 0;
    __m256i c[4];
    for (size_t j = 0; j < 4; ++j) {
        if (!Tail || j < blocks) {
            uint16_t h;
            std::memcpy(&h, p + bb * j, 2);
            scales |= uint64_t{h} << (16 * j);
            c[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + bb * j + 2));
        } else {
            c[j] = _mm256_setzero_si256();
        }
    }
    const __m512 d = _mm512_castps128_ps512(_mm_cvtph_ps(_mm_cvtsi64_si128(static_cast<long long>(scales))));
    const __m512i b128 = _mm512_set1_epi8(static_cast<char>(0x80));
    Q8A8bRowStep r;
    for (int k = 0; k < 2; ++k) {
        r.w[k] = _mm512_inserti64x4(_mm512_castsi256_si512(c[2 * k]), c[2 * k + 1], 1);
        r.base[k] = _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), b128, r.w[k]));
        r.d[k] = _mm512_permutexvar_ps(lanes.block[k], d);
    }
    return r;
}

template <int NR, int NT, bool Tail>
[[gnu::always_inline]] inline void q8_0_a8b_step(const uint8_t* w, size_t row_bytes, const A8Blocks& x, size_t t0,
                                                 size_t s, size_t blocks, const Q8A8bLanes& lanes,
                                                 __m512 (&acc)[NR][NT]) {
    Q8A8bRowStep rs[NR];
    for (int r = 0; r < NR; ++r) rs[r] = q8_0_a8b_row_step<Tail>(w + r * row_bytes, s, blocks, lanes);
    const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
    const size_t bytes = Tail ? 32 * blocks : 128;
    const __mmask64 m0 = bytes >= 64 ? ~__mmask64{0} : (__mmask64{1} << bytes) - 1;
    const __mmask64 m1 = bytes >= 128 ? ~__mmask64{0} : bytes <= 64 ? 0 : (__mmask64{1} << (bytes - 64)) - 1;
    for (int t = 0; t < NT; ++t) {
        const int8_t* xt = x.xp + (t0 + t) * x.ldx + 128 * s;
        const float* st = x.scales + (t0 + t) * x.ld_scales + 4 * s;
        __m512i xu[2];
        __m128 xs;
        if constexpr (Tail) {
            xu[0] = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m0, xt), flip);
            xu[1] = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m1, xt + 64), flip);
            xs = _mm_maskz_loadu_ps(static_cast<__mmask8>((1u << blocks) - 1), st);
        } else {
            xu[0] = _mm512_xor_si512(_mm512_loadu_si512(xt), flip);
            xu[1] = _mm512_xor_si512(_mm512_loadu_si512(xt + 64), flip);
            xs = _mm_loadu_ps(st);
        }
        for (int k = 0; k < 2; ++k) {
            const __m512 xsk = _mm512_permutexvar_ps(lanes.block[k], _mm512_castps128_ps512(xs));
            for (int r = 0; r < NR; ++r) {
                const __m512i q = _mm512_dpbusd_epi32(rs[r].base[k], xu[k], rs[r].w[k]);
                acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(q), _mm512_mul_ps(rs[r].d[k], xsk), acc[r][t]);
            }
        }
    }
}

// A tile of NR rows by NT tokens: each row's step is loaded once for the NT tokens and each
// token's once for the NR rows; every (row, token) accumulator sees the same operations in the
// same order whatever the tile.
template <int NR, int NT>
void q8_0_a8b_tile(const uint8_t* w, size_t row_bytes, const A8Blocks& x, size_t t0, size_t n, float* y, size_t ldy) {
    const size_t nb = n / quant::kActBlock, full = nb / 4;
    const Q8A8bLanes lanes;
    __m512 acc[NR][NT];
    for (int r = 0; r < NR; ++r)
        for (int t = 0; t < NT; ++t) acc[r][t] = _mm512_setzero_ps();
    for (size_t s = 0; s < full; ++s) q8_0_a8b_step<NR, NT, false>(w, row_bytes, x, t0, s, 4, lanes, acc);
    if (nb % 4 != 0) q8_0_a8b_step<NR, NT, true>(w, row_bytes, x, t0, full, nb % 4, lanes, acc);
    for (int r = 0; r < NR; ++r)
        for (int t = 0; t < NT; ++t) y[t * ldy + r] = hsum(acc[r][t]);
}

// Two rows by up to five tokens (10 accumulators; each row holds six registers of codes, bases
// and scales), so that verifying a draft of four is one pass.
constexpr int kQ8A8bRows = 2, kQ8A8bTokens = 5;

template <int NR, int NT>
void q8_0_a8b_token_rest(const uint8_t* w, size_t row_bytes, const A8Blocks& x, size_t t, size_t left, size_t n,
                         float* y, size_t ldy) {
    if constexpr (NT >= 1) {
        if (left == NT) {
            q8_0_a8b_tile<NR, NT>(w, row_bytes, x, t, n, y + t * ldy, ldy);
            return;
        }
        q8_0_a8b_token_rest<NR, NT - 1>(w, row_bytes, x, t, left, n, y, ldy);
    }
}

template <int NR>
void q8_0_a8b_rows(const uint8_t* w, size_t row_bytes, const A8Blocks& x, size_t n_tok, size_t n, float* y,
                   size_t ldy) {
    size_t t = 0;
    for (; t + kQ8A8bTokens <= n_tok; t += kQ8A8bTokens)
        q8_0_a8b_tile<NR, kQ8A8bTokens>(w, row_bytes, x, t, n, y + t * ldy, ldy);
    if (t < n_tok) q8_0_a8b_token_rest<NR, kQ8A8bTokens - 1>(w, row_bytes, x, t, n_tok - t, n, y, ldy);
}

void batch_q8_0_a8b(const void* wv, size_t row_bytes, size_t n_rows, const A8Blocks& x, size_t n_tok, size_t n,
                    float* y, size_t ldy) {
    const auto* w = static_cast<const uint8_t*>(wv);
    size_t r = 0;
    // A decode step (one token) streams rows one at a time, as the Q4 kernel does.
    if (n_tok > 1) {
        for (; r + kQ8A8bRows <= n_rows; r += kQ8A8bRows)
            q8_0_a8b_rows<kQ8A8bRows>(w + r * row_bytes, row_bytes, x, n_tok, n, y + r, ldy);
    }
    for (; r < n_rows; ++r) q8_0_a8b_rows<1>(w + r * row_bytes, row_bytes, x, n_tok, n, y + r, ldy);
}

// Float activations: 16 packed bytes of a span widen to 16 dwords, and vpermps looks each nibble
// up in a 16-entry table of the group's values (d * (q - 8), or d * q + m), since it reads only
// the low four bits of each index: the low nibble directly, the high one after a shift. That
// replaces mask, convert and scale per value. Low nibbles are chunk k of the span's first half,
// high nibbles chunk k of its second half, both in group k / (G / 32) of the span.
template <int G, int NT>
void q4s_f32_tile(const uint8_t* w, const float* xp, size_t ldx, size_t n, bool asym, float* y, size_t ldy) {
    constexpr int kGroups = 128 / G;  // per span
    const size_t n_groups = n / G;
    const uint8_t* scales = w + n / 2;
    const uint8_t* mins = scales + 2 * n_groups;
    const __m512 codes = _mm512_set_ps(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512 centred = _mm512_sub_ps(codes, _mm512_set1_ps(8.f));
    __m512 acc[NT][4];
    for (int t = 0; t < NT; ++t)
        for (int j = 0; j < 4; ++j) acc[t][j] = _mm512_setzero_ps();
    for (size_t s = 0; s < n / 128; ++s) {
        __m512 lut[kGroups];
        for (int g = 0; g < kGroups; ++g) {
            const size_t gi = kGroups * s + static_cast<size_t>(g);
            const __m512 d = _mm512_set1_ps(scale_of(scales + 2 * gi));
            lut[g] =
                asym ? _mm512_fmadd_ps(d, codes, _mm512_set1_ps(scale_of(mins + 2 * gi))) : _mm512_mul_ps(d, centred);
        }
        for (int k = 0; k < 4; ++k) {
            const __m512i dw =
                _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 64 * s + 16 * k)));
            const __m512 table = lut[k / (4 / kGroups)];
            const __m512 wlo = _mm512_permutexvar_ps(dw, table);
            const __m512 whi = _mm512_permutexvar_ps(_mm512_srli_epi32(dw, 4), table);
            for (int t = 0; t < NT; ++t) {
                const float* x = xp + t * ldx + 128 * s + 16 * k;
                acc[t][k & 1] = _mm512_fmadd_ps(wlo, _mm512_loadu_ps(x), acc[t][k & 1]);
                acc[t][2 + (k & 1)] = _mm512_fmadd_ps(whi, _mm512_loadu_ps(x + 64), acc[t][2 + (k & 1)]);
            }
        }
    }
    for (int t = 0; t < NT; ++t)
        y[t * ldy] = hsum(_mm512_add_ps(_mm512_add_ps(acc[t][0], acc[t][1]), _mm512_add_ps(acc[t][2], acc[t][3])));
}

// Float (W4A16) or int8 (W4A8) activations, per the element type.
template <class T>
void batch_q4s(const void* wv, const T* xp, const float* sums, size_t ldx, size_t ld_sums, size_t n_tok, size_t n,
               size_t group, bool asym, float* y, size_t ldy) {
    const auto* w = static_cast<const uint8_t*>(wv);
    for_token_tiles(n_tok, [&]<int NT>(size_t t) {
        const T* x = xp + t * ldx;
        const float* sm = sums + t * ld_sums;
        float* yt = y + t * ldy;
        auto tile = [&]<int G>() {
            if constexpr (std::is_same_v<T, float>) {
                q4s_f32_tile<G, NT>(w, x, ldx, n, asym, yt, ldy);
            } else {
                q4s_a8_tile<G, NT>(w, x, sm, ldx, ld_sums, n, asym, yt, ldy);
            }
        };
        switch (group) {
        case 32: tile.template operator()<32>(); break;
        case 64: tile.template operator()<64>(); break;
        default: tile.template operator()<128>(); break;
        }
    });
}

// ---- Prompt evaluation: decode a block of rows to f32, then a 4 x 4 register-blocked product.

void decode_f16_rows(const uint8_t* w, size_t row_bytes, size_t n_rows, size_t n, size_t, float* dst) {
    for (size_t r = 0; r < n_rows; ++r) to_f32(reinterpret_cast<const uint16_t*>(w + r * row_bytes), dst + r * n, n);
}

template <class Row>
void decode_blocks(const Row& row, size_t n, float* dst) {
    __m512 c[Row::kChunks];
    for (size_t b = 0; b < n / (16 * Row::kChunks); ++b) {
        row.block(b, c);
        for (int j = 0; j < Row::kChunks; ++j)
            _mm512_storeu_ps(dst + 16 * (b * Row::kChunks + static_cast<size_t>(j)), c[j]);
    }
}

void decode_q8_0_rows(const uint8_t* w, size_t row_bytes, size_t n_rows, size_t n, size_t, float* dst) {
    for (size_t r = 0; r < n_rows; ++r) decode_blocks(Q8_0Row{w + r * row_bytes}, n, dst + r * n);
}

// Split rows: per span, low nibbles are the first halves of its groups, high nibbles the second.
template <bool Asym>
void decode_q4s_rows(const uint8_t* w, size_t row_bytes, size_t n_rows, size_t n, size_t group, float* dst) {
    const size_t n_groups = n / group, h = group / 2;
    const __m128i mask = _mm_set1_epi8(0x0f);
    for (size_t r = 0; r < n_rows; ++r) {
        const uint8_t* codes = w + r * row_bytes;
        const uint8_t* scales = codes + n / 2;
        float* out = dst + r * n;
        for (size_t g = 0; g < n_groups; ++g) {
            const __m512 d = _mm512_set1_ps(scale_of(scales + 2 * g));
            const __m512 m = Asym ? _mm512_set1_ps(scale_of(scales + 2 * n_groups + 2 * g))
                                  : _mm512_set1_ps(-8.f * scale_of(scales + 2 * g));
            for (size_t j = 0; j < h; j += 16) {
                const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(codes + g * h + j));
                const __m512 lo = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(raw, mask)));
                const __m512 hi = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(raw, 4), mask)));
                _mm512_storeu_ps(out + g * group + j, _mm512_fmadd_ps(d, lo, m));
                _mm512_storeu_ps(out + g * group + h + j, _mm512_fmadd_ps(d, hi, m));
            }
        }
    }
}

// R rows x T tokens, one accumulator per pair; n a multiple of 16 or not (masked tail).
template <int R, int T>
void gemm_tile(const float* w, size_t ldw, const float* x, size_t ldx, size_t n, float* y, size_t ldy) {
    __m512 acc[R][T];
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) acc[r][t] = _mm512_setzero_ps();
    size_t c = 0;
    for (; c + 16 <= n; c += 16) {
        __m512 xv[T];
        for (int t = 0; t < T; ++t) xv[t] = _mm512_loadu_ps(x + t * ldx + c);
        for (int r = 0; r < R; ++r) {
            const __m512 wv = _mm512_loadu_ps(w + r * ldw + c);
            for (int t = 0; t < T; ++t) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    if (c < n) {
        const __mmask16 m = tail_mask(n - c);
        __m512 xv[T];
        for (int t = 0; t < T; ++t) xv[t] = _mm512_maskz_loadu_ps(m, x + t * ldx + c);
        for (int r = 0; r < R; ++r) {
            const __m512 wv = _mm512_maskz_loadu_ps(m, w + r * ldw + c);
            for (int t = 0; t < T; ++t) acc[r][t] = _mm512_fmadd_ps(wv, xv[t], acc[r][t]);
        }
    }
    for (int r = 0; r < R; ++r)
        for (int t = 0; t < T; ++t) y[t * ldy + r] = hsum(acc[r][t]);
}

template <int R>
void gemm_rows(const float* w, size_t ldw, const float* x, size_t ldx, size_t n_tok, size_t n, float* y, size_t ldy) {
    size_t t = 0;
    for (; t + 4 <= n_tok; t += 4) gemm_tile<R, 4>(w, ldw, x + t * ldx, ldx, n, y + t * ldy, ldy);
    switch (n_tok - t) {
    case 3: gemm_tile<R, 3>(w, ldw, x + t * ldx, ldx, n, y + t * ldy, ldy); break;
    case 2: gemm_tile<R, 2>(w, ldw, x + t * ldx, ldx, n, y + t * ldy, ldy); break;
    case 1: gemm_tile<R, 1>(w, ldw, x + t * ldx, ldx, n, y + t * ldy, ldy); break;
    default: break;
    }
}

void gemm_f32(const float* w, size_t ldw, size_t n_rows, const float* x, size_t ldx, size_t n_tok, size_t n, float* y,
              size_t ldy) {
    size_t r = 0;
    for (; r + 4 <= n_rows; r += 4) gemm_rows<4>(w + r * ldw, ldw, x, ldx, n_tok, n, y + r, ldy);
    switch (n_rows - r) {
    case 3: gemm_rows<3>(w + r * ldw, ldw, x, ldx, n_tok, n, y + r, ldy); break;
    case 2: gemm_rows<2>(w + r * ldw, ldw, x, ldx, n_tok, n, y + r, ldy); break;
    case 1: gemm_rows<1>(w + r * ldw, ldw, x, ldx, n_tok, n, y + r, ldy); break;
    default: break;
    }
}

// Same arithmetic as quant::quantize_activations_i8: the scale from the same float division, each
// value multiplied by the same reciprocal, clamped to [-127, 127] and rounded half away from zero
// (trunc plus one step when the exact remainder is at least a half).
float quantize_act_i8(const float* x, int8_t* q, size_t n, float static_scale) {
    float d = static_scale;
    if (d <= 0.f) {
        __m512 m = _mm512_setzero_ps();
        size_t i = 0;
        for (; i + 16 <= n; i += 16) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_loadu_ps(x + i)));
        if (i < n) m = _mm512_max_ps(m, _mm512_abs_ps(_mm512_maskz_loadu_ps(tail_mask(n - i), x + i)));
        d = _mm512_reduce_max_ps(m) / 127.f;
    }
    const float id = d != 0.f ? 1.f / d : 0.f;
    const __m512 vid = _mm512_set1_ps(id), lo = _mm512_set1_ps(-127.f), hi = _mm512_set1_ps(127.f);
    const __m512 half = _mm512_set1_ps(0.5f), one = _mm512_set1_ps(1.f);
    auto round16 = [&](__m512 v) {
        v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
        const __m512 t = _mm512_roundscale_ps(v, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
        const __mmask16 up = _mm512_cmp_ps_mask(_mm512_abs_ps(_mm512_sub_ps(v, t)), half, _CMP_GE_OQ);
        const __m512 step = _mm512_castsi512_ps(_mm512_or_si512(
            _mm512_castps_si512(one), _mm512_and_si512(_mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN))));
        return _mm512_cvttps_epi32(_mm512_mask_add_ps(t, up, t, step));
    };
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i),
                         _mm512_cvtsepi32_epi8(round16(_mm512_mul_ps(_mm512_loadu_ps(x + i), vid))));
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        _mm_mask_storeu_epi8(q + i, m,
                             _mm512_cvtsepi32_epi8(round16(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), vid))));
    }
    return d;
}

void f32_to_bf16_avx512(const float* src, uint16_t* dst, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512(dst + i, reinterpret_cast<const __m512i&>(v));
    }
    for (; i < n; ++i) dst[i] = f32_to_bf16(src[i]);
}

KernelTable make_table() {
    KernelTable t{Isa::Avx512,
                  single<batch_f32>,
                  single<batch_f16>,
                  single<batch_bf16>,
                  single<batch_q8_0>,
                  single<batch_q4_0>,
                  to_f32,
                  to_f16,
                  axpy_f16,
                  axpy_f32,
                  single_q4g<false>,
                  single_q4g<true>,
                  dot_i8_vnni,
                  dot_q4_a8_vnni<false>,
                  dot_q4_a8_vnni<true>};
    t.batch_f32 = batch_f32;
    t.batch_f16 = batch_f16;
    t.batch_bf16 = batch_bf16;
    t.batch_q8_0 = batch_q8_0;
    t.batch_q4_0 = batch_q4_0;
    t.batch_q4g = batch_q4g<false>;
    t.batch_q4ga = batch_q4g<true>;
    t.batch_i8 = batch_i8;
    t.batch_q4g_a8 = batch_q4_a8<false>;
    t.batch_q4ga_a8 = batch_q4_a8<true>;
    t.batch_q4s = batch_q4s<float>;
    t.batch_q4s_a8 = batch_q4s<int8_t>;
    t.batch_q4s_a8b = batch_q4s_a8b;
    t.batch_q8_0_a8b = batch_q8_0_a8b;
    t.batch_q4t_a8b = row_tiles::q4_batch_a8b_avx512;
    t.decode_q4t_rows = row_tiles::q4_decode_rows_avx512;
    t.batch_q8t_a8b = row_tiles::q8_batch_a8b_avx512;
    t.decode_q8t_rows = row_tiles::q8_decode_rows_avx512;
    t.silu_mul = activation::silu_mul_avx512;
    t.softmax = activation::softmax_avx512;
    t.decode_f16_rows = decode_f16_rows;
    t.decode_q8_0_rows = decode_q8_0_rows;
    t.decode_q4s_rows = decode_q4s_rows<false>;
    t.decode_q4sa_rows = decode_q4s_rows<true>;
    t.gemm_f32 = gemm_f32;
    t.quantize_act_i8 = quantize_act_i8;
    t.scores_f16 = scores<uint16_t, single<batch_f16>>;
    t.scores_f32 = scores<float, single<batch_f32>>;
    t.mix_f16 = mix<uint16_t, axpy_f16>;
    t.mix_f32 = mix<float, axpy_f32>;
    t.f32_to_bf16 = cpu_features().avx512_bf16 ? f32_to_bf16_avx512 : batch_loop::f32_to_bf16_rows;
    if (!cpu_features().avx512_vnni) {  // AVX-512 without VNNI: the AVX2 integer kernels
        const KernelTable& a = avx2_kernels();
        t.dot_i8 = a.dot_i8;
        t.dot_q4g_a8 = a.dot_q4g_a8;
        t.dot_q4ga_a8 = a.dot_q4ga_a8;
        t.batch_i8 = a.batch_i8;
        t.batch_q4g_a8 = a.batch_q4g_a8;
        t.batch_q4ga_a8 = a.batch_q4ga_a8;
        t.batch_q4s_a8 = a.batch_q4s_a8;
        t.batch_q4s_a8b = a.batch_q4s_a8b;
        t.batch_q8_0_a8b = a.batch_q8_0_a8b;
        t.batch_q4t_a8b = a.batch_q4t_a8b;
        t.batch_q8t_a8b = a.batch_q8t_a8b;
    }
    return t;
}

}  // namespace

const KernelTable& avx512_kernels() {
    static const KernelTable t = make_table();
    return t;
}

}  // namespace q8
