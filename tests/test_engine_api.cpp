// The public engine API as the app uses it, through <q8/engine.h> alone: model descriptions before
// and after loading, memory estimates, sessions with and without a draft, and conversations that
// reuse their prefix and drop whole old turns when the context fills.
#include <spdlog/spdlog.h>
#include <QtTest>

#include <q8/engine.h>

namespace {

const std::string kModels = Q8_SOURCE_DIR "/resources/models/";
const std::string kTarget = kModels + "demo-target.gguf";
const std::string kDraft = kModels + "demo-draft.gguf";

q8::GenerationRequest greedy(int64_t n) {
    q8::GenerationRequest r;
    r.max_tokens = n;
    r.sampling = q8::SamplingParams::greedy();
    return r;
}

q8::SessionConfig config(int64_t n_ctx) {
    q8::SessionConfig c;
    c.n_ctx = n_ctx;
    c.n_threads = 1;
    return c;
}

}  // namespace

class TestEngineApi : public QObject {
    Q_OBJECT
    std::shared_ptr<const q8::Model> target_;

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        target_ = q8::load_model(kTarget);
    }

    void model_info_from_the_file_matches_the_loaded_model() {
        const q8::ModelInfo before = q8::read_model_info(kTarget);
        const q8::ModelInfo after = q8::model_info(*target_);
        QCOMPARE(before.architecture, std::string("llama"));
        QCOMPARE(after.architecture, before.architecture);
        QCOMPARE(after.n_layer, before.n_layer);
        QCOMPARE(after.n_vocab, before.n_vocab);
        QCOMPARE(after.n_head_kv, before.n_head_kv);
        QCOMPARE(after.parameters, before.parameters);
        QCOMPARE(after.file_type, before.file_type);
        QVERIFY(before.parameters > 20'000'000);
        QVERIFY(before.file_bytes > uint64_t(before.parameters) * 2);
        QVERIFY(before.precision.empty());  // not loaded yet
        QCOMPARE(after.precision, std::string("native"));
        QVERIFY(after.weight_bytes > 0);
        // The demo pair is a code model with fill-in-the-middle tokens and no chat template.
        QVERIFY(before.chat_template.empty());
        QVERIFY(before.special.fim_prefix.id >= 0);
        QVERIFY(!before.special.fim_prefix.text.empty());
        QVERIFY(!before.special.end_of_generation.empty());
    }

    void kv_cache_figure_is_what_a_session_allocates() {
        const q8::ModelInfo info = q8::model_info(*target_);
        q8::Session s(target_, config(256));
        QCOMPARE(s.kv_cache_bytes(), info.kv_cache_bytes(256));
        QCOMPARE(info.kv_cache_bytes(256, true), 2 * info.kv_cache_bytes(256));
    }

    void memory_estimate_is_close_to_the_loaded_weights_data() {
        QTest::addColumn<int>("precision");
        QTest::newRow("fp16") << int(q8::Precision::F16);
        QTest::newRow("q8") << int(q8::Precision::Q8);
        QTest::newRow("q4") << int(q8::Precision::Q4);
    }
    void memory_estimate_is_close_to_the_loaded_weights() {
        QFETCH(int, precision);
        const auto p = static_cast<q8::Precision>(precision);
        const q8::ModelInfo info = q8::read_model_info(kTarget);
        const q8::MemoryEstimate e = q8::estimate_memory(info, p, 512);
        q8::LoadOptions lo;
        lo.precision = p;
        const uint64_t actual = q8::model_info(*q8::load_model(kTarget, lo)).weight_bytes;
        const double ratio = double(e.weights) / double(actual);
        QVERIFY2(ratio > 0.85 && ratio < 1.15,
                 qPrintable(QString("estimate %1, loaded %2").arg(e.weights).arg(actual)));
        QCOMPARE(e.kv_cache, info.kv_cache_bytes(512));
        QCOMPARE(e.total(), e.weights + e.kv_cache);
    }

    void speculative_session_matches_plain_greedy_and_marks_draft_tokens() {
        q8::GenerationRequest r = greedy(48);
        r.prompt = "def fibonacci(n):\n";
        q8::Session plain(target_, config(512));
        const q8::GenerationResult want = plain.generate(r);
        QVERIFY(!plain.speculative());

        q8::SessionConfig c = config(512);
        c.draft = q8::load_model(kDraft);
        q8::Session spec(target_, c);
        QVERIFY(spec.speculative());
        int steps = 0;
        int64_t from_draft = 0, events = 0;
        q8::GenerationCallbacks cb;
        cb.on_step = [&](const q8::SpecStep& s) {
            ++steps;
            QVERIFY(s.accepted <= s.drafted && s.drafted <= s.k && s.emitted == s.accepted + 1);
        };
        cb.on_token = [&](const q8::TokenEvent& ev) {
            QCOMPARE(ev.index, events);
            ++events;
            from_draft += ev.from_draft ? 1 : 0;
        };
        const q8::GenerationResult got = spec.generate(r, cb);
        QCOMPARE(got.tokens, want.tokens);
        QCOMPARE(got.text, want.text);
        QCOMPARE(int64_t(steps), got.metrics.speculative.steps);
        QVERIFY(from_draft > 0);
        QVERIFY(from_draft <= got.metrics.speculative.accepted);
        QCOMPARE(got.sampling, std::string("greedy"));
        const q8::SpecTotals& t = got.metrics.speculative;
        QCOMPARE(t.acceptance_rate(), double(t.accepted) / double(t.drafted));
        QCOMPARE(t.tokens_per_step(), double(t.emitted) / double(t.steps));
    }

    void conversation_reuses_the_prefix_across_three_turns() {
        q8::Session s(target_, config(1024));
        q8::Conversation chat(s);
        chat.set_system_prompt("You write short Python functions.");
        int64_t previous_prompt = 0;
        for (const char* msg : {"def add(a, b):", "def sub(a, b):", "def mul(a, b):"}) {
            const q8::ConversationReply r = chat.send(msg, greedy(12));
            QCOMPARE(r.dropped_turns, 0);
            const q8::GenerationMetrics& m = r.generation.metrics;
            if (previous_prompt == 0) {
                QCOMPARE(m.reused_tokens, int64_t(0));
            } else {
                // Everything sent before is cached, up to where the last answer was re-read.
                QVERIFY2(m.reused_tokens >= previous_prompt,
                         qPrintable(QString("reused %1 of %2").arg(m.reused_tokens).arg(previous_prompt)));
            }
            QCOMPARE(r.context_tokens, m.prompt_tokens);
            previous_prompt = m.prompt_tokens;
        }
        QCOMPARE(chat.turns().size(), size_t(6));
        QCOMPARE(chat.turns()[4].role, q8::Role::User);
        QCOMPARE(chat.turns()[5].role, q8::Role::Assistant);
    }

    void conversation_that_overflows_drops_whole_old_turns() {
        q8::Session s(target_, config(160));
        q8::Conversation chat(s);
        chat.set_system_prompt("Answer with code.");
        const std::string msg = "def parse_arguments(argv, defaults, required_keys, strict_mode):";
        int dropped = 0;
        for (int i = 0; i < 6; ++i) {
            const q8::ConversationReply r = chat.send(msg + " # " + std::to_string(i), greedy(16));
            QVERIFY(r.context_tokens + r.reserved_tokens <= s.n_ctx());
            QCOMPARE(r.dropped_turns % 2, 0);  // a user turn leaves with its answer
            dropped += r.dropped_turns;
            QCOMPARE(chat.turns()[chat.first_turn_in_context()].role, q8::Role::User);
        }
        QVERIFY2(dropped > 0, "six long turns must not fit in 160 tokens");
        QCOMPARE(chat.turns().size(), size_t(12));  // dropped from the context, not from the chat
        QCOMPARE(size_t(dropped), chat.first_turn_in_context());
    }

    void a_message_that_cannot_fit_is_refused_and_not_added() {
        q8::Session s(target_, config(64));
        q8::Conversation chat(s);
        chat.send("x = 1", greedy(4));
        const size_t before = chat.turns().size();
        try {
            chat.send(std::string(400, 'y'), greedy(16));
            QFAIL("an oversized message was accepted");
        } catch (const q8::EngineError& e) {
            QVERIFY2(std::string(e.what()).find("context holds 64") != std::string::npos, e.what());
        }
        QCOMPARE(chat.turns().size(), before);
        QVERIFY_THROWS_EXCEPTION(q8::EngineError, chat.send("", greedy(4)));
    }

    void regenerate_replaces_the_last_answer() {
        q8::Session s(target_, config(512));
        q8::Conversation chat(s);
        const std::string first = chat.send("def square(x):", greedy(10)).generation.text;
        const q8::ConversationReply again = chat.regenerate(greedy(10));
        QCOMPARE(again.generation.text, first);  // greedy: the same answer
        QCOMPARE(chat.turns().size(), size_t(2));
        QCOMPARE(chat.turns().back().text, first);
    }

    void a_cancelled_answer_keeps_what_was_streamed() {
        q8::Session s(target_, config(512));
        q8::Conversation chat(s);
        std::atomic<bool> cancel{false};
        q8::GenerationCallbacks cb;
        std::string streamed;
        cb.on_token = [&](const q8::TokenEvent& ev) {
            streamed += ev.text;
            if (ev.index == 5) cancel = true;
        };
        const q8::ConversationReply r = chat.send("def cube(x):", greedy(100), cb, &cancel);
        QCOMPARE(r.generation.reason, q8::StopReason::Cancelled);
        QCOMPARE(chat.turns().back().role, q8::Role::Assistant);
        QCOMPARE(chat.turns().back().text, streamed);
    }
};

QTEST_GUILESS_MAIN(TestEngineApi)
#include "test_engine_api.moc"
