// One prompt through every configuration, one model in memory at a time, with each output
// compared against FP16's.
#include <q8/compare.h>

#include <algorithm>
#include <memory>

#include <q8/error.h>
#include <q8/models.h>
#include <q8/run_record.h>
#include <q8/session.h>

namespace q8 {

namespace {

const char* const kStopped = "stopped";

bool stopped(const std::atomic<bool>* cancel) { return cancel != nullptr && cancel->load(); }

Precision target_precision(CompareConfig c) {
    switch (c) {
    case CompareConfig::Fp16: return Precision::F16;
    case CompareConfig::Q8: return Precision::Q8;
    case CompareConfig::Q4:
    case CompareConfig::Q4Spec: return Precision::Q4;
    }
    return Precision::Native;
}

std::shared_ptr<const Model> load_target(const CompareRequest& request, CompareConfig c,
                                         const std::atomic<bool>* cancel) {
    LoadOptions o;
    o.precision = target_precision(c);
    o.cache_dir = request.cache_dir;
    o.progress = [cancel](float) { return !stopped(cancel); };
    return load_model(request.model_path, o);
}

std::shared_ptr<const Model> load_draft(const CompareRequest& request, const std::atomic<bool>* cancel) {
    if (request.draft_path.empty()) throw EngineError("Q4+spec needs a draft model, and none was given");
    LoadOptions o;
    o.progress = [cancel](float) { return !stopped(cancel); };
    return load_model(request.draft_path, o);
}

SessionConfig session_config(const CompareRequest& request, std::shared_ptr<const Model> draft) {
    SessionConfig c;
    c.n_ctx = request.n_ctx;
    c.n_threads = request.n_threads;
    c.bf16_prompts = request.bf16_prompts;
    c.draft = std::move(draft);
    c.speculative = request.speculative;
    return c;
}

GenerationCallbacks generation_callbacks(CompareConfig c, const CompareCallbacks& callbacks) {
    GenerationCallbacks g;
    if (callbacks.on_token) g.on_token = [c, &callbacks](const TokenEvent& ev) { callbacks.on_token(c, ev); };
    if (callbacks.on_step) g.on_step = [c, &callbacks](const SpecStep& s) { callbacks.on_step(c, s); };
    return g;
}

// Pages the weights in and pays first-use costs outside the measured run, which then starts from
// an empty cache as the first configuration's would.
void warm_up(Session& session, const CompareRequest& request, const std::atomic<bool>* cancel) {
    if (request.warmup_tokens <= 0) return;
    GenerationRequest r = compare_generation_request(request);
    r.max_tokens = request.warmup_tokens;
    session.generate(r, {}, cancel);
    session.clear_cache();
}

CompareRow not_run(CompareConfig c, std::string reason) {
    CompareRow row;
    row.config = c;
    row.reason = std::move(reason);
    return row;
}

// Loads the configuration's model (and draft), generates once and frees them again.
CompareRow run_configuration(const CompareRequest& request, CompareConfig c, const CompareCallbacks& callbacks,
                             const std::atomic<bool>* cancel) {
    if (stopped(cancel)) return not_run(c, kStopped);
    CompareRow row;
    row.config = c;
    try {
        const auto target = load_target(request, c, cancel);
        const auto draft = c == CompareConfig::Q4Spec ? load_draft(request, cancel) : nullptr;
        const ModelInfo info = model_info(*target);
        row.weight_bytes = info.weight_bytes;
        row.precision = info.precision;
        if (draft != nullptr) {
            const ModelInfo d = model_info(*draft);
            row.weight_bytes += d.weight_bytes;
            row.precision += " + draft (" + d.precision + ")";
        }
        Session session(target, session_config(request, draft));
        if (callbacks.on_loaded) callbacks.on_loaded(c, row.weight_bytes, session.kv_cache_bytes());
        warm_up(session, request, cancel);
        row.result = session.generate(compare_generation_request(request), generation_callbacks(c, callbacks), cancel);
        row.record = run_record(session, compare_config_name(c));
    } catch (const EngineError& e) {
        // A load cancelled through its progress callback throws too: that is the stop, not a refusal.
        row.reason = stopped(cancel) ? kStopped : e.what();
        return row;
    }
    row.ran = row.result.reason != StopReason::Cancelled;
    if (!row.ran) row.reason = kStopped;
    return row;
}

void compare_with_fp16(CompareRow& row, const CompareRow& fp16) {
    if (!row.ran || !fp16.ran) return;
    const std::vector<int32_t>& a = row.result.tokens;
    const std::vector<int32_t>& b = fp16.result.tokens;
    const size_t common = std::min(a.size(), b.size());
    const size_t longer = std::max(a.size(), b.size());
    const auto mismatch = std::mismatch(a.begin(), a.begin() + common, b.begin()).first;
    int64_t matching = 0;
    for (size_t i = 0; i < common; ++i) matching += a[i] == b[i];

    row.compared_with_fp16 = true;
    row.identical_to_fp16 = a == b;
    row.first_difference = row.identical_to_fp16 ? -1 : mismatch - a.begin();
    row.matching_share = longer > 0 ? double(matching) / double(longer) : 1.0;
    const double fp16_rate = fp16.result.metrics.decode_tokens_per_s;
    if (fp16_rate > 0) row.speedup_vs_fp16 = row.result.metrics.decode_tokens_per_s / fp16_rate;
}

}  // namespace

std::string_view compare_config_name(CompareConfig c) {
    switch (c) {
    case CompareConfig::Fp16: return "fp16";
    case CompareConfig::Q8: return "q8";
    case CompareConfig::Q4: return "q4";
    case CompareConfig::Q4Spec: return "q4+spec";
    }
    return "?";
}

std::vector<CompareConfig> compare_configs() {
    return {CompareConfig::Fp16, CompareConfig::Q8, CompareConfig::Q4, CompareConfig::Q4Spec};
}

GenerationRequest compare_generation_request(const CompareRequest& request) {
    GenerationRequest r;
    r.prompt = request.prompt;
    r.max_tokens = request.max_tokens;
    r.sampling = SamplingParams::greedy();
    r.ignore_end_of_generation = true;
    return r;
}

std::vector<CompareRow> run_compare(const CompareRequest& request, const CompareCallbacks& callbacks,
                                    const std::atomic<bool>* cancel) {
    std::vector<CompareRow> rows;
    for (const CompareConfig c : compare_configs()) {
        if (stopped(cancel)) {
            rows.push_back(not_run(c, kStopped));
        } else {
            if (callbacks.on_start) callbacks.on_start(c);
            rows.push_back(run_configuration(request, c, callbacks, cancel));
        }
        // FP16 runs first, so every row can be compared as soon as it is done.
        compare_with_fp16(rows.back(), rows.front());
        if (callbacks.on_done) callbacks.on_done(rows.back());
    }
    return rows;
}

}  // namespace q8
