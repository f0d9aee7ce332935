#include "generator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <utility>

#include <q8/error.h>
#include <q8/system.h>
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

using Stop = std::optional<std::pair<StopReason, std::string>>;

SamplingParams effective_sampling(const GenerationRequest& req, const Vocab& vocab) {
    SamplingParams s = req.sampling;
    if (req.ignore_end_of_generation) {
        for (int32_t eog : vocab.eog_ids) s.logit_bias.emplace_back(eog, -INFINITY);
    }
    return s;
}

// One request from prompt to stop reason. Each member does one stage; generate() runs them.
class Generation {
public:
    Generation(InferenceSession& session, const GenerationRequest& req, const GenerationCallbacks& callbacks,
               const std::atomic<bool>* cancel, const SpeculativeSetup* speculative)
        : session_(session),
          req_(req),
          callbacks_(callbacks),
          cancel_(cancel),
          tok_(session.model().tokenizer),
          sampler_(effective_sampling(req, tok_.vocab())),
          detok_(tok_),
          stops_(req.stop_strings) {
        res_.sampling = req.sampling.describe();
        if (speculative != nullptr && speculative->draft != nullptr) {
            spec_.emplace(session, *speculative->draft, sampler_, speculative->options);
        }
    }

    GenerationResult run() {
        reset_peak_resident_memory();  // the request's peak, not an earlier one's
        const std::vector<int32_t> prompt = encode_prompt();
        history_ = prompt;
        m().prompt_tokens = static_cast<int64_t>(prompt.size());
        const size_t keep = reuse_cached_prefix(prompt);
        if (!evaluate_prompt(std::span(prompt).subspan(keep))) {
            return finish(StopReason::Cancelled, "cancelled during prompt evaluation");
        }
        if (req_.max_tokens == 0) return finish(StopReason::MaxTokens, "reached the limit of 0 tokens");
        if (cancelled()) return finish(StopReason::Cancelled, "cancelled");
        if (Stop stop = accept(sampler_.sample(session_.logits(), history_), false)) {
            return finish(stop->first, stop->second);
        }
        return decode();
    }

private:
    GenerationMetrics& m() { return res_.metrics; }
    bool cancelled() const { return cancel_ != nullptr && cancel_->load(std::memory_order_relaxed); }

    std::vector<int32_t> encode_prompt() const {
        if (req_.prompt.empty()) throw EngineError("the prompt is empty: type something to continue from");
        if (req_.max_tokens < 0) throw EngineError("the token limit must be zero or more");
        std::vector<int32_t> prompt = tok_.encode(req_.prompt, req_.add_special, req_.parse_special);
        if (prompt.empty()) throw EngineError("the prompt produced no tokens");
        if (static_cast<int64_t>(prompt.size()) >= session_.n_ctx()) {
            throw EngineError("the prompt has " + std::to_string(prompt.size()) + " tokens but the context holds " +
                              std::to_string(session_.n_ctx()) + ": shorten the prompt or raise the context size");
        }
        return prompt;
    }

    // A chat turn re-sends its history: keep the cached prefix, but always evaluate at least one
    // token so there are fresh logits.
    size_t reuse_cached_prefix(const std::vector<int32_t>& prompt) {
        const auto cached = session_.tokens();
        size_t keep = 0;
        while (keep < cached.size() && keep < prompt.size() && cached[keep] == prompt[keep]) ++keep;
        keep = std::min(keep, prompt.size() - 1);
        session_.truncate(static_cast<int64_t>(keep));
        m().reused_tokens = static_cast<int64_t>(keep);
        return keep;
    }

    bool evaluate_prompt(std::span<const int32_t> fresh) {
        const auto t0 = Clock::now();
        if (!session_.eval(fresh, false, cancel_)) return false;
        // A speculative request reads its prompt with both models, so that its first decoding step
        // can draft at once.
        if (spec_ && !spec_->prefill(history_, cancel_)) return false;
        const double s = seconds_since(t0);
        m().prompt_tokens_per_s = s > 0 ? double(fresh.size()) / s : 0;
        return true;
    }

    GenerationResult decode() {
        std::vector<int32_t> fresh;
        for (;;) {
            if (cancelled()) return finish(StopReason::Cancelled, "cancelled");
            fresh.clear();
            int from_draft = 0;
            if (spec_) {
                if (!spec_->step(history_, fresh, cancel_)) return finish(StopReason::Cancelled, "cancelled");
                from_draft = spec_->last_step().accepted;
                if (callbacks_.on_step) callbacks_.on_step(spec_->last_step());
            } else {
                const int32_t one[1] = {history_.back()};
                if (!session_.eval(one, false, cancel_)) return finish(StopReason::Cancelled, "cancelled");
                fresh.push_back(sampler_.sample(session_.logits(), history_));
            }
            for (size_t i = 0; i < fresh.size(); ++i) {
                if (Stop stop = accept(fresh[i], static_cast<int>(i) < from_draft)) {
                    return finish(stop->first, stop->second);
                }
            }
        }
    }

    // Takes one new token through the stop rules. The session has evaluated every token of
    // history_ but this one.
    Stop accept(int32_t id, bool from_draft) {
        count_token(id);
        if (tok_.vocab().is_eog(id)) {
            emit(id, stops_.push(detok_.flush()) + stops_.flush(), from_draft);
            return std::pair{StopReason::EndOfGeneration, std::string("the model ended its answer")};
        }
        std::string shown = stops_.push(detok_.push(id));
        if (stops_.stopped()) {
            emit(id, std::move(shown), from_draft);
            return std::pair{StopReason::StopString, std::string("a stop string appeared")};
        }
        const bool last = m().generated_tokens >= req_.max_tokens;
        const bool full = session_.n_past() + 1 > session_.n_ctx();
        if (last || full) shown += stops_.push(detok_.flush()) + stops_.flush();
        emit(id, std::move(shown), from_draft);
        if (last) {
            return std::pair{StopReason::MaxTokens,
                             "reached the limit of " + std::to_string(req_.max_tokens) + " tokens"};
        }
        if (full) {
            return std::pair{StopReason::ContextFull,
                             "reached the context limit of " + std::to_string(session_.n_ctx()) + " tokens"};
        }
        return std::nullopt;
    }

    void count_token(int32_t id) {
        if (m().generated_tokens == 0) {
            first_token_time_ = Clock::now();
            m().time_to_first_token_s = seconds_since(start_);
        }
        ++m().generated_tokens;
        res_.tokens.push_back(id);
        history_.push_back(id);
        if (m().generated_tokens > 1) {
            const double s = seconds_since(first_token_time_);
            m().decode_tokens_per_s = s > 0 ? double(m().generated_tokens - 1) / s : 0;
        }
    }

    void emit(int32_t id, std::string text, bool from_draft) {
        res_.text += text;
        if (!callbacks_.on_token) return;
        callbacks_.on_token(TokenEvent{id, std::move(text), m().generated_tokens - 1, seconds_since(start_), from_draft,
                                       static_cast<int64_t>(history_.size())});
    }

    GenerationResult finish(StopReason r, std::string msg) {
        res_.reason = r;
        res_.message = std::move(msg);
        m().total_s = seconds_since(start_);
        m().resident_bytes = resident_memory_bytes();
        m().peak_resident_bytes = peak_resident_memory_bytes();
        if (spec_) m().speculative = spec_->totals();
        return std::move(res_);
    }

    const Clock::time_point start_ = Clock::now();
    InferenceSession& session_;
    const GenerationRequest& req_;
    const GenerationCallbacks& callbacks_;
    const std::atomic<bool>* cancel_;
    const Tokenizer& tok_;
    Sampler sampler_;
    std::optional<SpeculativeDecoder> spec_;
    StreamingDetokenizer detok_;
    StopStringFilter stops_;
    std::vector<int32_t> history_;  // prompt and generated tokens
    Clock::time_point first_token_time_{};
    GenerationResult res_;
};

}  // namespace

GenerationResult generate(InferenceSession& session, const GenerationRequest& req, const GenerationCallbacks& callbacks,
                          const std::atomic<bool>* cancel, const SpeculativeSetup* speculative) {
    return Generation(session, req, callbacks, cancel, speculative).run();
}

}  // namespace q8
