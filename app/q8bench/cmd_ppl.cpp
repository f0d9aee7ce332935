// `q8bench ppl -m MODEL --config fp16|q8|q4 -f TEXT [--ctx 512] [--json]`: perplexity of a text
// under one precision, by the windowing rule in quant/perplexity.h (llama.cpp's rule).
#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <q8/error.h>

#include "commands.h"
#include "cpu_features.h"
#include "ctrl_c.h"
#include "perplexity.h"
#include "quant_options.h"

namespace q8bench {

namespace {

struct PplOptions {
    std::string model, text_file;
    QuantCliOptions quant;
    int64_t ctx = 512;
    int64_t max_windows = 0;
    int threads = 0;
    std::string kv = "f16";
    bool json = false;
};

void run(const PplOptions& o) {
    std::ifstream in(o.text_file, std::ios::binary);
    if (!in) throw q8::EngineError(o.text_file + ": cannot open the text file");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string text = ss.str();

    const auto model = q8::load_model(o.model, o.quant.load_options());
    const std::vector<int32_t> tokens = q8::quant::perplexity_tokens(*model, text);
    q8::quant::PerplexityOptions po;
    po.ctx = o.ctx;
    po.n_threads = o.threads;
    po.max_windows = o.max_windows;
    po.kv_type = o.kv == "f32" ? q8::KvType::F32 : q8::KvType::F16;
    const CtrlCStops ctrl_c;
    po.cancel = ctrl_c.flag();
    if (!o.json) {
        po.progress = [](int64_t done, int64_t total) {
            std::cerr << "\rwindow " << done << "/" << total << std::flush;
        };
    }
    const q8::quant::PerplexityResult r = q8::quant::perplexity(model, tokens, po);
    if (!o.json) std::cerr << "\n";

    nlohmann::json j{
        {"model", o.model},
        {"config", o.quant.config},
        {"precision", model->precision},
        {"weight_formats", model->weight_format_summary()},
        {"weight_bytes", model->weight_bytes()},
        {"bits_per_weight", 8.0 * double(model->weight_bytes()) / double(model->weight_count())},
        {"text", o.text_file},
        {"ctx", o.ctx},
        {"kv_cache", o.kv},
        {"windowing",
         "non-overlapping windows of ctx tokens (BOS first when the vocabulary adds it); "
         "tokens ctx/2+1 .. ctx-1 of each window scored"},
        {"tokens", r.n_tokens},
        {"windows", r.n_windows},
        {"scored_tokens", r.n_scored},
        {"mean_nll", r.mean_nll},
        {"ppl", r.ppl},
        {"seconds", r.seconds},
        {"cancelled", r.cancelled},
        {"kernel_path", std::string(q8::isa_name(q8::active_isa()))},
    };
    if (o.json) {
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << "perplexity " << r.ppl << " over " << r.n_scored << " tokens (" << r.n_windows << " windows of "
                  << o.ctx << ", " << model->precision << ", " << r.seconds << " s)\n";
    }
}

}  // namespace

void add_ppl_command(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "ppl", "Perplexity of a text (llama.cpp's windowing: scores the second half of each window)");
    auto o = std::make_shared<PplOptions>();
    cmd->add_option("-m,--model", o->model, "GGUF model file")->required();
    cmd->add_option("-f,--file", o->text_file, "Text file (UTF-8)")->required();
    o->quant.add_to(cmd);
    cmd->add_option("-c,--ctx", o->ctx, "Window size in tokens")->capture_default_str();
    cmd->add_option("--chunks", o->max_windows, "Evaluate at most this many windows (0 = all)")->capture_default_str();
    cmd->add_option("-t,--threads", o->threads, "Threads (0 = all cores)")->capture_default_str();
    cmd->add_option("--kv", o->kv, "KV cache type")->check(CLI::IsMember({"f16", "f32"}))->capture_default_str();
    cmd->add_flag("--json", o->json, "Print one JSON object");
    cmd->callback([o] { run(*o); });
}

}  // namespace q8bench
