#include "smoothquant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "matmul.h"
#include "thread_pool.h"
#include "weight_quant.h"

namespace q8::quant {

namespace {

std::vector<const FloatMatrix*> matrices_of(const FloatLayer& L, LinearInput in) {
    switch (in) {
    case LinearInput::Attn: return {&L.wq, &L.wk, &L.wv};
    case LinearInput::AttnOut: return {&L.wo};
    case LinearInput::Ffn: return {&L.w_gate, &L.w_up};
    case LinearInput::Down: return {&L.w_down};
    }
    return {};
}

std::vector<float> weight_col_max(const std::vector<const FloatMatrix*>& ms) {
    std::vector<float> m(static_cast<size_t>(ms.front()->cols), 0.f);
    for (const FloatMatrix* w : ms) {
        for (int64_t r = 0; r < w->rows; ++r) {
            const float* row = w->row(r);
            for (size_t j = 0; j < m.size(); ++j) m[j] = std::max(m[j], std::fabs(row[j]));
        }
    }
    return m;
}

// For the attention output: channels (h, d) of heads sharing a KV head take one factor, computed
// from the maxima over those heads.
std::vector<float> tie_groups(const std::vector<float>& v, const ModelConfig& c) {
    const int64_t hd = c.head_dim, group = c.n_head / c.n_head_kv;
    std::vector<float> out(v.size());
    for (int64_t g = 0; g < c.n_head_kv; ++g) {
        for (int64_t d = 0; d < hd; ++d) {
            float m = 0.f;
            for (int64_t h = g * group; h < (g + 1) * group; ++h) m = std::max(m, v[static_cast<size_t>(h * hd + d)]);
            for (int64_t h = g * group; h < (g + 1) * group; ++h) out[static_cast<size_t>(h * hd + d)] = m;
        }
    }
    return out;
}

WeightMatrix as_matrix(const FloatMatrix& f, const std::vector<float>& s, const WeightTarget& t) {
    WeightMatrix w;
    quantize_matrix(
        f.rows, f.cols,
        [&](int64_t r, float* dst) {
            const float* src = f.row(r);
            for (int64_t j = 0; j < f.cols; ++j) dst[j] = s.empty() ? src[j] : src[j] * s[static_cast<size_t>(j)];
        },
        t, w);
    return w;
}

}  // namespace

std::vector<float> smoothing_scales(const std::vector<float>& a, const std::vector<float>& w, float alpha) {
    std::vector<float> s(a.size(), 1.f);
    for (size_t j = 0; j < a.size(); ++j) {
        if (a[j] > 0.f && w[j] > 0.f) {
            const double v = std::pow(double(a[j]), alpha) / std::pow(double(w[j]), 1.0 - alpha);
            s[j] = static_cast<float>(std::clamp(v, 1e-5, 1e5));
        }
    }
    return s;
}

void apply_smoothing(FloatLayer& L, const ModelConfig& c, LinearInput in, const std::vector<float>& s) {
    auto scale_cols = [&](FloatMatrix& m) {
        for (int64_t r = 0; r < m.rows; ++r) {
            float* row = m.row(r);
            for (int64_t j = 0; j < m.cols; ++j) row[j] *= s[static_cast<size_t>(j)];
        }
    };
    switch (in) {
    case LinearInput::Attn:
        for (size_t j = 0; j < s.size(); ++j) L.attn_norm[j] /= s[j];
        scale_cols(L.wq);
        scale_cols(L.wk);
        scale_cols(L.wv);
        break;
    case LinearInput::Ffn:
        for (size_t j = 0; j < s.size(); ++j) L.ffn_norm[j] /= s[j];
        scale_cols(L.w_gate);
        scale_cols(L.w_up);
        break;
    case LinearInput::AttnOut: {
        scale_cols(L.wo);
        const int64_t hd = c.head_dim, group = c.n_head / c.n_head_kv;
        for (int64_t g = 0; g < c.n_head_kv; ++g) {
            for (int64_t d = 0; d < hd; ++d) {
                const float f = s[static_cast<size_t>(g * group * hd + d)];  // first head of the group
                float* row = L.wv.row(g * hd + d);
                for (int64_t j = 0; j < L.wv.cols; ++j) row[j] /= f;
                if (!L.bv.empty()) L.bv[static_cast<size_t>(g * hd + d)] /= f;
            }
        }
        break;
    }
    case LinearInput::Down:
        scale_cols(L.w_down);
        for (int64_t r = 0; r < L.w_up.rows; ++r) {
            float* row = L.w_up.row(r);
            for (int64_t j = 0; j < L.w_up.cols; ++j) row[j] /= s[static_cast<size_t>(r)];
        }
        break;
    }
}

double w8a8_output_error(const FloatLayer& L, LinearInput in, const std::vector<float>& x, int64_t n,
                         const std::vector<float>& s, ThreadPool& pool) {
    return quantized_output_error(L, in, x, n, s, WeightTarget{WeightLayout::I8Row, GgmlType::F32, 0, true}, 0.f, pool);
}

double quantized_output_error(const FloatLayer& L, LinearInput in, const std::vector<float>& x, int64_t n,
                              const std::vector<float>& s, const WeightTarget& target, float act_scale,
                              ThreadPool& pool) {
    const auto ms = matrices_of(L, in);
    const int64_t cols = ms.front()->cols;
    std::vector<float> xs(x.begin(), x.begin() + n * cols);
    if (!s.empty()) {
        for (int64_t t = 0; t < n; ++t)
            for (int64_t j = 0; j < cols; ++j) xs[static_cast<size_t>(t * cols + j)] /= s[static_cast<size_t>(j)];
    }
    double num = 0, den = 0;
    const WeightTarget f32{WeightLayout::Ggml, GgmlType::F32, 0, false};
    for (const FloatMatrix* f : ms) {
        const WeightMatrix ref = as_matrix(*f, {}, f32);
        WeightTarget t = target;
        while (t.layout != WeightLayout::Ggml && t.layout != WeightLayout::I8Row && t.group > 32 &&
               !target_fits(t, f->cols))
            t.group /= 2;
        WeightMatrix q = as_matrix(*f, s, t);
        q.act_scale = act_scale;
        std::vector<float> y0(static_cast<size_t>(n * f->rows)), y1(y0.size());
        matmul(ref, x.data(), static_cast<size_t>(n), y0.data(), pool);
        matmul(q, xs.data(), static_cast<size_t>(n), y1.data(), pool);
        for (size_t i = 0; i < y0.size(); ++i) {
            num += (double(y0[i]) - y1[i]) * (double(y0[i]) - y1[i]);
            den += double(y0[i]) * y0[i];
        }
    }
    return den > 0 ? num / den : 0;
}

SmoothingReport smooth_quant(FloatLayers& layers, const ModelConfig& c, const CalibrationStats& stats,
                             const SmoothQuantOptions& o) {
    ThreadPool pool(o.n_threads > 0 ? o.n_threads : default_thread_count());
    SmoothingReport rep;
    rep.layers.resize(layers.layers.size());
    const std::vector<float> grid = o.alpha ? std::vector<float>{*o.alpha} : o.alpha_grid;
    for (size_t l = 0; l < layers.layers.size(); ++l) {
        FloatLayer& L = layers.layers[l];
        // Norm-folded inputs first, then the two folded into Wv / W_up rows (row and column
        // scalings commute, so the order only fixes which weights the maxima are taken from).
        for (LinearInput in : {LinearInput::Attn, LinearInput::Ffn, LinearInput::AttnOut, LinearInput::Down}) {
            SmoothingChoice& ch = rep.layers[l][static_cast<size_t>(in)];
            const InputStats& st = stats.at(l, in);
            ch.error_unsmoothed = w8a8_output_error(L, in, st.samples, st.n_samples, {}, pool);
            ch.error = ch.error_unsmoothed;
            if ((in == LinearInput::AttnOut && !o.smooth_attn_out) || (in == LinearInput::Down && !o.smooth_down))
                continue;
            std::vector<float> a = st.act_max, w = weight_col_max(matrices_of(L, in));
            if (in == LinearInput::AttnOut) {
                a = tie_groups(a, c);
                w = tie_groups(w, c);
            }
            for (float alpha : grid) {
                std::vector<float> s = smoothing_scales(a, w, alpha);
                const double e = w8a8_output_error(L, in, st.samples, st.n_samples, s, pool);
                // A fixed alpha is applied as asked; a searched one only when it helps.
                if (o.alpha || e < ch.error) {
                    ch.error = e;
                    ch.alpha = alpha;
                    ch.smoothed = true;
                    ch.scales = std::move(s);
                }
            }
            if (ch.smoothed) apply_smoothing(L, c, in, ch.scales);
        }
    }
    return rep;
}

}  // namespace q8::quant
