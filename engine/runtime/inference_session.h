#pragma once
// One conversation's state over a shared model: the KV cache, the tokens it holds, scratch
// buffers and the thread pool. Not thread-safe: one worker thread drives a session; other
// threads may only raise the cancel flag they passed in.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "forward_profile.h"
#include "kv_cache.h"
#include "matmul.h"
#include "model.h"
#include "thread_pool.h"

namespace q8 {

struct SessionOptions {
    int64_t n_ctx = 0;     // 0: the model's training context, capped at 4096
    int n_threads = 0;     // 0: every core this process may use
    int64_t n_batch = 64;  // prompt tokens evaluated per forward chunk
    KvType kv_type = KvType::F16;
    // Run only the first n layers, then the final norm and head (0: all). A session over the same
    // model with fewer layers is a draft model that costs no extra memory (layer-skip drafting).
    int64_t n_layers = 0;
    // Arithmetic of products over several tokens (matmul.h). F32 keeps prompt logits within float
    // rounding of the reference; interactive generation asks for BF16, which is faster.
    BatchArithmetic prompt_arithmetic = BatchArithmetic::F32;
    // Sees every product's matrix and input (calibration); must outlive the session.
    const MatmulObserver* matmul_observer = nullptr;
    // Receives the time of each operation of every forward pass (q8bench profile); must outlive
    // the session.
    ForwardProfile* profile = nullptr;
};

class InferenceSession {
public:
    InferenceSession(std::shared_ptr<const Model> model, const SessionOptions& options = {});

    // Appends tokens after the cached ones and evaluates them. With all_logits, logits() then holds
    // one row per token, otherwise only the last token's row. Returns false when `cancel` was
    // raised; the cache then keeps the tokens of the chunks that completed. Throws EngineError when
    // the tokens do not fit in the context or an id is out of range. `arithmetic` replaces the
    // session's prompt_arithmetic for this call (Exact: speculative verification).
    bool eval(std::span<const int32_t> tokens, bool all_logits = false, const std::atomic<bool>* cancel = nullptr,
              std::optional<BatchArithmetic> arithmetic = std::nullopt);

    std::span<const float> logits() const { return logits_; }
    std::span<const float> logits_row(size_t i) const;

    // Forgets every cached position from n on (rollback).
    void truncate(int64_t n);
    int64_t n_past() const { return static_cast<int64_t>(tokens_.size()); }
    int64_t n_ctx() const { return n_ctx_; }
    int64_t n_layers() const { return n_layers_; }
    std::span<const int32_t> tokens() const { return tokens_; }

    const Model& model() const { return *model_; }
    const std::shared_ptr<const Model>& model_ptr() const { return model_; }
    ThreadPool& pool() { return pool_; }
    size_t kv_bytes() const { return kv_.bytes(); }

private:
    // Runs n tokens at positions n_past .. n_past+n-1 through every layer. Returns false if cancelled
    // between layers (nothing is committed then).
    enum class Logits { None, Last, All };
    bool forward_chunk(const int32_t* ids, int64_t n, Logits want, const std::atomic<bool>* cancel,
                       const MatmulOptions& products);
    void attention(int64_t layer, int64_t n, int64_t pos0);

    std::shared_ptr<const Model> model_;
    int64_t n_ctx_;
    int64_t n_batch_;
    int64_t n_layers_;
    MatmulOptions products_;  // the session's prompt arithmetic and observer
    ForwardProfile* profile_;
    ThreadPool pool_;
    KvCache kv_;
    std::vector<float> inv_freq_;
    std::vector<float> rope_cos_, rope_sin_;  // the current pass's angles, n_rot / 2 per token
    std::vector<int32_t> tokens_;
    std::vector<float> logits_;
    // Scratch, sized for n_batch tokens.
    std::vector<float> x_, xn_, q_, k_, v_, att_out_, tmp_, gate_, up_;
    std::vector<float> qkv_;           // fused Q|K|V projections (GPTBigCode only)
    std::vector<float> chunk_logits_;  // one row (Last) or n rows (All) from the latest chunk
};

}  // namespace q8
