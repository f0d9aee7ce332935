#include "embed_model.h"

#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include <q8/error.h>

#include "arch_tensors.h"
#include "dequantize.h"
#include "gguf_reader.h"
#include "gguf_writer.h"
#include "half.h"
#include "model_config.h"
#include "normal_stream.h"

namespace q8 {

namespace {

// The initializer range of Llama configs, as `q8bench synth` uses for random weights.
constexpr float kInputStd = 0.02f;

struct Plan {
    const GgufFile& small;
    ModelConfig cfg;  // the small model's
    const ModelShape& shape;
    TensorDims from, to;
    int64_t group_from = 1, group_to = 1;  // query heads per key/value head
    float norm_scale = 1.f;                // sqrt(d / D)
};

std::string dims_text(const ModelConfig& c) {
    return std::to_string(c.n_embd) + " wide, " + std::to_string(c.n_layer) + " layers, " + std::to_string(c.n_head) +
           " heads (" + std::to_string(c.n_head_kv) + " key/value), FFN " + std::to_string(c.n_ff);
}

void check_fits(const ModelConfig& c, const ModelShape& s) {
    const std::string where = "cannot embed " + c.name + " in the " + std::string(s.name) + " shape: ";
    if (c.arch != Arch::Llama || s.arch != "llama") {
        throw EngineError(where + "embedding is defined for llama models only (the model is " + c.arch_name +
                          ", the shape " + std::string(s.arch) + ")");
    }
    if (c.head_dim != s.head_dim()) {
        throw EngineError(where + "the head size differs (" + std::to_string(c.head_dim) + " against " +
                          std::to_string(s.head_dim()) + "), so attention would change");
    }
    if (c.n_rot != c.head_dim) throw EngineError(where + "the model rotates only part of each head");
    if (s.n_embd < c.n_embd || s.n_layer < c.n_layer || s.n_head < c.n_head || s.n_head_kv < c.n_head_kv ||
        s.n_ff < c.n_ff) {
        throw EngineError(where + "the shape is smaller than the model (model " + dims_text(c) + "; shape " +
                          std::to_string(s.n_embd) + " wide, " + std::to_string(s.n_layer) + " layers, " +
                          std::to_string(s.n_head) + " heads (" + std::to_string(s.n_head_kv) + " key/value), FFN " +
                          std::to_string(s.n_ff) + ")");
    }
    if (s.n_head / s.n_head_kv < c.n_head / c.n_head_kv) {
        throw EngineError(where + "each key/value head serves " + std::to_string(c.n_head / c.n_head_kv) +
                          " query heads in the model but only " + std::to_string(s.n_head / s.n_head_kv) +
                          " in the shape");
    }
}

Plan make_plan(const GgufFile& small, const ModelShape& shape) {
    Plan p{small, read_model_config(small), shape, {}, {}};
    check_fits(p.cfg, shape);
    p.from = tensor_dims(p.cfg);
    ModelConfig large = p.cfg;
    large.n_embd = shape.n_embd;
    large.n_layer = shape.n_layer;
    large.n_head = shape.n_head;
    large.n_head_kv = shape.n_head_kv;
    large.n_ff = shape.n_ff;
    p.to = tensor_dims(large);
    p.group_from = p.cfg.n_head / p.cfg.n_head_kv;
    p.group_to = shape.n_head / shape.n_head_kv;
    p.norm_scale = std::sqrt(float(p.cfg.n_embd) / float(shape.n_embd));
    return p;
}

// For each index of the larger model's dimension, the small model's index it copies, or -1 for
// an added one.
std::vector<int64_t> source_indices(const Plan& p, Dim dim) {
    std::vector<int64_t> src(static_cast<size_t>(std::max<int64_t>(dim_size(p.to, dim), 1)), -1);
    if (dim == Dim::QDim) {
        const int64_t hd = p.cfg.head_dim;
        for (int64_t h = 0; h < p.cfg.n_head; ++h) {
            const int64_t to_head = (h / p.group_from) * p.group_to + h % p.group_from;
            for (int64_t e = 0; e < hd; ++e) src[static_cast<size_t>(to_head * hd + e)] = h * hd + e;
        }
        return src;
    }
    const int64_t n = dim == Dim::None ? 1 : dim_size(p.from, dim);
    for (int64_t i = 0; i < n; ++i) src[static_cast<size_t>(i)] = i;
    return src;
}

void append_f16(std::vector<uint8_t>& out, float v) {
    const uint16_t h = f32_to_f16(v);
    const size_t at = out.size();
    out.resize(at + 2);
    std::memcpy(out.data() + at, &h, 2);
}

void append_f32(std::vector<uint8_t>& out, const std::vector<float>& v) {
    const size_t at = out.size();
    out.resize(at + v.size() * sizeof(float));
    std::memcpy(out.data() + at, v.data(), v.size() * sizeof(float));
}

// The small model's tensor as floats, or nothing when it has none of that name (an added layer).
std::optional<std::vector<float>> small_values(const GgufFile& f, const std::string& name) {
    const GgufTensorInfo* t = f.find_tensor(name);
    if (t == nullptr) return std::nullopt;
    return dequantize_tensor(*t);
}

struct TensorPlan {
    std::string name;
    TensorKind kind;
    Dim cols, rows;
    bool added_layer = false;  // a layer the small model does not have
};

class Writer {
public:
    Writer(const Plan& p, quant::GgufWriter& w, uint64_t seed) : p_(p), w_(w), seed_(seed) {}

    void add(const TensorPlan& t) {
        const uint64_t cols = static_cast<uint64_t>(dim_size(p_.to, t.cols));
        if (t.kind != TensorKind::Matrix) {
            w_.add_tensor(t.name, GgmlType::F32, {cols}, [this, t](std::vector<uint8_t>& out) { vector(t, out); });
            return;
        }
        const uint64_t rows = static_cast<uint64_t>(dim_size(p_.to, t.rows));
        const uint64_t stream = stream_++;
        w_.add_tensor(t.name, GgmlType::F16, {cols, rows},
                      [this, t, stream](std::vector<uint8_t>& out) { matrix(t, stream, out); });
    }

private:
    void vector(const TensorPlan& t, std::vector<uint8_t>& out) const {
        const auto small = t.added_layer ? std::nullopt : small_values(p_.small, t.name);
        if (t.kind == TensorKind::RopeFactors) {  // per rotated pair: the same head size, copied
            append_f32(out, small.value());
            return;
        }
        // Norm weights; llama has no biases (check_fits refused other architectures).
        const std::vector<int64_t> src = source_indices(p_, t.cols);
        std::vector<float> v(src.size(), p_.norm_scale);
        for (size_t i = 0; small && i < src.size(); ++i)
            if (src[i] >= 0) v[i] = (*small)[static_cast<size_t>(src[i])] * p_.norm_scale;
        append_f32(out, v);
    }

    // Rows of a matrix that reads the residual stream into an added head or neuron get random
    // weights; everything else not copied from the small model is zero, so nothing is written
    // into the stream's added dimensions and copied rows keep their range (per-row scales).
    void matrix(const TensorPlan& t, uint64_t stream, std::vector<uint8_t>& out) const {
        const auto small = t.added_layer ? std::nullopt : small_values(p_.small, t.name);
        const std::vector<int64_t> col_src = source_indices(p_, t.cols);
        const std::vector<int64_t> row_src = source_indices(p_, t.rows);
        const int64_t small_cols = dim_size(p_.from, t.cols);
        const bool reads_stream = t.cols == Dim::Embd && t.rows != Dim::Vocab;
        NormalStream rng(seed_, stream, kInputStd);
        out.reserve(out.size() + col_src.size() * row_src.size() * 2);
        for (const int64_t r : row_src) {
            if (small && r >= 0) {
                const float* row = small->data() + r * small_cols;
                for (const int64_t c : col_src) append_f16(out, c >= 0 ? row[c] : 0.f);
            } else if (reads_stream) {
                float a = 0.f, b = 0.f;
                for (size_t c = 0; c < col_src.size(); c += 2) {
                    rng.next_pair(a, b);
                    append_f16(out, a);
                    if (c + 1 < col_src.size()) append_f16(out, b);
                }
            } else {
                for (size_t c = 0; c < col_src.size(); ++c) append_f16(out, 0.f);
            }
        }
    }

    const Plan& p_;
    quant::GgufWriter& w_;
    uint64_t seed_;
    uint64_t stream_ = 0;
};

// Every tensor of the larger model in the order converters write them.
std::vector<TensorPlan> tensor_plan(const Plan& p) {
    const Architecture& arch = architecture(p.cfg.arch);
    std::vector<TensorPlan> out;
    auto globals = [&](bool before) {
        for (const GlobalTensor& g : arch.globals)
            if (g.before_layers == before && p.small.find_tensor(g.name) != nullptr)
                out.push_back({std::string(g.name), g.kind, g.cols, g.rows});
    };
    globals(true);
    for (int64_t i = 0; i < p.shape.n_layer; ++i)
        for (const LayerTensor& t : arch.layer)
            out.push_back({layer_tensor_name(i, t), t.kind, t.cols, t.rows, i >= p.cfg.n_layer});
    globals(false);
    return out;
}

void add_hparams(const Plan& p, quant::GgufWriter& w, uint64_t seed) {
    for (const std::string& key : p.small.keys()) {
        // Quantization hints describe the small model's layers, not these.
        if (key.rfind("q8chat.quant.", 0) != 0) w.copy_key(p.small, key);
    }
    const std::string a = p.cfg.arch_name;
    const std::string shape(p.shape.name);
    w.set_string("general.name", p.cfg.name + " (scaled to " + shape + ")");
    w.set_string("general.description",
                 p.cfg.name + " embedded in the " + shape +
                     " shape without changing its output: the added dimensions, heads, neurons and layers write "
                     "nothing into the residual stream (random input weights, seed " +
                     std::to_string(seed) + "), so the file streams " + shape +
                     "'s weights but writes the small model's text. Written by q8chat for benchmarks.");
    w.set_u32("general.file_type", 1);  // llama.cpp's MOSTLY_F16
    w.set_u32(a + ".embedding_length", static_cast<uint32_t>(p.shape.n_embd));
    w.set_u32(a + ".block_count", static_cast<uint32_t>(p.shape.n_layer));
    w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(p.shape.n_ff));
    w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(p.shape.n_head));
    w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(p.shape.n_head_kv));
    w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(p.cfg.n_rot));
    // mean(x^2) over D values is d/D of the small model's mean: so is epsilon.
    w.set_f32(a + ".attention.layer_norm_rms_epsilon", p.cfg.norm_eps * float(p.cfg.n_embd) / float(p.shape.n_embd));
}

}  // namespace

bool embed_model(const std::string& small_path, const ModelShape& shape, const std::string& output_path,
                 const EmbedOptions& options) {
    quant::GgufWriter::check_writable(output_path);
    const GgufFile small(small_path);
    const Plan plan = make_plan(small, shape);
    quant::GgufWriter w;
    add_hparams(plan, w, options.seed);
    Writer writer(plan, w, options.seed);
    for (const TensorPlan& t : tensor_plan(plan)) writer.add(t);
    return w.write(output_path, options.progress);
}

uint64_t embedded_model_bytes(const std::string& small_path, const ModelShape& shape) {
    const GgufFile small(small_path);
    const Plan plan = make_plan(small, shape);
    uint64_t bytes = small.data_offset();  // the metadata, about the small model's
    for (const TensorPlan& t : tensor_plan(plan)) {
        const uint64_t cols = static_cast<uint64_t>(dim_size(plan.to, t.cols));
        const uint64_t rows = t.kind == TensorKind::Matrix ? static_cast<uint64_t>(dim_size(plan.to, t.rows)) : 1;
        bytes += cols * rows * (t.kind == TensorKind::Matrix ? 2 : 4);
    }
    return bytes;
}

}  // namespace q8
