#pragma once
// Weight and activation block formats, and the row quantizers that produce them. This is the leaf
// of the quantization code: no engine types, no I/O, only arithmetic on rows of floats, so the
// engine (kernels, quantize-at-load) and the tools (q8quant, calibration) share one definition.
//
// Formats (all little-endian, blocks unaligned and packed back to back along a row):
//   Q8_0   (GGUF type 8)  32 values: f16 d, 32 x int8 q.                  x = q * d
//   Q4_0   (GGUF type 2)  32 values: f16 d, 16 bytes; byte j holds q[j] in its low nibble and
//                         q[j + 16] in its high nibble.                      x = (q - 8) * d
//   Q4_1   (GGUF type 3)  32 values: f16 d, f16 m, 16 bytes as Q4_0.         x = q * d + m
//   Q4G(g)  group-wise 4-bit, g in {32, 64, 128}: f16 d, g/2 bytes; byte j holds q[j] low and
//                         q[j + g/2] high.  x = (q - 8) * d.   Q4G(32) is byte-for-byte Q4_0.
//   Q4GA(g) asymmetric:    f16 d, f16 m, g/2 bytes as Q4G.      x = q * d + m. Q4GA(32) is Q4_1.
//   Q4G(g) / Q4GA(g) split ("repacked" for the kernels; rows whose length is a multiple of 128):
//                         the code bytes of all groups back to back, then the n/g f16 scales,
//                         then (asymmetric) the n/g f16 minimums. Same bytes per row as blocks.
//                         Read 64 bytes at a time, a span of 128 values: its low nibbles hold the
//                         first halves of the span's groups, its high nibbles the second halves.
//   Q4 row tiles (Q4G symmetric, 32 rows interleaved; the layout W4A8-block matrices are repacked
//                         into at load when their rows come in 32s): a tile is 32 consecutive
//                         rows, 32 times a Q4G row's bytes, in two halves of 16 rows (lanes).
//                         Per group g of the rows: the 32 rows' f16 scales (64 bytes), then
//                         group/32 blocks of 512 bytes: for each half, four 64-byte quarters.
//                         Quarter c holds values 8c..8c+7 of the block, lane r (row 16h + r) in
//                         bytes 4r..4r+3, byte b with value 8c+b's code in its low nibble and
//                         value 8c+4+b's in its high nibble. One 32-bit lane is then four codes of
//                         one row, so a vector multiplies 16 rows by four activations broadcast to
//                         all lanes, and each block's sum for 16 rows needs eight products
//                         whatever the rows' scales. Two halves share each broadcast and, being
//                         adjacent, one memory stream.
//   Q8 row tiles (Q8_0, 32 rows interleaved as Q4 row tiles; what W8A8-block Q8_0 matrices are
//                         repacked into at load when their rows come in 32s): 32 times a Q8_0
//                         row's bytes. Per block of 32 values: the 32 rows' f16 scales (64
//                         bytes), then for each half eight 64-byte parts; part m holds values
//                         4m..4m+3 of lane r in bytes 4r..4r+3, each the code plus 128 (unsigned,
//                         the operand vpdpbusd wants). A block costs eight products per half, as
//                         in Q4 tiles, against one product and three float steps per row and
//                         block in Q8_0 rows.
//   I8 row   one int8 per value (clamped to [-127, 127]) and one f16-representable scale per row
//                         (W8A8 weights, per output channel).               x = q * scale
//   int8 activations: one row (token) of int8 in [-127, 127] with a float scale amax / 127.
//   int8 activation blocks: the same rule applied to each block of 32 consecutive values of a
//                         token, one float scale per block (the weights' group granularity, so
//                         one large activation costs precision in its own block only).
//
// The Q8_0, Q4_0 and Q4_1 quantizers reproduce ggml's reference quantizers (quantize_row_*_ref)
// bit for bit, including their float32 rounding: the tests compare them byte for byte with the
// NumPy writer in tests/reference/gguf_writer.py. Q4G(g > 32) uses the Q4_0 rule per group and
// Q4GA(g > 32) the Q4_1 rule, so every group size shares one definition of "nearest code".
#include <cstddef>
#include <cstdint>

namespace q8::quant {

inline constexpr size_t kQ8_0Bytes = 34;  // per 32 values
inline constexpr size_t kQ4_0Bytes = 18;
inline constexpr size_t kQ4_1Bytes = 20;

// Bytes of one Q4G / Q4GA block of `group` values.
constexpr size_t q4g_block_bytes(size_t group, bool asym) { return (asym ? 4 : 2) + group / 2; }
// Group sizes the kernels handle.
constexpr bool valid_q4_group(size_t group) { return group == 32 || group == 64 || group == 128; }

// n must be a multiple of 32 (Q8_0, Q4_0, Q4_1) or of `group` (Q4G, Q4GA).
void quantize_row_q8_0(const float* x, uint8_t* dst, size_t n);
void quantize_row_q4_0(const float* x, uint8_t* dst, size_t n);
void quantize_row_q4_1(const float* x, uint8_t* dst, size_t n);
void quantize_row_q4g(const float* x, uint8_t* dst, size_t n, size_t group, bool asym);
void dequantize_row_q4g(const uint8_t* src, float* dst, size_t n, size_t group, bool asym);

// Per-row int8 (W8A8 weights): returns the row scale, already rounded to f16 (so that the row can
// be stored as Q8_0 blocks that all carry this scale, with identical math), and writes q.
// Returns 0 (and q = 0) for an all-zero row.
float quantize_row_i8(const float* x, int8_t* q, size_t n);
void dequantize_row_i8(const int8_t* q, float scale, float* dst, size_t n);
// The same row as Q8_0 blocks carrying the row's scale in every block (n multiple of 32).
void i8_row_to_q8_0(const int8_t* q, float scale, uint8_t* dst, size_t n);
// The reverse when every block of a Q8_0 row has the same scale: writes q and returns true with
// *scale set; false (nothing useful written) when the scales differ.
bool q8_0_row_to_i8(const uint8_t* src, int8_t* q, float* scale, size_t n);

// Per-token activation quantization: scale = max|x| / 127 (0 for an all-zero row), q = round-half-
// away(x / scale). Returns the scale.
float quantize_activations_i8(const float* x, int8_t* q, size_t n);
// Static (per-tensor) mode: a fixed scale from calibration; q = round(x / scale) clamped to
// [-127, 127]. Returns `scale`.
float quantize_activations_i8_static(const float* x, int8_t* q, size_t n, float scale);

// Blocks of 32 (kActBlock): quantize_activations_i8 on each block, scales[b] its scale; n a
// multiple of 32.
inline constexpr size_t kActBlock = 32;
void quantize_activations_i8_blocks(const float* x, int8_t* q, float* scales, size_t n);

// The split arrangement of Q4G / Q4GA rows (see above); n a multiple of kQ4SplitSpan.
inline constexpr size_t kQ4SplitSpan = 128;
constexpr bool q4_split_fits(size_t n, size_t group) { return valid_q4_group(group) && n % kQ4SplitSpan == 0; }
void q4g_to_split(const uint8_t* blocks, uint8_t* dst, size_t n, size_t group, bool asym);
void dequantize_row_q4split(const uint8_t* src, float* dst, size_t n, size_t group, bool asym);
// Activations in the order a split row's nibbles come in (per span: the first halves of its
// groups, then the second halves), and the sum of each group of x. A split row's dot product is
// then sum over codes of q * xp, scaled per group, plus (minimum or -8 * scale) * group sum.
void q4split_order_f32(const float* x, float* xp, float* group_sums, size_t n, size_t group);
void q4split_order_i8(const int8_t* x, int8_t* xp, float* group_sums, size_t n, size_t group);
// Int8 activation blocks in split order, with each weight group's sum of its blocks' values
// (sum over the group's blocks b of scales[b] * sum of q in b): the term the group's minimum, or
// -8 times its scale, multiplies.
void q4split_order_i8_blocks(const int8_t* q, const float* scales, int8_t* xp, float* group_sums, size_t n,
                             size_t group);

// Q4 row tiles (above).
inline constexpr size_t kTileRows = 32;
inline constexpr size_t kTileLanes = 16;
constexpr bool q4_tiles_fit(size_t rows, size_t n, size_t group) {
    return valid_q4_group(group) && n % group == 0 && rows % kTileRows == 0;
}
// Bytes of one tile of rows of n values.
constexpr size_t q4_tile_bytes(size_t n, size_t group) {
    return kTileRows * (n / group) * q4g_block_bytes(group, false);
}
// Offset in a tile of row r's f16 scale in group g.
constexpr size_t q4_tile_scale_offset(size_t g, size_t r, size_t group) {
    return q4_tile_bytes(g * group, group) + 2 * r;
}
// Offset in a tile of row r's four bytes in quarter c of block k of group g.
constexpr size_t q4_tile_lane_offset(size_t g, size_t k, size_t c, size_t r, size_t group) {
    return q4_tile_scale_offset(g, kTileRows, group) + 256 * (kTileRows / kTileLanes) * k + 256 * (r / kTileLanes) +
           64 * c + 4 * (r % kTileLanes);
}
// kTileRows Q4G symmetric rows (row_bytes apart from `rows`) into one tile.
void q4g_to_tile(const uint8_t* rows, size_t row_bytes, uint8_t* tile, size_t n, size_t group);
// Row r (< kTileRows) of a Q4 tile, as floats: (code - 8) * scale.
void dequantize_tile_row(const uint8_t* tile, size_t r, float* dst, size_t n, size_t group);
// Per block of 32 int8 activation codes: -8 times the sum of its codes, where a tile's integer
// sum of unsigned code times activation starts, so that it ends as the sum over (code - 8).
void tile_block_offsets(const int8_t* q, int32_t* offsets, size_t n);

// Q8 row tiles (above).
constexpr bool q8_tiles_fit(size_t rows, size_t n) { return n % 32 == 0 && rows % kTileRows == 0; }
constexpr size_t q8_tile_block_bytes() { return kTileRows * kQ8_0Bytes; }
constexpr size_t q8_tile_bytes(size_t n) { return q8_tile_block_bytes() * (n / 32); }
// Offset in a tile of row r's f16 scale in block b.
constexpr size_t q8_tile_scale_offset(size_t b, size_t r) { return q8_tile_block_bytes() * b + 2 * r; }
// Offset in a tile of row r's four codes in part m (values 4m..4m+3) of block b.
constexpr size_t q8_tile_lane_offset(size_t b, size_t m, size_t r) {
    return q8_tile_scale_offset(b, kTileRows) + 512 * (r / kTileLanes) + 64 * m + 4 * (r % kTileLanes);
}
// kTileRows Q8_0 rows (row_bytes apart from `rows`) into one tile.
void q8_0_to_tile(const uint8_t* rows, size_t row_bytes, uint8_t* tile, size_t n);
// Row r (< kTileRows) of a Q8 tile, as floats: (code - 128) * scale.
void dequantize_q8_tile_row(const uint8_t* tile, size_t r, float* dst, size_t n);
// A Q8 tile's integer sums start at this multiple of the Q4 tiles' block offset (-128 instead of
// -8 times the activation codes' sum).
inline constexpr int32_t kQ8TileOffsetFactor = 16;

// Q4G(g > 32) <-> Q4_0 blocks with the group's scale repeated (identical values), and the asymmetric
// pair with Q4_1; for storing group-wise rows in standard GGUF types. `to_ggml` writes n/32 blocks.
void q4g_to_ggml(const uint8_t* src, uint8_t* dst, size_t n, size_t group, bool asym);
// Returns false if some group's 32-blocks do not share one scale (and minimum).
bool ggml_to_q4g(const uint8_t* src, uint8_t* dst, size_t n, size_t group, bool asym);

}  // namespace q8::quant
