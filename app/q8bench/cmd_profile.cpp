// `q8bench profile`: where a forward pass spends its time, per kind of operation. Each pass
// evaluates the same tokens after the same cached context (one token: a decode step; several: a
// speculative verification, with its exact arithmetic, or with --prompt a prompt's batch, with the
// faster arithmetic prompts use) and rolls the cache back, so every pass does the same work; the
// first passes warm the caches and are not counted.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>

#include <q8/engine.h>

#include "commands.h"
#include "quant_options.h"
// Engine internals: the profile lives in the inference session.
#include "forward_profile.h"
#include "inference_session.h"
#include "model.h"

namespace q8bench {

namespace {

struct ProfileOptions {
    std::string model;
    int batch = 1;
    int passes = 32;
    int warmup = 4;
    int context = 64;
    int threads = 0;
    bool json = false;
    bool prompt = false;
    QuantCliOptions quant;
};

void run(const ProfileOptions& o) {
    if (o.batch < 1 || o.passes < 1 || o.context < 1 || o.warmup < 0)
        throw q8::EngineError("--batch, --passes and --context must be at least 1, --warmup at least 0");
    const auto model = q8::load_model(o.model, o.quant.load_options());
    q8::ForwardProfile profile;
    q8::SessionOptions so;
    so.n_threads = o.threads;
    so.n_ctx = o.context + o.batch;
    so.n_batch = std::max(o.context, o.batch);
    so.profile = &profile;
    q8::InferenceSession session(model, so);

    std::mt19937 rng(11);
    std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(model->config.n_vocab - 1));
    std::vector<int32_t> tokens(static_cast<size_t>(o.context + o.batch));
    for (auto& t : tokens) t = id(rng);
    session.eval(std::span(tokens).first(static_cast<size_t>(o.context)));
    const auto pass_tokens = std::span(tokens).subspan(static_cast<size_t>(o.context));
    const bool verification = o.batch > 1 && !o.prompt;
    const auto one_pass = [&] {
        session.eval(pass_tokens, verification, nullptr,
                     verification ? std::optional(q8::BatchArithmetic::Exact) : std::nullopt);
        session.truncate(o.context);
    };
    for (int i = 0; i < o.warmup; ++i) one_pass();
    profile.clear();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < o.passes; ++i) one_pass();
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const double per_pass = 1e3 / double(o.passes);
    const double counted = profile.total_seconds();
    nlohmann::json ops = nlohmann::json::array();
    for (size_t i = 0; i < q8::kForwardOpCount; ++i) {
        const double s = profile.seconds[i];
        ops.push_back({{"op", q8::forward_op_name(static_cast<q8::ForwardOp>(i))},
                       {"ms_per_pass", s * per_pass},
                       {"ms_per_token", s * per_pass / o.batch},
                       {"share", counted > 0 ? s / counted : 0.0}});
    }
    const nlohmann::json out = {{"model", o.model},
                                {"config", o.quant.config},
                                {"precision", model->precision},
                                {"threads", session.pool().size()},
                                {"tokens_per_pass", o.batch},
                                {"pass", verification  ? "verification"
                                         : o.batch > 1 ? "prompt"
                                                       : "decode"},
                                {"context", o.context},
                                {"passes", o.passes},
                                {"kernel_path", q8::cpu_info().kernel_path},
                                {"wall_ms_per_pass", wall * per_pass},
                                {"profiled_ms_per_pass", counted * per_pass},
                                {"ops", ops}};
    if (o.json) {
        std::cout << out.dump(2) << "\n";
        return;
    }
    std::printf("%s, %d threads, %d token%s per %s pass after %d cached, %d passes: %.2f ms per pass\n\n",
                model->precision.c_str(), session.pool().size(), o.batch, o.batch > 1 ? "s" : "",
                out["pass"].get<std::string>().c_str(), o.context, o.passes, wall * per_pass);
    std::printf("| operation | ms per pass | ms per token | share |\n| --- | ---: | ---: | ---: |\n");
    for (const auto& op : ops) {
        std::printf("| %s | %.3f | %.3f | %.1f%% |\n", op["op"].get<std::string>().c_str(),
                    op["ms_per_pass"].get<double>(), op["ms_per_token"].get<double>(),
                    100.0 * op["share"].get<double>());
    }
}

}  // namespace

void add_profile_command(CLI::App& app) {
    auto opts = std::make_shared<ProfileOptions>();
    CLI::App* cmd =
        app.add_subcommand("profile", "Time per operation kind of a decode step, a verification pass or a prompt");
    cmd->add_option("-m,--model", opts->model, "Model (GGUF)")->required()->check(CLI::ExistingFile);
    cmd->add_option("--batch", opts->batch, "Tokens per pass: 1 is a decode step, k + 1 verifies a draft of k")
        ->capture_default_str();
    cmd->add_option("--passes", opts->passes, "Passes counted")->capture_default_str();
    cmd->add_option("--warmup", opts->warmup, "Passes run first and not counted")->capture_default_str();
    cmd->add_option("--context", opts->context, "Tokens cached before each pass")->capture_default_str();
    cmd->add_option("-t,--threads", opts->threads, "Threads (0: every core)")->capture_default_str();
    cmd->add_flag("--prompt", opts->prompt,
                  "Evaluate the batch as a prompt (its arithmetic, last logits only) rather than as a verification");
    cmd->add_flag("--json", opts->json, "Print JSON");
    opts->quant.add_to(cmd);
    cmd->callback([opts] { run(*opts); });
}

}  // namespace q8bench
