// `q8bench compare --json`: the comparison the window shows, headless, on the built-in pair.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>
#define XXH_INLINE_ALL
#include <xxhash.h>

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

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QString xxh3(const QByteArray& bytes) {
    return QString("%1").arg(XXH3_64bits(bytes.constData(), size_t(bytes.size())), 16, 16, QChar('0'));
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

    // Every row carries what produced it: machine, build, settings and the model files' identity.
    void every_row_carries_its_run_record() {
        const QJsonObject j =
            q8bench_json({"compare", "-p", "def add(a, b):", "-n", "4", "-t", "1", "--json"}).object();
        const QJsonArray rows = j["rows"].toArray();
        QCOMPARE(rows.size(), 4);
        const QByteArray target = readAll(QString(Q8_SOURCE_DIR "/resources/models/demo-target.gguf"));
        const QByteArray draft = readAll(QString(Q8_SOURCE_DIR "/resources/models/demo-draft.gguf"));
        QVERIFY(!target.isEmpty() && !draft.isEmpty());
        for (const QJsonValue& v : rows) {
            const QJsonObject row = v.toObject();
            const QJsonObject r = row["record"].toObject();
            QCOMPARE(r["configuration"].toString(), row["config"].toString());
            QCOMPARE(r["threads"].toInt(), 1);
            QVERIFY(r["n_ctx"].toInt() > 0);
            QVERIFY(!r["cpu_model"].toString().isEmpty());
            QVERIFY(!r["kernel_path"].toString().isEmpty());
            for (const char* isa : {"avx512", "avx512_vnni", "avx512_bf16", "amx"}) QVERIFY(r[isa].isBool());
            QVERIFY2(r["engine_version"].toString().startsWith("0."), qPrintable(r["engine_version"].toString()));
            QVERIFY(QDateTime::fromString(r["date"].toString(), Qt::ISODate).isValid());
            QCOMPARE(r["precision"].toString(), row["precision"].toString());
            const QJsonObject model = r["model"].toObject();
            QCOMPARE(model["name"].toString(), QString("demo-target.gguf"));
            QCOMPARE(qint64(model["bytes"].toDouble()), qint64(target.size()));
            // Hashed in one piece here, in chunks by the engine: the same digest.
            QCOMPARE(model["xxh3"].toString(), xxh3(target));
            if (row["config"].toString() == "q4+spec") {
                QCOMPARE(r["draft"].toObject()["name"].toString(), QString("demo-draft.gguf"));
                QCOMPARE(r["draft"].toObject()["xxh3"].toString(), xxh3(draft));
            } else {
                QVERIFY(r["draft"].isNull());
            }
        }
    }
};

QTEST_GUILESS_MAIN(TestCompareCli)
#include "test_compare_cli.moc"
