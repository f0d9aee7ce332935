// Perplexity (quant/perplexity.h) against the NumPy reference: the same windows, the same scored
// positions, the same value (tests/reference/perplexity_reference.py computes it in float64 from
// Hugging Face-layout weights); the windowing rule's edge cases; the q8bench ppl command.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <spdlog/spdlog.h>

#include <cmath>

#include <q8/error.h>

#include "fidelity.h"
#include "model.h"
#include "perplexity.h"

class TestPerplexity : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QJsonObject expected_;
    std::vector<int32_t> tokens_;

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        QVERIFY(dir_.isValid());
        QProcess p;
        p.start(Q8_PYTHON, {QString(Q8_SOURCE_DIR) + "/tests/reference/perplexity_reference.py", "--out", dir_.path(),
                            "--ctx", "16", "--n-tokens", "60"});
        QVERIFY(p.waitForFinished(300000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        QFile f(dir_.filePath("expected.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        expected_ = QJsonDocument::fromJson(f.readAll()).object();
        for (const auto v : expected_["tokens"].toArray()) tokens_.push_back(v.toInt());
    }

    void matches_numpy_reference() {
        const auto model = q8::load_model(dir_.filePath("model.gguf").toStdString());
        q8::quant::PerplexityOptions o;
        o.ctx = 16;
        o.kv_type = q8::KvType::F32;
        o.n_batch = 5;
        o.keep_predictions = true;
        const auto r = q8::quant::perplexity(model, tokens_, o);
        // 60 tokens: 3 windows of 16 (the last 12 tokens are dropped), 7 scored per window.
        QCOMPARE(r.n_windows, int64_t(3));
        QCOMPARE(r.n_scored, int64_t(21));
        QCOMPARE(r.n_scored, int64_t(expected_["n_scored"].toInt()));
        const double want = expected_["ppl"].toDouble();
        qInfo("ppl %.6f, NumPy %.6f", r.ppl, want);
        QVERIFY2(std::fabs(r.ppl - want) <= 1e-4 * want,
                 qPrintable(QString("ppl %1 vs %2").arg(r.ppl, 0, 'g', 10).arg(want, 0, 'g', 10)));
        QVERIFY(std::fabs(r.mean_nll - expected_["mean_nll"].toDouble()) < 1e-4);
        std::vector<int32_t> want_argmax;
        for (const auto v : expected_["argmax"].toArray()) want_argmax.push_back(v.toInt());
        QCOMPARE(r.argmax, want_argmax);
    }

    void too_short_text_is_refused_with_the_count() {
        const auto model = q8::load_model(dir_.filePath("model.gguf").toStdString());
        q8::quant::PerplexityOptions o;
        o.ctx = 64;
        try {
            q8::quant::perplexity(model, tokens_, o);
            QFAIL("no error");
        } catch (const q8::EngineError& e) {
            QVERIFY2(QString(e.what()).contains("60 tokens"), e.what());
        }
    }

    void cli_reports_the_same_value() {
        // The command tokenizes a text file, so feed it text and compare with the library on the
        // same tokens.
        const QString text_path = dir_.filePath("text.txt");
        QFile t(text_path);
        QVERIFY(t.open(QIODevice::WriteOnly));
        for (int i = 0; i < 20; ++i)
            t.write("The quick brown fox jumps over the lazy dog. Numbers such as 12 and 345. ");
        t.close();
        QProcess p;
        p.start(Q8BENCH_PATH,
                {"ppl", "-m", dir_.filePath("model.gguf"), "-f", text_path, "--ctx", "32", "--kv", "f32", "--json"});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QJsonObject j = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        const auto model = q8::load_model(dir_.filePath("model.gguf").toStdString());
        QFile tf(text_path);
        QVERIFY(tf.open(QIODevice::ReadOnly));
        const auto toks = q8::quant::perplexity_tokens(*model, tf.readAll().toStdString());
        QCOMPARE(toks.front(), int32_t(expected_["bos"].toInt()));
        q8::quant::PerplexityOptions o;
        o.ctx = 32;
        o.kv_type = q8::KvType::F32;
        const auto r = q8::quant::perplexity(model, toks, o);
        QCOMPARE(j["tokens"].toInteger(), qint64(toks.size()));
        QCOMPARE(j["windows"].toInteger(), qint64(r.n_windows));
        QVERIFY(std::fabs(j["ppl"].toDouble() - r.ppl) <= 1e-9 * r.ppl);
        QVERIFY(j["bits_per_weight"].toDouble() > 31.9);  // F32 weights (norms included)
    }

    void fidelity_table_compares_variants_with_fp16() {
        const auto model = q8::load_model(dir_.filePath("model.gguf").toStdString());
        q8::quant::FidelityOptions o;
        o.variants = {"fp16", "q8", "q8-a8", "q8-sq", "q4", "q4-a8", "q4-a8b-head"};
        o.ppl.ctx = 16;
        o.ppl.kv_type = q8::KvType::F32;
        o.calibration = tokens_;
        o.calib_options.ctx = 16;
        const auto rows = q8::quant::fidelity(model, tokens_, o);
        QCOMPARE(rows.size(), size_t(7));
        QCOMPARE(rows[0].variant, std::string("fp16"));
        QCOMPARE(rows[0].top1_agreement, 1.0);
        QCOMPARE(rows[0].delta_pct, 0.0);
        // FP16 of F32 weights is within rounding of the NumPy float64 value.
        QVERIFY(std::fabs(rows[0].ppl / expected_["ppl"].toDouble() - 1) < 1e-3);
        for (const auto& r : rows) {
            QCOMPARE(r.scored, int64_t(21));
            QVERIFY(std::isfinite(r.ppl) && r.ppl > 1);
            QVERIFY(std::fabs(r.delta_pct - 100 * (r.ppl / rows[0].ppl - 1)) < 1e-9);
            qInfo("%-6s ppl %.3f (%+.2f%%) %.2f bits/weight, top-1 agreement %.1f%%", r.variant.c_str(), r.ppl,
                  r.delta_pct, r.bits_per_weight, 100 * r.top1_agreement);
        }
        QVERIFY(rows[0].bits_per_weight > 15.9 && rows[0].bits_per_weight < 16.5);
        QVERIFY(rows[1].bits_per_weight > 8 && rows[1].bits_per_weight < 9);
        QVERIFY(rows[4].bits_per_weight < rows[1].bits_per_weight);
        QVERIFY(rows[1].top1_agreement >= 0.8);
        const std::string md = q8::quant::fidelity_markdown(rows);
        QVERIFY(md.find("| variant | perplexity | delta vs fp16 |") == 0);
        QVERIFY(md.find("| q8-sq |") != std::string::npos);
    }

    void fidelity_cli_json() {
        const QString text_path = dir_.filePath("text.txt");
        QVERIFY(QFile::exists(text_path));
        QProcess p;
        p.start(Q8BENCH_PATH, {"fidelity", "-m", dir_.filePath("model.gguf"), "-f", text_path, "--ctx", "32",
                               "--variants", "fp16,q8,q4", "--json"});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QJsonObject j = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        const QJsonArray v = j["variants"].toArray();
        QCOMPARE(v.size(), 3);
        for (const char* key : {"variant", "ppl", "delta_pct", "weight_bytes", "bits_per_weight", "top1_agreement"})
            QVERIFY2(v[1].toObject().contains(key), key);
        QCOMPARE(v[2].toObject()["variant"].toString(), QString("q4"));
    }
};

QTEST_GUILESS_MAIN(TestPerplexity)
#include "test_perplexity.moc"
