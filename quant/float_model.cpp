#include "float_model.h"

#include <cstring>

#include <q8/error.h>

#include "hf_folder.h"
#include "matmul.h"
#include "weight_arena.h"

namespace q8::quant {

namespace {

FloatMatrix to_float(const WeightMatrix& w) {
    FloatMatrix f;
    f.rows = w.rows;
    f.cols = w.cols;
    f.w.resize(static_cast<size_t>(w.rows * w.cols));
    for (int64_t r = 0; r < w.rows; ++r) weight_row_to_f32(w, r, f.row(r));
    return f;
}

WeightMatrix from_float(const FloatMatrix& f, const WeightTarget& t) {
    WeightMatrix w;
    quantize_matrix(
        f.rows, f.cols, [&](int64_t r, float* dst) { std::memcpy(dst, f.row(r), static_cast<size_t>(f.cols) * 4); }, t,
        w);
    return w;
}

WeightMatrix convert(const WeightMatrix& src, const WeightTarget& t) {
    WeightMatrix w;
    quantize_matrix(
        src.rows, src.cols, [&](int64_t r, float* dst) { weight_row_to_f32(src, r, dst); }, t, w);
    return w;
}

// FloatLayer's member for each LayerWeights member an architecture table can name.
constexpr std::pair<WeightMatrix LayerWeights::*, FloatMatrix FloatLayer::*> kMatrices[] = {
    {&LayerWeights::wq, &FloatLayer::wq},     {&LayerWeights::wk, &FloatLayer::wk},
    {&LayerWeights::wv, &FloatLayer::wv},     {&LayerWeights::wqkv, &FloatLayer::wqkv},
    {&LayerWeights::wo, &FloatLayer::wo},     {&LayerWeights::w_gate, &FloatLayer::w_gate},
    {&LayerWeights::w_up, &FloatLayer::w_up}, {&LayerWeights::w_down, &FloatLayer::w_down},
};
constexpr std::pair<std::vector<float> LayerWeights::*, std::vector<float> FloatLayer::*> kVectors[] = {
    {&LayerWeights::attn_norm, &FloatLayer::attn_norm},
    {&LayerWeights::attn_norm_b, &FloatLayer::attn_norm_b},
    {&LayerWeights::ffn_norm, &FloatLayer::ffn_norm},
    {&LayerWeights::ffn_norm_b, &FloatLayer::ffn_norm_b},
    {&LayerWeights::bq, &FloatLayer::bq},
    {&LayerWeights::bk, &FloatLayer::bk},
    {&LayerWeights::bv, &FloatLayer::bv},
    {&LayerWeights::bqkv, &FloatLayer::bqkv},
    {&LayerWeights::bo, &FloatLayer::bo},
    {&LayerWeights::b_up, &FloatLayer::b_up},
    {&LayerWeights::b_down, &FloatLayer::b_down},
};

template <class Member, size_t N, class Key>
Member float_member(const std::pair<Key, Member> (&pairs)[N], Key key) {
    for (const auto& [k, m] : pairs) {
        if (k == key) return m;
    }
    throw EngineError("FloatLayer has no member for this tensor");
}

// The target if the matrix's columns allow it, else the next format that fits (as the loader does).
WeightTarget fit(WeightTarget t, int64_t cols) {
    while (t.layout != WeightLayout::Ggml && t.group > 32 && !target_fits(t, cols)) t.group /= 2;
    if (!target_fits(t, cols)) t = WeightTarget{WeightLayout::Ggml, GgmlType::Q8_0, 0, false};
    if (!target_fits(t, cols)) t = WeightTarget{WeightLayout::Ggml, GgmlType::F32, 0, false};
    return t;
}

}  // namespace

FloatMatrix& FloatLayer::matrix(const LayerTensor& t) { return this->*float_member(kMatrices, t.matrix); }
const FloatMatrix& FloatLayer::matrix(const LayerTensor& t) const { return this->*float_member(kMatrices, t.matrix); }
std::vector<float>& FloatLayer::vector(const LayerTensor& t) { return this->*float_member(kVectors, t.vector); }
const std::vector<float>& FloatLayer::vector(const LayerTensor& t) const {
    return this->*float_member(kVectors, t.vector);
}

const GgufTensorInfo* quantized_layer_matrix(const GgufFile& f) {
    for (const auto& t : f.tensors()) {
        const bool float_type = t.type == GgmlType::F32 || t.type == GgmlType::F16 || t.type == GgmlType::BF16;
        if (t.n_dims == 2 && t.name.rfind("blk.", 0) == 0 && !float_type) return &t;
    }
    return nullptr;
}

FloatLayers float_layers(const Model& m) {
    FloatLayers out;
    for (const LayerWeights& L : m.layers) {
        FloatLayer f;
        for (const LayerTensor& t : architecture(m.config.arch).layer) {
            if (t.kind == TensorKind::Matrix) {
                f.matrix(t) = to_float(L.*t.matrix);
            } else {
                f.vector(t) = L.*t.vector;
            }
        }
        out.layers.push_back(std::move(f));
    }
    return out;
}

std::shared_ptr<const Model> assemble_model(const Model& base, const FloatLayers& layers, const AssembleSpec& spec) {
    auto m = std::make_shared<Model>(Model{.file = open_model_file(base.file->path()),
                                           .config = base.config,
                                           .tokenizer = base.tokenizer,
                                           .precision = spec.label});
    m->output_norm = base.output_norm;
    m->output_norm_b = base.output_norm_b;
    m->rope_freq_factors = base.rope_freq_factors;
    const bool tied = base.output.rows == 0;
    m->token_embd = convert(base.token_embd, fit(tied ? spec.head : spec.embd, base.token_embd.cols));
    if (base.position_embd.rows > 0)
        m->position_embd = convert(base.position_embd, fit(spec.embd, base.position_embd.cols));
    if (!tied) m->output = convert(base.output, fit(spec.head, base.output.cols));
    for (const FloatLayer& f : layers.layers) {
        LayerWeights L;
        for (const LayerTensor& t : architecture(m->config.arch).layer) {
            if (t.kind == TensorKind::Matrix) {
                const FloatMatrix& fm = f.matrix(t);
                L.*t.matrix = from_float(fm, fit(spec.layer, fm.cols));
            } else {
                L.*t.vector = f.vector(t);
            }
        }
        if (!spec.act_static_scales.empty()) {
            apply_static_act_scales(m->config.arch, L, &spec.act_static_scales.at(m->layers.size() * 4));
        }
        m->layers.push_back(std::move(L));
    }
    move_weights_to_arena(*m);  // arranged exactly as a loaded model's weights
    return m;
}

}  // namespace q8::quant

namespace q8::quant {

void inject_outlier_channels(FloatLayers& layers, const std::vector<int64_t>& channels, float factor) {
    for (FloatLayer& L : layers.layers) {
        for (int64_t j : channels) {
            L.attn_norm[static_cast<size_t>(j)] *= factor;
            L.ffn_norm[static_cast<size_t>(j)] *= factor;
            for (FloatMatrix* w : {&L.wq, &L.wk, &L.wv, &L.w_gate, &L.w_up}) {
                for (int64_t r = 0; r < w->rows; ++r) w->at(r, j) /= factor;
            }
        }
    }
}

}  // namespace q8::quant
