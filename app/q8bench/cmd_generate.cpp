// `q8bench generate`: stream a completion to stdout and the request's metrics to stderr (or one
// JSON object to stdout with --json). Ctrl-C stops generation cleanly and still reports metrics.
// With --fim-prefix/--fim-suffix instead of a prompt, a code model with fill-in-the-middle tokens
// writes the code between the two.
#include <spdlog/spdlog.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>

#include <q8/engine.h>

#include "commands.h"
#include "ctrl_c.h"
#include "draft_options.h"
#include "quant_options.h"
#include "request_options.h"

namespace q8bench {

namespace {

struct GenerateOptions {
    std::string model;
    std::string prompt;
    bool fill_in_the_middle = false;  // --fim-prefix or --fim-suffix given: they make the prompt
    std::string fim_prefix, fim_suffix;
    int64_t n_predict = 128;
    SamplingCliOptions sampling;
    SessionCliOptions session;
    std::vector<std::string> stops;
    std::string isa;
    bool json = false;
    QuantCliOptions quant;
    DraftCliOptions draft;
    std::string cache_dir;
};

void run(GenerateOptions o) {
    const bool speculative = QuantCliOptions::is_speculative(o.quant.config) || o.draft.given();
    use_builtin_when_unnamed(o.model, o.draft, speculative);
    if (!o.isa.empty()) q8::force_kernel_path(o.isa);
    q8::LoadOptions lo = o.quant.load_options();
    lo.cache_dir = o.cache_dir;
    const auto model = q8::load_model(o.model, lo);
    // Speculative when the configuration says +spec or a draft is named.
    std::optional<Draft> draft;
    if (speculative) draft = load_draft(o.draft, o.model, model, o.quant);
    q8::Session session(model, o.session.config(draft, o.draft));

    q8::GenerationRequest req;
    req.prompt = o.fill_in_the_middle ? q8::fim_prompt(session.info().special, o.fim_prefix, o.fim_suffix) : o.prompt;
    req.max_tokens = o.n_predict;
    req.sampling = o.sampling.params;
    req.ignore_end_of_generation = o.sampling.ignore_eos;
    req.stop_strings = o.stops;
    q8::GenerationCallbacks callbacks;
    callbacks.on_token = [&](const q8::TokenEvent& ev) {
        if (!o.json) std::cout << ev.text << std::flush;
    };

    const q8::GenerationResult r = [&] {
        const CtrlCStops ctrl_c;
        return session.generate(req, callbacks, ctrl_c.flag());
    }();

    nlohmann::json j = metrics_json(r);
    j["model"] = o.model;
    j["threads"] = session.n_threads();
    j["kernel_path"] = q8::cpu_info().kernel_path;
    j["precision"] = session.info().precision;
    if (draft) j["draft"] = draft->description;
    j["record"] = record_object(q8::run_record(session, o.quant.config));
    if (o.json) {
        j["prompt"] = req.prompt;
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
    auto* prompt = cmd->add_option("-p,--prompt", o->prompt, "Prompt text");
    auto* prefix = cmd->add_option("--fim-prefix", o->fim_prefix,
                                   "Fill in the middle: the code before the gap (models with FIM tokens)");
    auto* suffix = cmd->add_option("--fim-suffix", o->fim_suffix, "Fill in the middle: the code after the gap");
    prompt->excludes(prefix)->excludes(suffix);
    cmd->add_option("-n,--n-predict", o->n_predict, "Tokens to generate at most")->capture_default_str();
    o->sampling.add_to(cmd);
    o->session.add_to(cmd);
    cmd->add_option("--stop", o->stops, "Stop string (repeatable)");
    cmd->add_option("--isa", o->isa, "Force a lower kernel path: scalar, avx2, avx512");
    cmd->add_flag("--json", o->json, "Print one JSON object with text and metrics");
    o->quant.add_to(cmd);
    cmd->add_option("--cache-dir", o->cache_dir, "Cache quantize-at-load results here");
    o->draft.add_to(cmd);
    cmd->callback([o, prompt, prefix, suffix] {
        o->fill_in_the_middle = prefix->count() + suffix->count() > 0;
        if (prompt->count() == 0 && !o->fill_in_the_middle) {
            throw q8::EngineError("generate needs -p TEXT, or --fim-prefix/--fim-suffix");
        }
        run(*o);
    });
}

}  // namespace q8bench
