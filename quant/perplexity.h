#pragma once
// Perplexity, with one fixed windowing rule (the one llama.cpp's `perplexity` tool uses, so numbers
// are comparable with it):
//
//   1. The text is tokenized once, as a whole (with BOS in front when the vocabulary adds one).
//   2. It is cut into floor(N / ctx) non-overlapping windows of exactly ctx tokens; a trailing
//      partial window is dropped.
//   3. Each window is evaluated from an empty KV cache. When the vocabulary adds BOS, the first
//      token of every window is replaced by BOS (every window then starts like a document).
//   4. Only the second half of each window is scored: the logits at positions j = ctx/2 .. ctx-2
//      predict tokens j+1, so each window scores ctx - ctx/2 - 1 tokens, each with at least
//      ctx/2 tokens of context.
//   5. ppl = exp(mean over all scored tokens of -log softmax(logits)[next token]), computed in
//      double precision.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kv_cache.h"
#include "model.h"

namespace q8::quant {

struct PerplexityOptions {
    int64_t ctx = 512;
    int n_threads = 0;
    int64_t n_batch = 64;
    KvType kv_type = KvType::F16;
    int64_t max_windows = 0;        // 0: all windows
    bool keep_predictions = false;  // fill PerplexityResult::argmax / nll per scored token
    std::function<void(int64_t windows_done, int64_t windows_total)> progress;
    const std::atomic<bool>* cancel = nullptr;
};

struct PerplexityResult {
    double ppl = 0;
    double mean_nll = 0;
    int64_t n_tokens = 0;   // tokens in the text
    int64_t n_windows = 0;  // windows evaluated
    int64_t n_scored = 0;   // tokens scored
    double seconds = 0;
    bool cancelled = false;
    std::vector<int32_t> argmax;  // per scored token: the model's top-1 prediction
    std::vector<float> nll;       // per scored token
};

// Tokens of a text as step 1 says.
std::vector<int32_t> perplexity_tokens(const Model& model, const std::string& text);

// Steps 2-5. Throws EngineError when the tokens do not fill one window (saying how many there are).
PerplexityResult perplexity(const std::shared_ptr<const Model>& model, std::span<const int32_t> tokens,
                            const PerplexityOptions& options = {});

}  // namespace q8::quant
