#pragma once
// Sums of timestamped amounts over a trailing time window, for smoothed rates: tokens arrive one
// by one in plain decoding but in bursts of several under speculative decoding, so an
// instantaneous rate would jump between zero and a spike.
#include <QtGlobal>
#include <deque>

namespace q8ui {

class RateWindow {
public:
    enum class Arrival {
        Instant,    // an amount counts at its timestamp (events such as speculative steps)
        SinceLast,  // an amount was produced over the time since the previous one (tokens), so a
                    // burst counts in proportion to the part of that time inside the window
    };

    RateWindow(double seconds, Arrival arrival) : seconds_(seconds), arrival_(arrival) {}

    double seconds() const { return seconds_; }

    // Forgets everything; with SinceLast, the first amount after this is spread from `start`.
    void restart(double start);
    // Timestamps must not decrease. Amounts that no later sum can count are dropped here, so
    // memory stays bounded by what one window holds. Sums are asked for times from the previous
    // amount's on.
    void add(double t, double amount);

    // The amount in (from, t], where from = max(t - seconds, notBefore).
    double sum(double t, double notBefore) const;
    // sum() divided by the span it covers (0 for an empty span).
    double rate(double t, double notBefore) const;

private:
    struct Entry {
        double from;  // == t for an instant amount
        double t;
        double amount;
    };
    double seconds_;
    Arrival arrival_;
    double last_ = 0;
    std::deque<Entry> entries_;
};

}  // namespace q8ui
