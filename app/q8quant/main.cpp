// q8quant: quantize an F16/BF16/F32 GGUF model or a Hugging Face folder to Q8 (W8A8, optionally
// SmoothQuant) or Q4 (group-wise 4-bit, W4A16 or W4A8), or convert it to F16, writing a standard
// GGUF file (see quant/quantize_file.h and quant/convert_f16.h).
//
//   q8quant -m IN.gguf|HF_DIR -o OUT.gguf --type f16|q8|q4 [--group 32] [--act a16|a8]
//           [--smoothquant --calib FILE] [--alpha A] [--threads N] [--json]
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <iostream>
#include <nlohmann/json.hpp>

#include <q8/error.h>

#include "convert_f16.h"
#include "quantize_file.h"

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_sigint(int) { g_stop.store(true); }

// One line, redrawn in place: "write    [##########..........]  50%".
class ProgressBar {
public:
    explicit ProgressBar(bool enabled) : enabled_(enabled) {}
    void show(const std::string& stage, float f) {
        if (!enabled_) return;
        const int pct = static_cast<int>(f * 100.f + 0.5f);
        if (stage == stage_ && pct == pct_) return;
        if (stage != stage_ && !stage_.empty()) std::cerr << "\n";
        stage_ = stage;
        pct_ = pct;
        constexpr int kWidth = 30;
        const int fill = pct * kWidth / 100;
        std::cerr << "\r" << stage << std::string(10 - std::min<size_t>(9, stage.size()), ' ') << "["
                  << std::string(static_cast<size_t>(fill), '#') << std::string(static_cast<size_t>(kWidth - fill), '.')
                  << "] " << pct << "%" << std::flush;
    }
    void done() {
        if (enabled_ && !stage_.empty()) std::cerr << "\n";
    }

private:
    bool enabled_;
    std::string stage_;
    int pct_ = -1;
};

struct Cli {
    q8::quant::QuantizeFileOptions o;
    std::string type, act, act_policy = "dynamic";
    int group = 32;
    float alpha = -1.f;
    bool json = false;
};

void add_options(CLI::App& app, Cli& c) {
    q8::quant::QuantizeFileOptions& o = c.o;
    app.add_option("-m,--model", o.input, "Input GGUF model (F16, BF16 or F32 weights) or Hugging Face folder")
        ->required();
    app.add_option("-o,--output", o.output, "Output GGUF file (written to a temporary file, then renamed)")->required();
    app.add_option("--type", c.type, "f16 (conversion only), q8 or q4")
        ->required()
        ->check(CLI::IsMember({"f16", "q8", "q4"}));
    app.add_option("--group", c.group, "Q4: values per scale (32, 64, 128)")
        ->check(CLI::IsMember({32, 64, 128}))
        ->capture_default_str();
    app.add_option("--act", c.act,
                   "Activations at run time: a8 (int8 per token), a8b (int8 with one scale per 32 values; q8 keeps "
                   "plain Q8_0 weights) or a16 (float); default a8 for q8, a8b for q4")
        ->check(CLI::IsMember({"a8", "a8b", "a16"}));
    app.add_flag("--smoothquant", o.smoothquant, "Migrate activation outliers into the weights (needs --calib)");
    app.add_option("--calib", o.calib_file, "Calibration text file (UTF-8) for --smoothquant");
    app.add_option("--calib-tokens", o.calibration.max_tokens, "Calibration tokens used at most")
        ->capture_default_str();
    app.add_option("--alpha", c.alpha,
                   "SmoothQuant migration strength 0..1 for every layer (default: chosen per layer)");
    app.add_option("--act-policy", c.act_policy,
                   "int8 activations: dynamic (per token everywhere) or auto (per layer, static per-tensor scale where "
                   "calibration shows it costs little; needs --calib)")
        ->check(CLI::IsMember({"dynamic", "auto"}))
        ->capture_default_str();
    app.add_option("-t,--threads", o.n_threads, "Threads (0 = all cores)")->capture_default_str();
    app.add_flag("--json", c.json, "Print a JSON summary to stdout");
}

// Fills the quantizer's options from the parsed flags.
void resolve_options(Cli& c) {
    c.o.type = c.type == "q8" ? q8::Precision::Q8 : q8::Precision::Q4;
    c.o.group = c.group;
    const std::string act = !c.act.empty() ? c.act : c.type == "q8" ? "a8" : "a8b";
    c.o.int8_activations = act != "a16";
    c.o.act_blocks = act == "a8b";
    if (c.alpha >= 0.f) c.o.alpha = c.alpha;
    c.o.act_policy_auto = c.act_policy == "auto";
}

nlohmann::json smoothing_json(const q8::quant::SmoothingReport& s) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& layer : s.layers) {
        nlohmann::json row;
        for (int i = 0; i < q8::quant::kLinearInputs; ++i) {
            const auto& ch = layer[static_cast<size_t>(i)];
            row[q8::quant::linear_input_name(static_cast<q8::quant::LinearInput>(i))] = {
                {"alpha", ch.smoothed ? nlohmann::json(ch.alpha) : nlohmann::json(nullptr)},
                {"error", ch.error},
                {"error_unsmoothed", ch.error_unsmoothed}};
        }
        layers.push_back(row);
    }
    return layers;
}

nlohmann::json act_policy_json(const q8::quant::ActPolicyReport& p) {
    nlohmann::json layers = nlohmann::json::array();
    for (const auto& layer : p.layers) {
        nlohmann::json row;
        for (int i = 0; i < q8::quant::kLinearInputs; ++i) {
            const auto& c = layer[static_cast<size_t>(i)];
            row[q8::quant::linear_input_name(static_cast<q8::quant::LinearInput>(i))] = {
                {"policy", c.is_static ? "static" : "dynamic"},
                {"static_scale", c.static_scale},
                {"error_static", c.error_static},
                {"error_dynamic", c.error_dynamic},
                {"range_ratio", c.range_ratio}};
        }
        layers.push_back(row);
    }
    return layers;
}

nlohmann::json summary_json(const Cli& c, const q8::quant::QuantizeFileResult& r) {
    const q8::quant::QuantizeFileOptions& o = c.o;
    nlohmann::json j{{"input", o.input},
                     {"output", o.output},
                     {"type", c.type},
                     {"group", o.type == q8::Precision::Q4 ? c.group : 0},
                     {"activations", q8::quant::activations_hint(o)},
                     {"smoothquant", o.smoothquant},
                     {"output_bytes", r.output_bytes},
                     {"calibration_tokens", r.calibration_tokens},
                     {"seconds", r.seconds}};
    if (o.smoothquant) j["smoothing"] = smoothing_json(r.smoothing);
    if (o.act_policy_auto) {
        j["activation_policy"] = act_policy_json(r.act_policy);
        j["activation_policy_summary"] = r.act_policy.summary();
    }
    return j;
}

void print_summary(const q8::quant::QuantizeFileOptions& o, const q8::quant::QuantizeFileResult& r) {
    std::cerr << "wrote " << o.output << " (" << r.output_bytes << " bytes, " << r.seconds << " s)\n";
    if (o.act_policy_auto) {
        std::cerr << "activation policy per layer (attn, attn_out, ffn, down): " << r.act_policy.summary() << "\n";
        int l = 0;
        for (const auto& layer : r.act_policy.layers) {
            std::cerr << "  layer " << l++ << ":";
            for (const auto& c : layer) std::cerr << (c.is_static ? " static" : " dynamic");
            std::cerr << "\n";
        }
    }
    if (o.smoothquant) {
        std::cerr << "SmoothQuant alpha per layer (attn, attn_out, ffn, down; - = left unsmoothed):\n";
        int l = 0;
        for (const auto& layer : r.smoothing.layers) {
            std::cerr << "  layer " << l++ << ":";
            for (const auto& ch : layer) {
                if (ch.smoothed) {
                    std::cerr << " " << ch.alpha;
                } else {
                    std::cerr << " -";
                }
            }
            std::cerr << "\n";
        }
    }
}

// --type f16: a plain conversion; the quantization options do not apply to it.
int convert_f16(const Cli& c, ProgressBar& bar) {
    if (c.o.smoothquant || !c.act.empty() || c.act_policy != "dynamic") {
        std::cerr << "q8quant: --type f16 converts without quantizing; --act, --act-policy and --smoothquant do "
                     "not apply\n";
        return 2;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t bytes = q8::quant::convert_to_f16(c.o.input, c.o.output, [&](float f) {
        bar.show("write", f);
        return !g_stop.load();
    });
    bar.done();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (c.json) {
        std::cout << nlohmann::json{{"input", c.o.input},
                                    {"output", c.o.output},
                                    {"type", "f16"},
                                    {"output_bytes", bytes},
                                    {"seconds", seconds}}
                         .dump(2)
                  << "\n";
    } else {
        std::cerr << "wrote " << c.o.output << " (" << bytes << " bytes, " << seconds << " s)\n";
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    spdlog::set_default_logger(spdlog::stderr_color_st("q8quant"));
    spdlog::set_level(spdlog::level::warn);
    CLI::App app{
        "q8quant: quantize a GGUF model (F16/BF16/F32) or Hugging Face folder to Q8 (W8A8, SmoothQuant) or "
        "Q4 (group-wise 4-bit), or convert it to F16"};
    Cli c;
    add_options(app, c);
    CLI11_PARSE(app, argc, argv);
    resolve_options(c);
    if (c.o.alpha && !c.o.smoothquant) {
        std::cerr << "q8quant: --alpha only applies with --smoothquant\n";
        return 2;
    }
    ProgressBar bar(!c.json && ::isatty(STDERR_FILENO));
    c.o.progress = [&](const std::string& stage, float f) {
        bar.show(stage, f);
        return !g_stop.load();
    };
    std::signal(SIGINT, on_sigint);
    try {
        if (c.type == "f16") return convert_f16(c, bar);
        const auto r = q8::quant::quantize_file(c.o);
        bar.done();
        if (c.json) {
            std::cout << summary_json(c, r).dump(2) << "\n";
        } else {
            print_summary(c.o, r);
        }
    } catch (const q8::EngineError& e) {
        bar.done();
        std::cerr << "q8quant: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
