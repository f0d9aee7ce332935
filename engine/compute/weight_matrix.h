#pragma once
// One weight matrix as the kernels see it: its format, its shape and where its rows are. Kept
// apart from model.h so that the compute layer needs no model, tokenizer or file reader.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ggml_types.h"

namespace q8 {

// How the rows of a WeightMatrix are laid out. Ggml: blocks of `type` exactly as in GGUF. The
// others are defined in weight_formats.h: Q4Group / Q4GroupAsym are group-wise 4-bit (group 32 is
// byte-for-byte Q4_0 / Q4_1), I8Row is int8 with one scale per row (W8A8 weights). Q4Split /
// Q4SplitAsym hold the same groups with codes and scales apart (weight_formats.h "split"): the
// arrangement Q4 matrices are repacked into at load when their rows allow it. Q4Tiles interleaves
// symmetric groups of 32 rows (weight_formats.h "row tiles"; row(r) is a tile's start only when
// r is a multiple of 32): what W4A8-block matrices are repacked into when their rows come in 32s.
// Q8Tiles does the same for Q8_0 matrices with int8 activation blocks (type stays Q8_0).
enum class WeightLayout : uint8_t { Ggml, Q4Group, Q4GroupAsym, I8Row, Q4Split, Q4SplitAsym, Q4Tiles, Q8Tiles };

// One weight matrix y = W x with `rows` outputs and `cols` inputs; each row is `row_bytes` of
// blocks in `type` (or in `layout`). Move-only, because `data` may point into `storage`.
struct WeightMatrix {
    GgmlType type = GgmlType::F32;
    int64_t rows = 0;
    int64_t cols = 0;
    size_t row_bytes = 0;
    const uint8_t* data = nullptr;
    std::vector<uint8_t> storage;  // owned bytes when the file's type was converted at load
    WeightLayout layout = WeightLayout::Ggml;
    uint32_t group = 0;             // Q4Group / Q4GroupAsym: values per group (32, 64, 128)
    bool int8_activations = false;  // quantize each input token to int8 (W8A8 / W4A8)
    float act_scale = 0.f;          // int8 activations: 0 = per token (dynamic); > 0 = one static
                                    // per-tensor scale from calibration (values beyond clip)
    bool act_blocks = false;        // int8 activations with one scale per 32 values instead of per
                                    // token (Q4 split and tile layouts, Q8_0; others run float
                                    // activations)
    std::vector<float> row_scale;   // I8Row: scale of each row
    std::vector<int32_t> row_sum;   // I8Row: sum of each row's int8 values

    WeightMatrix() = default;
    WeightMatrix(WeightMatrix&&) noexcept = default;
    WeightMatrix& operator=(WeightMatrix&&) noexcept = default;
    WeightMatrix(const WeightMatrix&) = delete;
    WeightMatrix& operator=(const WeightMatrix&) = delete;

    const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
    size_t bytes() const { return static_cast<size_t>(rows) * row_bytes + row_scale.size() * 4 + row_sum.size() * 4; }
    std::string format_name() const;  // e.g. "F16", "Q8_0", "Q4G64", "Q4GA32", "I8 row"
};

}  // namespace q8
