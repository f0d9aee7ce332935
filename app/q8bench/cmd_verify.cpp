// `q8bench verify`: what verifying n drafted tokens costs against decoding one. Each round
// evaluates n = 1 .. max tokens after the same cached prompt, with the exact arithmetic speculative
// verification uses, and rolls the cache back; the sizes take turns within a round, so a noisy
// spell of the machine falls on all of them alike. The best round of each size is its cost.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include <q8/engine.h>

#include "commands.h"
#include "quant_options.h"
#include "request_options.h"
// Engine internals: tokens go straight into the inference session.
#include "inference_session.h"
#include "model.h"

namespace q8bench {

namespace {

struct VerifyOptions {
    std::string model;
    int max_tokens = 9;
    int context = 64;
    int rounds = 5;
    int threads = 0;
    bool json = false;
    QuantCliOptions quant;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t m = v.size() / 2;
    return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

void run(const VerifyOptions& o) {
    if (o.max_tokens < 1 || o.context < 1 || o.rounds < 1)
        throw q8::EngineError("--max-tokens, --context and --rounds must be at least 1");
    const auto model = q8::load_model(o.model, o.quant.load_options());
    q8::SessionOptions so;
    so.n_threads = o.threads;
    so.n_ctx = o.context + o.max_tokens;
    q8::InferenceSession session(model, so);

    std::mt19937 rng(7);
    std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(model->config.n_vocab - 1));
    std::vector<int32_t> tokens(static_cast<size_t>(o.context + o.max_tokens));
    for (auto& t : tokens) t = id(rng);
    session.eval(std::span(tokens).first(static_cast<size_t>(o.context)));

    const auto sizes = static_cast<size_t>(o.max_tokens);
    std::vector<std::vector<double>> ms(sizes);
    for (int r = 0; r < o.rounds; ++r) {
        for (size_t n = 1; n <= sizes; ++n) {
            const auto t0 = std::chrono::steady_clock::now();
            session.eval(std::span(tokens).subspan(static_cast<size_t>(o.context), n), true, nullptr,
                         q8::BatchArithmetic::Exact);
            ms[n - 1].push_back(1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            session.truncate(o.context);
        }
    }

    const double one = *std::min_element(ms[0].begin(), ms[0].end());
    nlohmann::json rows = nlohmann::json::array();
    for (size_t n = 1; n <= sizes; ++n) {
        const double best = *std::min_element(ms[n - 1].begin(), ms[n - 1].end());
        rows.push_back({{"tokens", n},
                        {"best_ms", best},
                        {"median_ms", median(ms[n - 1])},
                        {"samples_ms", ms[n - 1]},
                        {"cost_vs_one", best / one},
                        {"ms_per_token", best / double(n)}});
    }
    if (o.json) {
        nlohmann::json out = {{"model", o.model},
                              {"config", o.quant.config},
                              {"precision", model->precision},
                              {"threads", session.pool().size()},
                              {"context", o.context},
                              {"rounds", o.rounds},
                              {"kernel_path", q8::cpu_info().kernel_path},
                              {"rows", rows}};
        std::cout << out.dump(2) << "\n";
        return;
    }
    std::cout << "Verification cost, " << model->precision << ", " << session.pool().size() << " threads, best of "
              << o.rounds << " rounds after " << o.context << " cached tokens\n\n";
    std::cout
        << "| tokens | best ms | median ms | cost vs one | ms per token |\n| ---: | ---: | ---: | ---: | ---: |\n";
    for (const auto& r : rows) {
        std::printf("| %d | %.2f | %.2f | %.2fx | %.2f |\n", r["tokens"].get<int>(), r["best_ms"].get<double>(),
                    r["median_ms"].get<double>(), r["cost_vs_one"].get<double>(), r["ms_per_token"].get<double>());
    }
}

}  // namespace

void add_verify_command(CLI::App& app) {
    auto opts = std::make_shared<VerifyOptions>();
    CLI::App* cmd = app.add_subcommand(
        "verify", "What evaluating n drafted tokens in one pass costs against one token (speculative verification)");
    cmd->add_option("-m,--model", opts->model, "Target model (GGUF)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--max-tokens", opts->max_tokens, "Largest batch measured (k + 1 for a draft of k)")
        ->capture_default_str();
    cmd->add_option("--context", opts->context, "Tokens cached before the verified ones")->capture_default_str();
    cmd->add_option("-r,--rounds", opts->rounds, "Rounds; each measures every size once")->capture_default_str();
    cmd->add_option("-t,--threads", opts->threads, "Threads (0: every core)")->capture_default_str();
    cmd->add_flag("--json", opts->json, "Print JSON");
    opts->quant.add_to(cmd);
    cmd->callback([opts] { run(*opts); });
}

}  // namespace q8bench
