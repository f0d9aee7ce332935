#pragma once
// Chooses the next token from logits: repetition penalty, then temperature, top-k, top-p and min-p
// filtering, then a draw from a seeded generator (same seed, same output). Temperature <= 0 is
// greedy (argmax; ties go to the lowest id).
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace q8 {

struct SamplingParams {
    float temperature = 0.8f;
    int top_k = 40;               // <= 0: off
    float top_p = 0.95f;          // >= 1: off
    float min_p = 0.05f;          // <= 0: off; keeps tokens with p >= min_p * p_max
    float repeat_penalty = 1.1f;  // 1: off
    int repeat_last_n = 64;       // how many recent tokens the penalty looks at
    uint64_t seed = 0;
    // Added to the logit of a token before anything else (e.g. -inf bans it, +inf forces it).
    std::vector<std::pair<int32_t, float>> logit_bias;

    // Throws EngineError naming the bad parameter.
    void validate() const;
    static SamplingParams greedy();
};

class Sampler {
public:
    explicit Sampler(const SamplingParams& p);

    // history: tokens so far (prompt and generated), for the repetition penalty.
    int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

    // The probability distribution sample() draws from (after all filters), for tests and for
    // speculative decoding. Zero for filtered-out tokens.
    std::vector<float> distribution(std::span<const float> logits, std::span<const int32_t> history) const;

    // Draws an id from a distribution (as returned by distribution()) with this sampler's generator.
    int32_t draw(std::span<const float> probs);
    // A uniform draw in [0, 1) from the same generator (speculative acceptance tests).
    double uniform();

    const SamplingParams& params() const { return p_; }

private:
    SamplingParams p_;
    std::mt19937_64 rng_;
};

int32_t argmax(std::span<const float> logits);

}  // namespace q8
