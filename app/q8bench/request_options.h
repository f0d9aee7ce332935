#pragma once
// The one request path `generate` and `bench` share: the same sampling flags with the same
// defaults, the same public Session (threads, context, prompt arithmetic, draft), and the same
// JSON for a result's figures, so a figure printed by either means the same thing.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include <q8/engine.h>

#include "draft_options.h"

namespace q8bench {

struct SamplingCliOptions {
    q8::SamplingParams params;
    bool ignore_eos = false;  // ban end-of-generation tokens: exactly n tokens are generated

    // with_ignore_eos: offer --ignore-eos (bench always ignores end-of-generation tokens)
    void add_to(CLI::App* cmd, bool with_ignore_eos = true);
};

struct SessionCliOptions {
    int threads = 0;
    int64_t ctx = 0;
    std::string prompt_arith = "bf16";

    void add_to(CLI::App* cmd, bool with_ctx = true);  // bench sizes the context itself
    // The draft, when given, decodes speculatively as the draft options say (k, policy).
    q8::SessionConfig config(const std::optional<Draft>& draft, const DraftCliOptions& options) const;
};

// The request's figures (definitions in q8/generation.h), with the sampling they were measured
// under, and the record of what produced them: q8/report_json.h's objects, which the window's
// exports write too.
nlohmann::json metrics_json(const q8::GenerationResult& r);
nlohmann::json record_object(const q8::RunRecord& record);

}  // namespace q8bench
