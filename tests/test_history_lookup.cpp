// Drafts looked up in the text so far: the latest earlier occurrence of the longest trailing
// n-gram, what followed it, and loops shorter than the proposal continued from the proposal.
#include <QtTest>

#include "history_lookup.h"

using Tokens = std::vector<int32_t>;

class TestHistoryLookup : public QObject {
    Q_OBJECT

private slots:
    void nothing_repeated_proposes_nothing() {
        QCOMPARE(q8::lookup_continuation(Tokens{1, 2, 3, 4, 5, 6, 7}, 4), Tokens{});
        QCOMPARE(q8::lookup_continuation(Tokens{1, 2, 3}, 4), Tokens{});
        QCOMPARE(q8::lookup_continuation(Tokens{}, 4), Tokens{});
        // A bigram is too short to go on.
        QCOMPARE(q8::lookup_continuation(Tokens{1, 2, 9, 8, 1, 2}, 4), Tokens{});
    }

    void proposes_what_followed_the_latest_occurrence() {
        // 5 6 7 occurred twice: the later one was followed by 11.
        QCOMPARE(q8::lookup_continuation(Tokens{5, 6, 7, 10, 5, 6, 7, 11, 12, 0, 5, 6, 7}, 2), (Tokens{11, 12}));
    }

    void prefers_the_longer_ngram() {
        // The trigram 2 3 4 occurred last before 20, but the four tokens 1 2 3 4 only before 30.
        QCOMPARE(q8::lookup_continuation(Tokens{1, 2, 3, 4, 30, 9, 2, 3, 4, 20, 1, 2, 3, 4}, 1), Tokens{30});
    }

    void a_short_loop_goes_round() {
        QCOMPARE(q8::lookup_continuation(Tokens{7, 8, 9, 7, 8, 9}, 7), (Tokens{7, 8, 9, 7, 8, 9, 7}));
        QCOMPARE(q8::lookup_continuation(Tokens{4, 4, 4, 4}, 3), (Tokens{4, 4, 4}));
    }

    void proposes_at_most_what_was_asked() {
        QCOMPARE(q8::lookup_continuation(Tokens{1, 2, 3, 4, 5, 6, 1, 2, 3}, 2), (Tokens{4, 5}));
        QCOMPARE(q8::lookup_continuation(Tokens{1, 2, 3, 4, 5, 6, 1, 2, 3}, 0), Tokens{});
    }
};

QTEST_GUILESS_MAIN(TestHistoryLookup)
#include "test_history_lookup.moc"
