// `q8bench fidelity -m MODEL -f TEXT [--calib FILE] [--json]`: one table of FP16 / Q8 / Q4
// variants of a float model: perplexity, change against FP16, weight size, bits per weight, top-1
// agreement with FP16 (quant/fidelity.h). `--outliers 50` runs the SmoothQuant ablation model.
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include <q8/error.h>

#include "calibration.h"
#include "commands.h"
#include "ctrl_c.h"
#include "fidelity.h"
#include "float_model.h"

namespace q8bench {

namespace {

struct FidelityCli {
    std::string model, text_file, calib_file;
    std::vector<std::string> variants;
    int64_t ctx = 512, chunks = 0, calib_tokens = 8192;
    int threads = 0;
    float alpha = -1.f, outliers = 0.f;
    int n_outlier_channels = 4;
    bool json = false;
};

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw q8::EngineError(path + ": cannot open the text file");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void run(const FidelityCli& c) {
    const auto model = q8::load_model(c.model);
    if (q8::quant::quantized_layer_matrix(*model->file) != nullptr) {
        throw q8::EngineError(c.model + " is already quantized; fidelity compares precisions of an F16/BF16/F32 model");
    }
    const std::vector<int32_t> tokens = q8::quant::perplexity_tokens(*model, read_text(c.text_file));
    q8::quant::FidelityOptions o;
    if (!c.variants.empty()) o.variants = c.variants;
    o.ppl.ctx = c.ctx;
    o.ppl.max_windows = c.chunks;
    o.ppl.n_threads = c.threads;
    const CtrlCStops ctrl_c;
    o.ppl.cancel = ctrl_c.flag();
    if (!c.calib_file.empty()) {
        o.calibration = q8::quant::calibration_tokens(*model, c.calib_file);
        o.calib_options.max_tokens = c.calib_tokens;
    }
    if (c.alpha >= 0.f) o.sq_alpha = c.alpha;
    if (c.outliers > 0.f) {
        o.outlier_factor = c.outliers;
        // Evenly spread channels, the same in every layer.
        for (int i = 0; i < c.n_outlier_channels; ++i)
            o.outlier_channels.push_back((2 * i + 1) * model->config.n_embd / (2 * c.n_outlier_channels));
    }
    if (!c.json) o.on_variant = [](const std::string& v) { std::cerr << "running " << v << "...\n"; };
    const auto rows = q8::quant::fidelity(model, tokens, o);
    if (c.json) {
        nlohmann::json j{{"model", c.model},        {"text", c.text_file},         {"ctx", c.ctx},
                         {"tokens", tokens.size()}, {"calibration", c.calib_file}, {"outlier_factor", c.outliers}};
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& r : rows) {
            arr.push_back({{"variant", r.variant},
                           {"description", r.description},
                           {"ppl", r.ppl},
                           {"delta_pct", r.delta_pct},
                           {"weight_bytes", r.weight_bytes},
                           {"bits_per_weight", r.bits_per_weight},
                           {"top1_agreement", r.top1_agreement},
                           {"scored_tokens", r.scored},
                           {"seconds", r.seconds}});
        }
        j["variants"] = arr;
        std::cout << j.dump(2) << "\n";
    } else {
        std::cout << q8::quant::fidelity_markdown(rows);
    }
}

}  // namespace

void add_fidelity_command(CLI::App& app) {
    auto* cmd =
        app.add_subcommand("fidelity", "Perplexity, size and top-1 agreement of FP16/Q8/Q4 variants of a model");
    auto c = std::make_shared<FidelityCli>();
    cmd->add_option("-m,--model", c->model, "GGUF model (F16, BF16 or F32 weights)")->required();
    cmd->add_option("-f,--file", c->text_file, "Evaluation text (UTF-8)")->required();
    cmd->add_option("--calib", c->calib_file, "Calibration text for the SmoothQuant variant (q8-sq runs only with it)");
    cmd->add_option("--calib-tokens", c->calib_tokens, "Calibration tokens used at most")->capture_default_str();
    cmd->add_option("--variants", c->variants,
                    "Variants in order, the first is the reference (default: fp16 q8 q8-a8 q8-sq q4 q4-g128 q4-asym "
                    "q4-a8; also q4-g64, q4-a8b, q4-a8b-head, q8-a8b, q8-sqp, q4-a8p)")
        ->delimiter(',')
        ->check(CLI::IsMember(q8::quant::fidelity_variant_names()));
    cmd->add_option("-c,--ctx", c->ctx, "Perplexity window")->capture_default_str();
    cmd->add_option("--chunks", c->chunks, "Windows at most (0 = all)")->capture_default_str();
    cmd->add_option("-t,--threads", c->threads, "Threads (0 = all cores)")->capture_default_str();
    cmd->add_option("--alpha", c->alpha, "Fixed SmoothQuant alpha (default: chosen per layer)");
    cmd->add_option("--outliers", c->outliers,
                    "Ablation: make a few activation channels this many times larger (weights compensated)");
    cmd->add_option("--outlier-channels", c->n_outlier_channels, "How many channels the ablation enlarges")
        ->capture_default_str();
    cmd->add_flag("--json", c->json, "Print JSON instead of a Markdown table");
    cmd->callback([c] { run(*c); });
}

}  // namespace q8bench
