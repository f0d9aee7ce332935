#include "inference_session.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include <spdlog/spdlog.h>

#include <q8/error.h>

#include "kernels.h"
#include "matmul.h"
#include "ops.h"

namespace q8 {

namespace {

constexpr int64_t kDefaultMaxCtx = 4096;

// The requested context, or the training context capped at kDefaultMaxCtx. A learned position
// table has no row beyond the training context, so such models never get more.
int64_t context_size(const ModelConfig& c, int64_t requested) {
    const int64_t n = requested > 0 ? requested : std::min(c.n_ctx_train, kDefaultMaxCtx);
    if (c.positions == PositionKind::Learned && n > c.n_ctx_train) {
        spdlog::info("context of {} tokens limited to {}: the model's position table has no more rows", n,
                     c.n_ctx_train);
        return c.n_ctx_train;
    }
    return n;
}

}  // namespace

InferenceSession::InferenceSession(std::shared_ptr<const Model> model, const SessionOptions& o)
    : model_(std::move(model)),
      n_ctx_(context_size(model_->config, o.n_ctx)),
      n_batch_(std::max<int64_t>(1, o.n_batch)),
      n_layers_(o.n_layers > 0 ? std::min(o.n_layers, model_->config.n_layer) : model_->config.n_layer),
      products_{o.prompt_arithmetic, o.matmul_observer},
      profile_(o.profile),
      pool_(o.n_threads > 0 ? o.n_threads : default_thread_count()),
      kv_(n_layers_, n_ctx_, model_->config.n_head_kv, model_->config.head_dim, o.kv_type),
      inv_freq_(rope_inv_freq(model_->config, model_->rope_freq_factors)) {
    const ModelConfig& c = model_->config;
    const auto nb = static_cast<size_t>(n_batch_);
    x_.resize(nb * c.n_embd);
    xn_.resize(nb * c.n_embd);
    q_.resize(nb * c.n_head * c.head_dim);
    k_.resize(nb * c.n_embd_kv());
    v_.resize(nb * c.n_embd_kv());
    att_out_.resize(nb * c.n_head * c.head_dim);
    tmp_.resize(nb * c.n_embd);
    if (c.ffn == FfnKind::SiluGated) gate_.resize(nb * c.n_ff);
    up_.resize(nb * c.n_ff);
    if (!model_->layers.empty() && model_->layers[0].wqkv.rows > 0)
        qkv_.resize(nb * (c.n_head * c.head_dim + 2 * c.n_embd_kv()));
    tokens_.reserve(static_cast<size_t>(n_ctx_));
}

std::span<const float> InferenceSession::logits_row(size_t i) const {
    const auto nv = static_cast<size_t>(model_->config.n_vocab);
    return std::span<const float>(logits_).subspan(i * nv, nv);
}

void InferenceSession::truncate(int64_t n) {
    if (n < static_cast<int64_t>(tokens_.size())) tokens_.resize(static_cast<size_t>(std::max<int64_t>(0, n)));
}

bool InferenceSession::eval(std::span<const int32_t> tokens, bool all_logits, const std::atomic<bool>* cancel,
                            std::optional<BatchArithmetic> arithmetic) {
    MatmulOptions products = products_;
    if (arithmetic) products.arithmetic = *arithmetic;
    const ModelConfig& c = model_->config;
    if (tokens.empty()) throw EngineError("nothing to evaluate: the token list is empty");
    if (n_past() + static_cast<int64_t>(tokens.size()) > n_ctx_) {
        throw EngineError("context full: " + std::to_string(n_past()) + " cached + " + std::to_string(tokens.size()) +
                          " new tokens exceed the context of " + std::to_string(n_ctx_) + " tokens");
    }
    for (int32_t id : tokens) {
        if (id < 0 || id >= c.n_vocab) {
            throw EngineError("token id " + std::to_string(id) + " is outside the vocabulary of " +
                              std::to_string(c.n_vocab));
        }
    }
    const auto nv = static_cast<size_t>(c.n_vocab);
    logits_.assign(all_logits ? tokens.size() * nv : nv, 0.f);
    for (size_t done = 0; done < tokens.size();) {
        const auto n = static_cast<int64_t>(std::min<size_t>(static_cast<size_t>(n_batch_), tokens.size() - done));
        const bool last_chunk = done + static_cast<size_t>(n) == tokens.size();
        const Logits want = all_logits ? Logits::All : last_chunk ? Logits::Last : Logits::None;
        if (!forward_chunk(tokens.data() + done, n, want, cancel, products)) return false;
        if (want == Logits::All) {
            std::memcpy(logits_.data() + done * nv, chunk_logits_.data(), static_cast<size_t>(n) * nv * sizeof(float));
        } else if (want == Logits::Last) {
            std::memcpy(logits_.data(), chunk_logits_.data(), nv * sizeof(float));
        }
        tokens_.insert(tokens_.end(), tokens.begin() + static_cast<ptrdiff_t>(done),
                       tokens.begin() + static_cast<ptrdiff_t>(done) + n);
        done += static_cast<size_t>(n);
    }
    return true;
}

}  // namespace q8
