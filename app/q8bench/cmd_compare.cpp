// `q8bench compare`: one prompt through FP16, Q8, Q4 and Q4+spec (q8::run_compare, the window's
// comparison too), printed as a Markdown table or one JSON object. Ctrl-C stops the comparison.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include <q8/engine.h>

#include "commands.h"
#include "ctrl_c.h"
#include "draft_options.h"
#include "request_options.h"

namespace q8bench {

namespace {

struct CompareOptions {
    std::string model;
    DraftCliOptions draft;  // its file, k and lookup switch: Q4+spec's draft
    std::string prompt;
    int64_t n_predict = 128;
    int threads = 0;
    int64_t warmup = q8::CompareRequest{}.warmup_tokens;
    bool json = false;
};

std::string config_name(const q8::CompareRow& row) { return std::string(q8::compare_config_name(row.config)); }

std::string agreement(const q8::CompareRow& row) {
    if (!row.compared_with_fp16) return "—";
    if (row.identical_to_fp16) return "identical";
    char s[96];
    std::snprintf(s, sizeof s, "differs from token %lld, %.0f%% match", static_cast<long long>(row.first_difference),
                  100.0 * row.matching_share);
    return s;
}

std::string table_line(const q8::CompareRow& row) {
    const std::string name = config_name(row);
    if (!row.ran) return "| " + name + " | — | — | — | — | — | — | — | not run: " + row.reason + " |\n";
    const q8::GenerationMetrics& m = row.result.metrics;
    const std::string acceptance =
        m.speculative.drafted > 0 ? std::to_string(m.speculative.acceptance_rate()).substr(0, 5) : "—";
    const std::string speedup =
        row.compared_with_fp16 ? std::to_string(row.speedup_vs_fp16).substr(0, 4) + "x" : std::string("—");
    char line[512];
    std::snprintf(line, sizeof line, "| %s | %.3f | %.1f | %.1f | %.1f | %.1f | %s | %s | %s |\n", name.c_str(),
                  m.time_to_first_token_s, m.prompt_tokens_per_s, m.decode_tokens_per_s,
                  double(m.peak_resident_bytes) / (1 << 20), double(row.weight_bytes) / (1 << 20), acceptance.c_str(),
                  speedup.c_str(), agreement(row).c_str());
    return line;
}

void print_table(const q8::CompareRequest& request, const std::vector<q8::CompareRow>& rows) {
    std::cout << request.max_tokens << " tokens per configuration, "
              << q8::compare_generation_request(request).sampling.describe() << ", model " << request.model_path
              << "\n\n";
    std::cout << "| config | first token s | prompt t/s | decode t/s | peak MiB | weights MiB | acceptance | "
                 "speed-up | agreement with fp16 |\n";
    std::cout << "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n";
    for (const q8::CompareRow& row : rows) std::cout << table_line(row);
}

void run(CompareOptions o) {
    use_builtin_when_unnamed(o.model, o.draft, true);
    q8::CompareRequest request;
    request.model_path = o.model;
    request.draft_path = o.draft.file;
    request.prompt = o.prompt;
    request.max_tokens = o.n_predict;
    request.n_threads = o.threads;
    request.warmup_tokens = o.warmup;
    request.speculative.k_max = o.draft.k;
    request.speculative.lookup = !o.draft.no_lookup;

    const std::vector<q8::CompareRow> rows = [&] {
        const CtrlCStops ctrl_c;
        return q8::run_compare(request, {}, ctrl_c.flag());
    }();

    if (o.json) {
        std::cout << q8::compare_json(request, rows) << "\n";
    } else {
        print_table(request, rows);
    }
}

}  // namespace

void add_compare_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("compare", "Run one prompt through FP16, Q8, Q4 and Q4+spec and compare them");
    auto o = std::make_shared<CompareOptions>();
    cmd->add_option("-m,--model", o->model, "GGUF model file (default: the built-in demo model and its draft)");
    cmd->add_option("--draft", o->draft.file, "Draft GGUF for Q4+spec (same vocabulary)");
    cmd->add_option("--draft-k", o->draft.k, "Q4+spec: most tokens drafted per step")->capture_default_str();
    cmd->add_flag("--no-lookup", o->draft.no_lookup,
                  "Q4+spec: draft with the draft model only, never with what followed the last tokens earlier in "
                  "the text");
    cmd->add_option("-p,--prompt", o->prompt, "Prompt text")->required();
    cmd->add_option("-n,--n-predict", o->n_predict, "Tokens each configuration generates")->capture_default_str();
    cmd->add_option("-t,--threads", o->threads, "Threads (0 = all cores)")->capture_default_str();
    cmd->add_option("--warmup", o->warmup, "Tokens of the untimed warm-up before each measured run (0: none)")
        ->capture_default_str();
    cmd->add_flag("--json", o->json, "Print one JSON object with every row");
    cmd->callback([o] { run(*o); });
}

}  // namespace q8bench
