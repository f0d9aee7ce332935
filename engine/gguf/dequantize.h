#pragma once
// Scalar dequantization of every loadable GGUF tensor type to f32. It runs once, at load, so it is
// plain portable C++; the results are exact (every product of a block's scales and quants is
// representable in f32, so only the final subtraction of the K-quant minimum rounds, once).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "ggml_types.h"

namespace q8 {

struct GgufTensorInfo;

// Decodes n_elements values of `type` starting at `src` (raw little-endian blocks as stored in the
// file) into dst. n_elements must be a multiple of the type's block size. Throws EngineError naming
// the type when it is not loadable (or not a type at all), or when n_elements does not fit.
void dequantize_row(GgmlType type, const uint8_t* src, float* dst, size_t n_elements);

// The whole tensor, in file order (ne[0] fastest). Throws EngineError naming the tensor when its
// type is unsupported or its data is missing or does not match its element count.
std::vector<float> dequantize_tensor(const GgufTensorInfo& info);

}  // namespace q8
