#pragma once
// Prompt in, tokens streamed out. The caller (a CLI, or the app's worker thread) gets one event per
// generated token with the text that became complete, and a result with the reason it stopped and
// the request's metrics. No Qt here.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "inference_session.h"
#include "sampling.h"
#include "speculative.h"

namespace q8 {

struct GenerationRequest {
    std::string prompt;
    int64_t max_tokens = 256;
    SamplingParams sampling;
    std::vector<std::string> stop_strings;  // generation ends before the first one that appears
    bool add_special = true;                // BOS (and EOS) as the vocabulary asks
    bool parse_special = true;              // special-token text in the prompt becomes those tokens
};

enum class StopReason { EndOfGeneration, StopString, MaxTokens, ContextFull, Cancelled };
std::string_view stop_reason_name(StopReason r);

struct GenerationMetrics {
    int64_t prompt_tokens = 0;  // tokens of the prompt
    int64_t reused_tokens = 0;  // of those, already in the cache from the previous request
    int64_t generated_tokens = 0;
    double time_to_first_token_s = 0;
    double prompt_tokens_per_s = 0;  // evaluated (not reused) prompt tokens per second
    double decode_tokens_per_s = 0;  // generated tokens after the first, per second
    double total_s = 0;
    uint64_t resident_bytes = 0;
    uint64_t peak_resident_bytes = 0;
    SpecTotals speculative;  // zero unless a draft was used
};

struct TokenEvent {
    int32_t id = 0;
    std::string text;   // complete UTF-8 released by this token (may be empty: held back)
    int64_t index = 0;  // 0 for the first generated token
    double elapsed_s = 0;
};

struct GenerationResult {
    StopReason reason = StopReason::EndOfGeneration;
    std::string text;     // everything streamed
    std::string message;  // human-readable reason, e.g. the context limit
    std::vector<int32_t> tokens;
    GenerationMetrics metrics;
};

using TokenCallback = std::function<void(const TokenEvent&)>;

// Speculative decoding for one request: the draft session (a smaller model sharing the
// vocabulary, or a layer-limited session over the target's own model) and a per-step callback.
struct SpeculativeSetup {
    InferenceSession* draft = nullptr;
    SpeculativeOptions options;
    std::function<void(const SpecStep&)> on_step;
};

// Throws EngineError before generating for an empty prompt, a prompt that does not fit in the
// context, or bad sampling parameters. Cancel may be raised from any thread at any moment.
GenerationResult generate(InferenceSession& session, const GenerationRequest& request, const TokenCallback& on_token,
                          const std::atomic<bool>* cancel = nullptr, const SpeculativeSetup* speculative = nullptr);

}  // namespace q8
