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

#include <q8/engine.h>

#include "commands.h"
#include "draft_options.h"
#include "quant_options.h"
#include "request_options.h"
// Engine internals: the ppN test evaluates token ids directly and the roofline probes memory.
#include "inference_session.h"
#include "memory_bandwidth.h"
#include "model.h"

namespace q8bench {

namespace {

struct BenchOptions {
    std::string model;
    std::string configs = "native";
    int n_prompt = 128;
    int n_gen = 64;
    int reps = 3;
    size_t bandwidth_mib = 4096;
    bool json = false;
    SamplingCliOptions sampling;
    SessionCliOptions session;
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

// The roofline: DRAM read bandwidth in the same run, with a probe that must not crowd out the
// model (at most a third of the available memory).
q8::BandwidthResult measure_roofline(q8::ThreadPool& pool, size_t mib) {
    const uint64_t avail = q8::available_memory_bytes();
    size_t probe_bytes = mib << 20;
    if (avail > 0) probe_bytes = std::min<size_t>(probe_bytes, avail / 3);
    return q8::measure_read_bandwidth(pool, probe_bytes);
}

nlohmann::json make_row(const BenchOptions& o, const std::string& cfg, const q8::Model& model, int threads,
                        const std::string& test, const std::vector<double>& ts) {
    uint64_t params = 0;
    for (const auto& t : model.file->tensors()) params += t.n_elements;
    const Stats s = stats(ts);
    return {{"config", cfg},
            {"model", o.model},
            {"size_bytes", model.weight_bytes()},
            {"n_params", params},
            {"n_threads", threads},
            {"test", test},
            {"avg_ts", s.mean},
            {"best_ts", *std::max_element(ts.begin(), ts.end())},
            {"stddev_ts", s.sd},
            {"samples_ts", ts},
            {"kernel_path", q8::cpu_info().kernel_path}};
}

// ppN: random prompt ids evaluated in one batch, tokens/s per repetition.
std::vector<double> prompt_rates(const BenchOptions& o, const std::shared_ptr<const q8::Model>& model, int threads) {
    q8::SessionOptions so;
    so.n_threads = threads;
    so.n_ctx = o.n_prompt + 1;
    so.n_batch = o.n_prompt;
    so.prompt_arithmetic = o.session.prompt_arith == "f32" ? q8::BatchArithmetic::F32 : q8::BatchArithmetic::BF16;
    q8::InferenceSession session(model, so);
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
    return ts;
}

// One repetition of the tgN request in `session`, from an empty cache.
q8::GenerationResult generate_once(q8::Session& session, const q8::GenerationRequest& req) {
    session.clear_cache();
    return session.generate(req);
}

// tgN: the prompt text continued for exactly n_gen tokens through the request path `generate`
// uses, decode tokens/s per repetition; speculative figures summed over the repetitions. A
// speculative row also decodes each repetition without the draft, on the same loaded model just
// before: the two alternate, so that a change of the machine's memory bandwidth between runs (these
// VMs switch between two levels) reaches both, and its speed-up is best over best.
nlohmann::json generation_row(const BenchOptions& o, const std::string& cfg,
                              const std::shared_ptr<const q8::Model>& model, int threads, double roofline_gbps) {
    std::optional<Draft> draft;
    if (QuantCliOptions::is_speculative(cfg)) draft = load_draft(o.draft, o.model, model, o.quant);
    q8::GenerationRequest req;
    req.prompt = o.prompt;
    req.max_tokens = o.n_gen;
    req.sampling = o.sampling.params;
    req.ignore_end_of_generation = true;
    // The context holds this prompt and the answer, however long the prompt (the ppN test's length
    // is another prompt's); the margin keeps the last steps' drafts from being cut short by the
    // context's end, which a user's longer context would not do.
    const size_t prompt_tokens = model->tokenizer.encode(req.prompt, req.add_special, req.parse_special).size();
    SessionCliOptions so = o.session;
    so.threads = threads;
    so.ctx = static_cast<int64_t>(prompt_tokens) + o.n_gen + 64;
    q8::Session session(model, so.config(draft, o.draft));
    std::optional<q8::Session> plain;
    if (draft) plain.emplace(model, so.config(std::nullopt, o.draft));
    std::vector<double> ts, plain_ts;
    q8::SpecTotals totals;
    std::string sampling;
    for (int r = 0; r < o.reps; ++r) {
        if (plain) plain_ts.push_back(generate_once(*plain, req).metrics.decode_tokens_per_s);
        const q8::GenerationResult res = generate_once(session, req);
        ts.push_back(res.metrics.decode_tokens_per_s);
        totals.add(res.metrics.speculative);
        sampling = res.sampling;
    }
    nlohmann::json row = make_row(o, cfg, *model, threads, "tg" + std::to_string(o.n_gen), ts);
    row["sampling"] = sampling;
    row["record"] = record_object(q8::run_record(session, cfg));
    row["bandwidth_gbps"] = roofline_gbps;
    if (draft) {
        row["acceptance_rate"] = totals.acceptance_rate();
        row["mean_accepted"] = totals.mean_accepted();
        row["tokens_per_step"] = totals.tokens_per_step();
        row["lookup_drafted"] = totals.lookup_drafted;
        row["lookup_accepted"] = totals.lookup_accepted;
        // Where a step's time goes: drafting k tokens against verifying them in one pass.
        if (totals.steps > 0) {
            row["draft_ms_per_step"] = 1e3 * totals.draft_s / double(totals.steps);
            row["verify_ms_per_step"] = 1e3 * totals.verify_s / double(totals.steps);
        }
        row["draft"] = draft->description;
        row["plain_samples_ts"] = plain_ts;
        row["speedup_vs_plain"] = row["best_ts"].get<double>() / *std::max_element(plain_ts.begin(), plain_ts.end());
    } else {
        const double gbps = stats(ts).mean * double(model->weight_bytes()) / 1e9;
        row["gbps"] = gbps;
        row["roofline_pct"] = 100.0 * gbps / roofline_gbps;
    }
    return row;
}

std::string figure(const nlohmann::json& r, const char* key) {
    return r.contains(key) ? std::to_string(r[key].get<double>()).substr(0, 5) : "";
}

void print_table(const nlohmann::json& rows, const q8::BandwidthResult& bw, int threads) {
    std::cout << "DRAM read bandwidth (same run, " << threads << " threads): " << bw.gb_per_s << " GB/s\n\n";
    std::cout << "| config | size MiB | params | threads | test | t/s | best t/s | GB/s | % roofline | acceptance | "
                 "vs plain | sampling |\n";
    std::cout << "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n";
    for (const auto& r : rows) {
        char line[512];
        std::snprintf(
            line, sizeof line, "| %s | %.1f | %.2fM | %d | %s | %.2f ± %.2f | %.2f | %s | %s | %s | %s | %s |\n",
            r["config"].get<std::string>().c_str(), r["size_bytes"].get<double>() / (1 << 20),
            r["n_params"].get<double>() / 1e6, r["n_threads"].get<int>(), r["test"].get<std::string>().c_str(),
            r["avg_ts"].get<double>(), r["stddev_ts"].get<double>(), r["best_ts"].get<double>(),
            figure(r, "gbps").c_str(), figure(r, "roofline_pct").c_str(), figure(r, "acceptance_rate").c_str(),
            figure(r, "speedup_vs_plain").c_str(), r.value("sampling", std::string()).c_str());
        std::cout << line;
    }
}

void run(BenchOptions o) {
    const std::vector<std::string> configs = split(o.configs);
    const bool any_spec = std::any_of(configs.begin(), configs.end(), QuantCliOptions::is_speculative);
    use_builtin_when_unnamed(o.model, o.draft, any_spec);
    if (o.reps < 1 || o.n_prompt < 0 || o.n_gen < 0) {
        throw q8::EngineError("repetitions must be >= 1 and token counts >= 0");
    }
    q8::ThreadPool probe_pool(o.session.threads > 0 ? o.session.threads : q8::default_thread_count());
    const q8::BandwidthResult bw = measure_roofline(probe_pool, o.bandwidth_mib);
    const int threads = probe_pool.size();

    nlohmann::json rows = nlohmann::json::array();
    for (const std::string& cfg : configs) {
        const auto model = q8::load_model(o.model, o.quant.load_options(cfg));
        if (o.n_prompt > 0) {
            nlohmann::json row =
                make_row(o, cfg, *model, threads, "pp" + std::to_string(o.n_prompt), prompt_rates(o, model, threads));
            row["record"] =
                record_object(q8::run_record(q8::model_info(*model), nullptr, threads, o.n_prompt + 1, cfg));
            rows.push_back(std::move(row));
        }
        if (o.n_gen > 0) rows.push_back(generation_row(o, cfg, model, threads, bw.gb_per_s));
    }
    if (o.json) {
        std::cout << rows.dump(2) << "\n";
    } else {
        print_table(rows, bw, threads);
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
    cmd->add_option("-r,--repetitions", o->reps, "Repetitions of each test")->capture_default_str();
    cmd->add_option("--prompt", o->prompt, "Prompt text the tgN test continues")->capture_default_str();
    o->draft.add_to(cmd);
    o->session.add_to(cmd, false);
    o->sampling.params = q8::SamplingParams::greedy();
    o->sampling.add_to(cmd, false);
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
