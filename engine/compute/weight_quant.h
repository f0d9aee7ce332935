#pragma once
// Converting weight matrices between formats in memory: quantize-at-load (F32/F16/BF16 rows to
// Q8_0, per-row int8, group-wise 4-bit), re-viewing quantized GGUF tensors in the layouts the
// int8-activation kernels read, and decoding any layout back to floats. Row arithmetic lives in
// compute/weight_formats.h; this file only walks matrices, owns the bytes and reports progress.
#include <cstdint>
#include <functional>

#include "weight_matrix.h"

namespace q8 {

// The format one matrix should end up in.
struct WeightTarget {
    WeightLayout layout = WeightLayout::Ggml;
    GgmlType type = GgmlType::F16;  // for layout Ggml: F16, Q8_0 or Q4_0
    uint32_t group = 32;            // Q4Group / Q4GroupAsym
    bool int8_activations = false;
    bool act_blocks = false;  // with int8_activations: one scale per 32 values (WeightMatrix::act_blocks)
};

// Called with the number of rows finished so far; returning false stops (the caller throws).
using RowProgress = std::function<bool(int64_t rows_done)>;

// Builds a matrix of rows x cols in `target` from rows produced by get_row(r, dst) (cols floats).
// Returns false (and leaves `out` unspecified) when `progress` asked to stop.
bool quantize_matrix(int64_t rows, int64_t cols, const std::function<void(int64_t, float*)>& get_row,
                     const WeightTarget& target, WeightMatrix& out, const RowProgress& progress = {});

// Whether `target` can hold a matrix with this many columns (block and group multiples).
bool target_fits(const WeightTarget& target, int64_t cols);

// Re-views a Q8_0 matrix as I8Row (copying into storage) when every row's blocks share one
// scale; returns false and leaves `w` untouched otherwise.
bool q8_0_to_i8_rows(WeightMatrix& w);
// Re-packs a Q4_0 matrix whose groups of `group` values share one scale into Q4Group(group);
// group 32 just relabels the bytes in place. Returns false and leaves `w` untouched otherwise.
bool q4_0_to_groups(WeightMatrix& w, uint32_t group);

// Copies w's rows (rows * row_bytes bytes) to dst, where the loader keeps them, repacking 4-bit
// matrices on the way into the layout their kernels read in wide loads (compute/weight_formats.h):
// symmetric W4A8-block matrices whose rows come in 32s into row tiles, which share each
// activation load across 32 rows; other 4-bit matrices whose rows split into 128-value spans into
// the split layout. Relabels w (a Q4_0 matrix keeps its type, so it is still named Q4_0) and turns
// off activation blocks for matrices without a block kernel; the caller points w.data at dst.
void repack_for_kernels(WeightMatrix& w, uint8_t* dst);

// Any layout back to floats (one row).
void decode_weight_row(const WeightMatrix& w, int64_t r, float* dst);

}  // namespace q8
