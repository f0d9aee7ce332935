// `q8bench compare --json`: the comparison the window shows, headless, on the built-in pair.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

namespace {

QJsonDocument q8bench_json(const QStringList& args) {
    QProcess p;
    p.start(Q8BENCH_PATH, args);
    if (!p.waitForFinished(300000) || p.exitCode() != 0) {
        qWarning("q8bench %s failed: %s", qPrintable(args.join(' ')), p.readAllStandardError().constData());
        return {};
    }
    return QJsonDocument::fromJson(p.readAllStandardOutput());
}

}  // namespace

class TestCompareCli : public QObject {
    Q_OBJECT

private slots:
    void compare_runs_every_configuration_on_the_builtin_pair() {
        const QJsonObject j =
            q8bench_json({"compare", "-p", "def fibonacci(n):", "-n", "24", "-t", "1", "--json"}).object();
        QCOMPARE(j["sampling"].toString(), QString("greedy"));
        QCOMPARE(j["max_tokens"].toInt(), 24);
        const QJsonArray rows = j["rows"].toArray();
        QCOMPARE(rows.size(), 4);
        const QStringList configs = {"fp16", "q8", "q4", "q4+spec"};
        for (int i = 0; i < rows.size(); ++i) {
            const QJsonObject r = rows[i].toObject();
            QCOMPARE(r["config"].toString(), configs[i]);
            QVERIFY2(r["ran"].toBool(), qPrintable(r["reason"].toString()));
            QCOMPARE(r["generated_tokens"].toInt(), 24);
            QVERIFY(r["decode_tokens_per_s"].toDouble() > 0);
            QVERIFY(r["weight_bytes"].toDouble() > 0);
            QVERIFY(r.contains("matching_share"));
        }
        const QJsonObject q4 = rows[2].toObject();
        const QJsonObject spec = rows[3].toObject();
        QCOMPARE(spec["tokens"].toArray(), q4["tokens"].toArray());
        QVERIFY(spec["drafted"].toInt() > 0);
        QCOMPARE(rows[0].toObject()["speedup_vs_fp16"].toDouble(), 1.0);
    }
};

QTEST_GUILESS_MAIN(TestCompareCli)
#include "test_compare_cli.moc"
