#include "matmul.h"

#include <vector>

#include "dequantize.h"
#include "formats.h"
#include "kernels.h"
#include "weight_quant.h"

namespace q8 {

namespace {

KernelTable::DotFn dot_for(const KernelTable& k, GgmlType t) {
    switch (t) {
    case GgmlType::F32: return k.dot_f32;
    case GgmlType::F16: return k.dot_f16;
    case GgmlType::BF16: return k.dot_bf16;
    case GgmlType::Q8_0: return k.dot_q8_0;
    case GgmlType::Q4_0: return k.dot_q4_0;
    default: return nullptr;
    }
}

// Below this many tokens each row is dotted in its stored format; above it, the row is decoded to
// floats once and reused for every token.
constexpr size_t kDecodeRowThreshold = 3;

thread_local const MatmulObserver* t_observer = nullptr;

// One input quantized to int8 per token.
struct Int8Input {
    std::vector<int8_t> q;      // n rows of cols
    std::vector<float> scale;   // per token
};

// static_scale > 0: one calibrated scale for every token (static per-tensor mode).
void quantize_input(const float* x, size_t n, size_t cols, float static_scale, Int8Input& out) {
    out.q.resize(n * cols);
    out.scale.resize(n);
    for (size_t t = 0; t < n; ++t) {
        out.scale[t] = static_scale > 0.f
                           ? quant::quantize_activations_i8_static(x + t * cols, out.q.data() + t * cols, cols, static_scale)
                           : quant::quantize_activations_i8(x + t * cols, out.q.data() + t * cols, cols);
    }
}

void matmul_int8(const WeightMatrix& w, const Int8Input& in, size_t n, float* y, ThreadPool& pool) {
    const KernelTable& k = active_kernels();
    const auto cols = static_cast<size_t>(w.cols);
    const auto rows = static_cast<size_t>(w.rows);
    pool.parallel_for(rows, [&](size_t r0, size_t r1) {
        for (size_t r = r0; r < r1; ++r) {
            const uint8_t* wr = w.row(static_cast<int64_t>(r));
            for (size_t t = 0; t < n; ++t) {
                const int8_t* xq = in.q.data() + t * cols;
                float v;
                switch (w.layout) {
                case WeightLayout::I8Row:
                    v = w.row_scale[r] * static_cast<float>(k.dot_i8(reinterpret_cast<const int8_t*>(wr), xq, cols, w.row_sum[r]));
                    break;
                case WeightLayout::Q4Group: v = k.dot_q4g_a8(wr, xq, cols, w.group); break;
                case WeightLayout::Q4GroupAsym: v = k.dot_q4ga_a8(wr, xq, cols, w.group); break;
                default: v = 0.f; break;
                }
                y[t * rows + r] = v * in.scale[t];
            }
        }
    });
}

bool int8_path(const WeightMatrix& w) {
    return w.int8_activations && (w.layout == WeightLayout::I8Row || w.layout == WeightLayout::Q4Group ||
                                  w.layout == WeightLayout::Q4GroupAsym);
}

void matmul_float(const WeightMatrix& w, const float* x, size_t n, float* y, ThreadPool& pool) {
    const KernelTable& k = active_kernels();
    const size_t cols = static_cast<size_t>(w.cols);
    const size_t rows = static_cast<size_t>(w.rows);
    const bool group_layout = w.layout == WeightLayout::Q4Group || w.layout == WeightLayout::Q4GroupAsym;
    const bool direct = w.layout == WeightLayout::Ggml || group_layout;
    if (direct && (n < kDecodeRowThreshold || (w.layout == WeightLayout::Ggml && w.type == GgmlType::F32))) {
        if (group_layout) {
            const KernelTable::GroupDotFn dot = w.layout == WeightLayout::Q4Group ? k.dot_q4g : k.dot_q4ga;
            pool.parallel_for(rows, [&](size_t r0, size_t r1) {
                for (size_t r = r0; r < r1; ++r) {
                    const uint8_t* wr = w.row(static_cast<int64_t>(r));
                    for (size_t t = 0; t < n; ++t) y[t * rows + r] = dot(wr, x + t * cols, cols, w.group);
                }
            });
            return;
        }
        const KernelTable::DotFn dot = dot_for(k, w.type);
        pool.parallel_for(rows, [&](size_t r0, size_t r1) {
            for (size_t r = r0; r < r1; ++r) {
                const uint8_t* wr = w.row(static_cast<int64_t>(r));
                for (size_t t = 0; t < n; ++t) y[t * rows + r] = dot(wr, x + t * cols, cols);
            }
        });
        return;
    }
    pool.parallel_for(rows, [&](size_t r0, size_t r1) {
        thread_local std::vector<float> row;
        row.resize(cols);
        for (size_t r = r0; r < r1; ++r) {
            if (w.layout == WeightLayout::Ggml && w.type == GgmlType::F16) {
                k.f16_to_f32(reinterpret_cast<const uint16_t*>(w.row(static_cast<int64_t>(r))), row.data(), cols);
            } else {
                decode_weight_row(w, static_cast<int64_t>(r), row.data());
            }
            for (size_t t = 0; t < n; ++t) y[t * rows + r] = k.dot_f32(row.data(), x + t * cols, cols);
        }
    });
}

}  // namespace

void set_matmul_observer(const MatmulObserver* observer) { t_observer = observer; }

void weight_row_to_f32(const WeightMatrix& w, int64_t r, float* dst) { decode_weight_row(w, r, dst); }

void matmul(const WeightMatrix& w, const float* x, size_t n, float* y, ThreadPool& pool) {
    if (t_observer != nullptr) (*t_observer)(w, x, n);
    if (int8_path(w)) {
        thread_local Int8Input in;
        quantize_input(x, n, static_cast<size_t>(w.cols), w.act_scale, in);
        matmul_int8(w, in, n, y, pool);
        return;
    }
    matmul_float(w, x, n, y, pool);
}

void matmul_shared_input(std::initializer_list<std::pair<const WeightMatrix*, float*>> products, const float* x,
                         size_t n, ThreadPool& pool) {
    thread_local Int8Input in;
    bool quantized = false;
    float scale_used = 0.f;
    for (const auto& [w, y] : products) {
        if (t_observer != nullptr) (*t_observer)(*w, x, n);
        if (int8_path(*w)) {
            // Shared while the matrices agree on the activation mode (they do for one input).
            if (!quantized || scale_used != w->act_scale) quantize_input(x, n, static_cast<size_t>(w->cols), w->act_scale, in);
            quantized = true;
            scale_used = w->act_scale;
            matmul_int8(*w, in, n, y, pool);
        } else {
            matmul_float(*w, x, n, y, pool);
        }
    }
}

}  // namespace q8
