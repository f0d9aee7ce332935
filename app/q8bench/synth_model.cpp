#include "synth_model.h"

#include <cmath>
#include <cstring>
#include <numbers>
#include <string>

#include <q8/error.h>

#include "arch_tensors.h"
#include "half.h"
#include "normal_stream.h"

namespace q8bench {

namespace {

// The initializer_range of Llama and Qwen configs: activations stay finite through every layer.
constexpr float kWeightStd = 0.02f;

template <typename T>
void store(uint8_t* dst, T v) {
    std::memcpy(dst, &v, sizeof v);
}

// Registers tensors with the writer and keeps the totals the caller reports.
class TensorList {
public:
    TensorList(q8::quant::GgufWriter& w, uint64_t seed) : w_(w), seed_(seed) {}

    // A rows x cols matrix (ne = {cols, rows}: rows are contiguous), F16 N(0, kWeightStd^2).
    void random(const std::string& name, int64_t cols, int64_t rows) {
        const auto n = static_cast<uint64_t>(cols) * static_cast<uint64_t>(rows);
        const uint64_t seed = seed_, stream = result_.bytes.size();
        w_.add_tensor(name, q8::GgmlType::F16, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)},
                      [seed, stream, n](std::vector<uint8_t>& out) {
                          q8::NormalStream rng(seed, stream, kWeightStd);
                          const size_t base = out.size();
                          out.resize(base + n * 2);
                          uint8_t* p = out.data() + base;
                          float a = 0.f, b = 0.f;
                          for (uint64_t i = 0; i < n; i += 2) {
                              rng.next_pair(a, b);
                              store(p + 2 * i, q8::f32_to_f16(a));
                              if (i + 1 < n) store(p + 2 * i + 2, q8::f32_to_f16(b));
                          }
                      });
        count(n, 2);
    }

    void constant(const std::string& name, int64_t n, float value) {
        values(name, std::vector<float>(static_cast<size_t>(n), value));
    }

    void values(const std::string& name, std::vector<float> v) {
        const uint64_t n = v.size();
        w_.add_tensor(name, q8::GgmlType::F32, {n}, [v = std::move(v)](std::vector<uint8_t>& out) {
            const size_t base = out.size();
            out.resize(base + v.size() * sizeof(float));
            std::memcpy(out.data() + base, v.data(), v.size() * sizeof(float));
        });
        count(n, sizeof(float));
    }

    SynthTensors result() const { return result_; }

private:
    void count(uint64_t elements, uint64_t bytes_each) {
        result_.parameters += elements;
        result_.bytes.push_back(elements * bytes_each);
    }

    q8::quant::GgufWriter& w_;
    uint64_t seed_;
    SynthTensors result_;
};

// rope_freqs.weight as llama.cpp's converter computes it from rope_scaling (rope_type "llama3"):
// per rotated pair, the divisor of its frequency. High frequencies (short wavelengths) keep theirs,
// low ones are divided by `factor`, and the band between is interpolated.
std::vector<float> llama3_rope_factors(const q8::ModelShape& s, const q8::Llama3RopeScaling& r) {
    const int64_t dim = s.head_dim();
    const double low_wavelen = r.original_context / r.low_freq_factor;
    const double high_wavelen = r.original_context / r.high_freq_factor;
    std::vector<float> f;
    for (int64_t i = 0; i < dim; i += 2) {
        const double freq = 1.0 / std::pow(double(s.rope_base), double(i) / double(dim));
        const double wavelen = 2.0 * std::numbers::pi / freq;
        if (wavelen < high_wavelen) {
            f.push_back(1.f);
        } else if (wavelen > low_wavelen) {
            f.push_back(static_cast<float>(r.factor));
        } else {
            const double smooth =
                (r.original_context / wavelen - r.low_freq_factor) / (r.high_freq_factor - r.low_freq_factor);
            f.push_back(static_cast<float>(1.0 / ((1.0 - smooth) / r.factor + smooth)));
        }
    }
    return f;
}

// Whether the shape has a model-wide tensor: the output head unless tied, RoPE factors only when
// the shape rescales RoPE.
bool shape_has(const q8::ModelShape& s, const q8::GlobalTensor& g) {
    switch (g.presence) {
    case q8::Presence::Always: return true;
    case q8::Presence::Untied: return !s.tied;
    case q8::Presence::Optional: return g.kind == q8::TensorKind::RopeFactors && s.rope_scaling.has_value();
    }
    return false;
}

// RoPE rotates whole heads: add_synth_hparams writes rope.dimension_count = head_dim.
q8::TensorDims tensor_dims(const q8::ModelShape& s) {
    return {.n_embd = s.n_embd,
            .q_dim = s.n_head * s.head_dim(),
            .kv_dim = s.n_head_kv * s.head_dim(),
            .n_ff = s.n_ff,
            .n_vocab = s.n_vocab,
            .n_rot = s.head_dim(),
            .n_ctx = s.n_ctx};
}

// Matrices random, norm weights ones, biases zeros, RoPE factors as converters compute them.
void add_tensor(TensorList& t, const q8::ModelShape& s, const std::string& name, q8::TensorKind kind, q8::Dim cols,
                q8::Dim rows) {
    const q8::TensorDims d = tensor_dims(s);
    switch (kind) {
    case q8::TensorKind::Matrix: t.random(name, q8::dim_size(d, cols), q8::dim_size(d, rows)); break;
    case q8::TensorKind::Norm: t.constant(name, q8::dim_size(d, cols), 1.f); break;
    case q8::TensorKind::Bias: t.constant(name, q8::dim_size(d, cols), 0.f); break;
    case q8::TensorKind::RopeFactors: t.values(name, llama3_rope_factors(s, *s.rope_scaling)); break;
    }
}

}  // namespace

void add_synth_hparams(q8::quant::GgufWriter& w, const q8::ModelShape& s, uint64_t seed) {
    const std::string a(s.arch);
    w.set_string("general.architecture", a);
    w.set_string("general.name", std::string(s.title));
    w.set_string("general.description", "Random weights (normal, standard deviation 0.02, seed " +
                                            std::to_string(seed) + ") with the shapes of " + std::string(s.name) +
                                            ", written by q8bench synth: for benchmarks, not a trained model");
    w.set_u32("general.file_type", 1);  // llama.cpp's MOSTLY_F16
    w.set_u32("general.quantization_version", 2);
    w.set_u32(a + ".vocab_size", static_cast<uint32_t>(s.n_vocab));
    w.set_u32(a + ".context_length", static_cast<uint32_t>(s.n_ctx));
    w.set_u32(a + ".embedding_length", static_cast<uint32_t>(s.n_embd));
    w.set_u32(a + ".block_count", static_cast<uint32_t>(s.n_layer));
    w.set_u32(a + ".feed_forward_length", static_cast<uint32_t>(s.n_ff));
    w.set_u32(a + ".attention.head_count", static_cast<uint32_t>(s.n_head));
    w.set_u32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
    const q8::Architecture* arch = q8::find_architecture(s.arch);
    if (arch == nullptr) throw q8::EngineError("shape " + std::string(s.name) + ": unknown architecture");
    if (arch->positions == q8::PositionKind::Rope) {
        w.set_u32(a + ".rope.dimension_count", static_cast<uint32_t>(s.head_dim()));
        w.set_f32(a + ".rope.freq_base", s.rope_base);
    }
    w.set_f32(
        a + (arch->norm == q8::NormKind::Rms ? ".attention.layer_norm_rms_epsilon" : ".attention.layer_norm_epsilon"),
        s.norm_eps);
}

SynthTensors add_synth_tensors(q8::quant::GgufWriter& w, const q8::ModelShape& s, uint64_t seed) {
    const q8::Architecture* arch = q8::find_architecture(s.arch);
    if (arch == nullptr) throw q8::EngineError("shape " + std::string(s.name) + ": unknown architecture");
    TensorList t(w, seed);
    // Converters write the model-wide tensors that precede the blocks, the blocks, then the rest.
    for (const q8::GlobalTensor& g : arch->globals) {
        if (g.before_layers && shape_has(s, g)) add_tensor(t, s, std::string(g.name), g.kind, g.cols, g.rows);
    }
    for (int64_t i = 0; i < s.n_layer; ++i) {
        for (const q8::LayerTensor& lt : arch->layer)
            add_tensor(t, s, q8::layer_tensor_name(i, lt), lt.kind, lt.cols, lt.rows);
    }
    for (const q8::GlobalTensor& g : arch->globals) {
        if (!g.before_layers && shape_has(s, g)) add_tensor(t, s, std::string(g.name), g.kind, g.cols, g.rows);
    }
    return t.result();
}

}  // namespace q8bench
