// `q8bench bench`: a llama-bench-style table. For each configuration, prompt evaluation (ppN) and
// greedy generation (tgN) in tokens/s over repetitions, and for generation the weight bandwidth it
// achieved against DRAM read bandwidth measured in the same run (the decode roofline).
#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>

#include "commands.h"
#include "cpu_features.h"
#include "draft_options.h"
#include "engine_error.h"
#include "generator.h"
#include "memory_bandwidth.h"
#include "model.h"
#include "prompt_arith_option.h"
#include "quant_options.h"

namespace q8bench {

namespace {

struct BenchOptions {
    std::string model;
    std::string configs = "native";
    int n_prompt = 128;
    int n_gen = 64;
    int threads = 0;
    int reps = 3;
    size_t bandwidth_mib = 4096;
    std::string prompt_arith = "bf16";
    bool json = false;
    DraftCliOptions draft;
    std::string prompt = "def fibonacci(n):\n";
    QuantCliOptions quant;
};

struct Stats {
    double mean = 0, sd = 0;
};

Stats stats(const std::vector<double>& v) {
    Stats s;
    for (double x : v) s.mean += x;
    s.mean /= double(v.size());
    for (double x : v) s.sd += (x - s.mean) * (x - s.mean);
    s.sd = v.size() > 1 ? std::sqrt(s.sd / double(v.size() - 1)) : 0.0;
    return s;
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    for (std::string item; std::getline(ss, item, ',');) {
        if (!item.empty()) out.push_back(item);
    }
    return out;
}

void run(BenchOptions o) {
    bool any_spec = false;
    for (const std::string& c : split(o.configs)) any_spec = any_spec || QuantCliOptions::is_speculative(c);
    use_builtin_when_unnamed(o.model, o.draft, any_spec);
    if (o.reps < 1 || o.n_prompt < 0 || o.n_gen < 0)
        throw q8::EngineError("repetitions must be >= 1 and token counts >= 0");
    q8::ThreadPool probe_pool(o.threads > 0 ? o.threads : q8::default_thread_count());
    // The roofline probe must not crowd out the model: at most a third of the available memory.
    const uint64_t avail = q8::available_memory_bytes();
    size_t probe_bytes = o.bandwidth_mib << 20;
    if (avail > 0) probe_bytes = std::min<size_t>(probe_bytes, avail / 3);
    const q8::BandwidthResult bw = q8::measure_read_bandwidth(probe_pool, probe_bytes);
    const int threads = probe_pool.size();

    nlohmann::json rows = nlohmann::json::array();
    for (const std::string& cfg_name : split(o.configs)) {
        const bool spec = QuantCliOptions::is_speculative(cfg_name);
        const auto model = q8::load_model(o.model, o.quant.load_options(cfg_name));
        uint64_t params = 0;
        for (const auto& t : model->file->tensors()) params += t.n_elements;
        q8::SessionOptions so;
        so.n_threads = threads;
        so.n_ctx = std::max<int64_t>(o.n_prompt, 0) + o.n_gen + 64;
        so.n_batch = std::max(o.n_prompt, 1);
        so.prompt_arithmetic = prompt_arithmetic(o.prompt_arith);
        q8::InferenceSession session(model, so);

        auto row = [&](const std::string& test, const std::vector<double>& ts) {
            const Stats s = stats(ts);
            nlohmann::json r{{"config", cfg_name},
                             {"model", o.model},
                             {"size_bytes", model->weight_bytes()},
                             {"n_params", params},
                             {"n_threads", threads},
                             {"test", test},
                             {"avg_ts", s.mean},
                             {"stddev_ts", s.sd},
                             {"samples_ts", ts},
                             {"kernel_path", std::string(q8::isa_name(q8::active_isa()))}};
            return r;
        };

        if (o.n_prompt > 0) {
            std::mt19937 rng(42);
            std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(model->config.n_vocab - 1));
            std::vector<int32_t> tokens(static_cast<size_t>(o.n_prompt));
            for (auto& t : tokens) t = id(rng);
            std::vector<double> ts;
            for (int r = 0; r < o.reps; ++r) {
                session.truncate(0);
                const auto t0 = std::chrono::steady_clock::now();
                session.eval(tokens);
                ts.push_back(o.n_prompt / std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            }
            rows.push_back(row("pp" + std::to_string(o.n_prompt), ts));
        }
        if (o.n_gen > 0) {
            std::optional<Draft> draft;
            std::optional<q8::InferenceSession> draft_session;
            q8::SpeculativeSetup setup;
            if (spec) {
                draft = load_draft(o.draft, o.model, model, o.quant);
                q8::SessionOptions ds = so;
                ds.n_layers = draft->layers;
                draft_session.emplace(draft->model, ds);
                setup.draft = &*draft_session;
                setup.options.k_max = o.draft.k;
            }
            q8::GenerationRequest req;
            req.prompt = o.prompt;
            req.max_tokens = o.n_gen;
            req.sampling = q8::SamplingParams::greedy();
            for (int32_t eog : model->tokenizer.vocab().eog_ids) req.sampling.logit_bias.emplace_back(eog, -INFINITY);
            std::vector<double> ts;
            q8::SpecTotals totals;
            for (int r = 0; r < o.reps; ++r) {
                session.truncate(0);
                if (draft_session) draft_session->truncate(0);
                const auto res = q8::generate(session, req, {}, nullptr, spec ? &setup : nullptr);
                ts.push_back(res.metrics.decode_tokens_per_s);
                totals.steps += res.metrics.speculative.steps;
                totals.drafted += res.metrics.speculative.drafted;
                totals.accepted += res.metrics.speculative.accepted;
                totals.draft_s += res.metrics.speculative.draft_s;
                totals.verify_s += res.metrics.speculative.verify_s;
            }
            nlohmann::json r = row("tg" + std::to_string(o.n_gen), ts);
            const double gbps = stats(ts).mean * double(model->weight_bytes()) / 1e9;
            if (spec) {
                r["acceptance_rate"] = totals.acceptance_rate();
                r["mean_accepted"] = totals.mean_accepted();
                // Where a step's time goes: drafting k tokens against verifying them in one pass.
                if (totals.steps > 0) {
                    r["draft_ms_per_step"] = 1e3 * totals.draft_s / double(totals.steps);
                    r["verify_ms_per_step"] = 1e3 * totals.verify_s / double(totals.steps);
                }
                r["draft"] = draft->description;
            } else {
                r["gbps"] = gbps;
                r["roofline_pct"] = 100.0 * gbps / bw.gb_per_s;
            }
            r["bandwidth_gbps"] = bw.gb_per_s;
            rows.push_back(r);
        }
    }

    if (o.json) {
        std::cout << rows.dump(2) << "\n";
        return;
    }
    std::cout << "DRAM read bandwidth (same run, " << threads << " threads): " << bw.gb_per_s << " GB/s\n\n";
    std::cout << "| config | size MiB | params | threads | test | t/s | GB/s | % roofline | acceptance |\n";
    std::cout << "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n";
    for (const auto& r : rows) {
        char line[512];
        std::snprintf(
            line, sizeof line, "| %s | %.1f | %.2fM | %d | %s | %.2f ± %.2f | %s | %s | %s |\n",
            r["config"].get<std::string>().c_str(), r["size_bytes"].get<double>() / (1 << 20),
            r["n_params"].get<double>() / 1e6, r["n_threads"].get<int>(), r["test"].get<std::string>().c_str(),
            r["avg_ts"].get<double>(), r["stddev_ts"].get<double>(),
            r.contains("gbps") ? std::to_string(r["gbps"].get<double>()).substr(0, 5).c_str() : "",
            r.contains("roofline_pct") ? std::to_string(r["roofline_pct"].get<double>()).substr(0, 5).c_str() : "",
            r.contains("acceptance_rate") ? std::to_string(r["acceptance_rate"].get<double>()).substr(0, 5).c_str()
                                          : "");
        std::cout << line;
    }
}

}  // namespace

void add_bench_command(CLI::App& app) {
    auto* cmd =
        app.add_subcommand("bench", "Prompt and generation throughput per configuration, with the decode roofline");
    auto o = std::make_shared<BenchOptions>();
    cmd->add_option("-m,--model", o->model, "GGUF model file (default: the built-in demo pair)");
    cmd->add_option("--config", o->configs, "Comma-separated: native, fp16, q8, q4, and any of them with +spec")
        ->capture_default_str();
    cmd->add_option("-p,--n-prompt", o->n_prompt, "Prompt tokens (random ids) for the ppN test; 0 skips it")
        ->capture_default_str();
    cmd->add_option("-n,--n-gen", o->n_gen, "Generated tokens for the tgN test; 0 skips it")->capture_default_str();
    cmd->add_option("-t,--threads", o->threads, "Threads (0 = all cores)")->capture_default_str();
    cmd->add_option("-r,--repetitions", o->reps, "Repetitions of each test")->capture_default_str();
    cmd->add_option("--prompt", o->prompt, "Prompt text the tgN test continues")->capture_default_str();
    o->draft.add_to(cmd);
    add_prompt_arith_option(cmd, o->prompt_arith);
    cmd->add_option("--bandwidth-mib", o->bandwidth_mib, "Buffer of the same-run bandwidth probe (the roofline), MiB")
        ->capture_default_str();
    cmd->add_flag("--json", o->json, "Print a JSON list of rows");
    o->quant.add_to(cmd, false);
    cmd->callback([o] { run(*o); });
}

void add_bandwidth_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("bandwidth", "DRAM read bandwidth with all threads (the decode roofline)");
    auto threads = std::make_shared<int>(0);
    auto mib = std::make_shared<size_t>(4096);
    auto json = std::make_shared<bool>(false);
    cmd->add_option("-t,--threads", *threads, "Threads (0 = all cores)")->capture_default_str();
    cmd->add_option("--mib", *mib, "Buffer size in MiB (far above the last-level cache)")->capture_default_str();
    cmd->add_flag("--json", *json, "Print JSON");
    cmd->callback([=] {
        q8::ThreadPool pool(*threads > 0 ? *threads : q8::default_thread_count());
        const q8::BandwidthResult r = q8::measure_read_bandwidth(pool, *mib << 20);
        const nlohmann::json j{{"gbps", r.gb_per_s},
                               {"mean_gbps", r.mean_gb_per_s},
                               {"threads", r.threads},
                               {"bytes", r.bytes},
                               {"repetitions", r.repetitions}};
        if (*json) {
            std::cout << j.dump(2) << "\n";
        } else {
            std::cout << "read bandwidth: " << r.gb_per_s << " GB/s (best of " << r.repetitions << ", mean "
                      << r.mean_gb_per_s << ") with " << r.threads << " threads over " << (r.bytes >> 20) << " MiB\n";
        }
    });
}

}  // namespace q8bench
