// Portable kernels: the reference the vector paths are tested against, and the path for CPUs
// without AVX2.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "half.h"
#include "kernels.h"
#include "kernels_batch_loop.h"
#include "weight_formats.h"

namespace q8 {

namespace {

float dot_f32(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const float*>(wv);
    float s = 0.f;
    for (size_t i = 0; i < n; ++i) s += w[i] * x[i];
    return s;
}

float dot_f16(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const uint16_t*>(wv);
    float s = 0.f;
    for (size_t i = 0; i < n; ++i) s += f16_to_f32(w[i]) * x[i];
    return s;
}

float dot_bf16(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const uint16_t*>(wv);
    float s = 0.f;
    for (size_t i = 0; i < n; ++i) s += bf16_to_f32(w[i]) * x[i];
    return s;
}

uint16_t load_u16(const uint8_t* p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return v;
}

float dot_q8_0(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const uint8_t*>(wv);
    float s = 0.f;
    for (size_t b = 0; b < n / 32; ++b, w += 34, x += 32) {
        const float d = f16_to_f32(load_u16(w));
        const auto* q = reinterpret_cast<const int8_t*>(w + 2);
        float bs = 0.f;
        for (int j = 0; j < 32; ++j) bs += static_cast<float>(q[j]) * x[j];
        s += d * bs;
    }
    return s;
}

float dot_q4_0(const void* wv, const float* x, size_t n) {
    const auto* w = static_cast<const uint8_t*>(wv);
    float s = 0.f;
    for (size_t b = 0; b < n / 32; ++b, w += 18, x += 32) {
        const float d = f16_to_f32(load_u16(w));
        const uint8_t* q = w + 2;
        float bs = 0.f;
        for (int j = 0; j < 16; ++j) {
            bs += static_cast<float>((q[j] & 0x0f) - 8) * x[j];
            bs += static_cast<float>((q[j] >> 4) - 8) * x[j + 16];
        }
        s += d * bs;
    }
    return s;
}

void to_f32(const uint16_t* src, float* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = f16_to_f32(src[i]);
}

void to_f16(const float* src, uint16_t* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = f32_to_f16(src[i]);
}

void axpy_f16(float a, const void* vv, float* y, size_t n) {
    const auto* v = static_cast<const uint16_t*>(vv);
    for (size_t i = 0; i < n; ++i) y[i] += a * f16_to_f32(v[i]);
}

void axpy_f32(float a, const void* vv, float* y, size_t n) {
    const auto* v = static_cast<const float*>(vv);
    for (size_t i = 0; i < n; ++i) y[i] += a * v[i];
}

// Q4G: per group f16 d, group/2 bytes (low nibbles = first half). x = (q - 8) * d.
float dot_q4g(const void* wv, const float* x, size_t n, size_t group) {
    const auto* w = static_cast<const uint8_t*>(wv);
    const size_t h = group / 2;
    float s = 0.f;
    for (size_t b = 0; b < n / group; ++b, w += 2 + h, x += group) {
        const float d = f16_to_f32(load_u16(w));
        const uint8_t* q = w + 2;
        float bs = 0.f;
        for (size_t j = 0; j < h; ++j) {
            bs += static_cast<float>((q[j] & 0x0f) - 8) * x[j];
            bs += static_cast<float>((q[j] >> 4) - 8) * x[j + h];
        }
        s += d * bs;
    }
    return s;
}

// Q4GA: per group f16 d, f16 m, group/2 bytes. x = q * d + m.
float dot_q4ga(const void* wv, const float* x, size_t n, size_t group) {
    const auto* w = static_cast<const uint8_t*>(wv);
    const size_t h = group / 2;
    float s = 0.f;
    for (size_t b = 0; b < n / group; ++b, w += 4 + h, x += group) {
        const float d = f16_to_f32(load_u16(w)), m = f16_to_f32(load_u16(w + 2));
        const uint8_t* q = w + 4;
        float qx = 0.f, sx = 0.f;
        for (size_t j = 0; j < h; ++j) {
            qx += static_cast<float>(q[j] & 0x0f) * x[j] + static_cast<float>(q[j] >> 4) * x[j + h];
            sx += x[j] + x[j + h];
        }
        s += d * qx + m * sx;
    }
    return s;
}

int32_t dot_i8(const int8_t* w, const int8_t* x, size_t n, int32_t /*w_sum*/) {
    int32_t s = 0;
    for (size_t i = 0; i < n; ++i) s += int32_t(w[i]) * int32_t(x[i]);
    return s;
}

template <bool Asym>
float dot_q4_a8(const void* wv, const int8_t* x, size_t n, size_t group) {
    const auto* w = static_cast<const uint8_t*>(wv);
    const size_t h = group / 2, hdr = Asym ? 4 : 2;
    float s = 0.f;
    for (size_t b = 0; b < n / group; ++b, w += hdr + h, x += group) {
        const float d = f16_to_f32(load_u16(w));
        const uint8_t* q = w + hdr;
        int32_t qx = 0, sx = 0;
        for (size_t j = 0; j < h; ++j) {
            qx += int32_t(q[j] & 0x0f) * x[j] + int32_t(q[j] >> 4) * x[j + h];
            sx += x[j] + x[j + h];
        }
        if (Asym) {
            s += d * static_cast<float>(qx) + f16_to_f32(load_u16(w + 2)) * static_cast<float>(sx);
        } else {
            s += d * static_cast<float>(qx - 8 * sx);
        }
    }
    return s;
}

// One token against one split row: per group, the codes' dot product with the split-ordered
// activations (exact in int32 for int8 activations), times the group scale, plus the group's
// correction term (minimum, or -8 * scale for symmetric codes) times the group sum.
template <class T, class Acc>
float q4s_row(const uint8_t* w, const T* xp, const float* sums, size_t n, size_t group, bool asym) {
    const size_t h = group / 2, n_groups = n / group, per_span = quant::kQ4SplitSpan / group;
    const uint8_t* scales = w + n / 2;
    const uint8_t* mins = scales + 2 * n_groups;
    float acc = 0.f;
    for (size_t g = 0; g < n_groups; ++g) {
        const T* lo = xp + g / per_span * quant::kQ4SplitSpan + g % per_span * h;
        const T* hi = lo + quant::kQ4SplitSpan / 2;
        const uint8_t* q = w + g * h;
        Acc s{};
        for (size_t j = 0; j < h; ++j) s += static_cast<Acc>(q[j] & 0x0f) * lo[j] + static_cast<Acc>(q[j] >> 4) * hi[j];
        const float d = f16_to_f32(load_u16(scales + 2 * g));
        const float c = asym ? f16_to_f32(load_u16(mins + 2 * g)) : -8.f * d;
        acc += d * static_cast<float>(s) + c * sums[g];
    }
    return acc;
}

void q4s_portable(const void* w, const float* xp, const float* sums, size_t ldx, size_t ld_sums, size_t n_tok, size_t n,
                  size_t group, bool asym, float* y, size_t ldy) {
    for (size_t t = 0; t < n_tok; ++t)
        y[t * ldy] =
            q4s_row<float, float>(static_cast<const uint8_t*>(w), xp + t * ldx, sums + t * ld_sums, n, group, asym);
}

void q4s_a8_portable(const void* w, const int8_t* xp, const float* sums, size_t ldx, size_t ld_sums, size_t n_tok,
                     size_t n, size_t group, bool asym, float* y, size_t ldy) {
    for (size_t t = 0; t < n_tok; ++t)
        y[t * ldy] =
            q4s_row<int8_t, int32_t>(static_cast<const uint8_t*>(w), xp + t * ldx, sums + t * ld_sums, n, group, asym);
}

// Int8 activation blocks: the products of each activation block are summed exactly in int32, then
// scaled by the group's scale times the block's scale. In a group of 32 both halves are one
// block; a larger group's first half covers its first group/64 blocks, its second half the rest.
float q4s_a8b_row(const uint8_t* w, const int8_t* xp, const float* xs, const float* sums, size_t n, size_t group,
                  bool asym) {
    const size_t h = group / 2, n_groups = n / group, per_span = quant::kQ4SplitSpan / group;
    const size_t blocks = group / quant::kActBlock;
    const uint8_t* scales = w + n / 2;
    const uint8_t* mins = scales + 2 * n_groups;
    float acc = 0.f;
    for (size_t g = 0; g < n_groups; ++g) {
        const int8_t* lo = xp + g / per_span * quant::kQ4SplitSpan + g % per_span * h;
        const int8_t* hi = lo + quant::kQ4SplitSpan / 2;
        const uint8_t* q = w + g * h;
        int32_t isum[4] = {};  // per activation block of the group
        for (size_t j = 0; j < h; ++j) {
            isum[j / quant::kActBlock] += int32_t(q[j] & 0x0f) * lo[j];
            isum[(h + j) / quant::kActBlock] += int32_t(q[j] >> 4) * hi[j];
        }
        const float d = f16_to_f32(load_u16(scales + 2 * g));
        for (size_t b = 0; b < blocks; ++b) acc += d * xs[g * blocks + b] * static_cast<float>(isum[b]);
        const float c = asym ? f16_to_f32(load_u16(mins + 2 * g)) : -8.f * d;
        acc += c * sums[g];
    }
    return acc;
}

void q4s_a8b_portable(const uint8_t* w, const A8Blocks& x, size_t n_tok, size_t n, size_t group, bool asym, float* y,
                      size_t ldy) {
    for (size_t t = 0; t < n_tok; ++t)
        y[t * ldy] =
            q4s_a8b_row(w, x.xp + t * x.ldx, x.scales + t * x.ld_scales, x.sums + t * x.ld_sums, n, group, asym);
}

// Q8_0 against int8 activation blocks: both are blocks of 32, so each block's products sum
// exactly in int32 and are scaled once, by the weight block's scale times the activation block's.
float q8_0_a8b_row(const uint8_t* w, const int8_t* x, const float* xs, size_t n) {
    float acc = 0.f;
    for (size_t b = 0; b < n / 32; ++b, w += quant::kQ8_0Bytes, x += 32) {
        const auto* q = reinterpret_cast<const int8_t*>(w + 2);
        int32_t isum = 0;
        for (int j = 0; j < 32; ++j) isum += int32_t(q[j]) * x[j];
        acc += f16_to_f32(load_u16(w)) * xs[b] * static_cast<float>(isum);
    }
    return acc;
}

void q8_0_a8b_portable(const uint8_t* w, const A8Blocks& x, size_t n_tok, size_t n, float* y, size_t ldy) {
    for (size_t t = 0; t < n_tok; ++t) y[t * ldy] = q8_0_a8b_row(w, x.xp + t * x.ldx, x.scales + t * x.ld_scales, n);
}

// One row of a Q4 tile against one token (kernels.h, batch_q4t_a8b: the arithmetic every ISA
// reproduces).
float q4t_a8b_row(const uint8_t* tile, size_t r, const int8_t* x, const float* xs, const int32_t* offsets, size_t n,
                  size_t group) {
    float acc = 0.f;
    for (size_t b = 0; b < n / quant::kActBlock; ++b) {
        const size_t g = b * quant::kActBlock / group, k = b % (group / quant::kActBlock);
        const int8_t* xb = x + b * quant::kActBlock;
        int32_t s = offsets[b];
        for (size_t c = 0; c < 4; ++c) {
            const uint8_t* lane = tile + quant::q4_tile_lane_offset(g, k, c, r, group);
            for (size_t j = 0; j < 4; ++j)
                s += int32_t(lane[j] & 0x0f) * xb[8 * c + j] + int32_t(lane[j] >> 4) * xb[8 * c + 4 + j];
        }
        acc = std::fma(static_cast<float>(s),
                       f16_to_f32(load_u16(tile + quant::q4_tile_scale_offset(g, r, group))) * xs[b], acc);
    }
    return acc;
}

void q4t_a8b_portable(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n, size_t group, float* y,
                      size_t ldy) {
    const size_t tile_bytes = quant::q4_tile_bytes(n, group);
    for (size_t i = 0; i < n_tiles; ++i) {
        const uint8_t* tile = static_cast<const uint8_t*>(w) + i * tile_bytes;
        for (size_t t = 0; t < n_tok; ++t) {
            for (size_t r = 0; r < quant::kTileRows; ++r) {
                y[t * ldy + i * quant::kTileRows + r] = q4t_a8b_row(
                    tile, r, x.xp + t * x.ldx, x.scales + t * x.ld_scales, x.offsets + t * x.ld_scales, n, group);
            }
        }
    }
}

// One row of a Q8 tile against one token (kernels.h, batch_q8t_a8b).
float q8t_a8b_row(const uint8_t* tile, size_t r, const int8_t* x, const float* xs, const int32_t* offsets, size_t n) {
    float acc = 0.f;
    for (size_t b = 0; b < n / quant::kActBlock; ++b) {
        const int8_t* xb = x + b * quant::kActBlock;
        int32_t s = quant::kQ8TileOffsetFactor * offsets[b];
        for (size_t m = 0; m < 8; ++m) {
            const uint8_t* lane = tile + quant::q8_tile_lane_offset(b, m, r);
            for (size_t j = 0; j < 4; ++j) s += int32_t{lane[j]} * xb[4 * m + j];
        }
        acc = std::fma(static_cast<float>(s), f16_to_f32(load_u16(tile + quant::q8_tile_scale_offset(b, r))) * xs[b],
                       acc);
    }
    return acc;
}

void q8t_a8b_portable(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n, float* y, size_t ldy) {
    for (size_t i = 0; i < n_tiles; ++i) {
        const uint8_t* tile = static_cast<const uint8_t*>(w) + i * quant::q8_tile_bytes(n);
        for (size_t t = 0; t < n_tok; ++t) {
            for (size_t r = 0; r < quant::kTileRows; ++r) {
                y[t * ldy + i * quant::kTileRows + r] =
                    q8t_a8b_row(tile, r, x.xp + t * x.ldx, x.scales + t * x.ld_scales, x.offsets + t * x.ld_scales, n);
            }
        }
    }
}

void silu_mul(const float* gate, const float* up, size_t n, float* out) {
    for (size_t i = 0; i < n; ++i) out[i] = gate[i] / (1.f + std::exp(-gate[i])) * up[i];
}

void softmax(float* x, size_t n) {
    if (n == 0) return;
    const float mx = *std::max_element(x, x + n);
    double sum = 0.0;  // double: n can be a whole context of small terms
    for (size_t i = 0; i < n; ++i) {
        x[i] = std::exp(x[i] - mx);
        sum += x[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (size_t i = 0; i < n; ++i) x[i] *= inv;
}

}  // namespace

float batch_loop::quantize_act_i8(const float* x, int8_t* q, size_t n, float static_scale) {
    return static_scale > 0.f ? quant::quantize_activations_i8_static(x, q, n, static_scale)
                              : quant::quantize_activations_i8(x, q, n);
}

namespace {

KernelTable make_table() {
    KernelTable t{Isa::Scalar, dot_f32,  dot_f16, dot_bf16, dot_q8_0, dot_q4_0,         to_f32,         to_f16,
                  axpy_f16,    axpy_f32, dot_q4g, dot_q4ga, dot_i8,   dot_q4_a8<false>, dot_q4_a8<true>};
    batch_loop::fill<dot_f32, dot_f16, dot_bf16, dot_q8_0, dot_q4_0, dot_q4g, dot_q4ga, dot_i8, dot_q4_a8<false>,
                     dot_q4_a8<true>, axpy_f16, axpy_f32>(t);
    t.batch_q4s = q4s_portable;
    t.batch_q4s_a8 = q4s_a8_portable;
    t.batch_q4s_a8b = batch_loop::q4s_a8b_rows<q4s_a8b_portable>;
    t.batch_q8_0_a8b = batch_loop::q8_0_a8b_rows<q8_0_a8b_portable>;
    t.batch_q4t_a8b = q4t_a8b_portable;
    t.batch_q8t_a8b = q8t_a8b_portable;
    t.silu_mul = silu_mul;
    t.softmax = softmax;
    return t;
}

}  // namespace

const KernelTable& scalar_kernels() {
    static const KernelTable t = make_table();
    return t;
}

}  // namespace q8
