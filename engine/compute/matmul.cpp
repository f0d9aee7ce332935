#include "matmul.h"

#include <algorithm>
#include <type_traits>
#include <vector>

#include "cpu_features.h"
#include "dequantize.h"
#include "kernels.h"
#include "onednn_gemm.h"
#include "weight_formats.h"
#include "weight_quant.h"

namespace q8 {

namespace {

// The batched kernel that reads `w` in place, or nullptr when its rows must be decoded first.
KernelTable::DotBatchFn batch_for(const KernelTable& k, const WeightMatrix& w) {
    switch (w.layout) {
    case WeightLayout::Q4Group: return k.batch_q4g;
    case WeightLayout::Q4GroupAsym: return k.batch_q4ga;
    case WeightLayout::I8Row:
    case WeightLayout::Q4Split:
    case WeightLayout::Q4SplitAsym:
    case WeightLayout::Q4Tiles:
    case WeightLayout::Q8Tiles: return nullptr;
    case WeightLayout::Ggml: break;
    }
    switch (w.type) {
    case GgmlType::F32: return k.batch_f32;
    case GgmlType::F16: return k.batch_f16;
    case GgmlType::BF16: return k.batch_bf16;
    case GgmlType::Q8_0: return k.batch_q8_0;
    case GgmlType::Q4_0: return k.batch_q4_0;
    default: return nullptr;
    }
}

// Prompt products from this many tokens on decode each block of rows to f32 once and run the
// register-blocked kernel (below it the row kernels are as fast).
constexpr size_t kGemmMinTokens = 8;
constexpr size_t kGemmRowBlock = 16;
// The bf16 path from this many tokens, over blocks of this many rows (measured with one thread:
// oneDNN reached 72-86 GMAC/s at 64-128 tokens x 128 rows x 2048, against 40 for gemm_f32).
constexpr size_t kBf16MinTokens = 16;
constexpr size_t kBf16RowBlock = 128;
static_assert(kBf16RowBlock % quant::kTileRows == 0, "bf16 row blocks start at tile boundaries");

bool row_tiles(const WeightMatrix& w) { return w.layout == WeightLayout::Q4Tiles || w.layout == WeightLayout::Q8Tiles; }

// Rows decoded per call: a tile's rows are only decoded whole.
size_t decoded_rows_per_call(const WeightMatrix& w) { return row_tiles(w) ? quant::kTileRows : kGemmRowBlock; }

bool bf16_arithmetic_available() {
    const CpuFeatures& f = cpu_features();
    return f.avx512_bf16 || (f.amx_bf16 && f.amx_permitted);
}

KernelTable::DecodeRowsFn decoder_for(const KernelTable& k, const WeightMatrix& w) {
    switch (w.layout) {
    case WeightLayout::Q4Split: return k.decode_q4s_rows;
    case WeightLayout::Q4SplitAsym: return k.decode_q4sa_rows;
    case WeightLayout::Q4Tiles: return k.decode_q4t_rows;
    case WeightLayout::Q8Tiles: return k.decode_q8t_rows;
    case WeightLayout::Ggml:
        return w.type == GgmlType::F16 ? k.decode_f16_rows : w.type == GgmlType::Q8_0 ? k.decode_q8_0_rows : nullptr;
    default: return nullptr;
    }
}

// Splits w's rows across the pool; tiled matrices on tile boundaries (32 rows, also the prompt
// paths' row blocks).
void parallel_rows(const WeightMatrix& w, ThreadPool& pool, const std::function<void(size_t, size_t)>& fn) {
    const size_t unit = row_tiles(w) ? quant::kTileRows : 1;
    pool.parallel_for(static_cast<size_t>(w.rows) / unit, [&](size_t i0, size_t i1) { fn(i0 * unit, i1 * unit); });
}

// Rows [r0, r1) through gemm_f32, decoded a few at a time.
void prompt_rows_f32(const WeightMatrix& w, KernelTable::DecodeRowsFn decode, const float* x, size_t n, float* y,
                     size_t r0, size_t r1) {
    const KernelTable& k = active_kernels();
    const auto cols = static_cast<size_t>(w.cols), rows = static_cast<size_t>(w.rows);
    const size_t per_call = decoded_rows_per_call(w);
    thread_local std::vector<float> block;  // this thread's decoded rows
    block.resize(per_call * cols);
    for (size_t r = r0; r < r1; r += per_call) {
        const size_t nr = std::min(per_call, r1 - r);
        decode(w.row(static_cast<int64_t>(r)), w.row_bytes, nr, cols, w.group, block.data());
        k.gemm_f32(block.data(), cols, nr, x, cols, n, cols, y + r, rows);
    }
}

// Blocks of 128 rows decoded to bf16 and multiplied through oneDNN; a block oneDNN refuses runs
// through gemm_f32.
void prompt_bf16(const WeightMatrix& w, KernelTable::DecodeRowsFn decode, const float* x, size_t n, float* y,
                 ThreadPool& pool) {
    const KernelTable& k = active_kernels();
    const auto cols = static_cast<size_t>(w.cols), rows = static_cast<size_t>(w.rows);
    thread_local std::vector<uint16_t> xb_buffer;
    std::vector<uint16_t>& xb = xb_buffer;  // the workers read the caller's copy
    xb.resize(n * cols);
    k.f32_to_bf16(x, xb.data(), n * cols);
    parallel_rows(w, pool, [&](size_t r0, size_t r1) {
        thread_local std::vector<float> decoded;
        thread_local std::vector<uint16_t> block;
        const size_t per_call = decoded_rows_per_call(w);
        decoded.resize(per_call * cols);
        block.resize(kBf16RowBlock * cols);
        for (size_t r = r0; r < r1; r += kBf16RowBlock) {
            const size_t nr = std::min(kBf16RowBlock, r1 - r);
            for (size_t i = 0; i < nr; i += per_call) {
                const size_t m = std::min(per_call, nr - i);
                decode(w.row(static_cast<int64_t>(r + i)), w.row_bytes, m, cols, w.group, decoded.data());
                k.f32_to_bf16(decoded.data(), block.data() + i * cols, m * cols);
            }
            if (!onednn_gemm_bf16(xb.data(), n, block.data(), nr, cols, y + r, rows))
                prompt_rows_f32(w, decode, x, n, y, r, r + nr);
        }
    });
}

bool split_layout(const WeightMatrix& w) {
    return w.layout == WeightLayout::Q4Split || w.layout == WeightLayout::Q4SplitAsym;
}

bool q8_0_rows(const WeightMatrix& w) { return w.layout == WeightLayout::Ggml && w.type == GgmlType::Q8_0; }

// Block scales have kernels for split rows, tiles and Q8_0 rows; other layouts with them run float
// activations. Per-token scales have kernels for the repacked layouts only.
bool int8_path(const WeightMatrix& w) {
    if (!w.int8_activations) return false;
    return w.act_blocks ? split_layout(w) || q8_0_rows(w) || row_tiles(w) : w.layout != WeightLayout::Ggml;
}

// Returns false when this matrix or ISA has no prompt path (the caller then uses the row kernels).
// Int8-activation matrices keep their integer kernels, with one exception: a bf16 prompt over
// int8 activation blocks runs the bf16 product float-activation prompts run (W4A16, W8A16),
// since the Q4 block kernels reach about 100 tokens/s on a 128-token TinyLlama prompt where it
// reaches about 160 (docs/performance.md). Decoding, verification (Exact) and F32 prompts (perplexity, reference
// tests) stay on the block kernels.
bool matmul_prompt(const WeightMatrix& w, const float* x, size_t n, float* y, ThreadPool& pool,
                   BatchArithmetic arithmetic) {
    const KernelTable& k = active_kernels();
    if (arithmetic == BatchArithmetic::Exact || n < kGemmMinTokens || k.gemm_f32 == nullptr) return false;
    const bool bf16 = arithmetic == BatchArithmetic::BF16 && n >= kBf16MinTokens && bf16_arithmetic_available();
    if (int8_path(w) && !(w.act_blocks && bf16)) return false;
    const KernelTable::DecodeRowsFn decode = decoder_for(k, w);
    if (decode == nullptr) return false;
    if (bf16) {
        prompt_bf16(w, decode, x, n, y, pool);
        return true;
    }
    parallel_rows(w, pool, [&](size_t r0, size_t r1) { prompt_rows_f32(w, decode, x, n, y, r0, r1); });
    return true;
}

// One input quantized to int8, per token or per block of 32 values.
struct Int8Input {
    std::vector<int8_t> q;         // n rows of cols
    std::vector<float> scale;      // per token, or per block (cols / 32 per token)
    std::vector<int32_t> offsets;  // blocks: each block's quant::tile_block_offsets (row tiles read them)
};

// How a matrix wants its input quantized; matrices sharing an input share it when these agree.
struct Int8Mode {
    bool blocks = false;
    float static_scale = 0.f;  // per token: > 0 is one calibrated scale for every token
    bool operator==(const Int8Mode&) const = default;
};

Int8Mode int8_mode(const WeightMatrix& w) { return w.act_blocks ? Int8Mode{true, 0.f} : Int8Mode{false, w.act_scale}; }

// A prompt's tokens are quantized in parallel (n rows of work per product); a few tokens inline.
// Blocks use the per-token quantizer on each block of 32, so every ISA gives the same codes.
void quantize_input(const float* x, size_t n, size_t cols, Int8Mode mode, Int8Input& out, ThreadPool& pool) {
    const size_t per_token = mode.blocks ? cols / quant::kActBlock : 1;
    const size_t span = mode.blocks ? quant::kActBlock : cols;
    out.q.resize(n * cols);
    out.scale.resize(n * per_token);
    out.offsets.resize(mode.blocks ? n * per_token : 0);
    const KernelTable& k = active_kernels();
    auto rows = [&](size_t t0, size_t t1) {
        for (size_t i = t0 * per_token; i < t1 * per_token; ++i)
            out.scale[i] = k.quantize_act_i8(x + i * span, out.q.data() + i * span, span, mode.static_scale);
        if (mode.blocks) {
            quant::tile_block_offsets(out.q.data() + t0 * cols, out.offsets.data() + t0 * per_token, (t1 - t0) * cols);
        }
    };
    if (n < 8) {
        rows(0, n);
    } else {
        pool.parallel_for(n, rows);
    }
}

// Activations of n tokens in the order split rows read them, with their group sums.
template <class T>
struct SplitInput {
    std::vector<T> x;
    std::vector<float> sums;
    void prepare(const T* src, size_t n, size_t cols, size_t group) {
        x.resize(n * cols);
        sums.resize(n * (cols / group));
        for (size_t t = 0; t < n; ++t) {
            if constexpr (std::is_same_v<T, float>) {
                quant::q4split_order_f32(src + t * cols, x.data() + t * cols, sums.data() + t * (cols / group), cols,
                                         group);
            } else {
                quant::q4split_order_i8(src + t * cols, x.data() + t * cols, sums.data() + t * (cols / group), cols,
                                        group);
            }
        }
    }
};

// Rows [r0, r1) of an int8-activation product with the row kernels.
void int8_rows(const WeightMatrix& w, const Int8Input& in, size_t n, float* y, size_t r0, size_t r1) {
    const KernelTable& k = active_kernels();
    const auto cols = static_cast<size_t>(w.cols), rows = static_cast<size_t>(w.rows);
    const bool i8 = w.layout == WeightLayout::I8Row;
    const KernelTable::DotBatchA8Fn dot = i8                                  ? k.batch_i8
                                          : w.layout == WeightLayout::Q4Group ? k.batch_q4g_a8
                                                                              : k.batch_q4ga_a8;
    for (size_t r = r0; r < r1; ++r) {
        dot(w.row(static_cast<int64_t>(r)), in.q.data(), cols, n, cols, w.group, i8 ? w.row_sum[r] : 0, y + r, rows);
        const float rs = i8 ? w.row_scale[r] : 1.f;
        for (size_t t = 0; t < n; ++t) y[t * rows + r] = rs * y[t * rows + r] * in.scale[t];
    }
}

// Same arithmetic as the row kernels (exact int32 sums, then row scale, then token scale), so the
// result does not depend on which path ran; a range oneDNN refuses falls back to them.
void matmul_i8_onednn(const WeightMatrix& w, const Int8Input& in, size_t n, float* y, ThreadPool& pool) {
    const auto cols = static_cast<size_t>(w.cols), rows = static_cast<size_t>(w.rows);
    thread_local std::vector<int32_t> acc_buffer;
    std::vector<int32_t>& acc = acc_buffer;  // the workers write the caller's buffer
    acc.resize(n * rows);
    pool.parallel_for(rows, [&](size_t r0, size_t r1) {
        const auto* wr = reinterpret_cast<const int8_t*>(w.row(static_cast<int64_t>(r0)));
        if (!onednn_gemm_s8s8s32(in.q.data(), n, wr, r1 - r0, cols, acc.data() + r0, rows)) {
            int8_rows(w, in, n, y, r0, r1);
            return;
        }
        for (size_t t = 0; t < n; ++t) {
            for (size_t r = r0; r < r1; ++r)
                y[t * rows + r] = w.row_scale[r] * static_cast<float>(acc[t * rows + r]) * in.scale[t];
        }
    });
}

void matmul_q4_split_int8(const WeightMatrix& w, const Int8Input& in, size_t n, float* y, ThreadPool& pool) {
    const KernelTable& k = active_kernels();
    const auto cols = static_cast<size_t>(w.cols), rows = static_cast<size_t>(w.rows);
    thread_local SplitInput<int8_t> prepared;
    SplitInput<int8_t>& s = prepared;  // the workers read the caller's copy, not their own thread_local
    s.prepare(in.q.data(), n, cols, w.group);
    const bool asym = w.layout == WeightLayout::Q4SplitAsym;
    pool.parallel_for(rows, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) {
            k.batch_q4s_a8(w.row(static_cast<int64_t>(r)), s.x.data(), s.sums.data(), cols, cols / w.group, n, cols,
                           w.group, asym, y + r, rows);
        }
        for (size_t t = 0; t < n; ++t) {  // each token's scale, over this thread's rows
            for (size_t r = r0; r < r1; ++r) y[t * rows + r] *= in.scale[t];
        }
    });
}

// Int8 activation blocks: reordered for split rows, with their group sums, then one kernel call
// per thread for its rows and all n tokens (the kernel tiles rows by tokens).
void matmul_q4_split_blocks(const WeightMatrix& w, const Int8Input& in, size_t n, float* y, ThreadPool& pool) {
    const KernelTable& k = active_kernels();
    const auto cols = static_cast<size_t>(w.cols), rows = static_cast<size_t>(w.rows);
    const size_t n_groups = cols / w.group, n_blocks = cols / quant::kActBlock;
    thread_local SplitInput<int8_t> prepared;
    SplitInput<int8_t>& s = prepared;  // the workers read the caller's copy, not their own thread_local
    s.x.resize(n * cols);
    s.sums.resize(n * n_groups);
    for (size_t t = 0; t < n; ++t) {
        quant::q4split_order_i8_blocks(in.q.data() + t * cols, in.scale.data() + t * n_blocks, s.x.data() + t * cols,
                                       s.sums.data() + t * n_groups, cols, w.group);
    }
    const A8Blocks x{s.x.data(), in.scale.data(), s.sums.data(), cols, n_blocks, n_groups};
    const bool asym = w.layout == WeightLayout::Q4SplitAsym;
    pool.parallel_for(rows, [&](size_t r0, size_t r1) {
        k.batch_q4s_a8b(w.row(static_cast<int64_t>(r0)), w.row_bytes, r1 - r0, x, n, cols, w.group, asym, y + r0, rows);
    });
}

// Tiles read the block codes in natural order, with each block's offset (-8 times its code sum,
// computed with the codes; the Q8 kernels scale it): one kernel call per thread for its tiles and
// all n tokens.
void matmul_row_tiles(const WeightMatrix& w, const Int8Input& in, size_t n, float* y, ThreadPool& pool) {
    const KernelTable& k = active_kernels();
    const auto cols = static_cast<size_t>(w.cols), rows = static_cast<size_t>(w.rows);
    const size_t n_blocks = cols / quant::kActBlock;
    const A8Blocks x{in.q.data(), in.scale.data(), nullptr, cols, n_blocks, 0, in.offsets.data()};
    parallel_rows(w, pool, [&](size_t r0, size_t r1) {
        const uint8_t* first = w.row(static_cast<int64_t>(r0));
        const size_t n_tiles = (r1 - r0) / quant::kTileRows;
        if (w.layout == WeightLayout::Q8Tiles) {
            k.batch_q8t_a8b(first, n_tiles, x, n, cols, y + r0, rows);
        } else {
            k.batch_q4t_a8b(first, n_tiles, x, n, cols, w.group, y + r0, rows);
        }
    });
}

// Q8_0 rows read the block codes in their natural order: one kernel call per thread for its rows
// and all n tokens, as for split rows.
void matmul_q8_0_blocks(const WeightMatrix& w, const Int8Input& in, size_t n, float* y, ThreadPool& pool) {
    const KernelTable& k = active_kernels();
    const auto cols = static_cast<size_t>(w.cols), rows = static_cast<size_t>(w.rows);
    const size_t n_blocks = cols / quant::kActBlock;
    const A8Blocks x{in.q.data(), in.scale.data(), nullptr, cols, n_blocks, 0};
    pool.parallel_for(rows, [&](size_t r0, size_t r1) {
        k.batch_q8_0_a8b(w.row(static_cast<int64_t>(r0)), w.row_bytes, r1 - r0, x, n, cols, y + r0, rows);
    });
}

void matmul_q4_split_float(const WeightMatrix& w, const float* x, size_t n, float* y, ThreadPool& pool) {
    const KernelTable& k = active_kernels();
    const auto cols = static_cast<size_t>(w.cols), rows = static_cast<size_t>(w.rows);
    thread_local SplitInput<float> prepared;
    SplitInput<float>& s = prepared;  // the workers read the caller's copy, not their own thread_local
    s.prepare(x, n, cols, w.group);
    const bool asym = w.layout == WeightLayout::Q4SplitAsym;
    pool.parallel_for(rows, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) {
            k.batch_q4s(w.row(static_cast<int64_t>(r)), s.x.data(), s.sums.data(), cols, cols / w.group, n, cols,
                        w.group, asym, y + r, rows);
        }
    });
}

// Every product, whatever n, runs each (row, token) pair through the same kernel arithmetic, so
// a token's outputs do not depend on which other tokens share the call (speculative verification
// relies on this). Rows are split across the pool; each row is read once for all n tokens.
void matmul_int8(const WeightMatrix& w, const Int8Input& in, size_t n, float* y, ThreadPool& pool) {
    if (q8_0_rows(w)) {
        matmul_q8_0_blocks(w, in, n, y, pool);
        return;
    }
    if (row_tiles(w)) {
        matmul_row_tiles(w, in, n, y, pool);
        return;
    }
    if (split_layout(w)) {
        if (w.act_blocks) {
            matmul_q4_split_blocks(w, in, n, y, pool);
        } else {
            matmul_q4_split_int8(w, in, n, y, pool);
        }
        return;
    }
    const auto min_tokens = onednn_min_tokens();
    if (w.layout == WeightLayout::I8Row && min_tokens > 0 && n >= min_tokens) {
        matmul_i8_onednn(w, in, n, y, pool);
        return;
    }
    pool.parallel_for(static_cast<size_t>(w.rows), [&](size_t r0, size_t r1) { int8_rows(w, in, n, y, r0, r1); });
}

void matmul_float(const WeightMatrix& w, const float* x, size_t n, float* y, ThreadPool& pool,
                  BatchArithmetic arithmetic) {
    if (matmul_prompt(w, x, n, y, pool, arithmetic)) return;
    const KernelTable& k = active_kernels();
    const size_t cols = static_cast<size_t>(w.cols);
    const size_t rows = static_cast<size_t>(w.rows);
    if (split_layout(w)) {
        matmul_q4_split_float(w, x, n, y, pool);
        return;
    }
    if (const KernelTable::DotBatchFn dot = batch_for(k, w)) {
        pool.parallel_for(rows, [&](size_t r0, size_t r1) {
            for (size_t r = r0; r < r1; ++r)
                dot(w.row(static_cast<int64_t>(r)), x, cols, n, cols, w.group, y + r, rows);
        });
        return;
    }
    pool.parallel_for(rows, [&](size_t r0, size_t r1) {
        thread_local std::vector<float> row;
        row.resize(cols);
        for (size_t r = r0; r < r1; ++r) {
            decode_weight_row(w, static_cast<int64_t>(r), row.data());
            k.batch_f32(row.data(), x, cols, n, cols, 0, y + r, rows);
        }
    });
}

}  // namespace

void weight_row_to_f32(const WeightMatrix& w, int64_t r, float* dst) { decode_weight_row(w, r, dst); }

void matmul(const WeightMatrix& w, const float* x, size_t n, float* y, ThreadPool& pool, const MatmulOptions& options) {
    if (options.observer != nullptr) (*options.observer)(w, x, n);
    if (!int8_path(w)) {
        matmul_float(w, x, n, y, pool, options.arithmetic);
        return;
    }
    if (matmul_prompt(w, x, n, y, pool, options.arithmetic)) return;
    thread_local Int8Input in;
    quantize_input(x, n, static_cast<size_t>(w.cols), int8_mode(w), in, pool);
    matmul_int8(w, in, n, y, pool);
}

void matmul_shared_input(std::initializer_list<std::pair<const WeightMatrix*, float*>> products, const float* x,
                         size_t n, ThreadPool& pool, const MatmulOptions& options) {
    thread_local Int8Input in;
    bool quantized = false;
    Int8Mode mode_used;
    for (const auto& [w, y] : products) {
        if (options.observer != nullptr) (*options.observer)(*w, x, n);
        if (!int8_path(*w)) {
            matmul_float(*w, x, n, y, pool, options.arithmetic);
            continue;
        }
        if (matmul_prompt(*w, x, n, y, pool, options.arithmetic)) continue;
        // Shared while the matrices agree on the activation mode (they do for one input).
        if (!quantized || !(mode_used == int8_mode(*w)))
            quantize_input(x, n, static_cast<size_t>(w->cols), int8_mode(*w), in, pool);
        quantized = true;
        mode_used = int8_mode(*w);
        matmul_int8(*w, in, n, y, pool);
    }
}

}  // namespace q8
