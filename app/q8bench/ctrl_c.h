#pragma once
// While a CtrlCStops lives, Ctrl-C raises a flag the engine checks instead of killing the process,
// so a long run (generation, perplexity, synth, a comparison) stops cleanly and still reports what
// it measured or cleans up what it was writing.
#include <atomic>

namespace q8bench {

class CtrlCStops {
public:
    CtrlCStops();
    ~CtrlCStops();
    CtrlCStops(const CtrlCStops&) = delete;
    CtrlCStops& operator=(const CtrlCStops&) = delete;

    const std::atomic<bool>* flag() const;
    bool raised() const { return flag()->load(); }
};

}  // namespace q8bench
