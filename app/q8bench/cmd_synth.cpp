// `q8bench synth --shape NAME -o FILE`: a random-weight F16 model with the exact tensors and
// hyper-parameters of a real one (synth_shapes.cpp), so benchmarks, memory mapping and the loader
// can be exercised at full size without downloading a model. The text it generates is gibberish.
// With --from SMALL.gguf the file is instead a trained llama model embedded in the shape without
// changing its output (embed_model.h): full-size weight traffic, the small model's text.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <q8/error.h>

#include "commands.h"
#include "ctrl_c.h"
// Engine internals: synth writes tensors with the engine's GGUF writer.
#include "embed_model.h"
#include "gguf_writer.h"
#include "model_shapes.h"
#include "synth_model.h"
#include "synth_vocab.h"

namespace q8bench {

namespace {

struct SynthOptions {
    std::string shape;
    std::string output;
    std::string vocab;
    std::string from;
    uint64_t seed = 0;
};

constexpr double kGiB = double(1 << 30);

// Progress in tenths, as the file grows.
class TenthsReporter {
public:
    explicit TenthsReporter(double total_bytes) : total_(total_bytes) {}
    void at(double done_bytes) {
        const int tenths = static_cast<int>(10.0 * done_bytes / total_);
        if (tenths <= reported_) return;
        reported_ = tenths;
        spdlog::info("{:3d}%  {:.2f} of {:.2f} GiB", tenths * 10, done_bytes / kGiB, total_ / kGiB);
    }

private:
    double total_;
    int reported_ = 0;
};

void run_embedding(const SynthOptions& o, const q8::ModelShape& shape) {
    const double total = double(q8::embedded_model_bytes(o.from, shape));
    spdlog::info("{}: {} embedded in the {} shape ({:.2f} GiB), seed {}", o.output, o.from, shape.name, total / kGiB,
                 o.seed);
    TenthsReporter report(total);
    const CtrlCStops ctrl_c;
    q8::EmbedOptions options;
    options.seed = o.seed;
    options.progress = [&](float f) {
        report.at(double(f) * total);
        return !ctrl_c.raised();
    };
    const auto t0 = std::chrono::steady_clock::now();
    if (!q8::embed_model(o.from, shape, o.output, options))
        throw q8::EngineError(o.output + ": cancelled; nothing was written");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const nlohmann::json j{{"file", o.output}, {"shape", shape.name},
                           {"from", o.from},   {"bytes", std::filesystem::file_size(o.output)},
                           {"seed", o.seed},   {"seconds", std::round(seconds * 100.0) / 100.0}};
    std::cout << j.dump() << "\n";
}

void run(const SynthOptions& o) {
    const q8::ModelShape* shape = q8::find_model_shape(o.shape);
    if (shape == nullptr)
        throw q8::EngineError("unknown shape '" + o.shape + "' (known: " + q8::model_shape_names() + ")");
    q8::quant::GgufWriter::check_writable(o.output);
    if (!o.from.empty()) {
        if (!o.vocab.empty()) throw q8::EngineError("--vocab and --from exclude each other: --from keeps its own");
        run_embedding(o, *shape);
        return;
    }

    q8::quant::GgufWriter w;
    add_synth_hparams(w, *shape, o.seed);
    const SynthVocab vocab = add_synth_vocab(w, o.vocab, shape->n_vocab);
    const SynthTensors tensors = add_synth_tensors(w, *shape, o.seed);

    // Bytes written once tensor i is done, for progress that tracks time rather than tensor count
    // (the embedding table alone can be a quarter of the file).
    std::vector<uint64_t> done_after{0};
    for (uint64_t b : tensors.bytes) done_after.push_back(done_after.back() + b);
    const double total = double(done_after.back());
    spdlog::info("{}: {} ({} tensors, {} parameters, {:.2f} GiB of weights), seed {}", o.output, shape->name,
                 tensors.bytes.size(), tensors.parameters, total / kGiB, o.seed);
    TenthsReporter report(total);
    const CtrlCStops ctrl_c;
    const auto progress = [&](float f) {
        const auto i = static_cast<size_t>(std::lround(double(f) * double(tensors.bytes.size())));
        report.at(double(done_after[std::min(i, done_after.size() - 1)]));
        return !ctrl_c.raised();
    };

    const auto t0 = std::chrono::steady_clock::now();
    const bool complete = w.write(o.output, progress);
    if (!complete) throw q8::EngineError(o.output + ": cancelled; nothing was written");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const nlohmann::json j{{"file", o.output},
                           {"shape", shape->name},
                           {"bytes", std::filesystem::file_size(o.output)},
                           {"parameters", tensors.parameters},
                           {"vocabulary", vocab.source},
                           {"vocabulary_tokens", vocab.tokens},
                           {"padding_tokens", vocab.padding},
                           {"seed", o.seed},
                           {"seconds", std::round(seconds * 100.0) / 100.0}};
    std::cout << j.dump() << "\n";
}

}  // namespace

void add_synth_command(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "synth",
        "Write a random-weight F16 model with the tensors and hyper-parameters of a real one (for benchmarks)");
    cmd->footer(
        "Shapes: " + q8::model_shape_names() +
        ".\nHyper-parameters are those of each model's config.json, context length included (Llama-3.2-1B and "
        "Qwen2.5-1.5B: 131072, Qwen2.5-0.5B: 32768); the engine still allocates 4096 positions unless --ctx asks for "
        "more.\nPrints one JSON line (file, shape, bytes, parameters, ...) when done.");
    auto o = std::make_shared<SynthOptions>();
    cmd->add_option("--shape", o->shape, "Model shape to imitate (see the list below)")->required();
    cmd->add_option("-o,--output", o->output, "GGUF file to write (via a temporary file, renamed when complete)")
        ->required();
    cmd->add_option("--vocab", o->vocab,
                    "Vocabulary-only GGUF whose tokenizer.* keys are copied (e.g. ggml-vocab-llama-spm.gguf for "
                    "tinyllama-1.1b); a smaller vocabulary is padded with unused tokens to the shape's size, a larger "
                    "one is refused. Default: a built-in byte-fallback SentencePiece vocabulary");
    cmd->add_option("--from", o->from,
                    "A trained llama GGUF to embed in the shape without changing its output (same head size; the "
                    "shape at least as large everywhere): the file streams the shape's weights and writes the "
                    "small model's text, with its vocabulary");
    cmd->add_option("--seed", o->seed, "Random seed (the same seed writes the same file)")->capture_default_str();
    cmd->callback([o] {
        // Writing takes minutes at full size: progress is the point, so show it without -v.
        if (spdlog::get_level() > spdlog::level::info) spdlog::set_level(spdlog::level::info);
        run(*o);
    });
}

}  // namespace q8bench
