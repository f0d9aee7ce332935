#pragma once
// One prompt through FP16, Q8, Q4 and Q4+spec in turn, so what quantization and speculative
// decoding buy shows side by side: the figures of each run (definitions in generation.h), the
// weights' size, the speed-up over FP16 and how far each output agrees with FP16's. `q8bench
// compare` and the window's compare mode run this.
//
// Runs are comparable: every configuration decodes greedily with a fixed seed and never stops at
// an end-of-generation token, so each generates exactly max_tokens from the same prompt, and the
// only differences are the weights' precision and the draft. Each configuration loads its model,
// runs one request and frees the model before the next, so one model's memory is held at a time.
// Speculative decoding keeps greedy output token for token, so Q4+spec's text equals Q4's.
//
//   speed-up        decode tokens/s divided by FP16's.
//   agreement       token ids compared position by position with FP16's output: identical, or
//                   the first position where they differ and the share of positions whose ids
//                   match (over the longer output).
//   peak memory     the resident high-water mark of the configuration's run, as for any request
//                   (generation.h); its weights are resident then, the previous one's freed.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "generation.h"

namespace q8 {

struct CompareRequest {
    std::string model_path;
    std::string draft_path;  // Q4+spec's draft; empty: that configuration does not run
    std::string prompt;
    int64_t max_tokens = 128;
    int n_threads = 0;  // 0: every core this process may use
    int64_t n_ctx = 0;  // 0: the model's training context, capped at 4096
    bool bf16_prompts = true;
    std::string cache_dir;  // quantize-at-load cache (LoadOptions::cache_dir)
};

enum class CompareConfig { Fp16, Q8, Q4, Q4Spec };
std::string_view compare_config_name(CompareConfig c);  // "fp16", "q8", "q4", "q4+spec"
// Every configuration, in the order run_compare runs them.
std::vector<CompareConfig> compare_configs();

struct CompareRow {
    CompareConfig config = CompareConfig::Fp16;
    bool ran = false;
    std::string reason;  // why it did not run: the engine's refusal, or "stopped"
    GenerationResult result;
    uint64_t weight_bytes = 0;  // weights in memory, the draft's included
    std::string precision;      // what the weights run as, e.g. "q4 g32 W4A16 + draft (native)"

    double speedup_vs_fp16 = 0;
    // Agreement with FP16. When either did not run, there is nothing to compare: compared_with_fp16
    // is false and the fields below keep their defaults.
    bool compared_with_fp16 = false;
    bool identical_to_fp16 = false;
    int64_t first_difference = -1;  // first position whose token differs; -1 when identical
    double matching_share = 0;      // positions with the same token / the longer output's length
};

struct CompareCallbacks {
    std::function<void(CompareConfig)> on_start;  // before its model loads
    std::function<void(CompareConfig, const TokenEvent&)> on_token;
    std::function<void(CompareConfig, const SpecStep&)> on_step;  // Q4+spec only
    std::function<void(const CompareRow&)> on_done;               // every row, those not run too
};

// The request each configuration runs: greedy, fixed seed, exactly max_tokens.
GenerationRequest compare_generation_request(const CompareRequest& request);

// Runs every configuration and returns one row each, in compare_configs() order. A configuration
// the engine refuses (a Q4_0 file cannot load as FP16; Q4+spec without a draft) is a row that did
// not run, with the reason. Raising cancel stops the whole comparison: the running configuration
// and every one after it are rows that did not run, with reason "stopped".
std::vector<CompareRow> run_compare(const CompareRequest& request, const CompareCallbacks& callbacks = {},
                                    const std::atomic<bool>* cancel = nullptr);

}  // namespace q8
