#include "act_policy.h"

#include <algorithm>
#include <cmath>

#include "smoothquant.h"

namespace q8::quant {

std::vector<float> ActPolicyReport::static_scales() const {
    std::vector<float> v;
    for (const auto& layer : layers)
        for (const auto& c : layer) v.push_back(c.is_static ? c.static_scale : 0.f);
    return v;
}

std::string ActPolicyReport::summary() const {
    int st = 0, dy = 0;
    for (const auto& layer : layers)
        for (const auto& c : layer) (c.is_static ? st : dy)++;
    return "static " + std::to_string(st) + " / dynamic " + std::to_string(dy);
}

ActPolicyReport choose_activation_policy(const FloatLayers& layers, const CalibrationStats& stats,
                                         const WeightTarget& target,
                                         const std::vector<std::array<std::vector<float>, kLinearInputs>>& smoothing,
                                         double tolerance, int n_threads) {
    ThreadPool pool(n_threads > 0 ? n_threads : default_thread_count());
    ActPolicyReport rep;
    rep.layers.resize(layers.layers.size());
    for (size_t l = 0; l < layers.layers.size(); ++l) {
        for (int i = 0; i < kLinearInputs; ++i) {
            const auto in = static_cast<LinearInput>(i);
            const InputStats& st = stats.at(l, in);
            const std::vector<float> none;
            const std::vector<float>& s = smoothing.empty() ? none : smoothing[l][static_cast<size_t>(i)];
            // Range of the (smoothed) input over all calibration tokens, and per sampled token.
            float amax = 0.f;
            for (size_t j = 0; j < st.act_max.size(); ++j)
                amax = std::max(amax, st.act_max[j] / (s.empty() ? 1.f : s[j]));
            std::vector<float> per_token;
            for (int64_t t = 0; t < st.n_samples; ++t) {
                float m = 0.f;
                for (int64_t j = 0; j < st.cols; ++j) {
                    m = std::max(m, std::fabs(st.samples[static_cast<size_t>(t * st.cols + j)]) /
                                        (s.empty() ? 1.f : s[static_cast<size_t>(j)]));
                }
                per_token.push_back(m);
            }
            ActPolicyChoice& c = rep.layers[l][static_cast<size_t>(i)];
            c.static_scale = amax / 127.f;
            if (!per_token.empty()) {
                std::nth_element(per_token.begin(), per_token.begin() + static_cast<ptrdiff_t>(per_token.size() / 2),
                                 per_token.end());
                const float med = per_token[per_token.size() / 2];
                c.range_ratio = med > 0.f ? amax / med : 0.f;
            }
            // The layers already carry the smoothing, so the samples (recorded before it) are
            // divided by s and the weights used as they are.
            std::vector<float> xs(st.samples.begin(), st.samples.begin() + st.n_samples * st.cols);
            if (!s.empty()) {
                for (size_t k = 0; k < xs.size(); ++k) xs[k] /= s[k % static_cast<size_t>(st.cols)];
            }
            c.error_dynamic = quantized_output_error(layers.layers[l], in, xs, st.n_samples, {}, target, 0.f, pool);
            c.error_static = c.static_scale > 0.f ? quantized_output_error(layers.layers[l], in, xs, st.n_samples, {},
                                                                           target, c.static_scale, pool)
                                                  : c.error_dynamic;
            c.is_static = c.static_scale > 0.f && c.error_static <= tolerance * c.error_dynamic;
        }
    }
    return rep;
}

}  // namespace q8::quant
