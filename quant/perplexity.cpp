#include "perplexity.h"

#include <chrono>
#include <cmath>

#include <q8/error.h>

#include "inference_session.h"

namespace q8::quant {

std::vector<int32_t> perplexity_tokens(const Model& model, const std::string& text) {
    return model.tokenizer.encode(text, /*add_special=*/true, /*parse_special=*/false);
}

PerplexityResult perplexity(const std::shared_ptr<const Model>& model, std::span<const int32_t> tokens,
                            const PerplexityOptions& o) {
    if (o.ctx < 4) throw EngineError("perplexity: the window must be at least 4 tokens, not " + std::to_string(o.ctx));
    const auto n = static_cast<int64_t>(tokens.size());
    int64_t windows = n / o.ctx;
    if (windows == 0) {
        throw EngineError("perplexity: the text has " + std::to_string(n) + " tokens, fewer than one window of " +
                          std::to_string(o.ctx) + " (use a longer text or a smaller --ctx)");
    }
    if (o.max_windows > 0) windows = std::min(windows, o.max_windows);

    const auto t0 = std::chrono::steady_clock::now();
    SessionOptions so;
    so.n_ctx = o.ctx;
    so.n_threads = o.n_threads;
    so.n_batch = o.n_batch;
    so.kv_type = o.kv_type;
    InferenceSession session(model, so);
    const Vocab& vocab = model->tokenizer.vocab();
    const bool bos = vocab.add_bos && vocab.bos >= 0;
    const int64_t first = o.ctx / 2;

    PerplexityResult r;
    r.n_tokens = n;
    double nll_sum = 0;
    std::vector<int32_t> window(static_cast<size_t>(o.ctx));
    const auto nv = static_cast<size_t>(model->config.n_vocab);
    for (int64_t w = 0; w < windows; ++w) {
        std::copy_n(tokens.begin() + w * o.ctx, o.ctx, window.begin());
        if (bos) window[0] = vocab.bos;
        session.truncate(0);
        if (!session.eval(window, /*all_logits=*/true, o.cancel)) {
            r.cancelled = true;
            break;
        }
        for (int64_t j = first; j < o.ctx - 1; ++j) {
            const std::span<const float> row = session.logits_row(static_cast<size_t>(j));
            float mx = row[0];
            size_t best = 0;
            for (size_t i = 1; i < nv; ++i) {
                if (row[i] > mx) {
                    mx = row[i];
                    best = i;
                }
            }
            double sum = 0;
            for (size_t i = 0; i < nv; ++i) sum += std::exp(double(row[i]) - mx);
            const int32_t next = window[static_cast<size_t>(j + 1)];
            const double nll = std::log(sum) - (double(row[static_cast<size_t>(next)]) - mx);
            nll_sum += nll;
            ++r.n_scored;
            if (o.keep_predictions) {
                r.argmax.push_back(static_cast<int32_t>(best));
                r.nll.push_back(static_cast<float>(nll));
            }
        }
        ++r.n_windows;
        if (o.progress) o.progress(w + 1, windows);
    }
    r.mean_nll = r.n_scored > 0 ? nll_sum / double(r.n_scored) : 0;
    r.ppl = std::exp(r.mean_nll);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

}  // namespace q8::quant
