// `q8bench generate`: stream a completion to stdout and the request's metrics to stderr (or one
// JSON object to stdout with --json). Ctrl-C stops generation cleanly and still reports metrics.
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include "commands.h"
#include "cpu_features.h"
#include "draft_options.h"
#include "generator.h"
#include "model.h"
#include "prompt_arith_option.h"
#include "quant_options.h"

namespace q8bench {

namespace {

std::atomic<bool> g_interrupted{false};
extern "C" void on_sigint(int) { g_interrupted.store(true); }

struct GenerateOptions {
    std::string model;
    std::string prompt;
    int64_t n_predict = 128;
    q8::SamplingParams sampling;
    int threads = 0;
    int64_t ctx = 0;
    std::vector<std::string> stops;
    std::string isa;
    bool json = false;
    QuantCliOptions quant;
    DraftCliOptions draft;
    std::string cache_dir;
    std::string prompt_arith = "bf16";
};

nlohmann::json metrics_json(const q8::GenerationResult& r) {
    const q8::GenerationMetrics& m = r.metrics;
    return {
        {"stop_reason", std::string(q8::stop_reason_name(r.reason))},
        {"prompt_tokens", m.prompt_tokens},
        {"generated_tokens", m.generated_tokens},
        {"time_to_first_token_s", m.time_to_first_token_s},
        {"prompt_tokens_per_s", m.prompt_tokens_per_s},
        {"decode_tokens_per_s", m.decode_tokens_per_s},
        {"total_s", m.total_s},
        {"resident_bytes", m.resident_bytes},
        {"peak_resident_bytes", m.peak_resident_bytes},
        {"drafted", m.speculative.drafted},
        {"acceptance_rate", m.speculative.acceptance_rate()},
        {"mean_accepted", m.speculative.mean_accepted()},
        {"speculative_steps", m.speculative.steps},
        {"draft_s", m.speculative.draft_s},
        {"verify_s", m.speculative.verify_s},
    };
}

void run(GenerateOptions o) {
    const bool speculative = QuantCliOptions::is_speculative(o.quant.config) || o.draft.given();
    use_builtin_when_unnamed(o.model, o.draft, speculative);
    if (!o.isa.empty()) q8::set_isa_override(q8::parse_isa(o.isa));
    q8::LoadOptions lo = o.quant.load_options();
    lo.cache_dir = o.cache_dir;
    const auto model = q8::load_model(o.model, lo);
    q8::SessionOptions so;
    so.n_threads = o.threads;
    so.n_ctx = o.ctx;
    so.prompt_arithmetic = prompt_arithmetic(o.prompt_arith);
    q8::InferenceSession session(model, so);

    // Speculative when the configuration says +spec or a draft is named.
    std::optional<q8::InferenceSession> draft_session;
    q8::SpeculativeSetup spec;
    if (speculative) {
        const Draft d = load_draft(o.draft, o.model, model, o.quant);
        q8::SessionOptions ds = so;
        ds.n_layers = d.layers;
        draft_session.emplace(d.model, ds);
        spec.draft = &*draft_session;
        spec.options.k_max = o.draft.k;
    }

    q8::GenerationRequest req;
    req.prompt = o.prompt;
    req.max_tokens = o.n_predict;
    req.sampling = o.sampling;
    req.stop_strings = o.stops;

    std::signal(SIGINT, on_sigint);
    const q8::GenerationResult r = q8::generate(
        session, req,
        [&](const q8::TokenEvent& ev) {
            if (!o.json) std::cout << ev.text << std::flush;
        },
        &g_interrupted, spec.draft != nullptr ? &spec : nullptr);
    std::signal(SIGINT, SIG_DFL);

    nlohmann::json j = metrics_json(r);
    j["model"] = o.model;
    j["threads"] = session.pool().size();
    j["kernel_path"] = std::string(q8::isa_name(q8::active_isa()));
    j["precision"] = model->precision;
    if (o.json) {
        j["prompt"] = o.prompt;
        j["text"] = r.text;
        j["tokens"] = r.tokens;
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << "\n";
        std::cerr << "[" << r.message << "] " << j.dump() << "\n";
    }
}

}  // namespace

void add_generate_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("generate", "Continue a prompt, streaming the text");
    auto o = std::make_shared<GenerateOptions>();
    cmd->add_option("-m,--model", o->model, "GGUF model file (default: the built-in demo model)");
    cmd->add_option("-p,--prompt", o->prompt, "Prompt text")->required();
    cmd->add_option("-n,--n-predict", o->n_predict, "Tokens to generate at most")->capture_default_str();
    cmd->add_option("--temp", o->sampling.temperature, "Temperature (0 = greedy)")->capture_default_str();
    cmd->add_option("--top-k", o->sampling.top_k, "Top-k (0 = off)")->capture_default_str();
    cmd->add_option("--top-p", o->sampling.top_p, "Top-p (1 = off)")->capture_default_str();
    cmd->add_option("--min-p", o->sampling.min_p, "Min-p (0 = off)")->capture_default_str();
    cmd->add_option("--repeat-penalty", o->sampling.repeat_penalty, "Repetition penalty (1 = off)")
        ->capture_default_str();
    cmd->add_option("--repeat-last-n", o->sampling.repeat_last_n, "Tokens the penalty looks back over")
        ->capture_default_str();
    cmd->add_option("-s,--seed", o->sampling.seed, "Random seed")->capture_default_str();
    cmd->add_option("-t,--threads", o->threads, "Threads (0 = all cores)")->capture_default_str();
    add_prompt_arith_option(cmd, o->prompt_arith);
    cmd->add_option("-c,--ctx", o->ctx, "Context size in tokens (0 = model's, at most 4096)")->capture_default_str();
    cmd->add_option("--stop", o->stops, "Stop string (repeatable)");
    cmd->add_option("--isa", o->isa, "Force a lower kernel path: scalar, avx2, avx512");
    cmd->add_flag("--json", o->json, "Print one JSON object with text and metrics");
    o->quant.add_to(cmd);
    cmd->add_option("--cache-dir", o->cache_dir, "Cache quantize-at-load results here");
    o->draft.add_to(cmd);
    cmd->callback([o] { run(*o); });
}

}  // namespace q8bench
