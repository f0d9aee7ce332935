// SmoothQuant: the folded model computes the same function as the original (within 1e-4) before
// any quantization, for both architectures (Qwen2's V bias included) and grouped-query attention;
// the factors follow s = max|X|^a / max|W|^(1-a); calibration statistics are the true maxima; and
// the ablation the method exists for: a model with a few activation channels made 50x larger
// (weights compensated, so the float model is unchanged) loses clearly under naive W8A8 and
// SmoothQuant recovers it.
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <spdlog/spdlog.h>

#include <cmath>
#include <random>

#include <q8/error.h>

#include "act_policy.h"
#include "calibration.h"
#include "float_model.h"
#include "inference_session.h"
#include "smoothquant.h"

namespace qq = q8::quant;

namespace {

std::vector<float> logits(const std::shared_ptr<const q8::Model>& m, const std::vector<int32_t>& tokens) {
    q8::SessionOptions so;
    so.kv_type = q8::KvType::F32;
    q8::InferenceSession s(m, so);
    if (!s.eval(tokens, true)) return {};
    return {s.logits().begin(), s.logits().end()};
}

double max_rel(const std::vector<float>& a, const std::vector<float>& b) {
    double num = 0, den = 0;
    for (size_t i = 0; i < b.size(); ++i) {
        num = std::max(num, std::fabs(double(a[i]) - b[i]));
        den = std::max(den, std::fabs(double(b[i])));
    }
    return num / den;
}

double rms_rel(const std::vector<float>& a, const std::vector<float>& b) {
    double num = 0, den = 0;
    for (size_t i = 0; i < b.size(); ++i) {
        num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        den += double(b[i]) * b[i];
    }
    return std::sqrt(num / den);
}

std::vector<int32_t> random_tokens(int n, int vocab, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> d(0, vocab - 3);
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (auto& x : t) x = d(rng);
    return t;
}

const qq::AssembleSpec kF32{};
const qq::AssembleSpec kW8A8{{q8::WeightLayout::I8Row, q8::GgmlType::F32, 0, true},
                             {q8::WeightLayout::Ggml, q8::GgmlType::F32, 0, false},
                             {q8::WeightLayout::Ggml, q8::GgmlType::F32, 0, false},
                             "w8a8"};

}  // namespace

class TestSmoothQuant : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

    QString make(const QString& name, const QStringList& args) {
        QProcess p;
        p.start(Q8_PYTHON, QStringList{QString(Q8_SOURCE_DIR) + "/tests/reference/make_reference_case.py", "--out",
                                       dir_.filePath(name)} +
                               args);
        if (!p.waitForFinished(300000) || p.exitCode() != 0) qWarning("%s", p.readAllStandardError().constData());
        return dir_.filePath(name + "/model.gguf");
    }

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        QVERIFY(dir_.isValid());
        make("llama",
             {"--arch", "llama", "--seed", "31", "--dim", "128", "--ff", "256", "--n-head", "4", "--n-head-kv", "2"});
        make("qwen2",
             {"--arch", "qwen2", "--seed", "32", "--dim", "128", "--ff", "256", "--n-head", "8", "--n-head-kv", "2"});
        QVERIFY(QFile::exists(dir_.filePath("llama/model.gguf")) && QFile::exists(dir_.filePath("qwen2/model.gguf")));
    }

    void smoothing_factors_follow_the_formula() {
        const std::vector<float> a{4.f, 1.f, 0.f, 9.f}, w{1.f, 4.f, 2.f, 0.f};
        const auto s = qq::smoothing_scales(a, w, 0.5f);
        QCOMPARE(s[0], 2.f);   // sqrt(4) / sqrt(1)
        QCOMPARE(s[1], 0.5f);  // sqrt(1) / sqrt(4)
        QCOMPARE(s[2], 1.f);   // no activation: left alone
        QCOMPARE(s[3], 1.f);   // no weight: left alone
        const auto s1 = qq::smoothing_scales(a, w, 1.f);
        QCOMPARE(s1[0], 4.f);
        const auto s0 = qq::smoothing_scales(a, w, 0.f);
        QCOMPARE(s0[1], 0.25f);
    }

    void calibration_records_true_maxima() {
        const auto m = q8::load_model(dir_.filePath("llama/model.gguf").toStdString());
        const auto tokens = random_tokens(40, int(m->config.n_vocab), 1);
        qq::CalibrationOptions co;
        co.ctx = 16;
        co.samples = 1000;
        const auto st = qq::calibrate(m, tokens, co);
        QCOMPARE(st.n_tokens, int64_t(40));
        for (size_t l = 0; l < st.layers.size(); ++l) {
            for (int i = 0; i < qq::kLinearInputs; ++i) {
                const auto& s = st.layers[l][size_t(i)];
                QCOMPARE(s.n_seen, int64_t(40));
                QCOMPARE(s.n_samples, int64_t(40));  // every token kept, so the maxima must match them
                for (int64_t j = 0; j < s.cols; ++j) {
                    float mx = 0;
                    for (int64_t t = 0; t < s.n_samples; ++t)
                        mx = std::max(mx, std::fabs(s.samples[size_t(t * s.cols + j)]));
                    QCOMPARE(s.act_max[size_t(j)], mx);
                }
            }
        }
        QVERIFY_THROWS_EXCEPTION(q8::EngineError, qq::calibrate(m, std::vector<int32_t>{}, co));
    }

    void smoothed_float_model_is_unchanged_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("llama_gqa") << "llama";
        QTest::newRow("qwen2_bias_gqa4") << "qwen2";
    }
    void smoothed_float_model_is_unchanged() {
        QFETCH(QString, name);
        const auto m = q8::load_model(dir_.filePath(name + "/model.gguf").toStdString());
        const auto tokens = random_tokens(24, int(m->config.n_vocab), 2);
        qq::CalibrationOptions co;
        co.ctx = 24;
        const auto st = qq::calibrate(m, tokens, co);
        qq::FloatLayers fl = qq::float_layers(*m);
        qq::SmoothQuantOptions so;
        so.alpha = 0.5f;  // fixed: every input is smoothed, none skipped
        const auto rep = qq::smooth_quant(fl, m->config, st, so);
        for (const auto& layer : rep.layers)
            for (const auto& ch : layer) QVERIFY(ch.smoothed && !ch.scales.empty());
        // The factors really move weight: some are far from 1.
        float lo = 1, hi = 1;
        for (float s : rep.layers[0][0].scales) {
            lo = std::min(lo, s);
            hi = std::max(hi, s);
        }
        QVERIFY(hi / lo > 2);
        const auto smoothed = qq::assemble_model(*m, fl, kF32);
        const auto unsmoothed = qq::assemble_model(*m, qq::float_layers(*m), kF32);
        const double err = max_rel(logits(smoothed, tokens), logits(unsmoothed, tokens));
        qInfo("smoothed vs original float model: max logit difference %.2e of the logit range", err);
        QVERIFY2(err < 1e-4, qPrintable(QString::number(err)));
    }

    void outlier_channels_break_naive_w8a8_and_smoothquant_recovers() {
        const auto m = q8::load_model(dir_.filePath("llama/model.gguf").toStdString());
        // A few input channels of every attention and FFN input 50x larger, the weights that read
        // them 50x smaller: the float function is unchanged.
        qq::FloatLayers fl = qq::float_layers(*m);
        for (auto& L : fl.layers) {
            for (int64_t j : {3, 40, 97}) {
                L.attn_norm[size_t(j)] *= 50.f;
                L.ffn_norm[size_t(j)] *= 50.f;
                for (qq::FloatMatrix* w : {&L.wq, &L.wk, &L.wv, &L.w_gate, &L.w_up})
                    for (int64_t r = 0; r < w->rows; ++r) w->at(r, j) /= 50.f;
            }
        }
        const auto outlier = qq::assemble_model(*m, fl, kF32);
        const auto calib = random_tokens(96, int(m->config.n_vocab), 3);
        const auto eval = random_tokens(32, int(m->config.n_vocab), 4);
        const std::vector<float> ref = logits(outlier, eval);
        QVERIFY(max_rel(ref, logits(m, eval)) < 1e-4);

        const double naive_plain = rms_rel(logits(qq::assemble_model(*m, qq::float_layers(*m), kW8A8), eval), ref);
        const double naive = rms_rel(logits(qq::assemble_model(*m, fl, kW8A8), eval), ref);
        qq::CalibrationOptions co;
        co.ctx = 32;
        const auto st = qq::calibrate(outlier, calib, co);
        qq::FloatLayers smoothed = fl;
        const auto rep = qq::smooth_quant(smoothed, m->config, st);
        const double sq = rms_rel(logits(qq::assemble_model(*m, smoothed, kW8A8), eval), ref);
        QString alphas;
        for (const auto& layer : rep.layers)
            for (const auto& ch : layer) alphas += ch.smoothed ? QString::number(ch.alpha) + " " : "- ";
        qInfo(
            "rms logit error: W8A8 on the original model %.4f; with 50x outlier channels naive %.4f, SmoothQuant %.4f "
            "(alphas %s)",
            naive_plain, naive, sq, qPrintable(alphas));
        QVERIFY(naive > 2 * naive_plain);  // the outliers hurt naive W8A8 clearly
        QVERIFY(sq < naive / 2);           // and smoothing recovers most of it
        for (const auto& layer : rep.layers) {
            for (const auto& ch : layer) QVERIFY(ch.error <= ch.error_unsmoothed);
        }
    }

    void activation_policy_chooses_per_layer_and_runs() {
        const auto m = q8::load_model(dir_.filePath("llama/model.gguf").toStdString());
        const auto calib = random_tokens(64, int(m->config.n_vocab), 5);
        qq::CalibrationOptions co;
        co.ctx = 32;
        const auto st = qq::calibrate(m, calib, co);
        const qq::FloatLayers fl = qq::float_layers(*m);
        const q8::WeightTarget w4a8{q8::WeightLayout::Q4Group, q8::GgmlType::F32, 32, true};
        const auto all_static = qq::choose_activation_policy(fl, st, w4a8, {}, 1e9);
        const auto strict = qq::choose_activation_policy(fl, st, w4a8, {}, 1.0);
        const auto policy = qq::choose_activation_policy(fl, st, w4a8, {});
        int n_static = 0;
        for (size_t l = 0; l < policy.layers.size(); ++l) {
            for (int i = 0; i < qq::kLinearInputs; ++i) {
                const auto& c = policy.layers[l][size_t(i)];
                QVERIFY(all_static.layers[l][size_t(i)].is_static);
                QCOMPARE(strict.layers[l][size_t(i)].is_static, c.error_static <= c.error_dynamic);
                QCOMPARE(c.is_static, c.error_static <= 1.25 * c.error_dynamic);
                QVERIFY(c.static_scale > 0 && c.range_ratio >= 1);
                n_static += c.is_static;
            }
        }
        qInfo("policy: %s", policy.summary().c_str());
        const auto scales = policy.static_scales();
        QCOMPARE(scales.size(), fl.layers.size() * 4);
        qq::AssembleSpec spec{w4a8,
                              {q8::WeightLayout::Ggml, q8::GgmlType::Q8_0, 0, false},
                              {q8::WeightLayout::Ggml, q8::GgmlType::Q8_0, 0, false},
                              "w4a8p",
                              scales};
        const auto mm = qq::assemble_model(*m, fl, spec);
        int labelled = 0;
        for (const auto& L : mm->layers) labelled += QString::fromStdString(L.wq.format_name()).endsWith("/A8s");
        QCOMPARE(labelled, [&] {
            int n = 0;
            for (const auto& layer : policy.layers) n += layer[0].is_static;
            return n;
        }());
        const auto eval = random_tokens(24, int(m->config.n_vocab), 6);
        const double err = rms_rel(logits(mm, eval), logits(m, eval));
        qInfo("W4A8 with the policy: rms logit error %.4f", err);
        QVERIFY(std::isfinite(err) && err < 0.6);
        Q_UNUSED(n_static);
    }
};

QTEST_GUILESS_MAIN(TestSmoothQuant)
#include "test_smoothquant.moc"
