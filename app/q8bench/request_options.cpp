#include "request_options.h"

namespace q8bench {

void SamplingCliOptions::add_to(CLI::App* cmd, bool with_ignore_eos) {
    cmd->add_option("--temp", params.temperature, "Temperature (0 = greedy)")->capture_default_str();
    cmd->add_option("--top-k", params.top_k, "Top-k (0 = off)")->capture_default_str();
    cmd->add_option("--top-p", params.top_p, "Top-p (1 = off)")->capture_default_str();
    cmd->add_option("--min-p", params.min_p, "Min-p (0 = off)")->capture_default_str();
    cmd->add_option("--repeat-penalty", params.repeat_penalty, "Repetition penalty (1 = off)")->capture_default_str();
    cmd->add_option("--repeat-last-n", params.repeat_last_n, "Tokens the penalty looks back over")
        ->capture_default_str();
    cmd->add_option("-s,--seed", params.seed, "Random seed")->capture_default_str();
    if (!with_ignore_eos) return;
    cmd->add_flag("--ignore-eos", ignore_eos, "Never end at an end-of-generation token (generate exactly n)");
}

void SessionCliOptions::add_to(CLI::App* cmd, bool with_ctx) {
    cmd->add_option("-t,--threads", threads, "Threads (0 = all cores)")->capture_default_str();
    if (with_ctx) {
        cmd->add_option("-c,--ctx", ctx, "Context size in tokens (0 = model's, at most 4096)")->capture_default_str();
    }
    cmd->add_option("--prompt-arith", prompt_arith,
                    "Prompt products: bf16 (oneDNN, AVX512-BF16/AMX where the CPU has them, else f32) or f32")
        ->check(CLI::IsMember({"bf16", "f32"}))
        ->capture_default_str();
}

q8::SessionConfig SessionCliOptions::config(const std::optional<Draft>& draft, const DraftCliOptions& options) const {
    q8::SessionConfig c;
    c.n_threads = threads;
    c.n_ctx = ctx;
    c.bf16_prompts = prompt_arith == "bf16";
    if (draft) {
        // A layer-limited self-draft runs over the target's own model.
        if (draft->layers == 0) c.draft = draft->model;
        c.draft_layers = draft->layers;
        c.speculative.k_max = options.k;
        c.speculative.policy = options.policy == "acceptance" ? q8::SpeculativeOptions::Policy::Acceptance
                                                              : q8::SpeculativeOptions::Policy::Speed;
        c.speculative.lookup = !options.no_lookup;
    }
    return c;
}

nlohmann::json metrics_json(const q8::GenerationResult& r) { return nlohmann::json::parse(q8::result_json(r)); }

nlohmann::json record_object(const q8::RunRecord& record) { return nlohmann::json::parse(q8::record_json(record)); }

}  // namespace q8bench
