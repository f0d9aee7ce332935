// `q8bench bench` and `q8bench generate` measure through one request path: under the same
// sampling, for the same pair, prompt and draft length, they report the same speculative figures,
// and each says which sampling it measured under.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

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
    // Alternating runs: each Q4+spec row is compared with the Q4 row measured next to it.
    void alternating_bench_pairs_each_spec_row_with_its_neighbour() {
        const QJsonArray rows = q8bench_json({"bench", "--config", "q4,q4+spec,q4,q4+spec", "-p", "0", "-n", "16", "-r",
                                              "1", "-t", "1", "--prompt", kPrompt, "--bandwidth-mib", "64", "--json"})
                                    .array();
        QCOMPARE(rows.size(), 4);
        for (int i : {1, 3}) {
            const QJsonObject plain = rows[i - 1].toObject(), spec = rows[i].toObject();
            QCOMPARE(plain["config"].toString(), QString("q4"));
            QCOMPARE(spec["config"].toString(), QString("q4+spec"));
            QCOMPARE(spec["speedup_vs_plain"].toDouble(), spec["avg_ts"].toDouble() / plain["avg_ts"].toDouble());
        }
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
        // Q4+spec is measured against Q4 without the draft in the same run, which bench adds.
        QCOMPARE(rows.size(), 2);
        const QJsonObject plain = rows[0].toObject();
        const QJsonObject bench = rows[1].toObject();
        QCOMPARE(plain["config"].toString(), QString("q4"));
        QCOMPARE(bench["config"].toString(), QString("q4+spec"));
        QVERIFY(!plain.contains("speedup_vs_plain"));
        QCOMPARE(bench["speedup_vs_plain"].toDouble(), bench["avg_ts"].toDouble() / plain["avg_ts"].toDouble());
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
