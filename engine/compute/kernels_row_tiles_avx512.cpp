// Q4 and Q8 row tiles with AVX-512 VNNI. A 64-byte quarter of a Q4 block holds four codes of each
// of 16 rows per nibble half (a Q8 block has two 64-byte parts where Q4 has one quarter), so one
// vpdpbusd multiplies 16 rows by four activations broadcast to every lane: a block of 32 values
// costs eight of them for 16 rows, plus one conversion, multiply and FMA, however the rows' scales
// differ. The codes of a block are loaded once for a tile of tokens, which is what lets a
// verification pass of several tokens cost little more than one.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels_row_tiles.h"
#include "weight_formats.h"

namespace q8::row_tiles {

namespace {

// As the split kernels: one core's hardware prefetchers leave a sequential stream short of DRAM
// bandwidth, and asking 4 KiB ahead closes most of the gap (kernels_avx512.cpp). A pass of several
// tokens computes longer on each block and asks farther ahead: with 12 KiB five tokens cost
// 1.19-1.38x one token, against 1.30-1.46x with 4 KiB, in alternated `q8bench verify` runs; one
// token lost 3-4% with 12 KiB (`q8bench bench -n 64`). docs/performance.md has the figures.
constexpr size_t kPrefetchOneToken = 4096, kPrefetchTokens = 12288;
// Each activation dword is broadcast to a register once and multiplied into both halves of a
// tile: Zen 5 issues about one broadcast load per cycle against two vpdpbusd, so a product that
// takes its broadcast from memory runs at half the multiplier's rate (measured: 3.5 against 5.0
// vpdpbusd per ns for five tokens from L2). 2 halves x 6 tokens x (int32 sum + float accumulator)
// + 4 code registers + 2 broadcasts + 2 scale vectors fill the 32 vector registers.
constexpr int kHalves = quant::kTileRows / quant::kTileLanes;
constexpr size_t kMaxTokens = 6;

// Where a tile format keeps its scales and codes, and how a quarter of a block (eight values of
// each row: four in `lo`, the next four in `hi`) becomes two registers of unsigned codes.
template <size_t G>
struct Q4Codes {
    static constexpr size_t kGroup = G;
    static constexpr int32_t kOffsetFactor = 1;
    static size_t tile_bytes(size_t n) { return quant::q4_tile_bytes(n, G); }
    static const uint8_t* scales(const uint8_t* tile, size_t g, int h) {
        return tile + quant::q4_tile_scale_offset(g, quant::kTileLanes * h, G);
    }
    static const uint8_t* block(const uint8_t* tile, size_t g, size_t k) {
        return tile + quant::q4_tile_lane_offset(g, k, 0, 0, G);
    }
    static void quarter(const uint8_t* bp, int h, int c, size_t ahead, __m512i& lo, __m512i& hi) {
        const uint8_t* q = bp + 256 * h + 64 * c;
        _mm_prefetch(reinterpret_cast<const char*>(q + ahead), _MM_HINT_T0);
        const __m512i v = _mm512_loadu_si512(q);
        const __m512i mask = _mm512_set1_epi8(0x0f);
        lo = _mm512_and_si512(v, mask);
        hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), mask);
    }
};

struct Q8Codes {
    static constexpr size_t kGroup = quant::kActBlock;
    static constexpr int32_t kOffsetFactor = quant::kQ8TileOffsetFactor;
    static size_t tile_bytes(size_t n) { return quant::q8_tile_bytes(n); }
    static const uint8_t* scales(const uint8_t* tile, size_t b, int h) {
        return tile + quant::q8_tile_scale_offset(b, quant::kTileLanes * h);
    }
    static const uint8_t* block(const uint8_t* tile, size_t b, size_t) {
        return tile + quant::q8_tile_lane_offset(b, 0, 0);
    }
    static void quarter(const uint8_t* bp, int h, int c, size_t ahead, __m512i& lo, __m512i& hi) {
        const uint8_t* q = bp + 512 * h + 128 * c;
        _mm_prefetch(reinterpret_cast<const char*>(q + ahead), _MM_HINT_T0);
        _mm_prefetch(reinterpret_cast<const char*>(q + 64 + ahead), _MM_HINT_T0);
        lo = _mm512_loadu_si512(q);
        hi = _mm512_loadu_si512(q + 64);
    }
};

// A call's tokens in passes of at most kMaxTokens, as even as possible (seven tokens go as 4 + 3,
// not 6 + 1: a pass costs about the same for 3 tokens as for 4). The passes take a tile a
// segment at a time, so that the second pass finds the segment in L1: a whole tile (36 KiB for
// 2048 values, 99 KiB for 5632) left it to come again from farther away, and seven tokens cost
// more than the old single pass of eight.
constexpr size_t kSegmentBlocks = 8;
size_t token_chunks(size_t n_tok) { return (n_tok + kMaxTokens - 1) / kMaxTokens; }
size_t chunk_start(size_t c, size_t n_tok) { return c * n_tok / token_chunks(n_tok); }

// The activations of a call, regrouped so that a tile pass finds everything for its tokens at
// fixed distances from one pointer per block: for each chunk of tokens and each block, the chunk's
// 32 codes per token back to back, then its scales and offsets. Built once per call and shared by
// all the call's tiles.
struct PackedTokens {
    std::vector<int8_t> codes;
    std::vector<float> scales;
    std::vector<int32_t> offsets;

    void pack(const A8Blocks& x, size_t n_tok, size_t n, int32_t offset_factor) {
        const size_t n_blocks = n / quant::kActBlock;
        codes.resize(n_tok * n);
        scales.resize(n_tok * n_blocks);
        offsets.resize(n_tok * n_blocks);
        for (size_t c = 0; c < token_chunks(n_tok); ++c) {
            const size_t t0 = chunk_start(c, n_tok), nt = chunk_start(c + 1, n_tok) - t0;
            for (size_t b = 0; b < n_blocks; ++b) {
                for (size_t t = 0; t < nt; ++t) {
                    const size_t tok = t0 + t, at = t0 * n_blocks + b * nt + t;
                    std::memcpy(&codes[quant::kActBlock * at], x.xp + tok * x.ldx + quant::kActBlock * b,
                                quant::kActBlock);
                    scales[at] = x.scales[tok * x.ld_scales + b];
                    offsets[at] = offset_factor * x.offsets[tok * x.ld_scales + b];
                }
            }
        }
    }
};

int32_t dword_at(const int8_t* p) {
    int32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// NT tokens of one chunk (packed from `codes`, `scales`, `offsets`) against groups [g0, g1) of one
// tile, accumulating into y (from zero when g0 is 0).
template <class Codes, int NT>
void tile_tokens(const uint8_t* tile, const int8_t* codes, const float* scales, const int32_t* offsets, size_t g0,
                 size_t g1, size_t ahead, float* y, size_t ldy) {
    constexpr size_t per_group = Codes::kGroup / quant::kActBlock;
    __m512 acc[kHalves][NT];
    for (int h = 0; h < kHalves; ++h)
        for (int t = 0; t < NT; ++t)
            acc[h][t] = g0 == 0 ? _mm512_setzero_ps() : _mm512_loadu_ps(y + quant::kTileLanes * h + t * ldy);
    for (size_t g = g0; g < g1; ++g) {
        __m512 d[kHalves];
        for (int h = 0; h < kHalves; ++h)
            d[h] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(Codes::scales(tile, g, h))));
        for (size_t k = 0; k < per_group; ++k) {
            const size_t b = g * per_group + k;
            const uint8_t* bp = Codes::block(tile, g, k);
            const int8_t* xb = codes + b * NT * quant::kActBlock;
            __m512i sum[kHalves][NT];
            for (int t = 0; t < NT; ++t) {
                const __m512i offset = _mm512_set1_epi32(offsets[b * NT + t]);
                for (int h = 0; h < kHalves; ++h) sum[h][t] = offset;
            }
            for (int c = 0; c < 4; ++c) {
                __m512i lo[kHalves], hi[kHalves];
                for (int h = 0; h < kHalves; ++h) Codes::quarter(bp, h, c, ahead, lo[h], hi[h]);
                for (int t = 0; t < NT; ++t) {
                    const int8_t* xq = xb + quant::kActBlock * t + 8 * c;
                    const __m512i x_lo = _mm512_set1_epi32(dword_at(xq)), x_hi = _mm512_set1_epi32(dword_at(xq + 4));
                    for (int h = 0; h < kHalves; ++h) sum[h][t] = _mm512_dpbusd_epi32(sum[h][t], lo[h], x_lo);
                    for (int h = 0; h < kHalves; ++h) sum[h][t] = _mm512_dpbusd_epi32(sum[h][t], hi[h], x_hi);
                }
            }
            for (int t = 0; t < NT; ++t) {
                const __m512 scale = _mm512_set1_ps(scales[b * NT + t]);
                for (int h = 0; h < kHalves; ++h)
                    acc[h][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum[h][t]), _mm512_mul_ps(d[h], scale), acc[h][t]);
            }
        }
    }
    for (int h = 0; h < kHalves; ++h)
        for (int t = 0; t < NT; ++t) _mm512_storeu_ps(y + quant::kTileLanes * h + t * ldy, acc[h][t]);
}

template <class Codes, int NT>
void chunk_pass(const uint8_t* tile, const PackedTokens& p, size_t t0, size_t nt, size_t n, size_t g0, size_t g1,
                size_t ahead, float* y, size_t ldy) {
    if constexpr (NT >= 1) {
        if (nt == NT) {
            const size_t at = t0 * (n / quant::kActBlock);
            tile_tokens<Codes, NT>(tile, p.codes.data() + quant::kActBlock * at, p.scales.data() + at,
                                   p.offsets.data() + at, g0, g1, ahead, y + t0 * ldy, ldy);
            return;
        }
        chunk_pass<Codes, NT - 1>(tile, p, t0, nt, n, g0, g1, ahead, y, ldy);
    }
}

template <class Codes>
void tiles_of(const uint8_t* w, size_t n_tiles, const PackedTokens& p, size_t n_tok, size_t n, float* y, size_t ldy) {
    constexpr size_t G = Codes::kGroup;
    const size_t tile_bytes = Codes::tile_bytes(n);
    const size_t n_groups = n / G;
    // One pass takes the whole tile at once: a segment's end would stall the pipeline for nothing.
    const size_t segment =
        token_chunks(n_tok) > 1 ? std::max<size_t>(1, kSegmentBlocks * quant::kActBlock / G) : n_groups;
    const size_t ahead = n_tok > 1 ? kPrefetchTokens : kPrefetchOneToken;
    for (size_t i = 0; i < n_tiles; ++i) {
        for (size_t g0 = 0; g0 < n_groups; g0 += segment) {
            const size_t g1 = std::min(n_groups, g0 + segment);
            for (size_t c = 0; c < token_chunks(n_tok); ++c) {
                const size_t t0 = chunk_start(c, n_tok);
                chunk_pass<Codes, kMaxTokens>(w + i * tile_bytes, p, t0, chunk_start(c + 1, n_tok) - t0, n, g0, g1,
                                              ahead, y + i * quant::kTileRows, ldy);
            }
        }
    }
}

}  // namespace

void q4_batch_a8b_avx512(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n, size_t group,
                         float* y, size_t ldy) {
    thread_local PackedTokens packed;
    packed.pack(x, n_tok, n, Q4Codes<32>::kOffsetFactor);
    const auto* wb = static_cast<const uint8_t*>(w);
    switch (group) {
    case 32: tiles_of<Q4Codes<32>>(wb, n_tiles, packed, n_tok, n, y, ldy); break;
    case 64: tiles_of<Q4Codes<64>>(wb, n_tiles, packed, n_tok, n, y, ldy); break;
    default: tiles_of<Q4Codes<128>>(wb, n_tiles, packed, n_tok, n, y, ldy); break;
    }
}

void q8_batch_a8b_avx512(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n, float* y,
                         size_t ldy) {
    thread_local PackedTokens packed;
    packed.pack(x, n_tok, n, Q8Codes::kOffsetFactor);
    tiles_of<Q8Codes>(static_cast<const uint8_t*>(w), n_tiles, packed, n_tok, n, y, ldy);
}

// Prompts: each block's 16 x 32 codes per half are regrouped row by row (interleaving a quarter's
// low and high dwords gives each row's eight values in order) and converted to (code - 8) * scale.
void q4_decode_rows_avx512(const uint8_t* w, size_t, size_t n_rows, size_t n, size_t group, float* dst) {
    constexpr size_t kLanes = quant::kTileLanes;
    const size_t tile_bytes = quant::q4_tile_bytes(n, group);
    const size_t per_group = group / quant::kActBlock;
    const __m512i mask = _mm512_set1_epi8(0x0f);
    const __m512i eight = _mm512_set1_epi32(8);
    alignas(64) uint8_t rows[kLanes][32];
    alignas(64) uint64_t pairs[2][8];
    alignas(64) float d[kLanes];
    for (size_t i = 0; i < n_rows / quant::kTileRows; ++i) {
        const uint8_t* tile = w + i * tile_bytes;
        for (int h = 0; h < kHalves; ++h) {
            float* out = dst + (i * quant::kTileRows + kLanes * h) * n;
            for (size_t g = 0; g < n / group; ++g) {
                const uint8_t* sp = tile + quant::q4_tile_scale_offset(g, kLanes * h, group);
                _mm512_store_ps(d, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sp))));
                for (size_t k = 0; k < per_group; ++k) {
                    const uint8_t* bp = tile + quant::q4_tile_lane_offset(g, k, 0, kLanes * h, group);
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
                    for (size_t r = 0; r < kLanes; ++r) {
                        const __m512 dr = _mm512_set1_ps(d[r]);
                        for (int half = 0; half < 2; ++half) {
                            const __m512i q = _mm512_cvtepu8_epi32(
                                _mm_load_si128(reinterpret_cast<const __m128i*>(&rows[r][16 * half])));
                            _mm512_storeu_ps(out + r * n + col + 16 * half,
                                             _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(q, eight)), dr));
                        }
                    }
                }
            }
        }
    }
}

// Prompts: a Q8 part's 16 bytes for four rows widen to 16 dwords (four values of each row in
// turn), which are scaled by their rows' scales and stored four floats per row.
void q8_decode_rows_avx512(const uint8_t* w, size_t, size_t n_rows, size_t n, size_t, float* dst) {
    constexpr size_t kLanes = quant::kTileLanes;
    const size_t tile_bytes = Q8Codes::tile_bytes(n);
    const __m512i bias = _mm512_set1_epi32(128);
    // Lane j of a widened part belongs to row j / 4 of its four.
    const __m512i row_of_lane =
        _mm512_srli_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), 2);
    for (size_t i = 0; i < n_rows / quant::kTileRows; ++i) {
        const uint8_t* tile = static_cast<const uint8_t*>(w) + i * tile_bytes;
        for (size_t b = 0; b < n / quant::kActBlock; ++b) {
            for (int h = 0; h < kHalves; ++h) {
                const __m512 d =
                    _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(Q8Codes::scales(tile, b, h))));
                for (size_t q = 0; q < kLanes / 4; ++q) {
                    const __m512 dq = _mm512_permutexvar_ps(
                        _mm512_add_epi32(row_of_lane, _mm512_set1_epi32(static_cast<int>(4 * q))), d);
                    float* out = dst + (i * quant::kTileRows + kLanes * h + 4 * q) * n + quant::kActBlock * b;
                    for (size_t m = 0; m < 8; ++m) {
                        const uint8_t* p = tile + quant::q8_tile_lane_offset(b, m, kLanes * h + 4 * q);
                        const __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
                        const __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(c, bias)), dq);
                        _mm_storeu_ps(out + 4 * m, _mm512_extractf32x4_ps(v, 0));
                        _mm_storeu_ps(out + n + 4 * m, _mm512_extractf32x4_ps(v, 1));
                        _mm_storeu_ps(out + 2 * n + 4 * m, _mm512_extractf32x4_ps(v, 2));
                        _mm_storeu_ps(out + 3 * n + 4 * m, _mm512_extractf32x4_ps(v, 3));
                    }
                }
            }
        }
    }
}

}  // namespace q8::row_tiles
