#include "sampling.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include <q8/error.h>

namespace q8 {

void SamplingParams::validate() const {
    if (!std::isfinite(temperature) || temperature < 0.f) throw EngineError("temperature must be a number >= 0");
    if (!(top_p > 0.f)) throw EngineError("top-p must be greater than 0");
    if (!(min_p >= 0.f && min_p <= 1.f)) throw EngineError("min-p must be between 0 and 1");
    if (!(repeat_penalty > 0.f)) throw EngineError("repetition penalty must be greater than 0");
    if (repeat_last_n < 0) throw EngineError("repeat-last-n must be >= 0");
    for (const auto& [id, bias] : logit_bias) {
        if (id < 0 || std::isnan(bias)) throw EngineError("logit bias for token " + std::to_string(id) + " is invalid");
    }
}

std::string SamplingParams::describe() const {
    auto num = [](float v) {
        std::string s = std::to_string(v);
        s.erase(s.find_last_not_of('0') + 1);
        if (s.back() == '.') s.pop_back();
        return s;
    };
    std::string d;
    if (is_greedy()) {
        d = "greedy";
    } else {
        d = "temp " + num(temperature);
        if (top_k > 0) d += ", top-k " + std::to_string(top_k);
        if (top_p < 1.f) d += ", top-p " + num(top_p);
        if (min_p > 0.f) d += ", min-p " + num(min_p);
        d += ", seed " + std::to_string(seed);
    }
    if (repeat_penalty != 1.f && repeat_last_n > 0) {
        d += ", repeat-penalty " + num(repeat_penalty) + " over " + std::to_string(repeat_last_n);
    }
    if (!logit_bias.empty()) d += ", " + std::to_string(logit_bias.size()) + " logit biases";
    return d;
}

SamplingParams SamplingParams::greedy() {
    SamplingParams p;
    p.temperature = 0.f;
    return p;
}

int32_t argmax(std::span<const float> logits) {
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

Sampler::Sampler(const SamplingParams& p) : p_(p), rng_(p.seed) { p_.validate(); }

namespace {

// Biased and penalised copy of the logits. The penalty divides positive logits and multiplies
// negative ones (the CTRL paper's rule), for each distinct token among the last n of history.
std::vector<float> penalised(std::span<const float> logits, std::span<const int32_t> history, const SamplingParams& p) {
    std::vector<float> l(logits.begin(), logits.end());
    for (const auto& [id, bias] : p.logit_bias) {
        if (id >= 0 && static_cast<size_t>(id) < l.size()) l[static_cast<size_t>(id)] += bias;
    }
    if (p.repeat_penalty == 1.f || p.repeat_last_n == 0) return l;
    const size_t n = std::min(history.size(), static_cast<size_t>(p.repeat_last_n));
    std::unordered_set<int32_t> seen(history.end() - static_cast<ptrdiff_t>(n), history.end());
    for (int32_t id : seen) {
        if (id < 0 || static_cast<size_t>(id) >= l.size()) continue;
        float& v = l[static_cast<size_t>(id)];
        v = v > 0.f ? v / p.repeat_penalty : v * p.repeat_penalty;
    }
    return l;
}

}  // namespace

std::vector<float> Sampler::distribution(std::span<const float> logits, std::span<const int32_t> history) const {
    std::vector<float> l = penalised(logits, history, p_);
    std::vector<float> probs(l.size(), 0.f);
    if (l.empty()) return probs;
    if (p_.temperature <= 0.f) {
        probs[static_cast<size_t>(argmax(l))] = 1.f;
        return probs;
    }
    // Candidates sorted by logit (stable on id, so ties are deterministic).
    std::vector<int32_t> idx(l.size());
    std::iota(idx.begin(), idx.end(), 0);
    size_t k = idx.size();
    if (p_.top_k > 0) k = std::min(k, static_cast<size_t>(p_.top_k));
    std::partial_sort(idx.begin(), idx.begin() + static_cast<ptrdiff_t>(k), idx.end(), [&](int32_t a, int32_t b) {
        return l[static_cast<size_t>(a)] > l[static_cast<size_t>(b)] ||
               (l[static_cast<size_t>(a)] == l[static_cast<size_t>(b)] && a < b);
    });
    idx.resize(k);
    std::vector<double> p(k);
    const double mx = l[static_cast<size_t>(idx[0])];
    double sum = 0.0;
    for (size_t i = 0; i < k; ++i) {
        p[i] = std::exp((double(l[static_cast<size_t>(idx[i])]) - mx) / double(p_.temperature));
        sum += p[i];
    }
    for (double& v : p) v /= sum;
    size_t keep = k;
    if (p_.top_p < 1.f) {
        double cum = 0.0;
        for (size_t i = 0; i < k; ++i) {
            cum += p[i];
            if (cum >= double(p_.top_p)) {
                keep = i + 1;
                break;
            }
        }
    }
    if (p_.min_p > 0.f) {
        const double floor = double(p_.min_p) * p[0];
        size_t m = 1;
        while (m < keep && p[m] >= floor) ++m;
        keep = m;
    }
    double kept = 0.0;
    for (size_t i = 0; i < keep; ++i) kept += p[i];
    for (size_t i = 0; i < keep; ++i) probs[static_cast<size_t>(idx[i])] = static_cast<float>(p[i] / kept);
    return probs;
}

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
    if (p_.temperature <= 0.f) {
        if (p_.repeat_penalty == 1.f && p_.logit_bias.empty()) return argmax(logits);
        return argmax(penalised(logits, history, p_));
    }
    return draw(distribution(logits, history));
}

double Sampler::uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

int32_t Sampler::draw(std::span<const float> probs) {
    double r = uniform();
    int32_t last_nonzero = 0;
    for (size_t i = 0; i < probs.size(); ++i) {
        if (probs[i] <= 0.f) continue;
        last_nonzero = static_cast<int32_t>(i);
        r -= probs[i];
        if (r < 0.0) return static_cast<int32_t>(i);
    }
    return last_nonzero;  // rounding left a sliver of probability: the last candidate takes it
}

}  // namespace q8
