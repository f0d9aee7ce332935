#pragma once
// A session: one model's KV cache and threads, optionally with a draft model for speculative
// decoding, driven by one thread at a time. Requests that share a prefix with the previous one
// (a chat re-sending its history) reuse the cached positions.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include "generation.h"
#include "models.h"

namespace q8 {

struct SessionConfig {
    int64_t n_ctx = 0;          // 0: the model's training context, capped at 4096
    int n_threads = 0;          // 0: every core this process may use
    bool f32_kv_cache = false;  // F16 halves what attention reads; F32 for exact comparisons
    // Prompt products in bf16 (oneDNN; AVX512-BF16 or AMX), about 1.6x faster than f32. Off keeps
    // prompt logits within float rounding of the reference implementation.
    bool bf16_prompts = true;

    // Speculative decoding: a draft model sharing the target's vocabulary (checked), or, with
    // draft_layers > 0 and no draft model, the target's own first draft_layers layers.
    std::shared_ptr<const Model> draft;
    int64_t draft_layers = 0;
    SpeculativeOptions speculative;
};

class Session {
public:
    // Throws EngineError for a draft whose vocabulary differs from the model's.
    explicit Session(std::shared_ptr<const Model> model, const SessionConfig& config = {});
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Runs one request; cancel may be raised from any thread at any moment. Throws EngineError
    // before generating for an empty prompt, a prompt that does not fit in the context, or bad
    // sampling parameters.
    GenerationResult generate(const GenerationRequest& request, const GenerationCallbacks& callbacks = {},
                              const std::atomic<bool>* cancel = nullptr);

    // Tokens `text` takes (BOS included when the vocabulary adds one), for a context gauge.
    int64_t count_tokens(std::string_view text) const;
    void clear_cache();  // forget every cached position (the next request evaluates all)

    bool speculative() const;
    int64_t n_ctx() const;
    int n_threads() const;
    uint64_t kv_cache_bytes() const;  // target and draft
    const std::shared_ptr<const Model>& model() const;
    ModelInfo info() const;
    // The separate draft model's; path empty when there is none (no speculation, or a draft made
    // of the target's own first layers).
    ModelInfo draft_info() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace q8
