// Bad model files get a clear, specific error (file, tensor or key named) and never a crash, a
// hang or a huge allocation: the variants come from tests/reference/make_bad_models.py.
#include <spdlog/spdlog.h>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <q8/error.h>

#include "model.h"
#include "reference_scripts.h"

class TestModelErrors : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        QString err = q8test::make_reference_case(dir_.filePath("good"), {"--arch", "llama", "--seed", "3"});
        QVERIFY2(err.isEmpty(), qPrintable(err));
        err = q8test::make_reference_case(dir_.filePath("good_starcoder"), {"--arch", "starcoder", "--seed", "3"});
        QVERIFY2(err.isEmpty(), qPrintable(err));
        err = q8test::run_reference_script("make_bad_models.py",
                                           {"--good", dir_.filePath("good/model.gguf"), "--good-starcoder",
                                            dir_.filePath("good_starcoder/model.gguf"), "--out", dir_.filePath("bad")});
        QVERIFY2(err.isEmpty(), qPrintable(err));
    }

    void good_model_loads() {
        QVERIFY(q8::load_model(dir_.filePath("good/model.gguf").toStdString()) != nullptr);
        QVERIFY(q8::load_model(dir_.filePath("good_starcoder/model.gguf").toStdString()) != nullptr);
    }

    void refused_with_a_specific_message_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("needle");
        QTest::newRow("unknown architecture") << "unknown_arch.gguf"
                                              << "unsupported model architecture 'mamba'";
        QTest::newRow("missing tensor") << "missing_tensor.gguf"
                                        << "missing tensor 'blk.1.ffn_up.weight'";
        QTest::newRow("wrong shape") << "wrong_shape.gguf"
                                     << "tensor 'blk.0.attn_q.weight' has shape [64, 32]";
        QTest::newRow("unsupported type") << "unsupported_type.gguf"
                                          << "has type Q4_1, which this engine cannot load";
        QTest::newRow("vocabulary mismatch") << "vocab_mismatch.gguf"
                                             << "the tokenizer has 295 tokens";
        QTest::newRow("zero kv heads") << "zero_kv_heads.gguf"
                                       << "'llama.attention.head_count_kv' = 0 is out of range";
        QTest::newRow("absurd layer count") << "absurd_layers.gguf"
                                            << "'llama.block_count' = 4000000000 is out of range";
        QTest::newRow("too large for memory") << "huge_sparse.gguf"
                                              << "GiB is available";
        QTest::newRow("starcoder missing bias") << "starcoder_missing_bias.gguf"
                                                << "missing tensor 'blk.1.attn_qkv.bias'";
        // dim 64, context 128: the table has 64 rows.
        QTest::newRow("starcoder position table size")
            << "starcoder_wrong_positions.gguf"
            << "tensor 'position_embd.weight' has shape [64, 64] but the model's hyper-parameters need [64, 128]";
    }

    void refused_with_a_specific_message() {
        QFETCH(QString, file);
        QFETCH(QString, needle);
        const std::string path = dir_.filePath("bad/" + file).toStdString();
        try {
            q8::load_model(path);
            QFAIL("the model was accepted");
        } catch (const q8::EngineError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find(needle.toStdString()) != std::string::npos, msg.c_str());
            QVERIFY2(msg.find(path) != std::string::npos, "the message should name the file");
        }
    }

    void truncated_model_is_refused() {
        QFile good(dir_.filePath("good/model.gguf"));
        QVERIFY(good.open(QIODevice::ReadOnly));
        const QByteArray bytes = good.readAll();
        for (double keep : {0.9, 0.5, 0.01}) {
            const QString cut = dir_.filePath("cut.gguf");
            QFile f(cut);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(bytes.left(static_cast<qsizetype>(bytes.size() * keep)));
            f.close();
            try {
                q8::load_model(cut.toStdString());
                QFAIL("a truncated model was accepted");
            } catch (const q8::EngineError& e) {
                const std::string msg = e.what();
                QVERIFY2(msg.find("past the end") != std::string::npos || msg.find("truncated") != std::string::npos,
                         msg.c_str());
            }
        }
    }

    void load_can_be_cancelled() {
        q8::LoadOptions o;
        int calls = 0;
        bool in_range = true;
        o.progress = [&](float f) -> bool {
            in_range = in_range && f >= 0.f && f <= 1.f;
            return ++calls < 3;
        };
        try {
            q8::load_model(dir_.filePath("good/model.gguf").toStdString(), o);
            QFAIL("the load was not cancelled");
        } catch (const q8::EngineError& e) {
            QVERIFY2(std::string(e.what()).find("cancelled") != std::string::npos, e.what());
        }
        QCOMPARE(calls, 3);
        QVERIFY(in_range);
    }
};

QTEST_GUILESS_MAIN(TestModelErrors)
#include "test_model_errors.moc"
