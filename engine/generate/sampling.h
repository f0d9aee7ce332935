#pragma once
// Chooses the next token from logits as SamplingParams (q8/sampling_params.h) say: repetition
// penalty, then temperature, top-k, top-p and min-p filtering, then a draw from a seeded generator
// (same seed, same output).
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <q8/sampling_params.h>

namespace q8 {

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
