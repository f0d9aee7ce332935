#pragma once
// The inner loops every matrix product and attention step reduce to, one table per instruction
// set. Weights are read in their stored format (F16, BF16, Q8_0, Q4_0 blocks) and converted in
// registers, so a decode step streams each weight byte from memory exactly once.
#include <cstddef>
#include <cstdint>

#include "cpu_features.h"

namespace q8 {

// Int8 activations with one scale per block of 32 values (compute/weight_formats.h, "int8
// activation blocks"). For Q4 split rows they are arranged by quant::q4split_order_i8_blocks: per
// token, xp holds the n codes in split order, scales the n/32 block scales (natural order: block b
// is values 32b..32b+31) and sums the n/group group sums. Q8_0 rows read the codes in natural
// order and no sums; Q4 row tiles read them in natural order with `offsets` (per token, the n/32
// values of quant::tile_block_offsets, ld_scales apart) instead of sums. The l* members are the
// per-token strides.
struct A8Blocks {
    const int8_t* xp;
    const float* scales;
    const float* sums;
    size_t ldx, ld_scales, ld_sums;
    const int32_t* offsets = nullptr;
};

struct KernelTable {
    Isa isa;
    // w points at one row in the named format (f32, f16, bf16, Q8_0 or Q4_0 blocks); x at n floats.
    using DotFn = float (*)(const void* w, const float* x, size_t n);
    DotFn dot_f32;
    DotFn dot_f16;
    DotFn dot_bf16;
    DotFn dot_q8_0;  // n multiple of 32
    DotFn dot_q4_0;  // n multiple of 32
    void (*f16_to_f32)(const uint16_t* src, float* dst, size_t n);
    void (*f32_to_f16)(const float* src, uint16_t* dst, size_t n);
    // y += a * v, with v in f16 or f32 (the two KV cache types)
    using AxpyFn = void (*)(float a, const void* v, float* y, size_t n);
    AxpyFn axpy_f16;
    AxpyFn axpy_f32;

    // Group-wise 4-bit rows (compute/weight_formats.h: Q4G symmetric, Q4GA asymmetric) with float
    // activations; n a multiple of group, group 32, 64 or 128.
    using GroupDotFn = float (*)(const void* w, const float* x, size_t n, size_t group);
    GroupDotFn dot_q4g;
    GroupDotFn dot_q4ga;
    // Int8 activations (one token's row, quantized per token). dot_i8 is exact integer arithmetic:
    // sum w[i] * x[i] for w, x in [-127, 127] and n <= 65536; w_sum must be sum w[i] over the whole
    // row (the AVX-512 VNNI path offsets x to unsigned and subtracts 128 * w_sum).
    int32_t (*dot_i8)(const int8_t* w, const int8_t* x, size_t n, int32_t w_sum);
    // sum over groups of d * isum (+ m * sum x for Q4GA), each group's isum exact in int32 and the
    // group terms accumulated in float; the caller multiplies by the activation scale.
    using GroupDotA8Fn = float (*)(const void* w, const int8_t* x, size_t n, size_t group);
    GroupDotA8Fn dot_q4g_a8;
    GroupDotA8Fn dot_q4ga_a8;

    // Batched forms, for several tokens against one weight row: y[t * ldy] = dot(w, x + t * ldx)
    // for t < n_tok, each result bit-identical to the single-token call above. The row is read
    // (and decoded) once for a tile of tokens; speculative verification relies on the identity,
    // since a drafted token must score exactly as it would in plain decoding. `group` is read by
    // the group formats only.
    using DotBatchFn = void (*)(const void* w, const float* x, size_t ldx, size_t n_tok, size_t n, size_t group,
                                float* y, size_t ldy);
    DotBatchFn batch_f32 = nullptr;
    DotBatchFn batch_f16 = nullptr;
    DotBatchFn batch_bf16 = nullptr;
    DotBatchFn batch_q8_0 = nullptr;
    DotBatchFn batch_q4_0 = nullptr;
    DotBatchFn batch_q4g = nullptr;
    DotBatchFn batch_q4ga = nullptr;
    // Int8 activations: y[t * ldy] = float(dot_i8(w, x + t * ldx, n, w_sum)) for I8Row, and
    // dot_q4g(a)_a8 for the group formats (w_sum unused).
    using DotBatchA8Fn = void (*)(const void* w, const int8_t* x, size_t ldx, size_t n_tok, size_t n, size_t group,
                                  int32_t w_sum, float* y, size_t ldy);
    DotBatchA8Fn batch_i8 = nullptr;
    DotBatchA8Fn batch_q4g_a8 = nullptr;
    DotBatchA8Fn batch_q4ga_a8 = nullptr;

    // Q4 split rows (compute/weight_formats.h) against activations in split order (xp, ldx apart per
    // token) and their group sums (ld_sums apart); per token bit-identical whatever n_tok. The a8
    // form takes int8 activations (the caller multiplies by their scale).
    using Q4SplitFn = void (*)(const void* w, const float* xp, const float* sums, size_t ldx, size_t ld_sums,
                               size_t n_tok, size_t n, size_t group, bool asym, float* y, size_t ldy);
    using Q4SplitA8Fn = void (*)(const void* w, const int8_t* xp, const float* sums, size_t ldx, size_t ld_sums,
                                 size_t n_tok, size_t n, size_t group, bool asym, float* y, size_t ldy);
    Q4SplitFn batch_q4s = nullptr;
    Q4SplitA8Fn batch_q4s_a8 = nullptr;
    // The same rows against int8 activation blocks (W4A8 with block scales): each block's products
    // are exact in int32, scaled by the weight group's scale times the block's scale; the result is
    // final (no scale left to the caller). n_rows rows, row_bytes apart from w: y[t * ldy + r] for
    // token t and row r, per (row, token) bit-identical whatever n_rows and n_tok. Several rows per
    // call let a kernel share each token's activations across rows as well as each row across
    // tokens, which is what makes verifying a draft cost little more than one token.
    using Q4SplitA8BlocksFn = void (*)(const void* w, size_t row_bytes, size_t n_rows, const A8Blocks& x, size_t n_tok,
                                       size_t n, size_t group, bool asym, float* y, size_t ldy);
    Q4SplitA8BlocksFn batch_q4s_a8b = nullptr;
    // Q8_0 rows against int8 activation blocks in natural order (W8A8 with block scales; x.sums
    // unused): per 32-value block the int32 product of weight and activation codes, exact, times
    // the block's weight scale times its activation scale, accumulated in float; the result is
    // final. Rows, tokens, strides and the bit-identity whatever n_rows and n_tok as above; n a
    // multiple of 32.
    using Q8A8BlocksFn = void (*)(const void* w, size_t row_bytes, size_t n_rows, const A8Blocks& x, size_t n_tok,
                                  size_t n, float* y, size_t ldy);
    Q8A8BlocksFn batch_q8_0_a8b = nullptr;
    // Q4 row tiles (compute/weight_formats.h) against int8 activation blocks in natural order with
    // their offsets: n_tiles tiles from w, 32 rows each; y[t * ldy + 32 * i + r] for token t, tile i
    // and row r. Per (row, token): for each block b, the exact int32 sum of code times activation
    // plus offsets[b], then acc = fma(float(that), row scale * block scale, acc) from acc = 0 in
    // block order. Every ISA computes exactly this, so results are bit-identical across ISAs and
    // whatever n_tiles and n_tok; the kernels differ only in how many rows and tokens share a load.
    using Q4TilesA8BlocksFn = void (*)(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n,
                                       size_t group, float* y, size_t ldy);
    Q4TilesA8BlocksFn batch_q4t_a8b = nullptr;
    // Q8 row tiles the same way: per block the int32 sum of (code - 128) times activation, as
    // sum of code times activation plus kQ8TileOffsetFactor * offsets[b], then the same FMA.
    using Q8TilesA8BlocksFn = void (*)(const void* w, size_t n_tiles, const A8Blocks& x, size_t n_tok, size_t n,
                                       float* y, size_t ldy);
    Q8TilesA8BlocksFn batch_q8t_a8b = nullptr;

    // Prompt evaluation with float activations (matmul.h, BatchArithmetic): n_rows rows of n
    // values, row_bytes apart from `w`, decoded to f32 into dst (nullptr when this ISA has no fast
    // decoder for the layout); then a register-blocked product y[t * ldy + r] = w[r * ldw ..] .
    // x[t * ldx ..] over a block of rows and all tokens. Its summation order differs from the row
    // kernels', so it serves prompts, never verification.
    using DecodeRowsFn = void (*)(const uint8_t* w, size_t row_bytes, size_t n_rows, size_t n, size_t group,
                                  float* dst);
    DecodeRowsFn decode_f16_rows = nullptr;
    DecodeRowsFn decode_q8_0_rows = nullptr;
    DecodeRowsFn decode_q4s_rows = nullptr;   // Q4Split (symmetric)
    DecodeRowsFn decode_q4sa_rows = nullptr;  // Q4SplitAsym
    DecodeRowsFn decode_q4t_rows = nullptr;   // Q4Tiles: w at a tile, n_rows a multiple of 16
    DecodeRowsFn decode_q8t_rows = nullptr;   // Q8Tiles: w at a tile, n_rows a multiple of 32
    void (*gemm_f32)(const float* w, size_t ldw, size_t n_rows, const float* x, size_t ldx, size_t n_tok, size_t n,
                     float* y, size_t ldy) = nullptr;
    // Round to nearest even, as half.h's f32_to_bf16 (the AVX512-BF16 instruction may flush
    // denormal inputs to zero). Operands of the bf16 prompt path.
    void (*f32_to_bf16)(const float* src, uint16_t* dst, size_t n) = nullptr;

    // Attention over one kv head's cached positions, for n_heads query heads that share it: n_pos
    // key or value rows of hd values, `stride` bytes apart, in the KV cache's type (the f16 or the
    // f32 entry). scores: scores[h * s_stride + p] = scale * (key_p . q_h), q_h at q + h *
    // q_stride. mix: out_h = sum_p weight_h[p] * value_p, weight_h at weight + h * w_stride and
    // out_h at out + h * out_stride, added in position order from zero (as axpy calls would). A
    // (head, position) result does not depend on n_pos, n_heads or the other heads and positions,
    // so a token attends the same in a verification batch as alone. Rows stay in registers across
    // positions and are loaded once for all the heads, which per-position dot and axpy calls
    // could not do.
    using ScoresFn = void (*)(const void* keys, size_t stride, size_t n_pos, const float* q, size_t q_stride,
                              size_t n_heads, size_t hd, float scale, float* scores, size_t s_stride);
    using MixFn = void (*)(const float* weight, size_t w_stride, size_t n_heads, const void* values, size_t stride,
                           size_t n_pos, size_t hd, float* out, size_t out_stride);
    ScoresFn scores_f16 = nullptr;
    ScoresFn scores_f32 = nullptr;
    MixFn mix_f16 = nullptr;
    MixFn mix_f32 = nullptr;

    // out[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i]; out may be up. Each
    // value independent of its position (compute/kernels_activation.h).
    void (*silu_mul)(const float* gate, const float* up, size_t n, float* out) = nullptr;
    // In place: x[i] = exp(x[i] - max) / sum over j of exp(x[j] - max). A row's result depends on
    // the row only.
    void (*softmax)(float* x, size_t n) = nullptr;

    // One token's int8 activations, bit-identical to quant::quantize_activations_i8 (scale 0:
    // per token, amax / 127) or quantize_activations_i8_static (scale > 0). Returns the scale.
    float (*quantize_act_i8)(const float* x, int8_t* q, size_t n, float static_scale) = nullptr;
};

const KernelTable& kernels_for(Isa isa);  // clamps to a table this build and CPU can run
const KernelTable& active_kernels();      // for active_isa()

// Per-ISA tables, defined in kernels_<isa>.cpp.
const KernelTable& scalar_kernels();
const KernelTable& avx2_kernels();
const KernelTable& avx512_kernels();

}  // namespace q8
