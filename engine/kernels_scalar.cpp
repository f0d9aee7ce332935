// Portable kernels: the reference the vector paths are tested against, and the path for CPUs
// without AVX2.
#include <cstring>

#include "half.h"
#include "kernels.h"

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

}  // namespace

const KernelTable& scalar_kernels() {
    static const KernelTable t{Isa::Scalar, dot_f32, dot_f16, dot_bf16, dot_q8_0, dot_q4_0, to_f32, to_f16, axpy_f16, axpy_f32};
    return t;
}

}  // namespace q8
