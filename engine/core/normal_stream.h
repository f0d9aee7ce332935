#pragma once
// Normally distributed values for synthetic weights, fast enough to fill a 1B-parameter model in
// seconds and identical for the same (seed, stream) on every machine: xoshiro256** seeded through
// splitmix64, Box-Muller in float. Not for anything that needs statistical or cryptographic quality.
#include <cmath>
#include <cstdint>
#include <numbers>

namespace q8 {

class NormalStream {
public:
    // Each stream (one per tensor) is independent, so tensors can be generated in any order.
    NormalStream(uint64_t seed, uint64_t stream, float stddev) : stddev_(stddev) {
        uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull);
        for (uint64_t& s : s_) s = splitmix64(x);
    }

    // Two values per draw; Box-Muller needs the pair anyway.
    void next_pair(float& a, float& b) {
        const uint64_t r = next();
        // 24-bit uniforms: u1 in (0, 1] so the log is finite, u2 in [0, 1).
        const float u1 = float((r >> 40) + 1) * 0x1p-24f;
        const float u2 = float((r >> 8) & 0xFFFFFFu) * 0x1p-24f;
        const float radius = stddev_ * std::sqrt(-2.f * std::log(u1));
        const float angle = 2.f * std::numbers::pi_v<float> * u2;
        a = radius * std::cos(angle);
        b = radius * std::sin(angle);
    }

private:
    static uint64_t splitmix64(uint64_t& x) {
        uint64_t z = (x += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    static uint64_t rotl(uint64_t v, int k) { return (v << k) | (v >> (64 - k)); }
    uint64_t next() {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    uint64_t s_[4];
    float stddev_;
};

}  // namespace q8
