// A trained (or random) llama model embedded in a larger shape computes what it computed before:
// logits within 1e-3 relative with an F32 KV cache, for GQA models, through `q8bench synth --from`
// and the library call alike; inputs that cannot be embedded are refused with the reason and leave
// no file behind.
#include <spdlog/spdlog.h>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <q8/engine.h>

#include "embed_model.h"
#include "inference_session.h"
#include "model.h"
#include "model_shapes.h"

namespace {

const std::string kDemoTarget = Q8_SOURCE_DIR "/resources/models/demo-target.gguf";

int q8bench(const QStringList& args) {
    QProcess p;
    p.start(Q8BENCH_PATH, args);
    if (!p.waitForFinished(120000)) return -1;
    if (p.exitCode() != 0) qWarning("q8bench: %s", p.readAllStandardError().constData());
    return p.exitCode();
}

// Every position's logits, evaluated in one batch with exact F32 arithmetic and an F32 cache.
std::vector<std::vector<float>> all_logits(const std::string& path, const std::vector<int32_t>& tokens) {
    const auto model = q8::load_model(path);
    q8::SessionOptions o;
    o.n_ctx = 64;
    o.n_threads = 1;
    o.kv_type = q8::KvType::F32;
    o.prompt_arithmetic = q8::BatchArithmetic::F32;
    q8::InferenceSession s(model, o);
    s.eval(tokens, true);
    std::vector<std::vector<float>> rows;
    for (size_t i = 0; i < tokens.size(); ++i) {
        const auto row = s.logits_row(i);
        rows.emplace_back(row.begin(), row.end());
    }
    return rows;
}

// max |a - b| / max |a| over each row, the largest of the rows.
double worst_relative_error(const std::vector<std::vector<float>>& a, const std::vector<std::vector<float>>& b) {
    double worst = 0;
    for (size_t r = 0; r < a.size(); ++r) {
        double diff = 0, scale = 0;
        for (size_t i = 0; i < a[r].size(); ++i) {
            diff = std::max(diff, double(std::fabs(a[r][i] - b[r][i])));
            scale = std::max(scale, double(std::fabs(a[r][i])));
        }
        worst = std::max(worst, diff / scale);
    }
    return worst;
}

std::vector<int32_t> prompt_tokens(const std::string& path, const std::string& text) {
    return q8::load_model(path)->tokenizer.encode(text, true, false);
}

}  // namespace

class TestEmbedModel : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::string small_, qwen_;

    std::string file(const char* name) const { return dir_.filePath(name).toStdString(); }

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        QVERIFY(dir_.isValid());
        small_ = file("small.gguf");
        qwen_ = file("qwen.gguf");
        QCOMPARE(q8bench({"synth", "--shape", "tiny-llama-test", "-o", QString::fromStdString(small_), "--seed", "3"}),
                 0);
        QCOMPARE(q8bench({"synth", "--shape", "tiny-qwen2-test", "-o", QString::fromStdString(qwen_)}), 0);
    }

    // A random GQA model (4 query heads on 2 key/value heads) widened in every dimension.
    void a_random_model_keeps_its_logits() {
        const std::string wide = file("wide.gguf");
        QVERIFY(q8::embed_model(small_, *q8::find_model_shape("tiny-llama-test-wide"), wide));
        const auto small = q8::load_model(small_);
        const auto large = q8::load_model(wide);
        QCOMPARE(large->config.n_embd, int64_t(128));
        QCOMPARE(large->config.n_layer, int64_t(3));
        QCOMPARE(large->config.n_vocab, small->config.n_vocab);
        const std::vector<int32_t> tokens = {1, 300, 4000, 25, 9000, 17, 31000, 5, 77, 2};
        const double err = worst_relative_error(all_logits(small_, tokens), all_logits(wide, tokens));
        QVERIFY2(err < 1e-3, qPrintable(QString::number(err)));
    }

    // The built-in demo target (8 query heads on 4 key/value heads, trained) through the CLI: the
    // same logits, so the same greedy text.
    void the_trained_demo_target_keeps_its_logits_and_text() {
        const std::string wide = file("demo-wide.gguf");
        QCOMPARE(q8bench({"synth", "--shape", "demo-wide-test", "--from", QString::fromStdString(kDemoTarget), "-o",
                          QString::fromStdString(wide)}),
                 0);
        const std::vector<int32_t> tokens = prompt_tokens(kDemoTarget, "def fibonacci(n):\n    if n < 2:");
        QCOMPARE(prompt_tokens(wide, "def fibonacci(n):\n    if n < 2:"), tokens);
        const double err = worst_relative_error(all_logits(kDemoTarget, tokens), all_logits(wide, tokens));
        QVERIFY2(err < 1e-3, qPrintable(QString::number(err)));

        q8::GenerationRequest r;
        r.prompt = "def fibonacci(n):\n";
        r.max_tokens = 24;
        r.sampling = q8::SamplingParams::greedy();
        q8::SessionConfig c;
        c.n_threads = 1;
        c.f32_kv_cache = true;
        c.bf16_prompts = false;
        q8::Session small(q8::load_model(kDemoTarget), c);
        q8::Session large(q8::load_model(wide), c);
        QCOMPARE(large.generate(r).tokens, small.generate(r).tokens);
        // The size asked about before writing: within 0.1% (alignment padding aside).
        const double estimate = double(q8::embedded_model_bytes(kDemoTarget, *q8::find_model_shape("demo-wide-test")));
        const double written = double(std::filesystem::file_size(wide));
        QVERIFY2(std::fabs(estimate - written) < 1e-3 * written,
                 qPrintable(QString("%1 vs %2").arg(estimate).arg(written)));
    }

    void what_cannot_be_embedded_is_refused_with_the_reason() {
        const struct {
            std::string from;
            const char* shape;
            const char* reason;
        } cases[] = {
            {small_, "tinyllama-1.1b", "head size differs (16 against 64)"},
            {file("wide.gguf"), "tiny-llama-test", "shape is smaller than the model"},
            {qwen_, "tiny-qwen2-test", "llama models only"},
            {kDemoTarget, "tiny-llama-test-wide", "head size differs"},
        };
        for (const auto& c : cases) {
            const std::string out = file("refused.gguf");
            try {
                q8::embed_model(c.from, *q8::find_model_shape(c.shape), out);
                QFAIL(qPrintable(QString("embedding in %1 was not refused").arg(c.shape)));
            } catch (const q8::EngineError& e) {
                QVERIFY2(std::string(e.what()).find(c.reason) != std::string::npos, e.what());
            }
            QVERIFY(!std::filesystem::exists(out));
        }
    }

    // Ctrl-C in the CLI (a cancelled progress here) leaves no file.
    void a_cancelled_embedding_leaves_nothing() {
        const std::string out = file("cancelled.gguf");
        q8::EmbedOptions o;
        o.progress = [](float f) { return f < 0.5f; };
        QVERIFY(!q8::embed_model(small_, *q8::find_model_shape("tiny-llama-test-wide"), out, o));
        QVERIFY(!std::filesystem::exists(out));
    }
};

QTEST_GUILESS_MAIN(TestEmbedModel)
#include "test_embed_model.moc"
