#pragma once
// How the next token is chosen from the logits, as a request states it. The defaults are the
// common ones of local chat apps; the repetition penalty is off because it harms code, where
// tokens legitimately repeat. Every figure measured under sampling reports describe() with it,
// since speculative acceptance in particular depends on the sampling.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace q8 {

struct SamplingParams {
    float temperature = 0.8f;     // <= 0: greedy (argmax; ties go to the lowest id)
    int top_k = 40;               // <= 0: off
    float top_p = 0.95f;          // >= 1: off
    float min_p = 0.05f;          // <= 0: off; keeps tokens with p >= min_p * p_max
    float repeat_penalty = 1.0f;  // 1: off
    int repeat_last_n = 64;       // how many recent tokens the penalty looks at
    uint64_t seed = 0;
    // Added to the logit of a token before anything else (e.g. -inf bans it, +inf forces it).
    std::vector<std::pair<int32_t, float>> logit_bias;

    // Throws EngineError naming the bad parameter.
    void validate() const;
    bool is_greedy() const { return temperature <= 0.f; }
    // "greedy", or e.g. "temp 0.8, top-k 40, top-p 0.95, min-p 0.05, seed 7"; a repetition
    // penalty and logit biases are named when they are in effect.
    std::string describe() const;
    static SamplingParams greedy();
};

}  // namespace q8
