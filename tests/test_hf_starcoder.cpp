// Hugging Face folders of the StarCoder architectures: Starcoder2ForCausalLM (starcoder2) and
// GPTBigCodeForCausalLM (starcoder, its fused multi-query c_attn and learned positions). A folder
// written by tests/reference/ from random weights is the same model as the GGUF file the
// reference converter wrote from them (identical logits), matches the NumPy reference in logits and
// greedy tokens, converts with q8quant to files that give identical logits, and bad configurations
// are refused with a message naming the key or tensor.
#include <QTemporaryDir>
#include <QtTest>

#include <spdlog/spdlog.h>

#include "hf_cases.h"
#include "reference_scripts.h"

using namespace q8test;

class TestHfStarcoder : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

    QString hf(const QString& c) const { return dir_.filePath(c + "/hf"); }

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        QVERIFY(dir_.isValid());
        const QList<std::pair<QString, QStringList>> cases = {
            {"sc2_shards", {"--arch", "starcoder2", "--seed", "21", "--n-head-kv", "2", "--hf-shards", "2"}},
            {"sc2_f16_tied",
             {"--arch", "starcoder2", "--seed", "22", "--n-head-kv", "1", "--tied", "--dtype", "f16", "--hf-shards",
              "1"}},
            {"sc_shards", {"--arch", "starcoder", "--seed", "23", "--hf-shards", "3"}},
            // n_inner 4 n_embd: config.json leaves it out, as it leaves out tie_word_embeddings.
            {"sc_f16_tied",
             {"--arch", "starcoder", "--seed", "24", "--ff", "256", "--tied", "--dtype", "f16", "--hf-shards", "1"}},
            {"sc_q", {"--arch", "starcoder", "--seed", "25", "--dim", "128", "--ff", "256", "--hf-shards", "1"}},
            // A window of 5 over a 12-token prompt and 16 greedy tokens: most positions see only part
            // of the past, and the greedy tokens differ from those without a window.
            {"sc2_window", {"--arch", "starcoder2", "--seed", "26", "--sliding-window", "5", "--hf-shards", "1"}},
        };
        for (const auto& [name, args] : cases) {
            const QString err = make_reference_case(dir_.filePath(name), args);
            QVERIFY2(err.isEmpty(), qPrintable(err));
        }
    }

    // The folder and the GGUF file written from the same weights (same stored types) are the same
    // model: identical logits; both match the NumPy reference, greedy tokens included.
    void folder_equals_its_gguf_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("tied");
        QTest::addColumn<int>("window");
        QTest::newRow("starcoder2, GQA, 2 shards") << "sc2_shards" << false << 0;
        QTest::newRow("starcoder2, MQA, f16, tied by default") << "sc2_f16_tied" << true << 0;
        QTest::newRow("starcoder2, sliding window") << "sc2_window" << false << 5;
        QTest::newRow("starcoder, 3 shards") << "sc_shards" << false << 0;
        QTest::newRow("starcoder, f16, tied and n_inner by default") << "sc_f16_tied" << true << 0;
    }
    void folder_equals_its_gguf() {
        QFETCH(QString, name);
        QFETCH(bool, tied);
        QFETCH(int, window);
        const Expected e = read_expected(dir_.filePath(name));
        QVERIFY(!e.logits.empty() && !e.greedy.empty());
        const auto folder = q8::load_model(hf(name).toStdString());
        const auto gguf = q8::load_model(dir_.filePath(name + "/model.gguf").toStdString());
        QCOMPARE(folder->config.arch, gguf->config.arch);
        QCOMPARE(folder->config.n_head_kv, gguf->config.n_head_kv);
        QCOMPARE(folder->config.n_ff, gguf->config.n_ff);
        QCOMPARE(folder->config.norm_eps, gguf->config.norm_eps);
        QCOMPARE(folder->config.rope_base, gguf->config.rope_base);
        QCOMPARE(folder->output.rows == 0, tied);
        QCOMPARE(folder->config.sliding_window, int64_t(window));
        QCOMPARE(gguf->config.sliding_window, int64_t(window));
        const std::vector<float> a = all_logits(folder, e.tokens);
        QVERIFY(!a.empty());
        QVERIFY(a == all_logits(gguf, e.tokens));
        QVERIFY2(rel_error(a, e.logits) < 1e-3, qPrintable(QString::number(rel_error(a, e.logits))));
        QCOMPARE(greedy(folder, e.tokens, e.greedy.size()), e.greedy);
    }

    // q8quant's conversions of the folder, loaded natively, equal the folder converted at load.
    void conversions_give_identical_logits_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("type");
        QTest::newRow("starcoder2 f16") << "sc2_shards"
                                        << "f16";
        QTest::newRow("starcoder2 q4") << "sc2_shards"
                                       << "q4";
        QTest::newRow("starcoder f16") << "sc_shards"
                                       << "f16";
        QTest::newRow("starcoder q8") << "sc_q"
                                      << "q8";
        QTest::newRow("starcoder q4") << "sc_q"
                                      << "q4";
    }
    void conversions_give_identical_logits() {
        QFETCH(QString, name);
        QFETCH(QString, type);
        check_conversion(hf(name), type, dir_.filePath(name + "-" + type + ".gguf"),
                         read_expected(dir_.filePath(name)).tokens);
    }

    // The F16 conversion holds the reference converter's tensors: names, shapes, c_attn fused as
    // it is, the position table, the output head only when untied.
    void conversion_matches_the_reference_converter_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("starcoder2") << "sc2_shards";
        QTest::newRow("starcoder2 tied") << "sc2_f16_tied";
        QTest::newRow("starcoder") << "sc_shards";
        QTest::newRow("starcoder tied") << "sc_f16_tied";
    }
    void conversion_matches_the_reference_converter() {
        QFETCH(QString, name);
        const QString out = dir_.filePath(name + "-layout.gguf");
        QVERIFY(q8::quant::convert_to_f16(hf(name).toStdString(), out.toStdString()) > 0);
        const q8::GgufFile converted(out.toStdString());
        const q8::GgufFile reference(dir_.filePath(name + "/model.gguf").toStdString());
        const std::string arch = reference.get_string("general.architecture");
        QCOMPARE(converted.get_string("general.architecture"), arch);
        for (const char* key : {"context_length", "embedding_length", "feed_forward_length", "block_count",
                                "attention.head_count", "attention.head_count_kv"}) {
            QCOMPARE(converted.get_uint(arch + "." + key), reference.get_uint(arch + "." + key));
        }
        QCOMPARE(converted.get_float(arch + ".attention.layer_norm_epsilon"),
                 reference.get_float(arch + ".attention.layer_norm_epsilon"));
        const QString diff = differs_from_reference(converted, reference);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
    }

    // transformers ties the head to the embeddings after loading when the config says so, whatever
    // the checkpoint holds; so does the engine.
    void a_saved_head_of_a_tied_model_is_not_read() {
        const QString d = dir_.filePath("tied-with-head/hf");
        copy_dir(hf("sc_shards"), d);
        set_json(d + "/config.json", "tie_word_embeddings", QJsonValue::Null);  // starcoder's default: tied
        const auto model = q8::load_model(d.toStdString());
        QCOMPARE(model->output.rows, int64_t(0));
    }

    void bad_folders_are_refused_data() {
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QJsonValue>("value");
        QTest::addColumn<QString>("needle");
        QTest::newRow("starcoder without n_embd") << "sc_shards"
                                                  << "n_embd" << QJsonValue() << "config.json: missing 'n_embd'";
        QTest::newRow("starcoder2 without num_hidden_layers")
            << "sc2_shards"
            << "num_hidden_layers" << QJsonValue() << "config.json: missing 'num_hidden_layers'";
        // 2 heads of 32: c_attn would need 64 + 2 * 32 rows, but holds 64 + 2 * 16.
        QTest::newRow("fused QKV of the wrong size")
            << "sc_shards"
            << "n_head" << QJsonValue(2)
            << "has 96 rows but the fused query/key/value projection of 2 query heads and 1 key/value "
               "head(s) of 32 has 128 (config.json)";
        QTest::newRow("multi-head GPTBigCode")
            << "sc_shards"
            << "multi_query" << QJsonValue(false) << "'multi_query' is false: only multi-query GPTBigCode";
        QTest::newRow("unscaled attention")
            << "sc_shards"
            << "scale_attn_weights" << QJsonValue(false) << "'scale_attn_weights' is false";
        QTest::newRow("starcoder2 without biases") << "sc2_shards"
                                                   << "use_bias" << QJsonValue(false) << "'use_bias' is false";
        QTest::newRow("another activation") << "sc_shards"
                                            << "activation_function" << QJsonValue("relu")
                                            << "'activation_function' is \"relu\"; starcoder models here use "
                                               "gelu_pytorch_tanh";
        QTest::newRow("fewer layers than the tensors")
            << "sc_shards"
            << "n_layer" << QJsonValue(1) << "belongs to layer 1 but config.json's 'n_layer' is 1";
        QTest::newRow("untied without lm_head")
            << "sc2_f16_tied"
            << "tie_word_embeddings" << QJsonValue(false) << "no shard has tensor 'lm_head.weight'";
    }
    void bad_folders_are_refused() {
        QFETCH(QString, source);
        QFETCH(QString, key);
        QFETCH(QJsonValue, value);
        QFETCH(QString, needle);
        const QString d = dir_.filePath("bad-" + QString(QTest::currentDataTag()).replace(' ', '_') + "/hf");
        copy_dir(hf(source), d);
        set_json(d + "/config.json", key, value);
        expect_refused(d, needle, "hf");
    }
};

QTEST_GUILESS_MAIN(TestHfStarcoder)
#include "test_hf_starcoder.moc"
