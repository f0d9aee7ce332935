#include "speculative.h"

#include <algorithm>
#include <chrono>

#include <q8/error.h>

#include "history_lookup.h"
#include "matmul.h"

namespace q8 {

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void check_draft_length(const SpeculativeOptions& o) {
    if (o.k_max < 1 || o.k_max > 64) throw EngineError("draft length must be between 1 and 64");
}
}  // namespace

void check_same_vocabulary(const Model& target, const Model& draft) {
    const Vocab& a = target.tokenizer.vocab();
    const Vocab& b = draft.tokenizer.vocab();
    const size_t n = std::min(a.tokens.size(), b.tokens.size());
    for (size_t i = 0; i < n; ++i) {
        if (a.tokens[i] != b.tokens[i]) {
            throw EngineError("the draft model's vocabulary differs from the target's at token id " +
                              std::to_string(i) + " ('" + b.tokens[i] + "' vs '" + a.tokens[i] + "')");
        }
    }
    if (a.tokens.size() != b.tokens.size()) {
        throw EngineError("the draft model's vocabulary differs from the target's at token id " + std::to_string(n) +
                          " (sizes " + std::to_string(b.tokens.size()) + " vs " + std::to_string(a.tokens.size()) +
                          ")");
    }
}

SpeculativeDecoder::SpeculativeDecoder(InferenceSession& target, InferenceSession& draft, Sampler& sampler,
                                       const SpeculativeOptions& options)
    : target_(target),
      draft_(draft),
      sampler_(sampler),
      length_((check_draft_length(options), options)),
      lookup_(options.lookup) {
    if (&target_.model() != &draft_.model()) check_same_vocabulary(target_.model(), draft_.model());
}

// Brings the draft's cache to exactly `tokens`, reusing the prefix it already holds.
bool SpeculativeDecoder::catch_up(std::span<const int32_t> tokens, const std::atomic<bool>* cancel) {
    const auto t0 = Clock::now();
    const auto have = draft_.tokens();
    size_t common = 0;
    while (common < have.size() && common < tokens.size() && have[common] == tokens[common]) ++common;
    draft_.truncate(static_cast<int64_t>(common));
    if (common == tokens.size()) return true;
    if (!draft_.eval(tokens.subspan(common), false, cancel)) return false;
    length_.observe_catch_up(static_cast<int>(tokens.size() - common), seconds_since(t0));
    return true;
}

bool SpeculativeDecoder::prefill(const std::vector<int32_t>& prompt, const std::atomic<bool>* cancel) {
    return catch_up(prompt, cancel);
}

bool SpeculativeDecoder::step(const std::vector<int32_t>& history, std::vector<int32_t>& out,
                              const std::atomic<bool>* cancel) {
    const int32_t last = history.back();
    // Room: the target evaluates last + k drafts; the draft evaluates last + k-1 drafts.
    const int64_t room =
        std::min(target_.n_ctx() - target_.n_past(), draft_.n_ctx() - (static_cast<int64_t>(history.size()) - 1)) - 1;
    if (room < 0) throw EngineError("speculative step with no room left in the context");
    if (lookup_) {
        std::vector<int32_t> proposal =
            lookup_continuation(history, static_cast<size_t>(std::min<int64_t>(length_.k_max(), room)));
        const int k = length_.lookup_length(static_cast<int>(proposal.size()));
        if (k > 0) {
            proposal.resize(static_cast<size_t>(k));
            return lookup_step(history, proposal, out, cancel);
        }
    }
    const int k_asked = length_.next();
    if (k_asked == 0) return plain_step(history, out, cancel);
    const int k = static_cast<int>(std::min<int64_t>(k_asked, room));

    // Draft k tokens, remembering the draft distribution q_i each was drawn from.
    const auto t_draft = Clock::now();
    std::vector<int32_t> drafted;
    std::vector<std::vector<float>> q;
    std::vector<int32_t> ctx(history);
    double sync_s = 0;
    if (k > 0) {
        // After a pause the draft catches up on what was decoded plainly: a cost of resuming,
        // not of drafting, so the draft-length policy does not see it.
        if (!catch_up(std::span(history).first(history.size() - 1), cancel)) return false;
        sync_s = seconds_since(t_draft);
        int32_t prev = last;
        for (int i = 0; i < k; ++i) {
            const int32_t one[1] = {prev};
            if (!draft_.eval(one, false, cancel)) return false;
            q.push_back(sampler_.distribution(draft_.logits(), ctx));
            prev = sampler_.draw(q.back());
            drafted.push_back(prev);
            ctx.push_back(prev);
        }
    }
    const double draft_s = seconds_since(t_draft);

    const auto t_verify = Clock::now();
    const int accepted = verify(history, drafted, q, out, cancel);
    if (accepted < 0) return false;
    const double verify_s = seconds_since(t_verify);

    length_.observe(k, accepted, draft_s - sync_s, verify_s);
    last_ = SpecStep{k_asked, k, accepted, accepted + 1, length_.next(), false, draft_s, verify_s};
    totals_.add(last_);
    return true;
}

bool SpeculativeDecoder::lookup_step(const std::vector<int32_t>& history, const std::vector<int32_t>& proposal,
                                     std::vector<int32_t>& out, const std::atomic<bool>* cancel) {
    const auto t0 = Clock::now();
    // Each looked-up token is proposed outright: a draft distribution that is all on it.
    const std::vector<std::vector<float>> outright(proposal.size());
    const int accepted = verify(history, proposal, outright, out, cancel);
    if (accepted < 0) return false;
    const double s = seconds_since(t0);
    const int k = static_cast<int>(proposal.size());
    length_.observe_lookup(k, accepted, s);
    last_ = SpecStep{k, k, accepted, accepted + 1, length_.next(), true, 0, s};
    totals_.add(last_);
    return true;
}

int SpeculativeDecoder::verify(const std::vector<int32_t>& history, const std::vector<int32_t>& drafted,
                               const std::vector<std::vector<float>>& q, std::vector<int32_t>& out,
                               const std::atomic<bool>* cancel) {
    // One target pass over [last, d1 .. dk] gives p_0 .. p_k.
    const int k = static_cast<int>(drafted.size());
    const auto nv = static_cast<size_t>(target_.model().config.n_vocab);
    std::vector<int32_t> batch{history.back()};
    batch.insert(batch.end(), drafted.begin(), drafted.end());
    const int64_t base = target_.n_past();
    // Exact: each drafted token scores as in plain decoding.
    if (!target_.eval(batch, true, cancel, BatchArithmetic::Exact)) {
        target_.truncate(base);
        return -1;
    }
    std::vector<int32_t> ctx(history);
    int accepted = 0;
    int32_t next = -1;
    for (int i = 0; i < k; ++i) {
        const std::vector<float> p = sampler_.distribution(target_.logits_row(static_cast<size_t>(i)), ctx);
        const auto d = static_cast<size_t>(drafted[static_cast<size_t>(i)]);
        const std::vector<float>& qi = q[static_cast<size_t>(i)];
        const auto q_of = [&](size_t j) { return qi.empty() ? (j == d ? 1.f : 0.f) : qi[j]; };
        const float qd = q_of(d);
        if (p[d] >= qd || sampler_.uniform() * double(qd) < double(p[d])) {
            ++accepted;
            ctx.push_back(drafted[static_cast<size_t>(i)]);
            continue;
        }
        // Rejected: resample from the part of p the draft under-covered.
        std::vector<float> residual(nv);
        double mass = 0;
        for (size_t j = 0; j < nv; ++j) {
            residual[j] = std::max(0.f, p[j] - q_of(j));
            mass += residual[j];
        }
        if (mass <= 0) {
            next = sampler_.draw(p);
        } else {
            for (float& v : residual) v = static_cast<float>(v / mass);
            next = sampler_.draw(residual);
        }
        break;
    }
    if (next < 0) {  // every draft accepted: the target's distribution after the last one
        next = sampler_.draw(sampler_.distribution(target_.logits_row(static_cast<size_t>(k)), ctx));
    }
    // The target keeps last + accepted drafts; the rejected positions are rolled back.
    target_.truncate(base + 1 + accepted);
    out.insert(out.end(), drafted.begin(), drafted.begin() + accepted);
    out.push_back(next);
    return accepted;
}

// Speculation paused: one token exactly as plain decoding makes it (generator.cpp), at its cost,
// which is the rate speculation has to beat.
bool SpeculativeDecoder::plain_step(const std::vector<int32_t>& history, std::vector<int32_t>& out,
                                    const std::atomic<bool>* cancel) {
    const auto t0 = Clock::now();
    const int32_t one[1] = {history.back()};
    if (!target_.eval(one, false, cancel)) return false;
    out.push_back(sampler_.sample(target_.logits(), history));
    const double s = seconds_since(t0);
    length_.observe(0, 0, 0, s);
    last_ = SpecStep{0, 0, 0, 1, length_.next(), false, 0, s};
    totals_.add(last_);
    return true;
}

void SpecTotals::add(const SpecStep& s) {
    ++steps;
    paused_steps += s.k == 0 ? 1 : 0;
    drafted += s.drafted;
    accepted += s.accepted;
    emitted += s.emitted;
    lookup_drafted += s.lookup ? s.drafted : 0;
    lookup_accepted += s.lookup ? s.accepted : 0;
    draft_s += s.draft_s;
    verify_s += s.verify_s;
}

void SpecTotals::add(const SpecTotals& t) {
    steps += t.steps;
    paused_steps += t.paused_steps;
    drafted += t.drafted;
    accepted += t.accepted;
    emitted += t.emitted;
    lookup_drafted += t.lookup_drafted;
    lookup_accepted += t.lookup_accepted;
    draft_s += t.draft_s;
    verify_s += t.verify_s;
}

}  // namespace q8
