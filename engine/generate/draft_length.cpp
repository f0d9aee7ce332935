#include "draft_length.h"

#include <algorithm>
#include <cmath>

namespace q8 {

namespace {

// Weight of the newest measurement in the smoothed costs: recent enough to follow the text, steady
// enough not to chase one noisy step.
constexpr double kNewest = 0.3;
// Decay of the acceptance counts per step.
constexpr double kKeep = 0.9;
// Steps of plain decoding before a paused speculation is tried again; each probe that does not
// pay doubles the next pause (up to the longest), since probing costs a catch-up of the draft.
constexpr int kPauseSteps = 16;
constexpr int kLongestPause = 256;
// Largest catch-up cost per token, as a share of a plain step, at which a paused speculation is
// still probed. A probe has to win back the catch-up of the whole pause; after a pause the measured
// costs say speculation loses, so a probe pays only when the text has become much easier, and then
// speculation gains a few tens of percent on a few dozen tokens.
constexpr double kProbeBudget = 0.02;
// Decay of the looked-up drafts' counts per step without a lookup. Slower than kKeep: with no
// lookup for a while the estimate returns to 1 and a lookup is tried again, and on text that does
// not repeat (a sampled answer) a retry that fails costs a verification of several tokens for one.
constexpr double kLookupKeep = 0.97;
// Before this many steps, k follows acceptance while the costs are measured.
constexpr int kWarmupSteps = 3;

double smooth(double old, double now) { return old > 0 ? old + kNewest * (now - old) : now; }

}  // namespace

DraftLength::DraftLength(const SpeculativeOptions& options)
    : opt_(options),
      k_(std::clamp(options.k_initial, 1, options.k_max)),
      pause_length_(kPauseSteps),
      verify_s_(static_cast<size_t>(options.k_max) + 2, 0.0) {}

double DraftLength::acceptance() const { return trials_ > 0 ? accepted_ / trials_ : 0.5; }
// One accepted draft more than was seen: with no recent lookups the estimate is 1, so a lookup is
// tried whenever one is available; steps without lookups let the counts decay back to that.
double DraftLength::lookup_acceptance() const { return (lookup_accepted_ + 1) / (lookup_trials_ + 1); }

double DraftLength::verify_estimate(int n) const {
    if (verify_s_[static_cast<size_t>(n)] > 0) return verify_s_[static_cast<size_t>(n)];
    // Least squares line through the measured sizes.
    double sn = 0, sv = 0, snn = 0, snv = 0, count = 0;
    for (size_t i = 1; i < verify_s_.size(); ++i) {
        if (verify_s_[i] <= 0) continue;
        sn += double(i), sv += verify_s_[i], snn += double(i * i), snv += double(i) * verify_s_[i], ++count;
    }
    if (count == 0) return 0;
    if (count == 1) return sv / sn * n;  // one size known: assume cost grows with the tokens
    const double slope = std::max(0.0, (count * snv - sn * sv) / (count * snn - sn * sn));
    const double intercept = (sv - slope * sn) / count;
    return std::max(intercept + slope * n, 1e-9);
}

bool DraftLength::catch_up_too_costly() const { return catch_up_token_s_ > kProbeBudget * verify_s_[1]; }

void DraftLength::observe_catch_up(int tokens, double seconds) {
    // A batch shorter than a pause (the one token after a fully accepted step) has a per-token
    // cost nearer the draft's decoding than what a probe's catch-up would cost.
    if (tokens >= kPauseSteps) catch_up_token_s_ = smooth(catch_up_token_s_, seconds / tokens);
}

double DraftLength::rate(int k, double acceptance, double draft_token_s) const {
    const double a = std::clamp(acceptance, 0.0, 0.999);
    const double emitted = (1.0 - std::pow(a, k + 1)) / (1.0 - a);
    return emitted / (k * draft_token_s + verify_estimate(k + 1));
}

int DraftLength::largest_measured() const {
    int largest = 0;
    for (int n = 2; n < int(verify_s_.size()); ++n)
        if (verify_s_[static_cast<size_t>(n)] > 0) largest = n - 1;
    return largest;
}

int DraftLength::choose_by_speed(bool allow_plain) const {
    int best = allow_plain ? 0 : 1;
    double best_rate = allow_plain ? rate(0, 0, 0) : 0.0;
    const int k_limit = std::clamp(largest_measured() + 1, 1, opt_.k_max);
    for (int k = 1; k <= k_limit; ++k) {
        const double r = rate(k, acceptance(), draft_token_s_);
        if (r > best_rate) best = k, best_rate = r;
    }
    return best;
}

int DraftLength::lookup_length(int available) const {
    const int limit = std::min(available, opt_.k_max);
    if (limit < 1) return 0;
    const bool by_speed =
        opt_.adaptive && opt_.policy == SpeculativeOptions::Policy::Speed && steps_ >= kWarmupSteps && verify_s_[1] > 0;
    if (!by_speed) return std::min(limit, std::max(k_, 1));
    const double plan = k_ > 0 ? rate(k_, acceptance(), draft_token_s_) : rate(0, 0, 0);
    int best = 0;
    double best_rate = plan;
    for (int k = 1; k <= std::min(limit, largest_measured() + 1); ++k) {
        const double r = rate(k, lookup_acceptance(), 0.0);
        if (r > best_rate) best = k, best_rate = r;
    }
    return best;
}

void DraftLength::observe_lookup(int k, int accepted, double verify_s) {
    verify_s_[static_cast<size_t>(k) + 1] = smooth(verify_s_[static_cast<size_t>(k) + 1], verify_s);
    lookup_accepted_ = kKeep * lookup_accepted_ + accepted;
    lookup_trials_ = kKeep * lookup_trials_ + accepted + (accepted < k ? 1 : 0);
}

void DraftLength::observe(int k, int accepted, double draft_s, double verify_s) {
    ++steps_;
    lookup_accepted_ *= kLookupKeep;
    lookup_trials_ *= kLookupKeep;
    verify_s_[static_cast<size_t>(k) + 1] = smooth(verify_s_[static_cast<size_t>(k) + 1], verify_s);
    if (k > 0) {
        draft_token_s_ = smooth(draft_token_s_, draft_s / k);
        // A step stops at its first rejection: `accepted` successes, then one failure if any.
        accepted_ = kKeep * accepted_ + accepted;
        trials_ = kKeep * trials_ + accepted + (accepted < k ? 1 : 0);
    }
    if (!opt_.adaptive) return;
    const bool by_acceptance = opt_.policy == SpeculativeOptions::Policy::Acceptance || steps_ < kWarmupSteps;
    if (by_acceptance) {
        if (k > 0) k_ = std::clamp(accepted == k ? k_ + 1 : accepted + 1, 1, opt_.k_max);
        return;
    }
    if (verify_s_[1] <= 0) {  // plain decoding not measured yet: one plain step, the rate to beat
        k_ = 0;
        return;
    }
    if (pause_left_ > 0) {
        // Paused: plain steps until the pause ends, then one step probes speculation again, since
        // the text (and so the acceptance) may have changed, unless catching the draft up would
        // cost more than a probe can win back.
        if (--pause_left_ == 0 && catch_up_too_costly()) pause_left_ = pause_length_;
        k_ = pause_left_ > 0 ? 0 : choose_by_speed(false);
        probing_ = pause_left_ == 0;
        return;
    }
    k_ = choose_by_speed(true);
    pause_length_ = k_ > 0 ? kPauseSteps : probing_ ? std::min(2 * pause_length_, kLongestPause) : pause_length_;
    if (k_ == 0) pause_left_ = pause_length_;
    probing_ = false;
}

}  // namespace q8
