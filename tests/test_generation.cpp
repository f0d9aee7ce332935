// The generation API as the app's worker uses it: streaming, stop conditions, cancellation from
// another thread, context limits, prompt reuse and reproducible sampling.
#include <spdlog/spdlog.h>
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <thread>

#include <q8/error.h>

#include "generator.h"
#include "model.h"
#include "reference_scripts.h"

class TestGeneration : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::shared_ptr<const q8::Model> model_;

    q8::InferenceSession session(int64_t n_ctx = 0) {
        q8::SessionOptions o;
        o.n_ctx = n_ctx;
        o.n_threads = 2;
        return q8::InferenceSession(model_, o);
    }

    static q8::GenerationRequest request(const std::string& prompt, int64_t n) {
        q8::GenerationRequest r;
        r.prompt = prompt;
        r.max_tokens = n;
        r.sampling = q8::SamplingParams::greedy();
        return r;
    }

    static q8::GenerationCallbacks tokens(std::function<void(const q8::TokenEvent&)> f) {
        q8::GenerationCallbacks c;
        c.on_token = std::move(f);
        return c;
    }

    template <typename F>
    static void expect_error(F&& f, const char* needle) {
        try {
            f();
            QFAIL(qPrintable(QString("no error; expected one mentioning '%1'").arg(needle)));
        } catch (const q8::EngineError& e) {
            QVERIFY2(std::string(e.what()).find(needle) != std::string::npos, e.what());
        }
    }

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        // A model wide enough that one token takes measurable time, deep enough to cancel between
        // layers.
        const QString err = q8test::make_reference_case(
            dir_.filePath("m"), {"--arch", "llama", "--seed", "11", "--layers", "4", "--ctx", "256", "--vocab", "400"});
        QVERIFY2(err.isEmpty(), qPrintable(err));
        model_ = q8::load_model(dir_.filePath("m/model.gguf").toStdString());
    }

    void streams_text_that_adds_up() {
        auto s = session();
        std::string streamed;
        int events = 0;
        const auto r = q8::generate(s, request("def add(a, b):", 24), tokens([&](const q8::TokenEvent& ev) {
                                        QCOMPARE(ev.index, int64_t(events));
                                        ++events;
                                        streamed += ev.text;
                                    }));
        QCOMPARE(r.reason, q8::StopReason::MaxTokens);
        QCOMPARE(r.metrics.generated_tokens, int64_t(24));
        QCOMPARE(events, 24);
        QCOMPARE(streamed, r.text);
        QCOMPARE(static_cast<int64_t>(r.tokens.size()), int64_t(24));
        QVERIFY(r.metrics.prompt_tokens > 0);
        QVERIFY(r.metrics.time_to_first_token_s > 0);
        QVERIFY(r.metrics.decode_tokens_per_s > 0);
        QVERIFY(r.metrics.resident_bytes > 0);
    }

    void greedy_is_deterministic_and_seeds_reproduce() {
        auto a = session();
        auto b = session();
        QCOMPARE(q8::generate(a, request("hello", 16), {}).tokens, q8::generate(b, request("hello", 16), {}).tokens);
        auto sampled = [&](uint64_t seed) {
            auto s = session();
            auto r = request("hello", 32);
            r.sampling = q8::SamplingParams{};
            r.sampling.temperature = 1.5f;
            r.sampling.min_p = 0.f;
            r.sampling.seed = seed;
            return q8::generate(s, r, {}).tokens;
        };
        QCOMPARE(sampled(7), sampled(7));
        QVERIFY(sampled(7) != sampled(8));
    }

    void prompt_reuse_gives_the_same_output() {
        auto fresh = session();
        const auto want = q8::generate(fresh, request("the cat sat on the mat and", 12), {});
        auto s = session();
        q8::generate(s, request("the cat sat", 4), {});
        const auto got = q8::generate(s, request("the cat sat on the mat and", 12), {});
        QVERIFY(got.metrics.reused_tokens > 0);
        QCOMPARE(got.tokens, want.tokens);
    }

    void empty_prompt_is_refused() {
        auto s = session();
        expect_error([&] { q8::generate(s, request("", 4), {}); }, "prompt is empty");
    }

    void prompt_longer_than_context_is_refused() {
        auto s = session(32);
        expect_error([&] { q8::generate(s, request(std::string(200, 'x') + " long", 4), {}); },
                     "but the context holds 32");
    }

    void context_limit_stops_cleanly() {
        auto s = session(40);
        const auto r = q8::generate(s, request("abc", 1000), {});
        QCOMPARE(r.reason, q8::StopReason::ContextFull);
        QVERIFY2(r.message.find("context limit of 40") != std::string::npos, r.message.c_str());
        QVERIFY(s.n_past() <= 40);
        // The session is still usable afterwards.
        QCOMPARE(q8::generate(s, request("abc", 3), {}).metrics.generated_tokens, int64_t(3));
    }

    void stop_string_ends_generation_before_it() {
        auto s = session();
        const auto full = q8::generate(s, request("x = [", 40), {});
        QVERIFY(full.text.size() > 6);
        const std::string stop = full.text.substr(3, 3);
        auto s2 = session();
        auto r = request("x = [", 40);
        r.stop_strings = {stop};
        std::string streamed;
        const auto got = q8::generate(s2, r, tokens([&](const q8::TokenEvent& ev) { streamed += ev.text; }));
        QCOMPARE(got.reason, q8::StopReason::StopString);
        QCOMPARE(streamed, full.text.substr(0, full.text.find(stop)));
    }

    void end_of_generation_token_stops() {
        auto s = session();
        auto r = request("hi", 50);
        const int32_t eos = model_->tokenizer.vocab().eos;
        r.sampling.logit_bias = {{eos, 1e4f}};
        std::string streamed;
        const auto out = q8::generate(s, r, tokens([&](const q8::TokenEvent& ev) { streamed += ev.text; }));
        QCOMPARE(out.reason, q8::StopReason::EndOfGeneration);
        QCOMPARE(out.tokens, std::vector<int32_t>{eos});
        QVERIFY2(streamed.empty(), "the end-of-generation token must not be shown");
        // Banning it lets generation run to the limit.
        r.sampling.logit_bias = {{eos, -1e30f}};
        const auto banned = q8::generate(s, r, {});
        QCOMPARE(banned.reason, q8::StopReason::MaxTokens);
        QVERIFY(std::find(banned.tokens.begin(), banned.tokens.end(), eos) == banned.tokens.end());
    }

    void cancel_before_start_returns_at_once() {
        auto s = session();
        std::atomic<bool> cancel{true};
        const auto r = q8::generate(s, request("some prompt", 10), {}, &cancel);
        QCOMPARE(r.reason, q8::StopReason::Cancelled);
        QCOMPARE(r.message, std::string("cancelled during prompt evaluation"));
        QCOMPARE(r.metrics.generated_tokens, int64_t(0));
        QCOMPARE(s.n_past(), int64_t(0));  // no half-evaluated chunk is kept
        cancel = false;
        QCOMPARE(q8::generate(s, request("some prompt", 2), {}, &cancel).metrics.generated_tokens, int64_t(2));
    }

    void cancel_from_another_thread_acts_within_200ms() {
        auto s = session();
        std::atomic<bool> cancel{false};
        std::atomic<int> seen{0};
        std::chrono::steady_clock::time_point raised;
        std::thread stopper([&] {
            while (seen.load() < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            raised = std::chrono::steady_clock::now();
            cancel = true;
        });
        const auto r =
            q8::generate(s, request("count:", 100000), tokens([&](const q8::TokenEvent&) { ++seen; }), &cancel);
        const auto took = std::chrono::steady_clock::now() - raised;
        stopper.join();
        QCOMPARE(r.reason, q8::StopReason::Cancelled);
        QVERIFY(std::chrono::duration_cast<std::chrono::milliseconds>(took).count() < 200);
    }

    void bad_sampling_parameters_are_refused() {
        auto s = session();
        auto r = request("x", 4);
        r.sampling.temperature = -1.f;
        expect_error([&] { q8::generate(s, r, {}); }, "temperature");
        r = request("x", -1);
        expect_error([&] { q8::generate(s, r, {}); }, "token limit");
    }

    void out_of_range_token_ids_are_refused() {
        auto s = session();
        const int32_t bad[1] = {static_cast<int32_t>(model_->config.n_vocab)};
        expect_error([&] { s.eval(bad); }, "outside the vocabulary");
        const std::vector<int32_t> too_many(static_cast<size_t>(s.n_ctx() + 1), 1);
        expect_error([&] { s.eval(too_many); }, "context full");
    }
};

QTEST_GUILESS_MAIN(TestGeneration)
#include "test_generation.moc"
