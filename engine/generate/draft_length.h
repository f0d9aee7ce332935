#pragma once
// How many tokens the draft proposes next (SpeculativeOptions::policy).
//
// Speed, the default, picks the k that maximises expected tokens per second from what this
// machine measured in this request: the draft's cost per token, the target's cost to verify n
// tokens in one pass (by n), and the per-token acceptance probability a. A step of k drafts emits
// E(k) = 1 + a + ... + a^k tokens on average and costs k * draft + verify(k + 1); plain decoding
// (k = 0) emits one token for verify(1). When no k > 0 beats plain decoding, speculation pauses:
// the next steps decode plainly, and after a while one step probes speculation again, since the
// text (and so the acceptance) may have changed; a probe that does not pay doubles the next pause. A probe first
// makes the draft catch up on the tokens decoded plainly, so it is skipped (the pause goes on) when that catch-up
// costs more than a small share of what decoding those tokens took: a small target served from cache, whose draft
// is a sizeable fraction of its cost, would otherwise lose that share of every answer to probes that rarely pay.
// Sizes not measured yet are estimated by a straight line through the measured ones, and k moves at most one past
// the largest measured size per step, so every estimate is soon a measurement.
//
// Drafts looked up in the text so far (history_lookup.h) cost nothing to propose and have an
// acceptance of their own: under Speed a lookup of k is used when its expected rate, with that
// acceptance and the measured verification costs, beats the step the draft model would take (or a
// plain step while speculation is paused). The other rules use the draft model's k.
//
// Acceptance is the earlier rule, which depends on acceptance alone (so a seeded sampled answer is
// reproducible): one more after a fully accepted step, otherwise one more than was accepted.
#include <vector>

#include <q8/generation.h>

namespace q8 {

class DraftLength {
public:
    explicit DraftLength(const SpeculativeOptions& options);

    int next() const { return k_; }
    int k_max() const { return opt_.k_max; }
    // How many of `available` looked-up tokens to verify next instead of the draft model's step;
    // 0: take the draft model's step (or the plain one).
    int lookup_length(int available) const;
    // After each step: k drafted (0 for a plain step), how many were accepted, and the seconds
    // spent drafting (without bringing the draft up to date) and verifying.
    void observe(int k, int accepted, double draft_s, double verify_s);
    // Whenever the draft evaluates tokens it did not propose (the prompt, or the tokens decoded
    // during a pause) in one batch.
    void observe_catch_up(int tokens, double seconds);
    // After a step that verified k looked-up tokens.
    void observe_lookup(int k, int accepted, double verify_s);

private:
    // The k of the highest expected rate; 0 (plain decoding) only when allowed.
    int choose_by_speed(bool allow_plain) const;
    double verify_estimate(int n) const;  // seconds to verify n tokens in one pass
    int largest_measured() const;         // the largest k whose verification was measured
    double acceptance() const;
    double lookup_acceptance() const;
    double rate(int k, double acceptance, double draft_token_s) const;  // expected tokens per second
    bool catch_up_too_costly() const;

    SpeculativeOptions opt_;
    int k_;
    int steps_ = 0;
    int pause_left_ = 0;                              // plain steps left before speculation is probed again
    int pause_length_;                                // of the next pause
    bool probing_ = false;                            // this step probes speculation after a pause
    double draft_token_s_ = 0;                        // per drafted token, smoothed
    double catch_up_token_s_ = 0;                     // per token the draft catches up on in a batch, smoothed
    std::vector<double> verify_s_;                    // by batch size n = k + 1; 0: not measured
    double accepted_ = 0, trials_ = 0;                // decayed counts of accepted and judged drafts
    double lookup_accepted_ = 0, lookup_trials_ = 0;  // the same for looked-up drafts
};

}  // namespace q8
