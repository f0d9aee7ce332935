// The comparison the window and `q8bench compare` share, through <q8/engine.h> alone: four rows in
// order, speculative decoding leaving greedy output unchanged, the draft options reaching Q4+spec,
// agreement fields that agree with each other, a missing draft named as the reason, and a stop
// that ends the whole comparison.
#include <spdlog/spdlog.h>
#include <QtTest>

#include <q8/engine.h>

namespace {

const std::string kModels = Q8_SOURCE_DIR "/resources/models/";

q8::CompareRequest request(bool with_draft) {
    q8::CompareRequest r;
    r.model_path = kModels + "demo-target.gguf";
    if (with_draft) r.draft_path = kModels + "demo-draft.gguf";
    r.prompt = "def fibonacci(n):\n";
    r.max_tokens = 32;
    r.n_threads = 1;
    return r;
}

const q8::CompareRow& row(const std::vector<q8::CompareRow>& rows, q8::CompareConfig c) {
    return rows[static_cast<size_t>(c)];
}

}  // namespace

class TestCompare : public QObject {
    Q_OBJECT
    std::vector<q8::CompareRow> rows_;  // the demo pair, with its draft
    std::vector<q8::CompareConfig> started_, done_;

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        q8::CompareCallbacks callbacks;
        callbacks.on_start = [this](q8::CompareConfig c) { started_.push_back(c); };
        callbacks.on_done = [this](const q8::CompareRow& r) { done_.push_back(r.config); };
        rows_ = q8::run_compare(request(true), callbacks);
    }

    // Warm or cold, a configuration writes the same tokens: the warm-up changes timing only.
    void the_warm_up_leaves_the_output_unchanged() {
        q8::CompareRequest cold = request(false);
        cold.warmup_tokens = 0;
        const std::vector<q8::CompareRow> rows = q8::run_compare(cold);
        for (q8::CompareConfig c : {q8::CompareConfig::Fp16, q8::CompareConfig::Q8, q8::CompareConfig::Q4})
            QCOMPARE(row(rows, c).result.tokens, row(rows_, c).result.tokens);
    }

    void every_configuration_runs_in_order() {
        QCOMPARE(rows_.size(), size_t(4));
        QCOMPARE(started_, q8::compare_configs());
        QCOMPARE(done_, q8::compare_configs());
        for (size_t i = 0; i < rows_.size(); ++i) {
            const q8::CompareRow& r = rows_[i];
            QCOMPARE(r.config, q8::compare_configs()[i]);
            QVERIFY2(r.ran, r.reason.c_str());
            QCOMPARE(r.result.tokens.size(), size_t(32));
            QCOMPARE(r.result.sampling, std::string("greedy"));
            QVERIFY(r.weight_bytes > 0);
            QVERIFY(r.compared_with_fp16);
            QVERIFY(r.speedup_vs_fp16 > 0);
            // The warm-up is forgotten before the measured run: its whole prompt is evaluated.
            QCOMPARE(r.result.metrics.reused_tokens, int64_t(0));
            QVERIFY(r.result.metrics.prompt_tokens > 0);
            QCOMPARE(r.record.configuration, std::string(q8::compare_config_name(r.config)));
        }
        QCOMPARE(row(rows_, q8::CompareConfig::Fp16).speedup_vs_fp16, 1.0);
        // Lower precision, smaller weights.
        QVERIFY(row(rows_, q8::CompareConfig::Q8).weight_bytes < row(rows_, q8::CompareConfig::Fp16).weight_bytes);
        QVERIFY(row(rows_, q8::CompareConfig::Q4).weight_bytes < row(rows_, q8::CompareConfig::Q8).weight_bytes);
    }

    void speculative_decoding_keeps_greedy_output() {
        const q8::CompareRow& q4 = row(rows_, q8::CompareConfig::Q4);
        const q8::CompareRow& spec = row(rows_, q8::CompareConfig::Q4Spec);
        QCOMPARE(spec.result.tokens, q4.result.tokens);
        QCOMPARE(spec.result.text, q4.result.text);
        QVERIFY(spec.result.metrics.speculative.drafted > 0);
        QCOMPARE(spec.identical_to_fp16, q4.identical_to_fp16);
        QCOMPARE(spec.first_difference, q4.first_difference);
    }

    void agreement_fields_agree_with_each_other() {
        for (const q8::CompareRow& r : rows_) {
            QCOMPARE(r.identical_to_fp16, r.first_difference == -1);
            QCOMPARE(r.identical_to_fp16, r.matching_share == 1.0);
            QVERIFY(r.matching_share >= 0 && r.matching_share <= 1);
            if (r.identical_to_fp16) continue;
            const std::vector<int32_t>& fp16 = row(rows_, q8::CompareConfig::Fp16).result.tokens;
            const auto d = static_cast<size_t>(r.first_difference);
            QVERIFY(std::equal(fp16.begin(), fp16.begin() + d, r.result.tokens.begin()));
            QVERIFY(fp16[d] != r.result.tokens[d]);
        }
    }

    // Q4+spec drafts as the request says: looked-up drafts on a prompt that repeats itself, none
    // with lookups off, and never more than k per step; the output stays Q4's either way.
    void the_speculative_options_reach_q4_spec() {
        for (const bool lookup : {true, false}) {
            q8::CompareRequest r = request(true);
            r.prompt = "a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,";
            r.speculative.lookup = lookup;
            r.speculative.k_max = 3;
            int most_drafted = 0;
            q8::CompareCallbacks callbacks;
            callbacks.on_step = [&](q8::CompareConfig, const q8::SpecStep& s) {
                most_drafted = std::max(most_drafted, s.drafted);
            };
            const std::vector<q8::CompareRow> rows = q8::run_compare(r, callbacks);
            const q8::CompareRow& spec = row(rows, q8::CompareConfig::Q4Spec);
            QCOMPARE(spec.result.tokens, row(rows, q8::CompareConfig::Q4).result.tokens);
            QCOMPARE(spec.result.metrics.speculative.lookup_drafted > 0, lookup);
            QVERIFY(most_drafted > 0 && most_drafted <= 3);
        }
    }

    void without_a_draft_q4_spec_says_so() {
        q8::CompareRequest r = request(false);
        r.max_tokens = 4;
        const std::vector<q8::CompareRow> rows = q8::run_compare(r);
        QCOMPARE(rows.size(), size_t(4));
        QVERIFY(row(rows, q8::CompareConfig::Q4).ran);
        const q8::CompareRow& spec = row(rows, q8::CompareConfig::Q4Spec);
        QVERIFY(!spec.ran);
        QVERIFY2(spec.reason.find("draft") != std::string::npos, spec.reason.c_str());
        QVERIFY(!spec.compared_with_fp16);
    }

    void stop_ends_the_whole_comparison() {
        std::atomic<bool> cancel{false};
        q8::CompareCallbacks callbacks;
        callbacks.on_start = [&](q8::CompareConfig c) {
            if (c == q8::CompareConfig::Q8) cancel.store(true);
        };
        q8::CompareRequest r = request(true);
        r.max_tokens = 4;
        const std::vector<q8::CompareRow> rows = q8::run_compare(r, callbacks, &cancel);
        QCOMPARE(rows.size(), size_t(4));
        QVERIFY(row(rows, q8::CompareConfig::Fp16).ran);
        for (const q8::CompareConfig c : {q8::CompareConfig::Q8, q8::CompareConfig::Q4, q8::CompareConfig::Q4Spec}) {
            QVERIFY(!row(rows, c).ran);
            QCOMPARE(row(rows, c).reason, std::string("stopped"));
        }
    }
};

QTEST_GUILESS_MAIN(TestCompare)
#include "test_compare.moc"
