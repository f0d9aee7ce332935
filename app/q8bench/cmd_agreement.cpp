// `q8bench agreement`: how often a draft model's next-token argmax equals the target's over a text
// (the ceiling on greedy speculative acceptance), window by window, with both models evaluating
// the same tokens.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <q8/error.h>

#include "commands.h"
#include "draft_options.h"
// Engine internals: agreement scores every position of a text in two inference sessions.
#include "inference_session.h"
#include "model.h"
#include "sampling.h"
#include "speculative.h"

namespace q8bench {

namespace {

struct AgreementOptions {
    std::string model;
    DraftCliOptions draft;
    std::string text_file;
    int64_t ctx = 512;
    int64_t max_windows = 20;
    int threads = 0;
    bool json = false;
};

void run(AgreementOptions o) {
    use_builtin_when_unnamed(o.model, o.draft, true);
    std::ifstream in(o.text_file, std::ios::binary);
    if (!in) throw q8::EngineError(o.text_file + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    const auto target = q8::load_model(o.model);
    const Draft draft = load_draft(o.draft, o.model, target, QuantCliOptions{});
    q8::check_same_vocabulary(*target, *draft.model);
    const std::vector<int32_t> tokens = target->tokenizer.encode(ss.str(), false, false);
    if (tokens.size() < 2) throw q8::EngineError(o.text_file + ": the text has fewer than 2 tokens");

    q8::SessionOptions so;
    so.n_ctx = o.ctx;
    so.n_threads = o.threads;
    so.n_batch = o.ctx;
    q8::InferenceSession ts(target, so);
    so.n_layers = draft.layers;
    q8::InferenceSession ds(draft.model, so);
    int64_t same = 0, total = 0, windows = 0;
    for (size_t at = 0; at + 1 < tokens.size() && windows < o.max_windows;
         at += static_cast<size_t>(o.ctx), ++windows) {
        const size_t n = std::min(tokens.size() - at, static_cast<size_t>(o.ctx));
        const std::span<const int32_t> w(tokens.data() + at, n);
        ts.truncate(0);
        ds.truncate(0);
        ts.eval(w, true);
        ds.eval(w, true);
        for (size_t i = 0; i < n; ++i) {
            same += q8::argmax(ts.logits_row(i)) == q8::argmax(ds.logits_row(i));
            ++total;
        }
    }
    const nlohmann::json j{{"target", o.model},
                           {"draft", draft.description},
                           {"text", o.text_file},
                           {"positions", total},
                           {"windows", windows},
                           {"ctx", o.ctx},
                           {"greedy_agreement", double(same) / double(total)}};
    if (o.json) {
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << "greedy agreement: " << 100.0 * double(same) / double(total) << "% of " << total << " positions ("
                  << windows << " windows of " << o.ctx << ")\n";
    }
}

}  // namespace

void add_agreement_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("agreement", "Share of positions where the draft's argmax equals the target's");
    auto o = std::make_shared<AgreementOptions>();
    cmd->add_option("-m,--model", o->model, "Target GGUF (default: the built-in demo target)");
    o->draft.add_to(cmd);
    cmd->add_option("-f,--file", o->text_file, "Text to evaluate")->required();
    cmd->add_option("-c,--ctx", o->ctx, "Window length in tokens")->capture_default_str();
    cmd->add_option("--windows", o->max_windows, "Most windows to evaluate")->capture_default_str();
    cmd->add_option("-t,--threads", o->threads, "Threads (0 = all cores)")->capture_default_str();
    cmd->add_flag("--json", o->json, "Print JSON");
    cmd->callback([o] { run(*o); });
}

}  // namespace q8bench
