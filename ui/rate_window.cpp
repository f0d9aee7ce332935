#include "rate_window.h"

#include <algorithm>

namespace q8ui {

void RateWindow::restart(double start) {
    entries_.clear();
    last_ = start;
}

void RateWindow::add(double t, double amount) {
    // Sums are still asked for times from the previous amount on, so keep what a window ending
    // there holds; nothing older can count again.
    while (!entries_.empty() && entries_.front().t <= last_ - seconds_) entries_.pop_front();
    entries_.push_back(Entry{arrival_ == Arrival::SinceLast ? std::min(last_, t) : t, t, amount});
    last_ = t;
}

double RateWindow::sum(double t, double notBefore) const {
    const double from = std::max(t - seconds_, notBefore);
    double total = 0;
    for (const Entry& e : entries_) {
        if (e.from == e.t) {
            if (e.t > from && e.t <= t) total += e.amount;
            continue;
        }
        const double overlap = std::min(e.t, t) - std::max(e.from, from);
        if (overlap > 0) total += e.amount * overlap / (e.t - e.from);
    }
    return total;
}

double RateWindow::rate(double t, double notBefore) const {
    const double span = t - std::max(t - seconds_, notBefore);
    return span > 0 ? sum(t, notBefore) / span : 0.0;
}

}  // namespace q8ui
