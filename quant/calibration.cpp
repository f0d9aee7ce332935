#include "calibration.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <q8/error.h>

#include "inference_session.h"
#include "matmul.h"

namespace q8::quant {

const char* linear_input_name(LinearInput i) {
    switch (i) {
    case LinearInput::Attn: return "attn";
    case LinearInput::AttnOut: return "attn_out";
    case LinearInput::Ffn: return "ffn";
    case LinearInput::Down: return "down";
    }
    return "?";
}

std::vector<int32_t> calibration_tokens(const Model& model, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw EngineError(path + ": cannot open the calibration file");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        throw EngineError(
            path + ": the calibration file is empty; SmoothQuant needs representative text to measure activations");
    }
    return model.tokenizer.encode(text, true, false);
}

CalibrationStats calibrate(const std::shared_ptr<const Model>& model, std::span<const int32_t> tokens,
                           const CalibrationOptions& o) {
    if (tokens.size() < 2) throw EngineError("calibration: no text to calibrate on (need at least 2 tokens)");
    const ModelConfig& c = model->config;
    const int64_t total = std::min<int64_t>(static_cast<int64_t>(tokens.size()), o.max_tokens);
    const int64_t ctx = std::max<int64_t>(2, std::min(o.ctx, total));
    const int64_t stride = std::max<int64_t>(1, total / std::max<int64_t>(1, o.samples));

    CalibrationStats st;
    st.layers.resize(static_cast<size_t>(c.n_layer));
    // Which matrix's input is which statistic: Q, Wo, gate and down stand for their inputs.
    std::unordered_map<const WeightMatrix*, InputStats*> slot;
    for (size_t l = 0; l < st.layers.size(); ++l) {
        const LayerWeights& L = model->layers[l];
        const std::array<const WeightMatrix*, kLinearInputs> ws{&L.wq, &L.wo, &L.w_gate, &L.w_down};
        for (int i = 0; i < kLinearInputs; ++i) {
            InputStats& s = st.layers[l][static_cast<size_t>(i)];
            s.cols = ws[static_cast<size_t>(i)]->cols;
            s.act_max.assign(static_cast<size_t>(s.cols), 0.f);
            slot[ws[static_cast<size_t>(i)]] = &s;
        }
    }
    const MatmulObserver observer = [&](const WeightMatrix& w, const float* x, size_t n) {
        const auto it = slot.find(&w);
        if (it == slot.end()) return;
        InputStats& s = *it->second;
        const auto cols = static_cast<size_t>(s.cols);
        for (size_t t = 0; t < n; ++t) {
            const float* row = x + t * cols;
            for (size_t j = 0; j < cols; ++j) s.act_max[j] = std::max(s.act_max[j], std::fabs(row[j]));
            if (s.n_seen % stride == 0 && s.n_samples < o.samples) {
                s.samples.insert(s.samples.end(), row, row + cols);
                ++s.n_samples;
            }
            ++s.n_seen;
        }
    };

    SessionOptions so;
    so.n_ctx = ctx;
    so.n_threads = o.n_threads;
    so.matmul_observer = &observer;
    InferenceSession session(model, so);
    for (int64_t start = 0; start < total; start += ctx) {
        const int64_t n = std::min(ctx, total - start);
        session.truncate(0);
        if (!session.eval(tokens.subspan(static_cast<size_t>(start), static_cast<size_t>(n)), false, o.cancel))
            throw EngineError("calibration cancelled");
        st.n_tokens += n;
        if (o.progress) o.progress(float(start + n) / float(total));
    }
    return st;
}

}  // namespace q8::quant
