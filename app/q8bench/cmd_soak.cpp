// `q8bench soak --seconds N`: the kiosk's attract loop without a window, for long-run checks of
// memory growth and speed. Each kiosk prompt runs through FP16, Q8, Q4 and Q4+spec in turn, each
// configuration loaded afresh as the kiosk's switch loads it, answered greedily with the kiosk's
// repetition penalty. Resident memory is sampled once a second on its own thread. The first prompt
// always runs through all four configurations (the baseline of each); after that the loop ends
// with the step under way when the time is up. An error (a failed load, a refused request) is recorded and the loop
// goes on, as the kiosk's does; the exit status is 1 when there was any.
//
// Report (--json: one object on stdout, format "q8bench.soak" version 1): samples (t_s,
// resident_mib), runs (t_s, prompt, configuration, decode and prompt tokens/s, generated tokens,
// peak resident during the answer, resident after the step with the model dropped), errors, and a
// summary: per configuration the resident memory after its first and its last step and the growth
// between them (what a leak would raise), the peak of its first and last answer, and the mean
// decode tokens/s of the first and second half of its runs.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include <q8/engine.h>

#include "builtin_models.h"
#include "commands.h"
#include "draft_options.h"
#include "kiosk_prompt_texts.h"
#include "quant_options.h"
#include "request_options.h"
#include "resident_sampler.h"

namespace q8bench {

namespace {

constexpr const char* kCycle[] = {"fp16", "q8", "q4", "q4+spec"};

struct SoakOptions {
    double seconds = 0;
    bool json = false;
    int64_t tokens = 384;  // the kiosk's answer length (KioskPacing::answerTokens)
    int threads = 0;
    std::string model, draft, prompts;
};

// One answer's figures, as the report prints them. Kept small because the soak holds every answer
// until the end, and its own records must not read as the app's growth: with the whole
// GenerationMetrics per answer, the doubling of a vector of them added 2 MiB of resident memory
// after about 2,000 answers and again after about 4,000. A deque grows without copying.
struct Run {
    double t_s;
    int prompt;
    int config;  // index into kCycle
    double decode_tokens_per_s, prompt_tokens_per_s;
    int64_t generated_tokens;
    double peak_resident_mib, resident_mib;
};

struct StepError {
    double t_s;
    std::string configuration;
    std::string message;
};

double mib(uint64_t bytes) { return double(bytes) / (1 << 20); }

// Figures to `per_unit`ths (10: one decimal), dividing last so that 25.4 prints as 25.4.
double round_to(double v, double per_unit) { return std::round(v * per_unit) / per_unit; }

// One kiosk step: load the configuration as the window's switch does (an F16 file runs FP16
// as stored), answer, drop the model.
q8::GenerationMetrics run_step(const SoakOptions& o, const std::string& config, const std::string& prompt) {
    QuantCliOptions quant;
    const bool float_file = q8::read_model_info(o.model).file_type.find('Q') == std::string::npos;
    const std::string precision = QuantCliOptions::precision_of(config);
    q8::LoadOptions lo = quant.load_options(precision == "fp16" && float_file ? "native" : precision);
    const auto model = q8::load_model(o.model, lo);
    DraftCliOptions draft_options;
    std::optional<Draft> draft;
    if (QuantCliOptions::is_speculative(config)) {
        draft_options.file = o.draft;
        draft = load_draft(draft_options, o.model, model, quant);
    }
    SessionCliOptions session_options;
    session_options.threads = o.threads;
    q8::Session session(model, session_options.config(draft, draft_options));
    q8::GenerationRequest req;
    req.prompt = prompt;
    req.max_tokens = o.tokens;
    req.sampling.temperature = 0;
    req.sampling.repeat_penalty = 1.3f;  // as the kiosk: greedy alone loops on the small demo model
    return session.generate(req).metrics;
}

nlohmann::json summary(const std::deque<Run>& runs, size_t errors) {
    std::map<std::string, std::vector<const Run*>> by_config;
    for (const Run& r : runs) by_config[kCycle[r.config]].push_back(&r);
    nlohmann::json per = nlohmann::json::object();
    double worst_growth = 0;
    for (const auto& [config, list] : by_config) {
        const double first = list.front()->resident_mib, last = list.back()->resident_mib;
        const double peak_first = list.front()->peak_resident_mib;
        const double peak_last = list.back()->peak_resident_mib;
        const double growth = first > 0 ? 100.0 * (last - first) / first : 0;
        worst_growth = std::max(worst_growth, growth);
        const size_t half = list.size() / 2;
        double a = 0, b = 0;
        for (size_t i = 0; i < list.size(); ++i) (i < half ? a : b) += list[i]->decode_tokens_per_s;
        per[config] = {{"runs", list.size()},
                       {"resident_mib_first", round_to(first, 10)},
                       {"resident_mib_last", round_to(last, 10)},
                       {"resident_growth_percent", round_to(growth, 100)},
                       {"peak_resident_mib_first", round_to(peak_first, 10)},
                       {"peak_resident_mib_last", round_to(peak_last, 10)},
                       {"decode_tokens_per_s_first_half", half > 0 ? round_to(a / double(half), 10) : 0.0},
                       {"decode_tokens_per_s_second_half", round_to(b / double(list.size() - half), 10)}};
    }
    return {{"runs", runs.size()},
            {"errors", errors},
            {"resident_growth_percent_max", round_to(worst_growth, 100)},
            {"configurations", per}};
}

int run(SoakOptions o) {
    if (o.model.empty()) {
        const q8app::BuiltinModels builtin = q8app::builtin_models();
        o.model = builtin.target;
        if (o.draft.empty()) o.draft = builtin.draft;
    }
    if (o.prompts.empty()) o.prompts = q8app::kiosk_prompts_file();
    const std::vector<KioskPromptText> prompts = read_kiosk_prompts(o.prompts);

    std::deque<Run> runs;
    std::vector<StepError> errors;
    ResidentSampler sampler(std::chrono::seconds(1));
    for (size_t step = 0;; ++step) {
        const size_t in_cycle = step % std::size(kCycle);
        if (step >= std::size(kCycle) && sampler.elapsed_s() >= o.seconds) break;
        const int prompt = static_cast<int>((step / std::size(kCycle)) % prompts.size());
        const std::string config = kCycle[in_cycle];
        try {
            const q8::GenerationMetrics m = run_step(o, config, prompts[prompt].text);
            runs.push_back({sampler.elapsed_s(), int(prompt) + 1, int(in_cycle), m.decode_tokens_per_s,
                            m.prompt_tokens_per_s, m.generated_tokens, mib(m.peak_resident_bytes),
                            mib(q8::resident_memory_bytes())});
        } catch (const q8::EngineError& e) {
            spdlog::error("soak: {} on prompt {}: {}", config, prompt + 1, e.what());
            errors.push_back({sampler.elapsed_s(), config, e.what()});
        }
    }
    const std::vector<ResidentSampler::Sample> samples = sampler.stop();

    nlohmann::json report = {{"format", "q8bench.soak"},
                             {"version", 1},
                             {"seconds", o.seconds},
                             {"model", o.model},
                             {"draft", o.draft},
                             {"answer_tokens", o.tokens},
                             {"summary", summary(runs, errors.size())}};
    nlohmann::json& sample_list = report["samples"] = nlohmann::json::array();
    for (const auto& s : samples)
        sample_list.push_back({{"t_s", round_to(s.t_s, 100)}, {"resident_mib", round_to(s.resident_mib, 10)}});
    nlohmann::json& run_list = report["runs"] = nlohmann::json::array();
    for (const Run& r : runs) {
        run_list.push_back({{"t_s", round_to(r.t_s, 100)},
                            {"prompt", r.prompt},
                            {"configuration", kCycle[r.config]},
                            {"decode_tokens_per_s", round_to(r.decode_tokens_per_s, 10)},
                            {"prompt_tokens_per_s", round_to(r.prompt_tokens_per_s, 10)},
                            {"generated_tokens", r.generated_tokens},
                            {"peak_resident_mib", round_to(r.peak_resident_mib, 10)},
                            {"resident_mib", round_to(r.resident_mib, 10)}});
    }
    nlohmann::json& error_list = report["errors"] = nlohmann::json::array();
    for (const StepError& e : errors)
        error_list.push_back(
            {{"t_s", round_to(e.t_s, 100)}, {"configuration", e.configuration}, {"message", e.message}});

    if (o.json) {
        std::cout << report.dump(2) << "\n";
    } else {
        std::cout << report["summary"].dump(2) << "\n";
    }
    return errors.empty() ? 0 : 1;
}

}  // namespace

void add_soak_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("soak", "Run the kiosk's attract loop headless; report memory and speed over time");
    auto o = std::make_shared<SoakOptions>();
    cmd->add_option("--seconds", o->seconds, "How long to run (at least the first prompt in every configuration)")
        ->required()
        ->check(CLI::PositiveNumber);
    cmd->add_flag("--json", o->json, "The whole report as JSON on stdout (else the summary)");
    cmd->add_option("--tokens", o->tokens, "Tokens per answer")->check(CLI::PositiveNumber)->capture_default_str();
    cmd->add_option("-t,--threads", o->threads, "Threads (0: every core this process may use)")->capture_default_str();
    cmd->add_option("-m,--model", o->model, "Target GGUF (default: the built-in demo target)");
    cmd->add_option("--draft", o->draft, "Draft GGUF for Q4+spec (default: the built-in demo draft)");
    cmd->add_option("--prompts", o->prompts, "Prompts file (default: the kiosk's, resources/kiosk-prompts.json)");
    cmd->callback([o] {
        if (run(*o) != 0) throw CLI::RuntimeError(1);
    });
}

}  // namespace q8bench
