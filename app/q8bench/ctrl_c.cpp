#include "ctrl_c.h"

#include <csignal>

namespace q8bench {

namespace {
std::atomic<bool> g_raised{false};
extern "C" void on_sigint(int) { g_raised.store(true); }
}  // namespace

CtrlCStops::CtrlCStops() {
    g_raised.store(false);
    std::signal(SIGINT, on_sigint);
}

CtrlCStops::~CtrlCStops() { std::signal(SIGINT, SIG_DFL); }

const std::atomic<bool>* CtrlCStops::flag() const { return &g_raised; }

}  // namespace q8bench
