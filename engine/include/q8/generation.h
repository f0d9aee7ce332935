#pragma once
// A generation request, the events it streams and the result it ends with. Every figure a CLI,
// a chart or a transcript shows comes from here, with one definition each (also in
// docs/metrics.md):
//
//   time to first token  seconds from the request's start (tokenizing included) to the first
//                        generated token: prompt evaluation plus one sampling step.
//   prompt tokens/s      prompt tokens evaluated (the reused prefix excluded) divided by the time
//                        spent evaluating them.
//   decode tokens/s      generated tokens after the first, divided by the time from the first
//                        generated token to the last (so prompt evaluation never dilutes it).
//   resident memory      this process's resident set (VmRSS) when the request ended; peak is
//                        its high-water mark (VmHWM) from the request's start to its end.
//   acceptance rate      accepted / drafted over the request's speculative steps: the share of
//                        drafted tokens the target kept.
//   mean accepted        accepted / steps: drafted tokens kept per step.
//   tokens per step      emitted / steps: tokens a step adds (accepted + the target's own one).
//
// Each of them depends on the sampling (GenerationResult::sampling says which was used).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "sampling_params.h"

namespace q8 {

struct GenerationRequest {
    std::string prompt;
    int64_t max_tokens = 256;
    SamplingParams sampling;
    std::vector<std::string> stop_strings;  // generation ends before the first one that appears
    bool add_special = true;                // BOS (and EOS) as the vocabulary asks
    bool parse_special = true;              // special-token text in the prompt becomes those tokens
    // End-of-generation tokens are banned, so exactly max_tokens are generated (benchmarks).
    bool ignore_end_of_generation = false;
};

enum class StopReason { EndOfGeneration, StopString, MaxTokens, ContextFull, Cancelled };
std::string_view stop_reason_name(StopReason r);

// Speculative decoding: how many tokens the draft proposes per step.
struct SpeculativeOptions {
    // Speed: the k that maximises measured tokens per second, pausing speculation (plain decoding)
    // while no k beats it. Acceptance: k follows acceptance alone, so a seeded sampled answer is
    // reproducible. Rules: engine/generate/draft_length.h.
    enum class Policy { Speed, Acceptance };
    int k_max = 8;         // most tokens drafted per step
    int k_initial = 4;     // draft length of the first step
    bool adaptive = true;  // adapt k by `policy`; false keeps k_initial
    Policy policy = Policy::Speed;
    // Also propose what followed the last few tokens where they occurred before in the text, when
    // that is expected to pay more than the draft model (engine/generate/history_lookup.h).
    bool lookup = true;
};

// One draft-and-verify step, streamed as it completes.
struct SpecStep {
    int k = 0;            // draft length asked for in this step
    int drafted = 0;      // tokens the draft proposed (k, or fewer near the end of the context)
    int accepted = 0;     // drafted tokens the target kept
    int emitted = 0;      // accepted + the target's own token
    int k_next = 0;       // draft length chosen for the next step; 0: speculation paused
    bool lookup = false;  // the drafts were looked up in the text so far, not proposed by the draft model
    double draft_s = 0;
    double verify_s = 0;
};

struct SpecTotals {
    int64_t steps = 0, drafted = 0, accepted = 0, emitted = 0;
    int64_t paused_steps = 0;                         // steps decoded plainly because the draft did not pay (k = 0)
    int64_t lookup_drafted = 0, lookup_accepted = 0;  // of drafted and accepted: looked up in the text
    double draft_s = 0, verify_s = 0;
    void add(const SpecStep& s);
    void add(const SpecTotals& t);
    double acceptance_rate() const { return drafted > 0 ? double(accepted) / double(drafted) : 0.0; }
    double mean_accepted() const { return steps > 0 ? double(accepted) / double(steps) : 0.0; }
    double tokens_per_step() const { return steps > 0 ? double(emitted) / double(steps) : 0.0; }
};

struct GenerationMetrics {
    int64_t prompt_tokens = 0;  // tokens of the prompt
    int64_t reused_tokens = 0;  // of those, already in the cache from the previous request
    int64_t generated_tokens = 0;
    double time_to_first_token_s = 0;
    double prompt_tokens_per_s = 0;
    double decode_tokens_per_s = 0;
    double total_s = 0;
    uint64_t resident_bytes = 0;
    uint64_t peak_resident_bytes = 0;
    SpecTotals speculative;  // zero unless a draft was used
};

struct TokenEvent {
    int32_t id = 0;
    std::string text;            // complete UTF-8 released by this token (may be empty: held back)
    int64_t index = 0;           // 0 for the first generated token
    double elapsed_s = 0;        // since the request began
    bool from_draft = false;     // speculative: a drafted token the target accepted (else its own)
    int64_t context_tokens = 0;  // tokens in the context with this one: the prompt and the answer so far
};

struct GenerationCallbacks {
    std::function<void(const TokenEvent&)> on_token;
    std::function<void(const SpecStep&)> on_step;  // speculative decoding only
};

struct GenerationResult {
    StopReason reason = StopReason::EndOfGeneration;
    std::string text;     // everything streamed
    std::string message;  // human-readable reason, e.g. the context limit
    std::vector<int32_t> tokens;
    std::string sampling;  // SamplingParams::describe() of the request
    GenerationMetrics metrics;
};

}  // namespace q8
