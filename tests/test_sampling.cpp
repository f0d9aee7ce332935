// Sampler: greedy is argmax with ties to the lowest id; seeds make draws reproducible;
// distribution() applies temperature, top-k, top-p, min-p and the repetition penalty exactly as a
// hand computation on tiny logit vectors says; sample() draws from distribution() (chi-square);
// SamplingParams::validate() refuses bad values.
#include <QtTest>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include <q8/error.h>

#include "sampling.h"

using q8::Sampler;
using q8::SamplingParams;

Q_DECLARE_METATYPE(SamplingParams)
Q_DECLARE_METATYPE(std::vector<double>)
Q_DECLARE_METATYPE(std::vector<int32_t>)

namespace {

// No filters, no penalty: the plain softmax of logits / temperature.
SamplingParams plain(float temperature = 1.0f) {
    SamplingParams p;
    p.temperature = temperature;
    p.top_k = 0;
    p.top_p = 1.0f;
    p.min_p = 0.0f;
    p.repeat_penalty = 1.0f;
    p.seed = 1;
    return p;
}

std::vector<double> softmax(const std::vector<double>& l) {
    double mx = -std::numeric_limits<double>::infinity();
    for (double v : l) mx = std::max(mx, v);
    std::vector<double> p(l.size());
    double sum = 0;
    for (size_t i = 0; i < l.size(); ++i) sum += p[i] = std::exp(l[i] - mx);
    for (double& v : p) v /= sum;
    return p;
}

QString show(const std::vector<float>& v) {
    QStringList parts;
    for (float f : v) parts << QString::number(double(f), 'g', 8);
    return QStringLiteral("{") + parts.join(QStringLiteral(", ")) + QStringLiteral("}");
}

bool near(const std::vector<float>& got, const std::vector<double>& want, double tol, QString* why) {
    if (got.size() != want.size()) {
        *why = QStringLiteral("size %1, want %2").arg(got.size()).arg(want.size());
        return false;
    }
    for (size_t i = 0; i < got.size(); ++i) {
        // A filtered-out token must be exactly 0, not merely small.
        const bool ok = want[i] == 0.0 ? got[i] == 0.0f : std::fabs(double(got[i]) - want[i]) <= tol;
        if (!ok) {
            QStringList w;
            for (double d : want) w << QString::number(d, 'g', 8);
            *why = QStringLiteral("token %1: got %2, want %3\n  got  %4\n  want {%5}")
                       .arg(i)
                       .arg(double(got[i]), 0, 'g', 8)
                       .arg(want[i], 0, 'g', 8)
                       .arg(show(got), w.join(QStringLiteral(", ")));
            return false;
        }
    }
    return true;
}

// Upper 0.1% points of the chi-square distribution, by degrees of freedom.
double chi2_critical_001(int df) {
    static const std::array<double, 9> t{0, 10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124};
    return df >= 1 && df < static_cast<int>(t.size()) ? t[static_cast<size_t>(df)] : 0.0;
}

}  // namespace

class TestSampling : public QObject {
    Q_OBJECT

private slots:
    // ------------------------------------------------------------ greedy

    void greedy() {
        QCOMPARE(q8::argmax(std::vector<float>{1.f, 3.f, 3.f, 2.f}), 1);
        QCOMPARE(q8::argmax(std::vector<float>{0.f, 0.f, 0.f}), 0);
        QCOMPARE(q8::argmax(std::vector<float>{-5.f, -1.f, -3.f, -1.f}), 1);
        QCOMPARE(q8::argmax(std::vector<float>{-std::numeric_limits<float>::infinity(), -1e30f, 7.f}), 2);
        QCOMPARE(q8::argmax(std::vector<float>{4.f}), 0);

        const std::vector<float> logits{0.5f, 2.f, -1.f, 2.f, 1.99f};
        const std::vector<int32_t> none;
        for (uint64_t seed : {0ull, 1ull, 99ull}) {
            SamplingParams p = SamplingParams::greedy();
            p.seed = seed;
            Sampler s(p);
            for (int i = 0; i < 20; ++i) QCOMPARE(s.sample(logits, none), 1);
            QCOMPARE(s.distribution(logits, none), (std::vector<float>{0.f, 1.f, 0.f, 0.f, 0.f}));
        }
        // Temperature 0 is greedy whatever the filters say.
        SamplingParams p = plain(0.0f);
        p.top_k = 3;
        p.top_p = 0.5f;
        p.min_p = 0.9f;
        Sampler s(p);
        QCOMPARE(s.sample(logits, none), 1);

        // With a penalty, greedy picks the argmax of the penalised logits.
        SamplingParams g = SamplingParams::greedy();
        g.repeat_penalty = 1.5f;
        Sampler sg(g);
        const std::vector<float> two{2.0f, 1.9f};
        QCOMPARE(sg.sample(two, std::vector<int32_t>{0}), 1);  // 2.0 / 1.5 < 1.9
        QCOMPARE(sg.sample(two, std::vector<int32_t>{}), 0);
        QCOMPARE(sg.distribution(two, std::vector<int32_t>{0}), (std::vector<float>{0.f, 1.f}));
    }

    // ------------------------------------------------------------ seeds

    void seeds() {
        std::mt19937 g(5);
        std::vector<float> logits(100);
        for (float& l : logits) l = std::uniform_real_distribution<float>(-3.f, 3.f)(g);
        const std::vector<int32_t> history{1, 2, 3};
        auto draw = [&](uint64_t seed) {
            SamplingParams p = plain(1.0f);
            p.seed = seed;
            Sampler s(p);
            std::vector<int32_t> out;
            for (int i = 0; i < 300; ++i) out.push_back(s.sample(logits, history));
            return out;
        };
        const std::vector<int32_t> a = draw(42);
        QCOMPARE(draw(42), a);  // same seed, same sequence
        const std::vector<int32_t> b = draw(43);
        int differ = 0;
        for (size_t i = 0; i < a.size(); ++i) differ += a[i] != b[i];
        QVERIFY2(differ > 100,
                 qPrintable(QStringLiteral("seeds 42 and 43 differ in only %1 of 300 draws").arg(differ)));
        // The draws are spread over many tokens (not stuck on one).
        QVERIFY(std::set<int32_t>(a.begin(), a.end()).size() > 30);
    }

    // ------------------------------------------------------------ filters, by hand

    // Logits are ln(w) for weights w = {3, 1, 4, 2}, so at temperature 1 the probabilities are
    // w / 10 and every filtered distribution is a ratio of small integers.
    void distribution_data() {
        QTest::addColumn<SamplingParams>("params");
        QTest::addColumn<std::vector<double>>("want");
        auto row = [](const char* name, SamplingParams p, std::vector<double> w) { QTest::newRow(name) << p << w; };
        const double r2 = std::sqrt(2.0), r3 = std::sqrt(3.0);
        SamplingParams p;

        row("t=1 no filters", plain(), {.3, .1, .4, .2});
        p = plain(), p.top_k = 10;
        row("top_k larger than vocab", p, {.3, .1, .4, .2});
        p = plain(), p.top_k = 2;
        row("top_k=2", p, {3. / 7, 0, 4. / 7, 0});
        p = plain(), p.top_k = 1;
        row("top_k=1", p, {0, 0, 1, 0});
        p = plain(), p.top_p = 0.65f;  // 0.4 < 0.65 <= 0.4 + 0.3
        row("top_p=0.65", p, {3. / 7, 0, 4. / 7, 0});
        p = plain(), p.top_p = 0.75f;  // 0.7 < 0.75 <= 0.9
        row("top_p=0.75", p, {3. / 9, 0, 4. / 9, 2. / 9});
        p = plain(), p.top_p = 0.3f;  // the top token alone already covers it
        row("top_p=0.3", p, {0, 0, 1, 0});
        p = plain(), p.min_p = 0.6f;  // floor 0.24: keeps 0.4, 0.3
        row("min_p=0.6", p, {3. / 7, 0, 4. / 7, 0});
        p = plain(), p.min_p = 0.45f;  // floor 0.18: keeps 0.4, 0.3, 0.2
        row("min_p=0.45", p, {3. / 9, 0, 4. / 9, 2. / 9});
        p = plain(), p.min_p = 1.0f;
        row("min_p=1", p, {0, 0, 1, 0});
        row("t=0.5", plain(0.5f), {9. / 30, 1. / 30, 16. / 30, 4. / 30});  // p ~ w^2
        const double s2 = 1 + r2 + r3 + 2;
        row("t=2", plain(2.0f), {r3 / s2, 1 / s2, 2 / s2, r2 / s2});  // p ~ sqrt(w)
        p = plain(0.5f), p.top_k = 3;
        row("t=0.5 top_k=3", p, {9. / 29, 0, 16. / 29, 4. / 29});
        p = plain(0.5f), p.top_p = 0.8f;  // 16/30 < 0.8 <= 25/30
        row("t=0.5 top_p=0.8", p, {9. / 25, 0, 16. / 25, 0});
        p = plain(0.5f), p.min_p = 0.2f;  // floor 3.2/30: keeps 16, 9, 4
        row("t=0.5 min_p=0.2", p, {9. / 29, 0, 16. / 29, 4. / 29});
        // top-p sees the top-k survivors renormalised: {4, 3, 2} / 9 -> 4/9 < 0.75 <= 7/9.
        p = plain(), p.top_k = 3, p.top_p = 0.75f;
        row("top_k=3 then top_p=0.75", p, {3. / 7, 0, 4. / 7, 0});
        // Both: top-p 0.85 would keep {4, 3, 2}, min-p 0.6 (floor 0.24) only {4, 3}; the tighter wins.
        p = plain(), p.top_p = 0.85f, p.min_p = 0.6f;
        row("top_p=0.85 with min_p=0.6", p, {3. / 7, 0, 4. / 7, 0});
        p = plain(), p.top_p = 0.65f, p.min_p = 0.45f;
        row("top_p=0.65 with min_p=0.45", p, {3. / 7, 0, 4. / 7, 0});
        row("t=0 greedy", plain(0.0f), {0, 0, 1, 0});
    }
    void distribution() {
        QFETCH(SamplingParams, params);
        QFETCH(std::vector<double>, want);
        const std::vector<float> logits{std::log(3.f), std::log(1.f), std::log(4.f), std::log(2.f)};
        Sampler s(params);
        const std::vector<float> got = s.distribution(logits, std::vector<int32_t>{});
        QString why;
        QVERIFY2(near(got, want, 1e-6, &why), qPrintable(why));
        double sum = 0;
        for (float v : got) sum += v;
        QVERIFY(std::fabs(sum - 1.0) < 1e-6);
    }

    // Equal logits: top-k keeps the lowest ids.
    void ties() {
        const std::vector<float> logits{std::log(1.f), std::log(2.f), std::log(2.f), std::log(2.f)};
        SamplingParams p = plain();
        p.top_k = 1;
        QString why;
        QVERIFY2(near(Sampler(p).distribution(logits, {}), {0, 1, 0, 0}, 1e-6, &why), qPrintable(why));
        p.top_k = 2;
        QVERIFY2(near(Sampler(p).distribution(logits, {}), {0, .5, .5, 0}, 1e-6, &why), qPrintable(why));
    }

    // ------------------------------------------------------------ repetition penalty

    // Logits {2, -2, 1, 0.5, -1, 0} at temperature 1, no filters: for each distinct token among
    // the last repeat_last_n of history, a positive logit is divided by the penalty and a negative
    // one multiplied. Expected: the softmax of the logits penalised here by hand.
    void repetition_penalty_data() {
        QTest::addColumn<float>("penalty");
        QTest::addColumn<int>("last_n");
        QTest::addColumn<std::vector<int32_t>>("history");
        QTest::addColumn<std::vector<double>>("penalised");
        using H = std::vector<int32_t>;
        using L = std::vector<double>;
        QTest::newRow("both signs") << 2.f << 64 << H{0, 1, 0} << L{1, -4, 1, .5, -1, 0};
        QTest::newRow("only the last n") << 2.f << 2 << H{2, 3, 0, 1} << L{1, -4, 1, .5, -1, 0};
        QTest::newRow("last 1") << 2.f << 1 << H{0, 1} << L{2, -4, 1, .5, -1, 0};
        QTest::newRow("repeats penalised once") << 2.f << 64 << H{0, 0, 0, 0} << L{1, -2, 1, .5, -1, 0};
        QTest::newRow("history shorter than n") << 4.f << 64 << H{3} << L{2, -2, 1, .125, -1, 0};
        QTest::newRow("penalty < 1 encourages") << .5f << 64 << H{0, 1} << L{4, -1, 1, .5, -1, 0};
        QTest::newRow("last_n 0 is off") << 2.f << 0 << H{0, 1} << L{2, -2, 1, .5, -1, 0};
        QTest::newRow("penalty 1 is off") << 1.f << 64 << H{0, 1} << L{2, -2, 1, .5, -1, 0};
        QTest::newRow("zero logit unchanged") << 3.f << 64 << H{5, 4} << L{2, -2, 1, .5, -3, 0};
        QTest::newRow("ids outside the vocab ignored") << 2.f << 64 << H{-1, 6, 1000} << L{2, -2, 1, .5, -1, 0};
        QTest::newRow("empty history") << 2.f << 64 << H{} << L{2, -2, 1, .5, -1, 0};
    }
    void repetition_penalty() {
        QFETCH(float, penalty);
        QFETCH(int, last_n);
        QFETCH(std::vector<int32_t>, history);
        QFETCH(std::vector<double>, penalised);
        SamplingParams p = plain();
        p.repeat_penalty = penalty;
        p.repeat_last_n = last_n;
        const std::vector<float> logits{2.f, -2.f, 1.f, .5f, -1.f, 0.f};
        const std::vector<float> got = Sampler(p).distribution(logits, history);
        QString why;
        QVERIFY2(near(got, softmax(penalised), 1e-6, &why), qPrintable(why));
    }

    // ------------------------------------------------------------ sample() draws from distribution()

    // 20000 draws with a fixed seed; Pearson's chi-square over the tokens distribution() gives a
    // non-zero probability, against the 0.1% critical value; tokens it gives 0 are never drawn.
    void chi_square_data() {
        QTest::addColumn<SamplingParams>("params");
        QTest::addColumn<std::vector<int32_t>>("history");
        SamplingParams p = plain(1.0f);
        QTest::newRow("t=1") << p << std::vector<int32_t>{};
        p = plain(0.8f);
        p.top_k = 6;
        p.seed = 12345;
        QTest::newRow("t=0.8 top_k=6") << p << std::vector<int32_t>{};
        p = plain(1.3f);
        p.top_p = 0.9f;
        p.min_p = 0.05f;
        p.repeat_penalty = 1.3f;
        p.seed = 777;
        QTest::newRow("t=1.3 top_p min_p penalty") << p << std::vector<int32_t>{3, 0, 6};
    }
    void chi_square() {
        QFETCH(SamplingParams, params);
        QFETCH(std::vector<int32_t>, history);
        const std::vector<float> logits{1.2f, 0.3f, -0.4f, 2.0f, 0.9f, -3.0f, 0.0f};
        Sampler s(params);
        const std::vector<float> probs = s.distribution(logits, history);
        constexpr int kDraws = 20000;
        std::vector<int> counts(logits.size(), 0);
        for (int i = 0; i < kDraws; ++i) {
            const int32_t t = s.sample(logits, history);
            QVERIFY(t >= 0 && static_cast<size_t>(t) < logits.size());
            ++counts[static_cast<size_t>(t)];
        }
        double chi2 = 0;
        int categories = 0;
        QString table;
        for (size_t i = 0; i < probs.size(); ++i) {
            const double expected = kDraws * double(probs[i]);
            table += QStringLiteral("\n  token %1: p=%2 expected %3 observed %4")
                         .arg(i)
                         .arg(double(probs[i]), 0, 'f', 5)
                         .arg(expected, 0, 'f', 1)
                         .arg(counts[i]);
            if (probs[i] == 0.0f) {
                QVERIFY2(counts[i] == 0, qPrintable(QStringLiteral("filtered-out token drawn:") + table));
                continue;
            }
            QVERIFY2(expected >= 5, "test design: every kept token needs an expected count of at least 5");
            chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
            ++categories;
        }
        QVERIFY(categories >= 3);
        const double critical = chi2_critical_001(categories - 1);
        QVERIFY(critical > 0);
        QVERIFY2(chi2 < critical,
                 qPrintable(QStringLiteral("chi-square %1 >= %2 (df %3):").arg(chi2).arg(critical).arg(categories - 1) +
                            table));
    }

    // ------------------------------------------------------------ validation

    void validate_data() {
        QTest::addColumn<SamplingParams>("params");
        QTest::addColumn<QString>("names");  // empty: valid
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const float inf = std::numeric_limits<float>::infinity();
        SamplingParams p;
        QTest::newRow("defaults") << SamplingParams() << QString();
        QTest::newRow("greedy") << SamplingParams::greedy() << QString();
        p = SamplingParams(), p.temperature = 0;
        QTest::newRow("temperature 0") << p << QString();
        p = SamplingParams(), p.top_p = 1.5f;
        QTest::newRow("top_p above 1 (off)") << p << QString();
        p = SamplingParams(), p.min_p = 0, p.top_k = -3;
        QTest::newRow("min_p 0, top_k negative (off)") << p << QString();
        p = SamplingParams(), p.min_p = 1;
        QTest::newRow("min_p 1") << p << QString();
        p = SamplingParams(), p.repeat_penalty = 0.5f, p.repeat_last_n = 0;
        QTest::newRow("penalty 0.5, last_n 0") << p << QString();

        p = SamplingParams(), p.temperature = nan;
        QTest::newRow("temperature NaN") << p << QStringLiteral("temperature");
        p = SamplingParams(), p.temperature = -0.1f;
        QTest::newRow("temperature negative") << p << QStringLiteral("temperature");
        p = SamplingParams(), p.temperature = inf;
        QTest::newRow("temperature infinite") << p << QStringLiteral("temperature");
        p = SamplingParams(), p.top_p = 0;
        QTest::newRow("top_p 0") << p << QStringLiteral("top-p");
        p = SamplingParams(), p.top_p = -0.5f;
        QTest::newRow("top_p negative") << p << QStringLiteral("top-p");
        p = SamplingParams(), p.top_p = nan;
        QTest::newRow("top_p NaN") << p << QStringLiteral("top-p");
        p = SamplingParams(), p.min_p = -0.01f;
        QTest::newRow("min_p negative") << p << QStringLiteral("min-p");
        p = SamplingParams(), p.min_p = 1.01f;
        QTest::newRow("min_p above 1") << p << QStringLiteral("min-p");
        p = SamplingParams(), p.min_p = nan;
        QTest::newRow("min_p NaN") << p << QStringLiteral("min-p");
        p = SamplingParams(), p.repeat_penalty = 0;
        QTest::newRow("penalty 0") << p << QStringLiteral("penalty");
        p = SamplingParams(), p.repeat_penalty = -1.1f;
        QTest::newRow("penalty negative") << p << QStringLiteral("penalty");
        p = SamplingParams(), p.repeat_penalty = nan;
        QTest::newRow("penalty NaN") << p << QStringLiteral("penalty");
        p = SamplingParams(), p.repeat_last_n = -1;
        QTest::newRow("last_n negative") << p << QStringLiteral("repeat-last-n");
    }
    void validate() {
        QFETCH(SamplingParams, params);
        QFETCH(QString, names);
        if (names.isEmpty()) {
            params.validate();
            Sampler s(params);
            QCOMPARE(s.params().seed, params.seed);
            return;
        }
        try {
            params.validate();
            QFAIL("validate() accepted it");
        } catch (const q8::EngineError& e) {
            const QString msg = QString::fromUtf8(e.what());
            QVERIFY2(msg.contains(names), qPrintable(QStringLiteral("message does not name %1: %2").arg(names, msg)));
        }
        QVERIFY_THROWS_EXCEPTION(q8::EngineError, Sampler{params});  // the sampler refuses it too
    }
};

QTEST_GUILESS_MAIN(TestSampling)
#include "test_sampling.moc"
