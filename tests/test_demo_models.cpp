// The built-in demo pair as shipped in resources/models: the engine's logits match the training
// framework's (a sample saved at export, so no torch is needed here), the pair shares a
// vocabulary, the sizes meet what the app's comparison needs, and the metadata is complete.
#include <spdlog/spdlog.h>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <cmath>
#include <fstream>

#include "inference_session.h"
#include "model.h"
#include "sampling.h"
#include "speculative.h"

namespace {
const QString kDir = QString(Q8_SOURCE_DIR) + "/resources/models/";
}

class TestDemoModels : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { spdlog::set_level(spdlog::level::warn); }

    void logits_match_the_training_framework_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("target") << "demo-target";
        QTest::newRow("draft") << "demo-draft";
    }

    void logits_match_the_training_framework() {
        QFETCH(QString, name);
        QFile f(kDir + name + ".logits-sample.json");
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        std::vector<int32_t> tokens, greedy;
        for (const auto v : o["tokens"].toArray()) tokens.push_back(v.toInt());
        for (const auto v : o["greedy"].toArray()) greedy.push_back(v.toInt());
        const auto nv = static_cast<size_t>(o["n_vocab"].toInt());
        std::vector<float> want(tokens.size() * nv);
        std::ifstream in((kDir + o["logits_file"].toString()).toStdString(), std::ios::binary);
        in.read(reinterpret_cast<char*>(want.data()), static_cast<std::streamsize>(want.size() * sizeof(float)));
        QVERIFY(in.good());

        const auto model = q8::load_model((kDir + o["model_file"].toString()).toStdString());
        q8::SessionOptions so;
        so.kv_type = q8::KvType::F32;
        q8::InferenceSession s(model, so);
        QVERIFY(s.eval(tokens, true));
        double worst = 0;
        for (size_t t = 0; t < tokens.size(); ++t) {
            double num = 0, den = 0;
            const auto got = s.logits_row(t);
            for (size_t i = 0; i < nv; ++i) {
                num = std::max(num, std::abs(double(got[i]) - double(want[t * nv + i])));
                den = std::max(den, std::abs(double(want[t * nv + i])));
            }
            worst = std::max(worst, num / den);
        }
        qInfo("%s: worst relative logit error vs PyTorch %.3g", qPrintable(name), worst);
        QVERIFY2(worst < 1e-3, qPrintable(QString("relative error %1").arg(worst)));
        std::vector<int32_t> got;
        int32_t next = q8::argmax(s.logits_row(tokens.size() - 1));
        for (size_t i = 0; i < greedy.size(); ++i) {
            got.push_back(next);
            const int32_t one[1] = {next};
            QVERIFY(s.eval(one));
            next = q8::argmax(s.logits());
        }
        QCOMPARE(got, greedy);
    }

    void pair_fits_the_comparison() {
        const auto target = q8::load_model((kDir + "demo-target.gguf").toStdString());
        const auto draft = q8::load_model((kDir + "demo-draft.gguf").toStdString());
        q8::check_same_vocabulary(*target, *draft);
        QCOMPARE(target->config.arch, q8::Arch::Llama);
        QVERIFY2(target->weight_bytes() >= 50'000'000, "FP16 target must be at least 50 MB to be bandwidth-bound");
        uint64_t tp = 0, dp = 0;
        for (const auto& t : target->file->tensors()) tp += t.n_elements;
        for (const auto& t : draft->file->tensors()) dp += t.n_elements;
        QVERIFY2(dp * 8 <= tp, "the draft must have at most one eighth of the target's parameters");
        const q8::Vocab& v = target->tokenizer.vocab();
        QCOMPARE(v.kind, q8::VocabKind::bpe);
        QVERIFY(v.bos != q8::kNoToken && v.eos != q8::kNoToken);
        QVERIFY(v.fim_pre != q8::kNoToken && v.fim_suf != q8::kNoToken && v.fim_mid != q8::kNoToken);
        for (const char* key : {"general.name", "general.license", "general.description", "tokenizer.ggml.pre"}) {
            QVERIFY2(target->file->opt_string(key).has_value(), key);
        }
    }
};

QTEST_GUILESS_MAIN(TestDemoModels)
#include "test_demo_models.moc"
