// q8bench as scripts use it: exit codes, JSON shapes, the tokenize contract (one line of ids, no
// BOS/EOS, a file's whole content as one text) and clear errors on bad input.
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QProcess>
#include <QtTest>

#include "reference_scripts.h"

namespace {

struct Run {
    int code = -1;
    QByteArray out, err;
};

Run q8bench(const QStringList& args) {
    QProcess p;
    p.start(Q8BENCH_PATH, args);
    Run r;
    if (!p.waitForFinished(120000)) return r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

}  // namespace

class TestQ8benchCli : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString model_;
    QJsonObject expected_;

private slots:
    void initTestCase() {
        const QString err = q8test::make_reference_case(dir_.filePath("m"), {"--arch", "llama", "--seed", "21", "--dtype", "f16"});
        QVERIFY2(err.isEmpty(), qPrintable(err));
        model_ = dir_.filePath("m/model.gguf");
        QFile f(dir_.filePath("m/expected.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        expected_ = QJsonDocument::fromJson(f.readAll()).object();
    }

    void info_json_describes_the_model() {
        const Run r = q8bench({"info", "-m", model_, "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o["architecture"].toString(), QString("llama"));
        QCOMPARE(o["vocabulary"].toObject()["size"].toInt(), expected_["n_vocab"].toInt());
        QVERIFY(o["parameters"].toInteger() > 0);
        QVERIFY(o["tensor_types"].toString().contains("F16"));
        QVERIFY(!o["kernel_path"].toString().isEmpty());
    }

    void tokenize_matches_the_fixture_vectors() {
        const QString vocab = QString(Q8_SHARED_DIR) + "/fixtures/tokenizers/ggml-vocab-gpt-2.gguf";
        if (!QFile::exists(vocab)) QSKIP("../shared is absent (a user's clone): the fixture vectors live there");
        QFile inp(vocab + ".inp"), out(vocab + ".out");
        QVERIFY(inp.open(QIODevice::ReadOnly) && out.open(QIODevice::ReadOnly));
        const QByteArray all = inp.readAll();
        QList<QByteArray> cases;  // split on the full separator: strings may contain newlines
        const QByteArray sep = "\n__ggml_vocab_test__\n";
        for (qsizetype at = 0;;) {
            const qsizetype next = all.indexOf(sep, at);
            if (next < 0) break;
            cases.push_back(all.mid(at, next - at));
            at = next + sep.size();
        }
        const QList<QByteArray> lines = out.readAll().split('\n');
        QVERIFY(cases.size() >= 10);
        for (int i = 0; i < 10; ++i) {  // the CLI path, on a sample; test_tokenizer covers them all
            const QString file = dir_.filePath("text.txt");
            QFile t(file);
            QVERIFY(t.open(QIODevice::WriteOnly | QIODevice::Truncate));
            t.write(cases[i]);
            t.close();
            const Run r = q8bench({"tokenize", "-m", vocab, "-f", file});
            QCOMPARE(r.code, 0);
            QCOMPARE(r.out.trimmed(), lines[i].trimmed());
        }
    }

    void generate_json_is_greedy_and_complete() {
        const Run r = q8bench({"generate", "-m", model_, "-p", "ab", "-n", "8", "--temp", "0", "--json", "-t", "1"});
        QCOMPARE(r.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o["generated_tokens"].toInt(), 8);
        QCOMPARE(o["tokens"].toArray().size(), 8);
        QCOMPARE(o["stop_reason"].toString(), QString("token limit"));
        for (const char* k : {"time_to_first_token_s", "prompt_tokens_per_s", "decode_tokens_per_s", "resident_bytes"}) {
            QVERIFY2(o[k].toDouble() > 0, k);
        }
        const Run again = q8bench({"generate", "-m", model_, "-p", "ab", "-n", "8", "--temp", "0", "--json", "-t", "2"});
        QCOMPARE(QJsonDocument::fromJson(again.out).object()["tokens"], o["tokens"]);
    }

    void speculative_generate_matches_plain_greedy() {
        const QStringList base{"generate", "-m", model_, "-p", "ab", "-n", "12", "--temp", "0", "--json", "-t", "1"};
        const Run plain = q8bench(base);
        QCOMPARE(plain.code, 0);
        const QJsonObject p = QJsonDocument::fromJson(plain.out).object();
        for (const QStringList& draft : {QStringList{"--draft-self", "layers:1"}, QStringList{"--draft", model_}}) {
            const Run spec = q8bench(base + draft);
            QCOMPARE(spec.code, 0);
            const QJsonObject o = QJsonDocument::fromJson(spec.out).object();
            QCOMPARE(o["tokens"], p["tokens"]);
            QVERIFY(o["drafted"].toInt() > 0);
        }
        const Run bad = q8bench(base + QStringList{"--draft-self", "layers:99"});
        QCOMPARE(bad.code, 1);
        QVERIFY(bad.err.contains("layers:N needs"));
    }

    void bench_json_rows() {
        const Run r = q8bench({"bench", "-m", model_, "--config", "native,native+spec", "--draft-self", "layers:1",
                               "-p", "16", "-n", "8", "-r", "2", "-t", "1", "--json"});
        QCOMPARE(r.code, 0);
        const QJsonArray rows = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(rows.size(), 4);
        for (const auto& v : rows) {
            const QJsonObject o = v.toObject();
            for (const char* k : {"config", "test", "n_threads", "avg_ts", "stddev_ts"}) QVERIFY2(o.contains(k), k);
            QVERIFY(o["avg_ts"].toDouble() > 0);
        }
        QCOMPARE(rows[0].toObject()["test"].toString(), QString("pp16"));
        QCOMPARE(rows[1].toObject()["test"].toString(), QString("tg8"));
        QVERIFY(rows[1].toObject()["roofline_pct"].toDouble() > 0);
        QVERIFY(rows[1].toObject()["gbps"].toDouble() > 0);
        QVERIFY(rows[3].toObject().contains("acceptance_rate"));
        QVERIFY(rows[3].toObject().contains("mean_accepted"));
    }

    void agreement_of_a_model_with_itself_is_total() {
        const QString text = dir_.filePath("agree.txt");
        QFile t(text);
        QVERIFY(t.open(QIODevice::WriteOnly));
        t.write("def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n");
        t.close();
        const Run self = q8bench({"agreement", "-m", model_, "--draft", model_, "-f", text, "--json", "-c", "16"});
        QCOMPARE(self.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(self.out).object();
        QCOMPARE(o["greedy_agreement"].toDouble(), 1.0);
        QVERIFY(o["windows"].toInt() >= 2);
        const Run skip = q8bench({"agreement", "-m", model_, "--draft-self", "layers:1", "-f", text, "--json"});
        QCOMPARE(skip.code, 0);
        const double a = QJsonDocument::fromJson(skip.out).object()["greedy_agreement"].toDouble();
        QVERIFY(a >= 0.0 && a < 1.0);
    }

    void errors_exit_nonzero_with_a_message() {
        const Run missing = q8bench({"info", "-m", dir_.filePath("nope.gguf")});
        QCOMPARE(missing.code, 1);
        QVERIFY(missing.err.contains("cannot open"));
        const Run empty = q8bench({"generate", "-m", model_, "-p", ""});
        QCOMPARE(empty.code, 1);
        QVERIFY(empty.err.contains("prompt is empty"));
        const Run no_text = q8bench({"tokenize", "-m", model_});
        QCOMPARE(no_text.code, 1);
        QVERIFY(no_text.err.contains("-p TEXT or -f FILE"));
        const Run bad_isa = q8bench({"generate", "-m", model_, "-p", "x", "--isa", "sse9"});
        QCOMPARE(bad_isa.code, 1);
        QVERIFY(bad_isa.err.contains("unknown instruction set"));
    }
};

QTEST_GUILESS_MAIN(TestQ8benchCli)
#include "test_q8bench_cli.moc"
