#include "float_model.h"

#include <cstring>

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

// The target if the matrix's columns allow it, else the next format that fits (as the loader does).
WeightTarget fit(WeightTarget t, int64_t cols) {
    while (t.layout != WeightLayout::Ggml && t.group > 32 && !target_fits(t, cols)) t.group /= 2;
    if (!target_fits(t, cols)) t = WeightTarget{WeightLayout::Ggml, GgmlType::Q8_0, 0, false};
    if (!target_fits(t, cols)) t = WeightTarget{WeightLayout::Ggml, GgmlType::F32, 0, false};
    return t;
}

}  // namespace

FloatLayers float_layers(const Model& m) {
    FloatLayers out;
    for (const LayerWeights& L : m.layers) {
        FloatLayer f;
        f.attn_norm = L.attn_norm;
        f.ffn_norm = L.ffn_norm;
        f.bq = L.bq;
        f.bk = L.bk;
        f.bv = L.bv;
        f.wq = to_float(L.wq);
        f.wk = to_float(L.wk);
        f.wv = to_float(L.wv);
        f.wo = to_float(L.wo);
        f.w_gate = to_float(L.w_gate);
        f.w_up = to_float(L.w_up);
        f.w_down = to_float(L.w_down);
        out.layers.push_back(std::move(f));
    }
    return out;
}

std::shared_ptr<const Model> assemble_model(const Model& base, const FloatLayers& layers, const AssembleSpec& spec) {
    auto m = std::make_shared<Model>(Model{.file = std::make_unique<GgufFile>(base.file->path()),
                                           .config = base.config,
                                           .tokenizer = base.tokenizer,
                                           .precision = spec.label});
    m->output_norm = base.output_norm;
    m->rope_freq_factors = base.rope_freq_factors;
    const bool tied = base.output.rows == 0;
    m->token_embd = convert(base.token_embd, fit(tied ? spec.head : spec.embd, base.token_embd.cols));
    if (!tied) m->output = convert(base.output, fit(spec.head, base.output.cols));
    for (const FloatLayer& f : layers.layers) {
        LayerWeights L;
        L.attn_norm = f.attn_norm;
        L.ffn_norm = f.ffn_norm;
        L.bq = f.bq;
        L.bk = f.bk;
        L.bv = f.bv;
        L.wq = from_float(f.wq, fit(spec.layer, f.wq.cols));
        L.wk = from_float(f.wk, fit(spec.layer, f.wk.cols));
        L.wv = from_float(f.wv, fit(spec.layer, f.wv.cols));
        L.wo = from_float(f.wo, fit(spec.layer, f.wo.cols));
        L.w_gate = from_float(f.w_gate, fit(spec.layer, f.w_gate.cols));
        L.w_up = from_float(f.w_up, fit(spec.layer, f.w_up.cols));
        L.w_down = from_float(f.w_down, fit(spec.layer, f.w_down.cols));
        if (!spec.act_static_scales.empty()) {
            const float* s4 = &spec.act_static_scales.at(m->layers.size() * 4);
            for (auto [w, k] : {std::pair{&L.wq, 0},
                                {&L.wk, 0},
                                {&L.wv, 0},
                                {&L.wo, 1},
                                {&L.w_gate, 2},
                                {&L.w_up, 2},
                                {&L.w_down, 3}}) {
                if (w->int8_activations && s4[k] > 0.f) w->act_scale = s4[k];
            }
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
