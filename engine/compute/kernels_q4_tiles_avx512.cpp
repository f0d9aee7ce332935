// Q4 row tiles with AVX-512 VNNI. A 64-byte quarter of a block holds four codes of each of 16
// rows per nibble half, so one vpdpbusd multiplies 16 rows by four activations broadcast to every
// lane: a block of 32 values costs eight of them for 16 rows, plus one conversion, multiply and
// FMA, however the rows' scales differ. The codes of a block are unpacked once for a tile of
// tokens, which is what lets a verification pass of several tokens cost little more than one.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels_q4_tiles.h"
#include "weight_formats.h"

namespace q8::q4_tiles {

namespace {

// As the split kernels: one core's hardware prefetchers leave a sequential stream short of DRAM
// bandwidth, and asking 4 KiB ahead closes most of the gap (kernels_avx512.cpp).
constexpr size_t kPrefetchBytes = 4096;
// Tokens sharing one unpacking of a block: 8 codes + 1 scale + 8 accumulators + temporaries fit
// the 32 vector registers, and a draft of up to seven is verified in one pass.
constexpr int kMaxTokens = 8;

// acc += codes (unsigned) times the four activations at p, broadcast to every lane. Written out
// because GCC 12 loads the broadcast into a register first, an extra instruction per product
// (the embedded broadcast was about 1.4x faster for five tokens, measured in isolation).
[[gnu::always_inline]] inline __m512i dot_broadcast(__m512i acc, __m512i codes, const int8_t* p) {
    asm("vpdpbusd %[x]%{1to16%}, %[w], %[acc]"
        : [acc] "+v"(acc)
        : [w] "v"(codes), [x] "m"(*reinterpret_cast<const int32_t*>(p)));
    return acc;
}

// The activations of a call, regrouped so that a tile pass finds everything for its tokens at
// fixed distances from one pointer per block: for each chunk of up to kMaxTokens tokens and each
// block, the chunk's 32 codes per token back to back, then its scales and offsets. Built once per
// call and shared by all the call's tiles.
struct PackedTokens {
    std::vector<int8_t> codes;
    std::vector<float> scales;
    std::vector<int32_t> offsets;

    void pack(const A8Blocks& x, size_t n_tok, size_t n) {
        const size_t n_blocks = n / quant::kActBlock;
        codes.resize(n_tok * n);
        scales.resize(n_tok * n_blocks);
        offsets.resize(n_tok * n_blocks);
        for (size_t t0 = 0; t0 < n_tok; t0 += kMaxTokens) {
            const size_t nt = std::min<size_t>(kMaxTokens, n_tok - t0);
            for (size_t b = 0; b < n_blocks; ++b) {
                for (size_t t = 0; t < nt; ++t) {
                    const size_t tok = t0 + t, at = t0 * n_blocks + b * nt + t;
                    std::memcpy(&codes[quant::kActBlock * at], x.xp + tok * x.ldx + quant::kActBlock * b,
                                quant::kActBlock);
                    scales[at] = x.scales[tok * x.ld_scales + b];
                    offsets[at] = x.offsets[tok * x.ld_scales + b];
                }
            }
        }
    }
};

// NT tokens of one chunk (packed from `codes`, `scales`, `offsets`) against one tile.
template <int G, int NT>
void tile_tokens(const uint8_t* tile, const int8_t* codes, const float* scales, const int32_t* offsets, size_t n,
                 float* y, size_t ldy) {
    constexpr size_t per_group = G / quant::kActBlock;
    const __m512i mask = _mm512_set1_epi8(0x0f);
    __m512 acc[NT];
    for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
    __m512 d = _mm512_setzero_ps();
    const uint8_t* bp = tile;
    for (size_t b = 0; b < n / quant::kActBlock; ++b) {
        if (b % per_group == 0) {  // a group's scales precede its blocks
            d = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(bp)));
            bp += 2 * quant::kQ4TileRows;
        }
        __m512i lo[4], hi[4];
        for (int c = 0; c < 4; ++c) {
            _mm_prefetch(reinterpret_cast<const char*>(bp + 64 * c + kPrefetchBytes), _MM_HINT_T0);
            const __m512i v = _mm512_loadu_si512(bp + 64 * c);
            lo[c] = _mm512_and_si512(v, mask);
            hi[c] = _mm512_and_si512(_mm512_srli_epi16(v, 4), mask);
        }
        bp += 256;
        const int8_t* xb = codes + b * NT * quant::kActBlock;
        for (int t = 0; t < NT; ++t) {
            // Two chains of four, so the products' latency overlaps within one token too.
            __m512i s0 = _mm512_set1_epi32(offsets[b * NT + t]), s1 = _mm512_setzero_si512();
            for (int c = 0; c < 4; ++c) {
                s0 = dot_broadcast(s0, lo[c], xb + quant::kActBlock * t + 8 * c);
                s1 = dot_broadcast(s1, hi[c], xb + quant::kActBlock * t + 8 * c + 4);
            }
            const __m512 p = _mm512_mul_ps(d, _mm512_set1_ps(scales[b * NT + t]));
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(s0, s1)), p, acc[t]);
        }
    }
    for (int t = 0; t < NT; ++t) _mm512_storeu_ps(y + t * ldy, acc[t]);
}

template <int G, int NT>
void chunk_pass(const uint8_t* tile, const PackedTokens& p, size_t t0, size_t nt, size_t n, float* y, size_t ldy) {
    if constexpr (NT >= 1) {
        if (nt == NT) {
            const size_t at = t0 * (n / quant::kActBlock);
            tile_tokens<G, NT>(tile, p.codes.data() + quant::kActBlock * at, p.scales.data() + at,
                               p.offsets.data() + at, n, y + t0 * ldy, ldy);
            return;
        }
        chunk_pass<G, NT - 1>(tile, p, t0, nt, n, y, ldy);
    }
}

template <int G>
void tiles_for_group(const uint8_t* w, size_t n_tiles, const PackedTokens& p, size_t n_tok, size_t n, float* y,
                     size_t ldy) {
    const size_t tile_bytes = quant::q4_tile_bytes(n, G);
    for (size_t i = 0; i < n_tiles; ++i) {
        for (size_t t0 = 0; t0 < n_tok; t0 += kMaxTokens) {
            chunk_pass<G, kMaxTokens>(w + i * tile_bytes, p, t0, std::min<size_t>(kMaxTokens, n_tok - t0), n,
                                      y + i * quant::kQ4TileRows, ldy);
        }
    }
}

}  // namespace

void batch_a8b_avx512(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n, size_t group, float* y,
                      size_t ldy) {
    thread_local PackedTokens packed;
    packed.pack(x, n_tok, n);
    const auto* wb = static_cast<const uint8_t*>(w);
    switch (group) {
    case 32: tiles_for_group<32>(wb, n_tiles, packed, n_tok, n, y, ldy); break;
    case 64: tiles_for_group<64>(wb, n_tiles, packed, n_tok, n, y, ldy); break;
    default: tiles_for_group<128>(wb, n_tiles, packed, n_tok, n, y, ldy); break;
    }
}

// Prompts: each block's 16 x 32 codes are regrouped row by row (interleaving a quarter's low and
// high dwords gives each row's eight values in order) and converted to (code - 8) * scale.
void decode_rows_avx512(const uint8_t* w, size_t, size_t n_rows, size_t n, size_t group, float* dst) {
    const size_t tile_bytes = quant::q4_tile_bytes(n, group);
    const size_t group_bytes = quant::q4_tile_bytes(group, group);
    const size_t per_group = group / quant::kActBlock;
    const __m512i mask = _mm512_set1_epi8(0x0f);
    const __m512i eight = _mm512_set1_epi32(8);
    alignas(64) uint8_t rows[quant::kQ4TileRows][32];
    alignas(64) uint64_t pairs[2][8];
    for (size_t i = 0; i < n_rows / quant::kQ4TileRows; ++i) {
        const uint8_t* tile = w + i * tile_bytes;
        float* out = dst + i * quant::kQ4TileRows * n;
        for (size_t g = 0; g < n / group; ++g) {
            const uint8_t* gp = tile + g * group_bytes;
            alignas(64) float d[quant::kQ4TileRows];
            _mm512_store_ps(d, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(gp))));
            for (size_t k = 0; k < per_group; ++k) {
                const uint8_t* bp = gp + 2 * quant::kQ4TileRows + 256 * k;
                for (int c = 0; c < 4; ++c) {
                    const __m512i v = _mm512_loadu_si512(bp + 64 * c);
                    const __m512i lo = _mm512_and_si512(v, mask);
                    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), mask);
                    // In 128-bit lane L: pairs[0] holds rows 4L, 4L + 1, pairs[1] rows 4L + 2, 4L + 3.
                    _mm512_store_si512(pairs[0], _mm512_unpacklo_epi32(lo, hi));
                    _mm512_store_si512(pairs[1], _mm512_unpackhi_epi32(lo, hi));
                    for (int l = 0; l < 4; ++l) {
                        std::memcpy(&rows[4 * l][8 * c], &pairs[0][2 * l], 8);
                        std::memcpy(&rows[4 * l + 1][8 * c], &pairs[0][2 * l + 1], 8);
                        std::memcpy(&rows[4 * l + 2][8 * c], &pairs[1][2 * l], 8);
                        std::memcpy(&rows[4 * l + 3][8 * c], &pairs[1][2 * l + 1], 8);
                    }
                }
                const size_t col = g * group + quant::kActBlock * k;
                for (size_t r = 0; r < quant::kQ4TileRows; ++r) {
                    const __m512 dr = _mm512_set1_ps(d[r]);
                    for (int h = 0; h < 2; ++h) {
                        const __m512i q =
                            _mm512_cvtepu8_epi32(_mm_load_si128(reinterpret_cast<const __m128i*>(&rows[r][16 * h])));
                        _mm512_storeu_ps(out + r * n + col + 16 * h,
                                         _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q, eight)), dr));
                    }
                }
            }
        }
    }
}

}  // namespace q8::q4_tiles
