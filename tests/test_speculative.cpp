// Speculative decoding: greedy output equals plain greedy output token for token for every draft
// source and draft length; sampling keeps the target's distribution (chi-square); rollback leaves
// the target exactly where plain decoding would be; mismatched vocabularies and short contexts are
// handled.
#include <spdlog/spdlog.h>
#include <QTemporaryDir>
#include <QtTest>

#include <map>

#include <q8/error.h>

#include "cpu_features.h"
#include "generator.h"
#include "model.h"
#include "reference_scripts.h"
#include "speculative.h"

namespace {

std::shared_ptr<const q8::Model> make_model(const QTemporaryDir& dir, const QString& name, const QStringList& args) {
    const QString err = q8test::make_reference_case(dir.filePath(name), args);
    if (!err.isEmpty()) {
        qWarning("%s", qPrintable(err));
        return nullptr;
    }
    return q8::load_model(dir.filePath(name + "/model.gguf").toStdString());
}

q8::SessionOptions opts(int64_t n_ctx = 256, int64_t n_layers = 0) {
    q8::SessionOptions o;
    o.n_ctx = n_ctx;
    o.n_threads = 1;  // thread counts are covered by test_forward_reference; keep ctest -j2 uncontended
    o.n_layers = n_layers;
    return o;
}

}  // namespace

class TestSpeculative : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::shared_ptr<const q8::Model> target_, other_, q4copy_, wrong_vocab_;
    std::map<std::string, std::vector<int32_t>> plain_;  // plain greedy output per prompt
    const std::vector<std::string> prompts_{"def f(x):", "hello world", "for i in range(10):", "a",
                                            "x = 1\nx = 1\nx = 1\nx ="};

    std::vector<int32_t> plain(const std::string& prompt, int64_t n, int64_t n_ctx = 256) {
        q8::InferenceSession s(target_, opts(n_ctx));
        q8::GenerationRequest r;
        r.prompt = prompt;
        r.max_tokens = n;
        r.sampling = q8::SamplingParams::greedy();
        return q8::generate(s, r, {}).tokens;
    }

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        const QStringList shape{"--arch", "llama", "--layers", "4", "--ctx", "512", "--vocab", "320"};
        target_ = make_model(dir_, "target", shape + QStringList{"--seed", "31"});
        other_ = make_model(dir_, "other",
                            QStringList{"--arch", "llama", "--layers", "1", "--ctx", "512", "--vocab", "320", "--seed",
                                        "32", "--dim", "32", "--n-head", "2", "--n-head-kv", "1", "--ff", "64"});
        q8::LoadOptions q4;
        q4.precision = q8::Precision::Q4;  // self-draft: the target quantized to Q4 at load
        q4copy_ = q8::load_model(dir_.filePath("target/model.gguf").toStdString(), q4);
        wrong_vocab_ = make_model(dir_, "wrongvocab", QStringList{"--arch", "llama", "--vocab", "330", "--seed", "33"});
        QVERIFY(target_ && other_ && q4copy_ && wrong_vocab_);
        for (const auto& prompt : prompts_) plain_[prompt] = plain(prompt, 40);
    }

    void greedy_equals_plain_data() {
        QTest::addColumn<QString>("source");
        QTest::addColumn<int>("k");
        QTest::addColumn<bool>("adaptive");
        QTest::addColumn<bool>("lookup");
        for (const char* src : {"same-model", "small-model", "q4-copy", "layers:1", "layers:3"}) {
            for (int k : {1, 2, 4, 8}) {
                for (bool adaptive : {false, true}) {
                    for (bool lookup : {false, true}) {
                        QTest::newRow(qPrintable(QString("%1/k%2/%3%4")
                                                     .arg(src)
                                                     .arg(k)
                                                     .arg(adaptive ? "adaptive" : "fixed")
                                                     .arg(lookup ? "/lookup" : "")))
                            << QString(src) << k << adaptive << lookup;
                    }
                }
            }
        }
    }

    void greedy_equals_plain() {
        QFETCH(QString, source);
        QFETCH(int, k);
        QFETCH(bool, adaptive);
        QFETCH(bool, lookup);
        std::shared_ptr<const q8::Model> draft_model = target_;
        int64_t layers = 0;
        if (source == "small-model") draft_model = other_;
        if (source == "q4-copy") draft_model = q4copy_;
        if (source.startsWith("layers:")) layers = source.mid(7).toInt();
        int64_t total_drafted = 0, total_looked_up = 0;
        std::map<int, int> accepted_counts;
        for (const auto& prompt : prompts_) {
            const auto& want = plain_[prompt];
            q8::InferenceSession target(target_, opts());
            q8::InferenceSession draft(draft_model, opts(256, layers));
            q8::SpeculativeSetup spec;
            spec.draft = &draft;
            spec.options.k_max = k;
            spec.options.k_initial = k;
            spec.options.adaptive = adaptive;
            spec.options.lookup = lookup;
            // The acceptance rule keeps k drafting here: the speed rule may pause on a model this
            // small, and this test is about every drafted position.
            spec.options.policy = q8::SpeculativeOptions::Policy::Acceptance;
            q8::GenerationCallbacks callbacks;
            callbacks.on_step = [&](const q8::SpecStep& st) {
                QVERIFY(st.accepted >= 0 && st.accepted <= st.drafted && st.drafted <= st.k && st.k <= k);
                accepted_counts[st.accepted]++;
            };
            int64_t shown_from_draft = 0;
            callbacks.on_token = [&](const q8::TokenEvent& ev) { shown_from_draft += ev.from_draft ? 1 : 0; };
            q8::GenerationRequest r;
            r.prompt = prompt;
            r.max_tokens = 40;
            r.sampling = q8::SamplingParams::greedy();
            const auto got = q8::generate(target, r, callbacks, nullptr, &spec);
            QCOMPARE(got.tokens, want);
            // Every accepted draft token is shown as one, except those past the token limit.
            const int64_t accepted = got.metrics.speculative.accepted;
            QVERIFY(shown_from_draft <= accepted && shown_from_draft >= accepted - k);
            const q8::SpecTotals& st = got.metrics.speculative;
            total_drafted += st.drafted;
            total_looked_up += st.lookup_drafted;
            // The target drafting for itself is always right; looked-up drafts need not be.
            if (source == "same-model") QCOMPARE(st.accepted - st.lookup_accepted, st.drafted - st.lookup_drafted);
        }
        QVERIFY(total_drafted > 0);
        // The prompt that repeats itself gives a lookup at once.
        QCOMPARE(total_looked_up > 0, lookup);
        if (source == "small-model" && k >= 4) {
            // A poor draft is rejected at many different positions: rollback is exercised there.
            QVERIFY2(accepted_counts.size() >= 2, "expected rejections at several positions");
        }
    }

    void context_smaller_than_draft_is_handled() {
        const auto want = plain("abc", 1000, 40);
        q8::InferenceSession target(target_, opts(40));
        q8::InferenceSession draft(other_, opts(40));
        q8::SpeculativeSetup spec;
        spec.draft = &draft;
        spec.options.k_max = 8;
        spec.options.k_initial = 8;
        q8::GenerationRequest r;
        r.prompt = "abc";
        r.max_tokens = 1000;
        r.sampling = q8::SamplingParams::greedy();
        const auto got = q8::generate(target, r, {}, nullptr, &spec);
        QCOMPARE(got.reason, q8::StopReason::ContextFull);
        QCOMPARE(got.tokens, want);
        QVERIFY(target.n_past() <= 40);
    }

    void rollback_leaves_the_target_as_plain_decoding_would() {
        q8::InferenceSession target(target_, opts());
        q8::InferenceSession draft(other_, opts());
        q8::SamplingParams sp = q8::SamplingParams::greedy();
        q8::Sampler sampler(sp);
        q8::SpeculativeOptions so;
        so.k_initial = so.k_max = 6;
        so.adaptive = false;
        q8::SpeculativeDecoder dec(target, draft, sampler, so);
        std::vector<int32_t> history = target_->tokenizer.encode("x = 1", false, false);
        QVERIFY(target.eval(std::span(history).first(history.size() - 1)));
        for (int step = 0; step < 12; ++step) {
            std::vector<int32_t> out;
            QVERIFY(dec.step(history, out, nullptr));
            history.insert(history.end(), out.begin(), out.end());
            // The cache holds exactly history minus its last token, at the right positions.
            QCOMPARE(std::vector<int32_t>(target.tokens().begin(), target.tokens().end()),
                     std::vector<int32_t>(history.begin(), history.end() - 1));
        }
        // Its next logits equal a fresh session's over the same tokens, bit for bit.
        const int32_t last[1] = {history.back()};
        QVERIFY(target.eval(last));
        q8::InferenceSession fresh(target_, opts());
        QVERIFY(fresh.eval(history));
        QCOMPARE(std::vector<float>(target.logits().begin(), target.logits().end()),
                 std::vector<float>(fresh.logits().begin(), fresh.logits().end()));
    }

    // Verification asks for Exact arithmetic on its one eval, whatever the session's prompt
    // arithmetic: in a BF16 session (F16 weights) every verified row equals one-token decoding bit
    // for bit, for a draft's batch (5 tokens) and for a batch long enough for bf16 products (20).
    // That batch at the session's own arithmetic differs where the CPU has bf16 arithmetic, so the
    // check cannot pass vacuously.
    void verification_is_exact_in_a_bf16_session_data() {
        QTest::addColumn<int>("tokens");
        QTest::addRow("draft of 4") << 5;
        QTest::addRow("bf16 batch") << 20;
    }

    void verification_is_exact_in_a_bf16_session() {
        QFETCH(int, tokens);
        q8::LoadOptions f16;
        f16.precision = q8::Precision::F16;
        const auto model = q8::load_model(dir_.filePath("target/model.gguf").toStdString(), f16);
        q8::SessionOptions o = opts();
        o.prompt_arithmetic = q8::BatchArithmetic::BF16;
        q8::InferenceSession verify(model, o), decode(model, o), prompt(model, o);
        const std::vector<int32_t> prefix = model->tokenizer.encode("def f(x):", false, false);
        std::vector<int32_t> batch;
        for (int32_t i = 0; i < tokens; ++i) batch.push_back((7 * i + 3) % 300);
        for (q8::InferenceSession* s : {&verify, &decode, &prompt}) QVERIFY(s->eval(prefix));
        QVERIFY(verify.eval(batch, true, nullptr, q8::BatchArithmetic::Exact));
        QVERIFY(prompt.eval(batch, true));
        bool prompt_differs = false;
        for (size_t i = 0; i < batch.size(); ++i) {
            QVERIFY(decode.eval(std::span(batch).subspan(i, 1)));
            const std::vector<float> want(decode.logits().begin(), decode.logits().end());
            QCOMPARE(std::vector<float>(verify.logits_row(i).begin(), verify.logits_row(i).end()), want);
            prompt_differs |= std::vector<float>(prompt.logits_row(i).begin(), prompt.logits_row(i).end()) != want;
        }
        const q8::CpuFeatures& f = q8::cpu_features();
        if (tokens >= 16 && (f.avx512_bf16 || (f.amx_bf16 && f.amx_permitted))) {
            QVERIFY2(prompt_differs, "the BF16 session's batch did not take the bf16 path");
        }
    }

    // The default Q4 target (int8 activation blocks; rows of 128 and 256 values, so every layer
    // matrix has the block kernels) verifies k + 1 tokens in one batch: greedy speculation must
    // still equal plain greedy decoding, in an F32 and in a BF16 session (whose prompts take the
    // bf16 product while verification stays on the block kernels).
    void q4_block_target_greedy_equals_plain() {
        const auto wide =
            make_model(dir_, "wide",
                       QStringList{"--arch", "llama", "--layers", "3", "--ctx", "512", "--vocab", "320", "--seed", "34",
                                   "--dim", "128", "--ff", "256", "--n-head", "4", "--n-head-kv", "2"});
        QVERIFY(wide);
        q8::LoadOptions q4;
        q4.precision = q8::Precision::Q4;
        const auto model = q8::load_model(dir_.filePath("wide/model.gguf").toStdString(), q4);
        QCOMPARE(QString::fromStdString(model->layers[0].w_down.format_name()), QString("Q4G32/A8b"));
        std::vector<std::string> prompts = prompts_;
        prompts.push_back("def fib(n):\n    if n < 2:\n        return n\n    return fib(n - 1) + fib(n - 2)\n");
        QVERIFY(model->tokenizer.encode(prompts.back(), false, false).size() >= 16);  // a bf16 prompt
        for (q8::BatchArithmetic arith : {q8::BatchArithmetic::F32, q8::BatchArithmetic::BF16}) {
            q8::SessionOptions o = opts();
            o.prompt_arithmetic = arith;
            for (const auto& prompt : prompts) {
                q8::GenerationRequest r;
                r.prompt = prompt;
                r.max_tokens = 32;
                r.sampling = q8::SamplingParams::greedy();
                q8::InferenceSession plain_session(model, o);
                const auto want = q8::generate(plain_session, r, {}).tokens;
                for (int k : {1, 4, 8}) {
                    for (int64_t layers : {int64_t{0}, int64_t{1}}) {  // the model itself, its first layer
                        q8::InferenceSession target(model, o), draft(model, opts(256, layers));
                        q8::SpeculativeSetup spec;
                        spec.draft = &draft;
                        spec.options.k_max = k;
                        spec.options.k_initial = k;
                        QCOMPARE(q8::generate(target, r, {}, nullptr, &spec).tokens, want);
                    }
                }
            }
        }
    }

    // The first token of a step is either an accepted draft or a residual resample; either way its
    // distribution must be the target's. A chi-square test over many seeded steps.
    // Drafts from the draft model, or looked up in the text (proposed outright): either way the
    // first token emitted follows the target's own distribution.
    void sampling_keeps_the_target_distribution_data() {
        QTest::addColumn<bool>("lookup");
        QTest::newRow("draft model") << false;
        QTest::newRow("lookup") << true;
    }

    void sampling_keeps_the_target_distribution() {
        QFETCH(bool, lookup);
        q8::SamplingParams sp;
        sp.temperature = 1.5f;
        sp.top_k = 6;
        sp.top_p = 1.f;
        sp.min_p = 0.f;
        sp.repeat_penalty = 1.f;
        const std::vector<int32_t> history = target_->tokenizer.encode("def g(y):\ndef g(y):", false, false);
        q8::InferenceSession target(target_, opts());
        q8::InferenceSession draft(other_, opts());
        QVERIFY(target.eval(history));
        const std::vector<float> p = q8::Sampler(sp).distribution(target.logits(), history);
        target.truncate(static_cast<int64_t>(history.size()) - 1);

        const int trials = 6000;
        std::map<int32_t, int> counts;
        q8::SpeculativeOptions so;
        so.k_initial = so.k_max = 3;
        so.adaptive = false;
        so.lookup = lookup;
        for (int t = 0; t < trials; ++t) {
            sp.seed = static_cast<uint64_t>(1000 + t);
            q8::Sampler sampler(sp);
            q8::SpeculativeDecoder dec(target, draft, sampler, so);
            std::vector<int32_t> out;
            QVERIFY(dec.step(history, out, nullptr));
            QCOMPARE(dec.last_step().lookup, lookup);
            counts[out[0]]++;
            target.truncate(static_cast<int64_t>(history.size()) - 1);
        }
        double chi2 = 0;
        int categories = 0;
        for (size_t id = 0; id < p.size(); ++id) {
            if (p[id] <= 0) {
                QVERIFY2(counts.count(static_cast<int32_t>(id)) == 0,
                         "a token outside the target's support was emitted");
                continue;
            }
            const double expected = p[id] * trials;
            const double seen = counts[static_cast<int32_t>(id)];
            chi2 += (seen - expected) * (seen - expected) / expected;
            ++categories;
        }
        QCOMPARE(categories, 6);
        // 5 degrees of freedom: p = 0.001 at 20.5.
        QVERIFY2(chi2 < 20.5, qPrintable(QString("chi-square %1").arg(chi2)));
    }

    void mismatched_vocabulary_is_refused() {
        q8::InferenceSession target(target_, opts());
        q8::InferenceSession draft(wrong_vocab_, opts());
        q8::SamplingParams sp = q8::SamplingParams::greedy();
        q8::Sampler sampler(sp);
        try {
            q8::SpeculativeDecoder dec(target, draft, sampler, {});
            QFAIL("a draft with another vocabulary was accepted");
        } catch (const q8::EngineError& e) {
            QVERIFY2(std::string(e.what()).find("differs from the target's at token id") != std::string::npos,
                     e.what());
        }
    }
};

QTEST_GUILESS_MAIN(TestSpeculative)
#include "test_speculative.moc"
