// `q8bench bench` and `q8bench generate` measure through one request path: under the same
// sampling, for the same pair, prompt and draft length, they report the same speculative figures,
// and each says which sampling it measured under.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include <algorithm>

namespace {

QJsonDocument q8bench_json(const QStringList& args) {
    QProcess p;
    p.start(Q8BENCH_PATH, args);
    if (!p.waitForFinished(120000) || p.exitCode() != 0) {
        qWarning("q8bench %s failed: %s", qPrintable(args.join(' ')), p.readAllStandardError().constData());
        return {};
    }
    return QJsonDocument::fromJson(p.readAllStandardOutput());
}

const QString kPrompt = "def fibonacci(n):\n";

}  // namespace

class TestCliMetrics : public QObject {
    Q_OBJECT

private slots:
    // A Q4+spec row decodes each repetition without the draft too, alternating with it, and its
    // speed-up is best over best; plain rows carry no speed-up.
    void spec_rows_alternate_with_their_own_plain_runs() {
        const QJsonArray rows = q8bench_json({"bench", "--config", "q4,q4+spec", "-p", "0", "-n", "16", "-r", "3", "-t",
                                              "1", "--prompt", kPrompt, "--bandwidth-mib", "64", "--json"})
                                    .array();
        QCOMPARE(rows.size(), 2);
        const QJsonObject plain = rows[0].toObject(), spec = rows[1].toObject();
        QCOMPARE(plain["config"].toString(), QString("q4"));
        QVERIFY(!plain.contains("speedup_vs_plain") && !plain.contains("plain_samples_ts"));
        QCOMPARE(spec["config"].toString(), QString("q4+spec"));
        const auto best = [](const QJsonArray& a) {
            double b = 0;
            for (const auto& v : a) b = std::max(b, v.toDouble());
            return b;
        };
        const QJsonArray spec_ts = spec["samples_ts"].toArray(), plain_ts = spec["plain_samples_ts"].toArray();
        QCOMPARE(spec_ts.size(), 3);
        QCOMPARE(plain_ts.size(), 3);
        QVERIFY(best(plain_ts) > 0);
        QCOMPARE(spec["best_ts"].toDouble(), best(spec_ts));
        QCOMPARE(spec["speedup_vs_plain"].toDouble(), best(spec_ts) / best(plain_ts));
    }

    // The tgN context is sized for the prompt given, not for the ppN test's length: a long prompt
    // with no ppN test ran out of context before.
    void bench_continues_a_prompt_longer_than_its_other_tests() {
        const QString long_prompt = QString("def twice(x):\n    return 2 * x\n\n").repeated(60);
        const QJsonArray rows = q8bench_json({"bench", "--config", "q4+spec", "-p", "0", "-n", "4", "-r", "1", "-t",
                                              "1", "--prompt", long_prompt, "--bandwidth-mib", "64", "--json"})
                                    .array();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows[0].toObject()["test"].toString(), QString("tg4"));
        QVERIFY(rows[0].toObject()["best_ts"].toDouble() > 0);
    }

    void bench_and_generate_agree_on_acceptance_under_the_same_sampling() {
        const QJsonArray rows = q8bench_json({"bench",      "--config",
                                              "q4+spec",    "-p",
                                              "0",          "-n",
                                              "48",         "-r",
                                              "1",          "-t",
                                              "1",          "--draft-k",
                                              "4",          "--draft-policy",
                                              "acceptance", "--prompt",
                                              kPrompt,      "--bandwidth-mib",
                                              "64",         "--json"})
                                    .array();
        QCOMPARE(rows.size(), 1);
        const QJsonObject bench = rows[0].toObject();
        QCOMPARE(bench["config"].toString(), QString("q4+spec"));
        const QJsonObject gen =
            q8bench_json({"generate", "--config", "q4+spec", "--temp", "0", "--ignore-eos", "-n", "48", "-t", "1",
                          "--draft-k", "4", "--draft-policy", "acceptance", "-p", kPrompt, "--json"})
                .object();
        QVERIFY(!gen.isEmpty());
        QCOMPARE(bench["sampling"].toString(), QString("greedy"));
        QCOMPARE(gen["sampling"].toString(), QString("greedy"));
        QCOMPARE(gen["generated_tokens"].toInt(), 48);
        const double a = bench["acceptance_rate"].toDouble();
        const double b = gen["acceptance_rate"].toDouble();
        QVERIFY2(a > 0 && std::abs(a - b) < 0.02, qPrintable(QString("bench %1, generate %2").arg(a).arg(b)));
        QCOMPARE(bench["mean_accepted"].toDouble(), gen["mean_accepted"].toDouble());
        QCOMPARE(bench["tokens_per_step"].toDouble(), gen["tokens_per_step"].toDouble());
        // One definition: accepted over drafted.
        QCOMPARE(b, gen["accepted"].toDouble() / gen["drafted"].toDouble());
    }

    void generate_names_its_sampling_and_has_no_repetition_penalty_by_default() {
        const QJsonObject gen = q8bench_json({"generate", "-n", "4", "-t", "1", "-p", kPrompt, "--json"}).object();
        QVERIFY(!gen.isEmpty());
        const QString sampling = gen["sampling"].toString();
        QVERIFY2(sampling.startsWith("temp 0.8"), qPrintable(sampling));
        QVERIFY2(!sampling.contains("repeat-penalty"), qPrintable(sampling));
        const QJsonObject penalised =
            q8bench_json({"generate", "-n", "4", "-t", "1", "-p", kPrompt, "--repeat-penalty", "1.1", "--json"})
                .object();
        QVERIFY2(penalised["sampling"].toString().contains("repeat-penalty 1.1 over 64"),
                 qPrintable(penalised["sampling"].toString()));
    }
};

QTEST_GUILESS_MAIN(TestCliMetrics)
#include "test_cli_metrics.moc"
