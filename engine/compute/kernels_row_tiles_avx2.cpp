// Q4 row tiles with AVX2: the AVX-512 kernel's arithmetic on parts of eight rows (the first and
// second 32 bytes of every quarter of each half). Without VNNI, a block's four-code products are summed by
// vpmaddubsw (pairs, at most 2 * 15 * 127, so no saturation) and vpmaddwd against ones, which is
// the same exact int32 as vpdpbusd; the float steps are the same multiply and FMA, so results match
// the other ISAs bit for bit.
#include <immintrin.h>

#include <cstring>

#include "kernels_row_tiles.h"
#include "weight_formats.h"

namespace q8::row_tiles {

namespace {

// 8 codes + 1 scale + 4 accumulators + temporaries fit the 16 vector registers.
constexpr int kMaxTokens = 4;

__m256i broadcast4(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

constexpr int kParts = quant::kTileRows / 8;

// Part p (rows 8p..8p+7) of a tile against NT tokens from t0.
template <int NT>
void part_tokens(const uint8_t* tile, size_t p, const A8Blocks& x, size_t t0, size_t n, size_t group, float* y,
                 size_t ldy) {
    const size_t per_group = group / quant::kActBlock;
    const __m256i mask = _mm256_set1_epi8(0x0f);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (size_t g = 0; g < n / group; ++g) {
        const uint8_t* sp = tile + quant::q4_tile_scale_offset(g, 8 * p, group);
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sp)));
        for (size_t k = 0; k < per_group; ++k) {
            const uint8_t* bp = tile + quant::q4_tile_lane_offset(g, k, 0, 8 * p, group);
            const size_t b = g * per_group + k;
            __m256i lo[4], hi[4];
            for (int c = 0; c < 4; ++c) {
                const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp + 64 * c));
                lo[c] = _mm256_and_si256(v, mask);
                hi[c] = _mm256_and_si256(_mm256_srli_epi16(v, 4), mask);
            }
            for (int t = 0; t < NT; ++t) {
                const size_t tok = t0 + t;
                const int8_t* xb = x.xp + tok * x.ldx + quant::kActBlock * b;
                __m256i s = _mm256_set1_epi32(x.offsets[tok * x.ld_scales + b]);
                for (int c = 0; c < 4; ++c) {
                    const __m256i p0 = _mm256_maddubs_epi16(lo[c], broadcast4(xb + 8 * c));
                    const __m256i p1 = _mm256_maddubs_epi16(hi[c], broadcast4(xb + 8 * c + 4));
                    s = _mm256_add_epi32(s, _mm256_madd_epi16(_mm256_add_epi16(p0, p1), ones));
                }
                const __m256 sc = _mm256_mul_ps(d, _mm256_set1_ps(x.scales[tok * x.ld_scales + b]));
                acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), sc, acc[t]);
            }
        }
    }
    for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y + (t0 + t) * ldy + 8 * p, acc[t]);
}

template <int NT>
void tile_tokens(const uint8_t* tile, const A8Blocks& x, size_t t0, size_t n, size_t group, float* y, size_t ldy) {
    for (size_t p = 0; p < kParts; ++p) part_tokens<NT>(tile, p, x, t0, n, group, y, ldy);
}

}  // namespace

void q4_batch_a8b_avx2(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n, size_t group, float* y,
                       size_t ldy) {
    const size_t tile_bytes = quant::q4_tile_bytes(n, group);
    for (size_t i = 0; i < n_tiles; ++i) {
        const uint8_t* tile = static_cast<const uint8_t*>(w) + i * tile_bytes;
        float* yt = y + i * quant::kTileRows;
        size_t t = 0;
        for (; t + kMaxTokens <= n_tok; t += kMaxTokens) tile_tokens<kMaxTokens>(tile, x, t, n, group, yt, ldy);
        switch (n_tok - t) {
        case 3: tile_tokens<3>(tile, x, t, n, group, yt, ldy); break;
        case 2: tile_tokens<2>(tile, x, t, n, group, yt, ldy); break;
        case 1: tile_tokens<1>(tile, x, t, n, group, yt, ldy); break;
        default: break;
        }
    }
}

// Q8 tiles: vpmaddubsw would saturate on unsigned codes (2 * 255 * 127 > 32767), so each part's
// codes go back to signed (code - 128, an XOR) and the usual sign trick multiplies |w| by x with
// w's sign (2 * 128 * 127 fits). That sum is the sum of w x itself, the same int32 the other ISAs
// reach as their sum of code times x plus the scaled offset, so no offset is added here.
namespace {

template <int NT>
void q8_part_tokens(const uint8_t* tile, size_t p, const A8Blocks& x, size_t t0, size_t n, float* y, size_t ldy) {
    const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < n / quant::kActBlock; ++b) {
        const __m256 d = _mm256_cvtph_ps(
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(tile + quant::q8_tile_scale_offset(b, 8 * p))));
        __m256i w[8];
        for (int m = 0; m < 8; ++m) {
            const uint8_t* q = tile + quant::q8_tile_lane_offset(b, static_cast<size_t>(m), 8 * p);
            w[m] = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q)), flip);
        }
        for (int t = 0; t < NT; ++t) {
            const size_t tok = t0 + t;
            const int8_t* xb = x.xp + tok * x.ldx + quant::kActBlock * b;
            __m256i s = _mm256_setzero_si256();
            for (int m = 0; m < 8; m += 2) {
                const __m256i p0 =
                    _mm256_maddubs_epi16(_mm256_abs_epi8(w[m]), _mm256_sign_epi8(broadcast4(xb + 4 * m), w[m]));
                const __m256i p1 = _mm256_maddubs_epi16(_mm256_abs_epi8(w[m + 1]),
                                                        _mm256_sign_epi8(broadcast4(xb + 4 * m + 4), w[m + 1]));
                s = _mm256_add_epi32(s, _mm256_add_epi32(_mm256_madd_epi16(p0, ones), _mm256_madd_epi16(p1, ones)));
            }
            const __m256 sc = _mm256_mul_ps(d, _mm256_set1_ps(x.scales[tok * x.ld_scales + b]));
            acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), sc, acc[t]);
        }
    }
    for (int t = 0; t < NT; ++t) _mm256_storeu_ps(y + (t0 + t) * ldy + 8 * p, acc[t]);
}

template <int NT>
void q8_tile_tokens(const uint8_t* tile, const A8Blocks& x, size_t t0, size_t n, float* y, size_t ldy) {
    for (size_t p = 0; p < kParts; ++p) q8_part_tokens<NT>(tile, p, x, t0, n, y, ldy);
}

}  // namespace

void q8_batch_a8b_avx2(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n, float* y, size_t ldy) {
    for (size_t i = 0; i < n_tiles; ++i) {
        const uint8_t* tile = static_cast<const uint8_t*>(w) + i * quant::q8_tile_bytes(n);
        float* yt = y + i * quant::kTileRows;
        size_t t = 0;
        for (; t + kMaxTokens <= n_tok; t += kMaxTokens) q8_tile_tokens<kMaxTokens>(tile, x, t, n, yt, ldy);
        switch (n_tok - t) {
        case 3: q8_tile_tokens<3>(tile, x, t, n, yt, ldy); break;
        case 2: q8_tile_tokens<2>(tile, x, t, n, yt, ldy); break;
        case 1: q8_tile_tokens<1>(tile, x, t, n, yt, ldy); break;
        default: break;
        }
    }
}

}  // namespace q8::row_tiles
