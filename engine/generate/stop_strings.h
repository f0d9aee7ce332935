#pragma once
// Streams text while watching for stop strings: text that might be the start of a stop string is
// held back until it is known not to be, so a stop string never reaches the screen.
#include <string>
#include <vector>

namespace q8 {

class StopStringFilter {
public:
    explicit StopStringFilter(std::vector<std::string> stops);

    // Adds text; returns what can be shown now. After a stop string appears, stopped() is true
    // and the returned text ends just before it.
    std::string push(const std::string& text);
    // Releases what was held back (at the end of generation).
    std::string flush();
    bool stopped() const { return stopped_; }

private:
    std::vector<std::string> stops_;
    std::string held_;
    bool stopped_ = false;
};

}  // namespace q8
