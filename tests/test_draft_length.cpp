// The speed rule for the draft length, fed measured costs: it keeps speculating while the target
// verifies several tokens for little more than one, pauses (k = 0) when plain decoding is faster,
// probes again after the pause, and never exceeds k_max or jumps past what it has measured; and it
// takes a looked-up draft when that is expected to pay more than the draft model's step.
#include <QtTest>

#include "draft_length.h"

namespace {

q8::SpeculativeOptions speed(int k_max = 8) {
    q8::SpeculativeOptions o;
    o.k_max = k_max;
    o.k_initial = 4;
    return o;
}

// Runs steps as the decoder would: drafting costs draft_s per token, verifying n tokens costs
// verify(n), and `accept(k)` drafts are accepted. Returns the k of each step.
template <typename Verify, typename Accept>
std::vector<int> run(q8::DraftLength& length, int steps, double draft_s, Verify verify, Accept accept) {
    std::vector<int> ks;
    for (int i = 0; i < steps; ++i) {
        const int k = length.next();
        ks.push_back(k);
        length.observe(k, k > 0 ? accept(k) : 0, k * draft_s, verify(k + 1));
    }
    return ks;
}

}  // namespace

class TestDraftLength : public QObject {
    Q_OBJECT

private slots:
    // A DRAM-bound target: verifying n tokens costs about one; a cheap draft that is usually right.
    void speculates_when_verification_amortizes() {
        q8::DraftLength length(speed());
        const auto ks = run(
            length, 60, 0.001, [](int n) { return 0.050 + 0.002 * n; }, [](int k) { return k - (k > 6 ? 1 : 0); });
        QVERIFY(std::count(ks.begin() + 10, ks.end(), 0) == 0);  // after the one plain probe, never paused
        QVERIFY(std::count(ks.begin(), ks.end(), 0) == 1);
        QVERIFY(*std::max_element(ks.begin(), ks.end()) <= 8);
        QVERIFY2(ks.back() >= 4, qPrintable(QString::number(ks.back())));
    }

    // A cache-resident target: verifying n tokens costs n plain steps, and the draft is not free.
    // Speculation cannot pay, so it pauses for 16 plain steps, probes once, and pauses again. The
    // draft reads the prompt at 1% of a plain step per token, so probing stays affordable.
    void pauses_when_the_draft_does_not_pay_and_probes_again() {
        q8::DraftLength length(speed());
        length.observe_catch_up(80, 80 * 0.00002);
        const auto ks = run(
            length, 60, 0.0005, [](int n) { return 0.002 * n; }, [](int k) { return k / 2; });
        const int paused = int(std::count(ks.begin(), ks.end(), 0));
        QVERIFY2(paused >= 45, qPrintable(QString::number(paused)));
        // Probes: speculative steps after the first pause began.
        const auto first_pause = std::find(ks.begin() + 4, ks.end(), 0);
        QVERIFY(first_pause != ks.end());
        QVERIFY(std::count_if(first_pause + 1, ks.end(), [](int k) { return k > 0; }) >= 2);
        // Each pause lasts 16 steps.
        QVERIFY(std::all_of(first_pause, first_pause + 16, [](int k) { return k == 0; }));
    }

    // The same pair, but the draft catches up at 5% of a plain step per token: each probe would
    // cost 5% of the pause before it, so after the warm-up speculation stays paused.
    void does_not_probe_when_catching_the_draft_up_costs_too_much() {
        q8::DraftLength length(speed());
        length.observe_catch_up(80, 80 * 0.0001);
        const auto ks = run(
            length, 120, 0.0005, [](int n) { return 0.002 * n; }, [](int k) { return k / 2; });
        const auto first_pause = std::find(ks.begin() + 4, ks.end(), 0);
        QVERIFY(first_pause != ks.end());
        QVERIFY(std::all_of(first_pause, ks.end(), [](int k) { return k == 0; }));
        // Short catch-ups (the token after a fully accepted step) do not change the estimate.
        for (int i = 0; i < 5; ++i) length.observe_catch_up(1, 0.000001);
        QCOMPARE(run(
                     length, 40, 0.0005, [](int n) { return 0.002 * n; }, [](int k) { return k / 2; }),
                 std::vector<int>(40, 0));
    }

    // A lookup is tried as soon as one is available, kept while it is accepted (it costs nothing to
    // propose), and left for the draft model once it is mostly rejected, until its record fades.
    void takes_a_lookup_while_it_pays() {
        q8::DraftLength length(speed());
        const auto verify = [](int n) { return 0.050 + 0.002 * n; };
        run(length, 10, 0.001, verify, [](int k) { return k - 1; });
        QVERIFY(length.next() > 0);
        QVERIFY(length.lookup_length(8) > 0);
        QVERIFY(length.lookup_length(8) <= 8);
        QCOMPARE(length.lookup_length(0), 0);
        for (int i = 0; i < 10; ++i) {
            const int k = length.lookup_length(8);
            QVERIFY(k > 0);
            length.observe_lookup(k, k, verify(k + 1));
        }
        QVERIFY(length.lookup_length(8) >= 4);
        for (int i = 0; i < 10; ++i) length.observe_lookup(4, 0, verify(5));
        QCOMPARE(length.lookup_length(8), 0);
        run(length, 150, 0.001, verify, [](int k) { return k - 1; });
        QVERIFY(length.lookup_length(8) > 0);
    }

    // With speculation paused (a cache-resident target), a lookup still has to beat a plain step.
    void a_paused_lookup_must_beat_a_plain_step() {
        q8::DraftLength length(speed());
        const auto verify = [](int n) { return 0.002 * n; };
        run(length, 10, 0.0005, verify, [](int k) { return k / 2; });
        QCOMPARE(length.next(), 0);
        for (int i = 0; i < 10; ++i) length.observe_lookup(2, 0, verify(3));
        QCOMPARE(length.lookup_length(8), 0);
    }

    // The acceptance rule ignores timing, as before: one more after a full acceptance.
    void the_acceptance_rule_ignores_costs() {
        q8::SpeculativeOptions o = speed();
        o.policy = q8::SpeculativeOptions::Policy::Acceptance;
        q8::DraftLength length(o);
        const auto ks = run(
            length, 6, 1.0, [](int n) { return 10.0 * n; }, [](int k) { return k; });
        QCOMPARE(ks, (std::vector<int>{4, 5, 6, 7, 8, 8}));
    }
};

QTEST_GUILESS_MAIN(TestDraftLength)
#include "test_draft_length.moc"
