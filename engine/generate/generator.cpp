#include "generator.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "engine_error.h"
#include "memory_usage.h"
#include "stop_strings.h"

namespace q8 {

std::string_view stop_reason_name(StopReason r) {
    switch (r) {
    case StopReason::EndOfGeneration: return "end of generation";
    case StopReason::StopString: return "stop string";
    case StopReason::MaxTokens: return "token limit";
    case StopReason::ContextFull: return "context full";
    case StopReason::Cancelled: return "cancelled";
    }
    return "?";
}

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
}  // namespace

GenerationResult generate(InferenceSession& session, const GenerationRequest& req, const TokenCallback& on_token,
                          const std::atomic<bool>* cancel, const SpeculativeSetup* speculative) {
    const auto start = Clock::now();
    if (req.prompt.empty()) throw EngineError("the prompt is empty: type something to continue from");
    if (req.max_tokens < 0) throw EngineError("the token limit must be zero or more");
    req.sampling.validate();

    const Tokenizer& tok = session.model().tokenizer;
    const std::vector<int32_t> prompt = tok.encode(req.prompt, req.add_special, req.parse_special);
    if (prompt.empty()) throw EngineError("the prompt produced no tokens");
    if (static_cast<int64_t>(prompt.size()) >= session.n_ctx()) {
        throw EngineError("the prompt has " + std::to_string(prompt.size()) + " tokens but the context holds " +
                          std::to_string(session.n_ctx()) + ": shorten the prompt or raise the context size");
    }

    Sampler sampler(req.sampling);
    std::optional<SpeculativeDecoder> spec;
    if (speculative != nullptr && speculative->draft != nullptr) {
        spec.emplace(session, *speculative->draft, sampler, speculative->options);
    }

    GenerationResult res;
    GenerationMetrics& m = res.metrics;
    m.prompt_tokens = static_cast<int64_t>(prompt.size());

    // Reuse the cached prefix of a previous request (a chat turn re-sends its history), but always
    // evaluate at least one token so there are fresh logits.
    const auto cached = session.tokens();
    size_t keep = 0;
    while (keep < cached.size() && keep < prompt.size() && cached[keep] == prompt[keep]) ++keep;
    keep = std::min(keep, prompt.size() - 1);
    session.truncate(static_cast<int64_t>(keep));
    m.reused_tokens = static_cast<int64_t>(keep);

    auto finish = [&](StopReason r, std::string msg) {
        res.reason = r;
        res.message = std::move(msg);
        m.total_s = seconds_since(start);
        m.resident_bytes = resident_memory_bytes();
        m.peak_resident_bytes = peak_resident_memory_bytes();
        if (spec) m.speculative = spec->totals();
        return res;
    };

    const auto prompt_start = Clock::now();
    if (!session.eval(std::span(prompt).subspan(keep), false, cancel)) {
        return finish(StopReason::Cancelled, "cancelled during prompt evaluation");
    }
    const double prompt_s = seconds_since(prompt_start);
    m.prompt_tokens_per_s = prompt_s > 0 ? double(prompt.size() - keep) / prompt_s : 0;

    StreamingDetokenizer detok(tok);
    StopStringFilter stops(req.stop_strings);
    std::vector<int32_t> history(prompt);
    Clock::time_point first_token_time{};

    auto emit = [&](int32_t id, std::string text) {
        res.text += text;
        TokenEvent ev{id, std::move(text), m.generated_tokens - 1, seconds_since(start)};
        if (on_token) on_token(ev);
    };

    // Takes one new token through the stop rules; returns the reason to stop, if any. The session
    // has evaluated every token of history but this one.
    auto accept = [&](int32_t id) -> std::optional<std::pair<StopReason, std::string>> {
        if (m.generated_tokens == 0) {
            first_token_time = Clock::now();
            m.time_to_first_token_s = seconds_since(start);
        }
        ++m.generated_tokens;
        res.tokens.push_back(id);
        history.push_back(id);
        if (m.generated_tokens > 1) {
            const double s = std::chrono::duration<double>(Clock::now() - first_token_time).count();
            m.decode_tokens_per_s = s > 0 ? double(m.generated_tokens - 1) / s : 0;
        }
        if (tok.vocab().is_eog(id)) {
            emit(id, stops.push(detok.flush()) + stops.flush());
            return std::pair{StopReason::EndOfGeneration, std::string("the model ended its answer")};
        }
        std::string shown = stops.push(detok.push(id));
        if (stops.stopped()) {
            emit(id, std::move(shown));
            return std::pair{StopReason::StopString, std::string("a stop string appeared")};
        }
        const bool last = m.generated_tokens >= req.max_tokens;
        const bool full = session.n_past() + 1 > session.n_ctx();
        if (last || full) shown += stops.push(detok.flush()) + stops.flush();
        emit(id, std::move(shown));
        if (last) {
            return std::pair{StopReason::MaxTokens,
                             "reached the limit of " + std::to_string(req.max_tokens) + " tokens"};
        }
        if (full) {
            return std::pair{StopReason::ContextFull,
                             "reached the context limit of " + std::to_string(session.n_ctx()) + " tokens"};
        }
        return std::nullopt;
    };

    if (req.max_tokens == 0) return finish(StopReason::MaxTokens, "reached the limit of 0 tokens");
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) return finish(StopReason::Cancelled, "cancelled");
    if (auto stop = accept(sampler.sample(session.logits(), history))) return finish(stop->first, stop->second);

    std::vector<int32_t> fresh;
    for (;;) {
        if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
            return finish(StopReason::Cancelled, "cancelled");
        }
        fresh.clear();
        if (spec) {
            if (!spec->step(history, fresh, cancel)) return finish(StopReason::Cancelled, "cancelled");
            if (speculative->on_step) speculative->on_step(spec->last_step());
        } else {
            const int32_t one[1] = {history.back()};
            if (!session.eval(one, false, cancel)) return finish(StopReason::Cancelled, "cancelled");
            fresh.push_back(sampler.sample(session.logits(), history));
        }
        for (int32_t id : fresh) {
            if (auto stop = accept(id)) return finish(stop->first, stop->second);
        }
    }
}

}  // namespace q8
