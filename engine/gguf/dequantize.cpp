#include "dequantize.h"

#include <cstring>
#include <string>

#include <q8/error.h>

#include "gguf_reader.h"
#include "half.h"

namespace q8 {

namespace {

// Block fields are little-endian and unaligned (Q8_0 blocks are 34 bytes, Q6_K 210).
inline uint16_t load_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (static_cast<unsigned>(p[1]) << 8)); }
inline float load_f16(const uint8_t* p) { return f16_to_f32(load_u16(p)); }

std::string type_label(GgmlType type) {
    const auto traits = type_traits(static_cast<uint32_t>(type));
    if (traits) return std::string(traits->name);
    return "type " + std::to_string(static_cast<uint32_t>(type));
}

void row_f32(const uint8_t* src, float* dst, size_t n) { std::memcpy(dst, src, n * sizeof(float)); }

void row_f16(const uint8_t* src, float* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = load_f16(src + 2 * i);
}

void row_bf16(const uint8_t* src, float* dst, size_t n) {
    for (size_t i = 0; i < n; ++i) dst[i] = bf16_to_f32(load_u16(src + 2 * i));
}

// Q8_0, 34 bytes: f16 d, then 32 x int8 q. x = d * q.
void row_q8_0(const uint8_t* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += 34, dst += 32) {
        const float d = load_f16(src);
        const uint8_t* q = src + 2;
        for (int j = 0; j < 32; ++j) dst[j] = static_cast<float>(static_cast<int8_t>(q[j])) * d;
    }
}

// Q4_0, 18 bytes: f16 d, then 16 bytes; element j is the low nibble of byte j, element j + 16 the
// high nibble. x = (q - 8) * d.
void row_q4_0(const uint8_t* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += 18, dst += 32) {
        const float d = load_f16(src);
        const uint8_t* q = src + 2;
        for (int j = 0; j < 16; ++j) {
            dst[j] = static_cast<float>((q[j] & 0x0f) - 8) * d;
            dst[j + 16] = static_cast<float>((q[j] >> 4) - 8) * d;
        }
    }
}

// The 12-byte scale area of Q4_K / Q5_K holds a 6-bit scale and a 6-bit min for each of 8
// sub-blocks. Bytes 0-3: low 6 bits = scale 0-3, top 2 bits = bits 4-5 of scale 4-7. Bytes 4-7:
// low 6 bits = min 0-3, top 2 bits = bits 4-5 of min 4-7. Bytes 8-11: low nibble = bits 0-3 of
// scale 4-7, high nibble = bits 0-3 of min 4-7.
inline void unpack_scales_mins(const uint8_t* s, uint8_t sc[8], uint8_t mn[8]) {
    for (int j = 0; j < 4; ++j) {
        sc[j] = s[j] & 63;
        mn[j] = s[j + 4] & 63;
        sc[j + 4] = static_cast<uint8_t>((s[j + 8] & 0x0f) | ((s[j] >> 6) << 4));
        mn[j + 4] = static_cast<uint8_t>((s[j + 8] >> 4) | ((s[j + 4] >> 6) << 4));
    }
}

// Q4_K, 144 bytes: f16 d, f16 dmin, 12 bytes of scales/mins, 128 bytes of nibbles. The super-block
// is 4 chunks of 64; chunk c reads bytes 32c..32c+31 of the nibbles: low nibbles give sub-block 2c,
// high nibbles sub-block 2c + 1. x = (d * scale) * q - (dmin * min).
void row_q4_k(const uint8_t* src, float* dst, size_t n_blocks) {
    uint8_t sc[8];
    uint8_t mn[8];
    for (size_t b = 0; b < n_blocks; ++b, src += 144, dst += 256) {
        const float d = load_f16(src);
        const float dmin = load_f16(src + 2);
        unpack_scales_mins(src + 4, sc, mn);
        const uint8_t* qs = src + 16;
        for (int c = 0; c < 4; ++c) {
            const float d1 = d * static_cast<float>(sc[2 * c]);
            const float m1 = dmin * static_cast<float>(mn[2 * c]);
            const float d2 = d * static_cast<float>(sc[2 * c + 1]);
            const float m2 = dmin * static_cast<float>(mn[2 * c + 1]);
            const uint8_t* q = qs + 32 * c;
            float* y = dst + 64 * c;
            for (int l = 0; l < 32; ++l) {
                y[l] = d1 * static_cast<float>(q[l] & 0x0f) - m1;
                y[l + 32] = d2 * static_cast<float>(q[l] >> 4) - m2;
            }
        }
    }
}

// Q5_K, 176 bytes: f16 d, f16 dmin, 12 bytes of scales/mins, 32 bytes qh, 128 bytes of nibbles.
// As Q4_K, plus a fifth bit: for chunk c, bit 2c of qh[l] tops element 64c + l and bit 2c + 1 tops
// element 64c + 32 + l.
void row_q5_k(const uint8_t* src, float* dst, size_t n_blocks) {
    uint8_t sc[8];
    uint8_t mn[8];
    for (size_t b = 0; b < n_blocks; ++b, src += 176, dst += 256) {
        const float d = load_f16(src);
        const float dmin = load_f16(src + 2);
        unpack_scales_mins(src + 4, sc, mn);
        const uint8_t* qh = src + 16;
        const uint8_t* qs = src + 48;
        for (int c = 0; c < 4; ++c) {
            const float d1 = d * static_cast<float>(sc[2 * c]);
            const float m1 = dmin * static_cast<float>(mn[2 * c]);
            const float d2 = d * static_cast<float>(sc[2 * c + 1]);
            const float m2 = dmin * static_cast<float>(mn[2 * c + 1]);
            const uint8_t* q = qs + 32 * c;
            float* y = dst + 64 * c;
            for (int l = 0; l < 32; ++l) {
                const int lo = (q[l] & 0x0f) | (((qh[l] >> (2 * c)) & 1) << 4);
                const int hi = (q[l] >> 4) | (((qh[l] >> (2 * c + 1)) & 1) << 4);
                y[l] = d1 * static_cast<float>(lo) - m1;
                y[l + 32] = d2 * static_cast<float>(hi) - m2;
            }
        }
    }
}

// Q6_K, 210 bytes: 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 x int8 scales (one per
// 16 elements), f16 d. Two halves of 128; half h uses ql[64h..], qh[32h..], scales[8h..]. For
// l < 32: element l = low nibble of ql[l] | bits 0-1 of qh[l]; l + 32 = low nibble of ql[l + 32] |
// bits 2-3; l + 64 = high nibble of ql[l] | bits 4-5; l + 96 = high nibble of ql[l + 32] | bits 6-7.
// x = (d * scale) * (q - 32).
void row_q6_k(const uint8_t* src, float* dst, size_t n_blocks) {
    for (size_t b = 0; b < n_blocks; ++b, src += 210, dst += 256) {
        const float d = load_f16(src + 208);
        for (int h = 0; h < 2; ++h) {
            const uint8_t* ql = src + 64 * h;
            const uint8_t* qh = src + 128 + 32 * h;
            const uint8_t* scb = src + 192 + 8 * h;
            float ds[8];
            for (int k = 0; k < 8; ++k) ds[k] = d * static_cast<float>(static_cast<int8_t>(scb[k]));
            float* y = dst + 128 * h;
            for (int l = 0; l < 32; ++l) {
                const int is = l / 16;
                const int q1 = ((ql[l] & 0x0f) | (((qh[l] >> 0) & 3) << 4)) - 32;
                const int q2 = ((ql[l + 32] & 0x0f) | (((qh[l] >> 2) & 3) << 4)) - 32;
                const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
                const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
                y[l] = ds[is] * static_cast<float>(q1);
                y[l + 32] = ds[is + 2] * static_cast<float>(q2);
                y[l + 64] = ds[is + 4] * static_cast<float>(q3);
                y[l + 96] = ds[is + 6] * static_cast<float>(q4);
            }
        }
    }
}

}  // namespace

void dequantize_row(GgmlType type, const uint8_t* src, float* dst, size_t n_elements) {
    const auto traits = type_traits(static_cast<uint32_t>(type));
    if (!traits || !traits->loadable) {
        throw EngineError("cannot dequantize tensor type " + type_label(type) + ": unsupported");
    }
    if (n_elements % traits->block_elems != 0) {
        throw EngineError("cannot dequantize " + std::to_string(n_elements) + " elements of " + type_label(type) +
                          ": not a multiple of its block size " + std::to_string(traits->block_elems));
    }
    if (n_elements == 0) return;
    const size_t n_blocks = n_elements / traits->block_elems;
    switch (type) {
    case GgmlType::F32: row_f32(src, dst, n_elements); return;
    case GgmlType::F16: row_f16(src, dst, n_elements); return;
    case GgmlType::BF16: row_bf16(src, dst, n_elements); return;
    case GgmlType::Q8_0: row_q8_0(src, dst, n_blocks); return;
    case GgmlType::Q4_0: row_q4_0(src, dst, n_blocks); return;
    case GgmlType::Q4_K: row_q4_k(src, dst, n_blocks); return;
    case GgmlType::Q5_K: row_q5_k(src, dst, n_blocks); return;
    case GgmlType::Q6_K: row_q6_k(src, dst, n_blocks); return;
    default: break;
    }
    // A type marked loadable in ggml_types.cpp without a decoder here.
    throw EngineError("cannot dequantize tensor type " + type_label(type) + ": no decoder");
}

std::vector<float> dequantize_tensor(const GgufTensorInfo& info) {
    const auto traits = type_traits(static_cast<uint32_t>(info.type));
    if (!traits || !traits->loadable) {
        throw EngineError("tensor '" + info.name + "': cannot dequantize type " + type_label(info.type) +
                          ": unsupported");
    }
    if (info.n_elements % traits->block_elems != 0) {
        throw EngineError("tensor '" + info.name + "': " + std::to_string(info.n_elements) +
                          " elements is not a multiple of the " + std::string(traits->name) + " block size " +
                          std::to_string(traits->block_elems));
    }
    const uint64_t need = info.n_elements / traits->block_elems * traits->block_bytes;
    if (info.n_bytes != need) {
        throw EngineError("tensor '" + info.name + "': " + std::to_string(info.n_bytes) + " bytes, but " +
                          std::to_string(info.n_elements) + " elements of " + std::string(traits->name) + " take " +
                          std::to_string(need));
    }
    if (info.n_elements != 0 && info.data == nullptr) {
        throw EngineError("tensor '" + info.name + "': no data");
    }
    std::vector<float> out(info.n_elements);
    if (!out.empty()) dequantize_row(info.type, info.data, out.data(), out.size());
    return out;
}

}  // namespace q8
