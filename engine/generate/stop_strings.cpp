#include "stop_strings.h"

#include <algorithm>

namespace q8 {

StopStringFilter::StopStringFilter(std::vector<std::string> stops) : stops_(std::move(stops)) {
    std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
}

std::string StopStringFilter::push(const std::string& text) {
    if (stopped_) return {};
    held_ += text;
    // The stop string that completes first in the stream wins (smallest end, then smallest
    // start), so the result does not depend on how the text was split into pushes.
    size_t first = std::string::npos, first_end = std::string::npos;
    for (const auto& s : stops_) {
        const size_t at = held_.find(s);
        if (at == std::string::npos) continue;
        if (at + s.size() < first_end || (at + s.size() == first_end && at < first)) {
            first = at;
            first_end = at + s.size();
        }
    }
    if (first != std::string::npos) {
        stopped_ = true;
        std::string out = held_.substr(0, first);
        held_.clear();
        return out;
    }
    // Keep the longest tail of held_ that is a proper prefix of some stop string.
    size_t keep = 0;
    for (const auto& s : stops_) {
        for (size_t len = std::min(s.size() - 1, held_.size()); len > keep; --len) {
            if (held_.compare(held_.size() - len, len, s, 0, len) == 0) {
                keep = len;
                break;
            }
        }
    }
    std::string out = held_.substr(0, held_.size() - keep);
    held_.erase(0, held_.size() - keep);
    return out;
}

std::string StopStringFilter::flush() {
    std::string out;
    out.swap(held_);
    return stopped_ ? std::string() : out;
}

}  // namespace q8
