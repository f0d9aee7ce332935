#pragma once
// Speculative decoding: a cheap draft proposes k tokens, the target scores them all in one batched
// pass, and the longest acceptable prefix plus one target token is kept. With the acceptance rule
// min(1, p/q) and residual resampling from max(0, p - q), the output follows the target's sampling
// distribution exactly; in greedy mode it equals plain greedy decoding token for token. When the
// text so far repeats, a step may instead verify tokens looked up in it (history_lookup.h), each
// proposed outright (q = 1 on it), under the same rule.
#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include <q8/generation.h>

#include "draft_length.h"
#include "inference_session.h"
#include "sampling.h"

namespace q8 {

// Throws EngineError unless both models share one vocabulary, naming the first id that differs.
void check_same_vocabulary(const Model& target, const Model& draft);

class SpeculativeDecoder {
public:
    // Both sessions must outlive the decoder. The sampler is the request's (shared with plain
    // decoding, so seeds mean the same thing).
    SpeculativeDecoder(InferenceSession& target, InferenceSession& draft, Sampler& sampler,
                       const SpeculativeOptions& options);

    // After the target has evaluated the prompt: the draft evaluates it too (reusing what it
    // already holds), so that the first step drafts at once. Returns false when cancelled.
    bool prefill(const std::vector<int32_t>& prompt, const std::atomic<bool>* cancel);

    // history = prompt + generated tokens; the target has evaluated all of it but the last token.
    // Appends 1..k+1 new tokens to `out` and leaves the target in the same state for them (all but
    // the last evaluated). Returns false when cancelled (nothing appended). Needs room for at least
    // one token in the target's context.
    bool step(const std::vector<int32_t>& history, std::vector<int32_t>& out, const std::atomic<bool>* cancel);

    const SpecTotals& totals() const { return totals_; }
    const SpecStep& last_step() const { return last_; }
    int k() const { return length_.next(); }

private:
    bool plain_step(const std::vector<int32_t>& history, std::vector<int32_t>& out, const std::atomic<bool>* cancel);
    bool lookup_step(const std::vector<int32_t>& history, const std::vector<int32_t>& proposal,
                     std::vector<int32_t>& out, const std::atomic<bool>* cancel);
    // One target pass over history's last token and the drafts; keeps the accepted drafts and the
    // target's next token (appended to out). q_i is the distribution draft i was drawn from, empty
    // for a draft proposed outright. Returns how many drafts were accepted, -1 when cancelled.
    int verify(const std::vector<int32_t>& history, const std::vector<int32_t>& drafted,
               const std::vector<std::vector<float>>& q, std::vector<int32_t>& out, const std::atomic<bool>* cancel);
    bool catch_up(std::span<const int32_t> tokens, const std::atomic<bool>* cancel);

    InferenceSession& target_;
    InferenceSession& draft_;
    Sampler& sampler_;
    DraftLength length_;
    bool lookup_;
    SpecTotals totals_;
    SpecStep last_;
};

}  // namespace q8
