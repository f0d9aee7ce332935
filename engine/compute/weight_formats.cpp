// Row quantizers. Arithmetic is float32 step by step, as in ggml's reference C code (this file is
// built for baseline x86-64 without FMA, so no operation is fused or reordered).
#include "weight_formats.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

// half.h is a self-contained header (inline IEEE conversions, no link dependency on q8engine).
#include "half.h"

namespace q8::quant {

namespace {

void store_f16(uint8_t* p, float v) {
    const uint16_t h = f32_to_f16(v);
    p[0] = static_cast<uint8_t>(h & 0xff);
    p[1] = static_cast<uint8_t>(h >> 8);
}

float load_f16(const uint8_t* p) { return f16_to_f32(static_cast<uint16_t>(p[0] | (p[1] << 8))); }

float round_f16(float v) { return f16_to_f32(f32_to_f16(v)); }

// The Q4_0 rule on one group of g values: d = (value of largest magnitude, first on ties) / -8,
// q = min(15, trunc(x / d + 8.5)). Writes f16 d and g/2 bytes (low nibbles: first half).
void q4_sym_group(const float* x, uint8_t* dst, size_t g) {
    float amax = 0.f, max = 0.f;
    for (size_t j = 0; j < g; ++j) {
        if (amax < std::fabs(x[j])) {
            amax = std::fabs(x[j]);
            max = x[j];
        }
    }
    const float d = max / -8.f;
    const float id = d != 0.f ? 1.f / d : 0.f;
    store_f16(dst, d);
    uint8_t* qs = dst + 2;
    const size_t h = g / 2;
    for (size_t j = 0; j < h; ++j) {
        const float x0 = x[j] * id, x1 = x[j + h] * id;
        const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>(x0 + 8.5f)));
        const int q1 = std::min(15, static_cast<int>(static_cast<int8_t>(x1 + 8.5f)));
        qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
}

// The Q4_1 rule: d = (max - min) / 15, m = min, q = min(15, trunc((x - min) / d + 0.5)).
void q4_asym_group(const float* x, uint8_t* dst, size_t g) {
    float min = std::numeric_limits<float>::max(), max = -std::numeric_limits<float>::max();
    for (size_t j = 0; j < g; ++j) {
        min = std::min(min, x[j]);
        max = std::max(max, x[j]);
    }
    const float d = (max - min) / 15.f;
    const float id = d != 0.f ? 1.f / d : 0.f;
    store_f16(dst, d);
    store_f16(dst + 2, min);
    uint8_t* qs = dst + 4;
    const size_t h = g / 2;
    for (size_t j = 0; j < h; ++j) {
        const float x0 = (x[j] - min) * id, x1 = (x[j + h] - min) * id;
        const int q0 = std::min(15, static_cast<int>(static_cast<int8_t>(x0 + 0.5f)));
        const int q1 = std::min(15, static_cast<int>(static_cast<int8_t>(x1 + 0.5f)));
        qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
}

// Unpacks g nibbles in Q4G order (first half low nibbles) into codes.
void unpack_nibbles(const uint8_t* qs, uint8_t* codes, size_t g) {
    const size_t h = g / 2;
    for (size_t j = 0; j < h; ++j) {
        codes[j] = qs[j] & 0x0f;
        codes[j + h] = qs[j] >> 4;
    }
}

void pack_nibbles(const uint8_t* codes, uint8_t* qs, size_t g) {
    const size_t h = g / 2;
    for (size_t j = 0; j < h; ++j) qs[j] = static_cast<uint8_t>(codes[j] | (codes[j + h] << 4));
}

}  // namespace

void quantize_row_q8_0(const float* x, uint8_t* dst, size_t n) {
    for (size_t b = 0; b < n / 32; ++b, x += 32, dst += kQ8_0Bytes) {
        float amax = 0.f;
        for (int j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x[j]));
        const float d = amax / 127.f;
        const float id = d != 0.f ? 1.f / d : 0.f;
        store_f16(dst, d);
        for (int j = 0; j < 32; ++j) dst[2 + j] = static_cast<uint8_t>(static_cast<int8_t>(std::round(x[j] * id)));
    }
}

void quantize_row_q4_0(const float* x, uint8_t* dst, size_t n) {
    for (size_t b = 0; b < n / 32; ++b) q4_sym_group(x + 32 * b, dst + kQ4_0Bytes * b, 32);
}

void quantize_row_q4_1(const float* x, uint8_t* dst, size_t n) {
    for (size_t b = 0; b < n / 32; ++b) q4_asym_group(x + 32 * b, dst + kQ4_1Bytes * b, 32);
}

void quantize_row_q4g(const float* x, uint8_t* dst, size_t n, size_t group, bool asym) {
    const size_t bb = q4g_block_bytes(group, asym);
    for (size_t b = 0; b < n / group; ++b) {
        if (asym) {
            q4_asym_group(x + group * b, dst + bb * b, group);
        } else {
            q4_sym_group(x + group * b, dst + bb * b, group);
        }
    }
}

void dequantize_row_q4g(const uint8_t* src, float* dst, size_t n, size_t group, bool asym) {
    const size_t bb = q4g_block_bytes(group, asym);
    const size_t h = group / 2;
    for (size_t b = 0; b < n / group; ++b, src += bb, dst += group) {
        const float d = load_f16(src);
        const float m = asym ? load_f16(src + 2) : 0.f;
        const uint8_t* qs = src + (asym ? 4 : 2);
        for (size_t j = 0; j < h; ++j) {
            const int q0 = qs[j] & 0x0f, q1 = qs[j] >> 4;
            if (asym) {
                dst[j] = static_cast<float>(q0) * d + m;
                dst[j + h] = static_cast<float>(q1) * d + m;
            } else {
                dst[j] = static_cast<float>(q0 - 8) * d;
                dst[j + h] = static_cast<float>(q1 - 8) * d;
            }
        }
    }
}

void q4g_to_split(const uint8_t* blocks, uint8_t* dst, size_t n, size_t group, bool asym) {
    const size_t bb = q4g_block_bytes(group, asym), hdr = asym ? 4 : 2, n_groups = n / group;
    uint8_t* codes = dst;
    uint8_t* scales = dst + n / 2;
    uint8_t* mins = scales + 2 * n_groups;
    for (size_t g = 0; g < n_groups; ++g, blocks += bb) {
        std::memcpy(codes + g * (group / 2), blocks + hdr, group / 2);
        std::memcpy(scales + 2 * g, blocks, 2);
        if (asym) std::memcpy(mins + 2 * g, blocks + 2, 2);
    }
}

void dequantize_row_q4split(const uint8_t* src, float* dst, size_t n, size_t group, bool asym) {
    const size_t h = group / 2, n_groups = n / group;
    const uint8_t* scales = src + n / 2;
    for (size_t g = 0; g < n_groups; ++g, dst += group) {
        const float d = load_f16(scales + 2 * g);
        const float m = asym ? load_f16(scales + 2 * n_groups + 2 * g) : 0.f;
        const uint8_t* qs = src + g * h;
        for (size_t j = 0; j < h; ++j) {
            const int q0 = qs[j] & 0x0f, q1 = qs[j] >> 4;
            dst[j] = asym ? static_cast<float>(q0) * d + m : static_cast<float>(q0 - 8) * d;
            dst[j + h] = asym ? static_cast<float>(q1) * d + m : static_cast<float>(q1 - 8) * d;
        }
    }
}

namespace {
// Split order: in each span, the first half of every group, then the second half of every group.
template <class T>
void q4split_order(const T* x, T* xp, float* group_sums, size_t n, size_t group) {
    const size_t h = group / 2, per_span = kQ4SplitSpan / group;
    for (size_t s = 0; s < n / kQ4SplitSpan; ++s) {
        const T* xs = x + s * kQ4SplitSpan;
        T* lo = xp + s * kQ4SplitSpan;
        T* hi = lo + kQ4SplitSpan / 2;
        for (size_t g = 0; g < per_span; ++g) {
            std::memcpy(lo + g * h, xs + g * group, h * sizeof(T));
            std::memcpy(hi + g * h, xs + g * group + h, h * sizeof(T));
        }
    }
    for (size_t g = 0; g < n / group; ++g) {
        float sum = 0.f;
        for (size_t j = 0; j < group; ++j) sum += static_cast<float>(x[g * group + j]);
        group_sums[g] = sum;
    }
}
}  // namespace

void q4split_order_i8_blocks(const int8_t* q, const float* scales, int8_t* xp, float* group_sums, size_t n,
                             size_t group) {
    q4split_order(q, xp, group_sums, n, group);  // the order; the sums are replaced below
    for (size_t g = 0; g < n / group; ++g) {
        float sum = 0.f;
        for (size_t b = g * group / kActBlock; b < (g + 1) * group / kActBlock; ++b) {
            int32_t s = 0;
            for (size_t j = 0; j < kActBlock; ++j) s += q[b * kActBlock + j];
            sum += scales[b] * static_cast<float>(s);
        }
        group_sums[g] = sum;
    }
}

void q4split_order_f32(const float* x, float* xp, float* group_sums, size_t n, size_t group) {
    q4split_order(x, xp, group_sums, n, group);
}

void q4split_order_i8(const int8_t* x, int8_t* xp, float* group_sums, size_t n, size_t group) {
    q4split_order(x, xp, group_sums, n, group);
}

float quantize_row_i8(const float* x, int8_t* q, size_t n) {
    float amax = 0.f;
    for (size_t j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = round_f16(amax / 127.f);
    const float id = d != 0.f ? 1.f / d : 0.f;
    for (size_t j = 0; j < n; ++j) {
        q[j] = static_cast<int8_t>(std::clamp(std::round(x[j] * id), -127.f, 127.f));
    }
    return d;
}

void dequantize_row_i8(const int8_t* q, float scale, float* dst, size_t n) {
    for (size_t j = 0; j < n; ++j) dst[j] = static_cast<float>(q[j]) * scale;
}

void i8_row_to_q8_0(const int8_t* q, float scale, uint8_t* dst, size_t n) {
    for (size_t b = 0; b < n / 32; ++b, dst += kQ8_0Bytes) {
        store_f16(dst, scale);
        std::memcpy(dst + 2, q + 32 * b, 32);
    }
}

bool q8_0_row_to_i8(const uint8_t* src, int8_t* q, float* scale, size_t n) {
    if (n < 32) return false;
    const uint16_t first = static_cast<uint16_t>(src[0] | (src[1] << 8));
    for (size_t b = 0; b < n / 32; ++b, src += kQ8_0Bytes) {
        if (static_cast<uint16_t>(src[0] | (src[1] << 8)) != first) return false;
        std::memcpy(q + 32 * b, src + 2, 32);
        for (int j = 0; j < 32; ++j) {
            if (q[32 * b + j] == -128) return false;  // outside the I8 row range
        }
    }
    *scale = f16_to_f32(first);
    return true;
}

namespace {
// std::round (half away from zero) of v clamped to [-127, 127], without a libm call: activations
// are quantized for every token of every product, and the call dominated prompt evaluation. The
// double addition is exact for these magnitudes, so the result equals std::round's.
int8_t round_to_i8(float v) {
    const double d = static_cast<double>(std::clamp(v, -127.f, 127.f));
    return static_cast<int8_t>(static_cast<int>(d + (d < 0 ? -0.5 : 0.5)));
}
}  // namespace

float quantize_activations_i8(const float* x, int8_t* q, size_t n) {
    float amax = 0.f;
    for (size_t j = 0; j < n; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.f;
    const float id = d != 0.f ? 1.f / d : 0.f;
    for (size_t j = 0; j < n; ++j) q[j] = round_to_i8(x[j] * id);
    return d;
}

float quantize_activations_i8_static(const float* x, int8_t* q, size_t n, float scale) {
    const float id = scale != 0.f ? 1.f / scale : 0.f;
    for (size_t j = 0; j < n; ++j) q[j] = round_to_i8(x[j] * id);
    return scale;
}

void quantize_activations_i8_blocks(const float* x, int8_t* q, float* scales, size_t n) {
    for (size_t b = 0; b < n / kActBlock; ++b)
        scales[b] = quantize_activations_i8(x + b * kActBlock, q + b * kActBlock, kActBlock);
}

void q4g_to_ggml(const uint8_t* src, uint8_t* dst, size_t n, size_t group, bool asym) {
    const size_t bb = q4g_block_bytes(group, asym);
    const size_t hdr = asym ? 4 : 2;
    const size_t out_bb = asym ? kQ4_1Bytes : kQ4_0Bytes;
    uint8_t codes[128];
    for (size_t b = 0; b < n / group; ++b, src += bb) {
        unpack_nibbles(src + hdr, codes, group);
        for (size_t k = 0; k < group / 32; ++k, dst += out_bb) {
            std::memcpy(dst, src, hdr);
            pack_nibbles(codes + 32 * k, dst + hdr, 32);
        }
    }
}

bool ggml_to_q4g(const uint8_t* src, uint8_t* dst, size_t n, size_t group, bool asym) {
    const size_t bb = q4g_block_bytes(group, asym);
    const size_t hdr = asym ? 4 : 2;
    const size_t in_bb = asym ? kQ4_1Bytes : kQ4_0Bytes;
    uint8_t codes[128];
    for (size_t b = 0; b < n / group; ++b, dst += bb) {
        std::memcpy(dst, src, hdr);
        for (size_t k = 0; k < group / 32; ++k, src += in_bb) {
            if (std::memcmp(src, dst, hdr) != 0) return false;
            unpack_nibbles(src + hdr, codes + 32 * k, 32);
        }
        pack_nibbles(codes, dst + hdr, group);
    }
    return true;
}

void q4g_to_tile(const uint8_t* rows, size_t row_bytes, uint8_t* tile, size_t n, size_t group) {
    const size_t bb = q4g_block_bytes(group, false);
    uint8_t codes[128];
    for (size_t r = 0; r < kTileRows; ++r) {
        const uint8_t* src = rows + r * row_bytes;
        for (size_t g = 0; g < n / group; ++g, src += bb) {
            std::memcpy(tile + q4_tile_scale_offset(g, r, group), src, 2);
            unpack_nibbles(src + 2, codes, group);
            for (size_t k = 0; k < group / 32; ++k) {
                for (size_t c = 0; c < 4; ++c) {
                    uint8_t* lane = tile + q4_tile_lane_offset(g, k, c, r, group);
                    const uint8_t* q = codes + 32 * k + 8 * c;
                    for (size_t b = 0; b < 4; ++b) lane[b] = static_cast<uint8_t>(q[b] | (q[b + 4] << 4));
                }
            }
        }
    }
}

void dequantize_tile_row(const uint8_t* tile, size_t r, float* dst, size_t n, size_t group) {
    for (size_t g = 0; g < n / group; ++g) {
        const float d = load_f16(tile + q4_tile_scale_offset(g, r, group));
        for (size_t k = 0; k < group / 32; ++k) {
            for (size_t c = 0; c < 4; ++c) {
                const uint8_t* lane = tile + q4_tile_lane_offset(g, k, c, r, group);
                float* out = dst + g * group + 32 * k + 8 * c;
                for (size_t b = 0; b < 4; ++b) {
                    out[b] = static_cast<float>((lane[b] & 0x0f) - 8) * d;
                    out[b + 4] = static_cast<float>((lane[b] >> 4) - 8) * d;
                }
            }
        }
    }
}

void q8_0_to_tile(const uint8_t* rows, size_t row_bytes, uint8_t* tile, size_t n) {
    for (size_t r = 0; r < kTileRows; ++r) {
        const uint8_t* src = rows + r * row_bytes;
        for (size_t b = 0; b < n / 32; ++b, src += kQ8_0Bytes) {
            std::memcpy(tile + q8_tile_scale_offset(b, r), src, 2);
            for (size_t m = 0; m < 8; ++m) {
                uint8_t* lane = tile + q8_tile_lane_offset(b, m, r);
                for (size_t j = 0; j < 4; ++j) lane[j] = static_cast<uint8_t>(src[2 + 4 * m + j] ^ 0x80);
            }
        }
    }
}

void dequantize_q8_tile_row(const uint8_t* tile, size_t r, float* dst, size_t n) {
    for (size_t b = 0; b < n / 32; ++b) {
        const float d = load_f16(tile + q8_tile_scale_offset(b, r));
        for (size_t m = 0; m < 8; ++m) {
            const uint8_t* lane = tile + q8_tile_lane_offset(b, m, r);
            for (size_t j = 0; j < 4; ++j) dst[32 * b + 4 * m + j] = static_cast<float>(int{lane[j]} - 128) * d;
        }
    }
}

void tile_block_offsets(const int8_t* q, int32_t* offsets, size_t n) {
    for (size_t b = 0; b < n / kActBlock; ++b) {
        int32_t s = 0;
        for (size_t j = 0; j < kActBlock; ++j) s += q[b * kActBlock + j];
        offsets[b] = -8 * s;
    }
}

}  // namespace q8::quant
