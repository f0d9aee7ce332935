#include "history_lookup.h"

#include <algorithm>

namespace q8 {

std::vector<int32_t> lookup_continuation(std::span<const int32_t> history, size_t max_tokens) {
    const size_t len = history.size();
    for (size_t n = std::min(kLookupMaxNgram, len > 0 ? len - 1 : 0); n >= kLookupMinNgram; --n) {
        const auto suffix = history.last(n);
        // Latest first: the nearest repetition is the best guess of what comes next.
        for (size_t start = len - n; start-- > 0;) {
            if (!std::equal(suffix.begin(), suffix.end(), history.begin() + static_cast<std::ptrdiff_t>(start)))
                continue;
            std::vector<int32_t> proposal;
            for (size_t at = start + n; proposal.size() < max_tokens; ++at)
                proposal.push_back(at < len ? history[at] : proposal[at - len]);
            return proposal;
        }
    }
    return {};
}

}  // namespace q8
