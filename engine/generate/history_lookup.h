#pragma once
// Drafting by lookup in the text so far: when the last few tokens occurred before, what followed
// them then is proposed again. Greedy answers of small models fall into loops and code repeats its
// identifiers, and there such proposals are accepted far more often than the draft model's, at no
// cost but the verification. The target still verifies every proposal, so the output is unchanged.
#include <cstdint>
#include <span>
#include <vector>

namespace q8 {

// Up to `max_tokens` tokens that followed the latest earlier occurrence of the history's last
// n-gram, for the longest n in [kLookupMinNgram, kLookupMaxNgram] that occurred; empty when none
// did. A continuation that reaches the end of the history goes on copying from its own proposals,
// so a loop shorter than max_tokens is proposed round after round.
constexpr size_t kLookupMinNgram = 3;
constexpr size_t kLookupMaxNgram = 4;
std::vector<int32_t> lookup_continuation(std::span<const int32_t> history, size_t max_tokens);

}  // namespace q8
