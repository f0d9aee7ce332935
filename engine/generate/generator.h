#pragma once
// Prompt in, tokens streamed out, over one inference session. The caller gets one event per
// generated token with the text that became complete (and one per speculative step), and a result
// with the reason it stopped and the request's metrics (q8/generation.h defines each figure).
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <q8/generation.h>

#include "inference_session.h"
#include "sampling.h"
#include "speculative.h"

namespace q8 {

// Speculative decoding for one request: the draft session (a smaller model sharing the
// vocabulary, or a layer-limited session over the target's own model) and its options.
struct SpeculativeSetup {
    InferenceSession* draft = nullptr;
    SpeculativeOptions options;
};

// Throws EngineError before generating for an empty prompt, a prompt that does not fit in the
// context, or bad sampling parameters. Cancel may be raised from any thread at any moment.
GenerationResult generate(InferenceSession& session, const GenerationRequest& request,
                          const GenerationCallbacks& callbacks = {}, const std::atomic<bool>* cancel = nullptr,
                          const SpeculativeSetup* speculative = nullptr);

}  // namespace q8
