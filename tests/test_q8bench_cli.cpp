// q8bench as scripts use it: exit codes, JSON shapes, the tokenize contract (one line of ids, no
// BOS/EOS, a file's whole content as one text), synthetic models that info loads with the shape's
// numbers, and clear errors on bad input.
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include "reference_scripts.h"

namespace {

struct Run {
    int code = -1;
    QByteArray out, err;
};

Run q8bench(const QStringList& args, const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(Q8BENCH_PATH, args);
    Run r;
    if (!p.waitForFinished(120000)) return r;
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QString shared_vocab(const char* name) {
    return QString(Q8_SHARED_DIR) + "/fixtures/tokenizers/ggml-vocab-" + name + ".gguf";
}

// synth's one JSON line on stdout (progress goes to stderr).
QJsonObject synth_json(const Run& r) { return QJsonDocument::fromJson(r.out.trimmed()).object(); }

}  // namespace

class TestQ8benchCli : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString model_;
    QJsonObject expected_;

private slots:
    void initTestCase() {
        const QString err =
            q8test::make_reference_case(dir_.filePath("m"), {"--arch", "llama", "--seed", "21", "--dtype", "f16"});
        QVERIFY2(err.isEmpty(), qPrintable(err));
        model_ = dir_.filePath("m/model.gguf");
        QFile f(dir_.filePath("m/expected.json"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        expected_ = QJsonDocument::fromJson(f.readAll()).object();
    }

    void info_json_describes_the_model() {
        const Run r = q8bench({"info", "-m", model_, "--json"});
        QCOMPARE(r.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o["architecture"].toString(), QString("llama"));
        QCOMPARE(o["vocabulary"].toObject()["size"].toInt(), expected_["n_vocab"].toInt());
        QVERIFY(o["parameters"].toInteger() > 0);
        QVERIFY(o["tensor_types"].toString().contains("F16"));
        QVERIFY(!o["kernel_path"].toString().isEmpty());
    }

    void info_names_the_kernel_path_and_amx() {
        // "key: value" lines; a newline in front makes every key start one.
        const Run r = q8bench({"info", "-m", model_});
        QCOMPARE(r.code, 0);
        const QByteArray lines = "\n" + r.out;
        QVERIFY2(lines.contains("\namx: "), r.out.constData());
        QVERIFY2(lines.contains("\nkernel_path: "), r.out.constData());
        // Q8_ISA is read once per process, so the lowered path is checked in a child process.
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("Q8_ISA", "scalar");
        const Run scalar = q8bench({"info", "-m", model_}, env);
        QCOMPARE(scalar.code, 0);
        QVERIFY2(("\n" + scalar.out).contains("\nkernel_path: scalar\n"), scalar.out.constData());
    }

    void synth_writes_a_model_that_info_loads() {
        const QString file = dir_.filePath("tiny-llama.gguf");
        const Run r = q8bench({"synth", "--shape", "tiny-llama-test", "-o", file, "--seed", "3"});
        QCOMPARE(r.code, 0);
        const QJsonObject s = synth_json(r);
        QCOMPARE(s["shape"].toString(), QString("tiny-llama-test"));
        QCOMPARE(s["file"].toString(), file);
        QCOMPARE(s["bytes"].toInteger(), QFileInfo(file).size());
        // 2 x 32000x64 (embedding, output) + 2 layers x (4096 + 2 x 2048 + 4096 + 3 x 8192 + 2 x 64) + 64.
        QCOMPARE(s["parameters"].toInteger(), 4170048);
        QCOMPARE(s["vocabulary"].toString(), QString("built-in"));
        QCOMPARE(s["padding_tokens"].toInt(), 32000 - 259);

        const Run info = q8bench({"info", "-m", file, "--json"});
        QCOMPARE(info.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(info.out).object();
        QCOMPARE(o["architecture"].toString(), QString("llama"));
        QCOMPARE(o["parameters"].toInteger(), 4170048);
        QCOMPARE(o["file_bytes"].toInteger(), s["bytes"].toInteger());
        QCOMPARE(o["embedding"].toInt(), 64);
        QCOMPARE(o["layers"].toInt(), 2);
        QCOMPARE(o["heads"].toInt(), 4);
        QCOMPARE(o["kv_heads"].toInt(), 2);
        QCOMPARE(o["feed_forward"].toInt(), 128);
        QCOMPARE(o["context_length"].toInt(), 512);
        QCOMPARE(o["tied_embeddings"].toBool(), false);
        QCOMPARE(o["vocabulary"].toObject()["size"].toInt(), 32000);
        QCOMPARE(o["tensor_types"].toString(), QString("F16 x 16, F32 x 5"));

        const Run gen = q8bench({"generate", "-m", file, "-p", "hello", "-n", "4", "--temp", "0", "--json", "-t", "1"});
        QCOMPARE(gen.code, 0);

        // The same seed writes the same bytes; another seed other weights.
        const QString same = dir_.filePath("tiny-llama-same.gguf"), other = dir_.filePath("tiny-llama-other.gguf");
        QCOMPARE(q8bench({"synth", "--shape", "tiny-llama-test", "-o", same, "--seed", "3"}).code, 0);
        QCOMPARE(q8bench({"synth", "--shape", "tiny-llama-test", "-o", other, "--seed", "4"}).code, 0);
        QFile a(file), b(same), c(other);
        QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly) && c.open(QIODevice::ReadOnly));
        const QByteArray bytes = a.readAll();
        QVERIFY(bytes == b.readAll());
        const QByteArray other_bytes = c.readAll();
        QCOMPARE(other_bytes.size(), bytes.size());
        // The last MiB is output.weight data (the metadata differs anyway: it names the seed).
        QVERIFY(other_bytes.right(1 << 20) != bytes.right(1 << 20));
    }

    void synth_qwen2_has_biases_and_tied_embeddings() {
        const QString file = dir_.filePath("tiny-qwen2.gguf");
        const Run r = q8bench({"synth", "--shape", "tiny-qwen2-test", "-o", file});
        QCOMPARE(r.code, 0);
        // 151936x64 (tied) + 2 layers x (36992 + 64 + 2 x 32 biases) + 64.
        QCOMPARE(synth_json(r)["parameters"].toInteger(), 9798208);
        const Run info = q8bench({"info", "-m", file, "--json"});
        QCOMPARE(info.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(info.out).object();
        QCOMPARE(o["architecture"].toString(), QString("qwen2"));
        QCOMPARE(o["tied_embeddings"].toBool(), true);
        QCOMPARE(o["rope"].toObject()["style"].toString(), QString("neox"));
        QCOMPARE(o["rope"].toObject()["base"].toDouble(), 1e6);
        QCOMPARE(o["vocabulary"].toObject()["size"].toInt(), 151936);
        QCOMPARE(o["tensor_types"].toString(), QString("F16 x 15, F32 x 11"));
    }

    void synth_starcoder_has_learned_positions_and_runs() {
        const QString file = dir_.filePath("tiny-starcoder.gguf");
        const Run r = q8bench({"synth", "--shape", "tiny-starcoder-test", "-o", file});
        QCOMPARE(r.code, 0);
        // 49152x64 (tied) + 512x64 positions + 2 layers x (2 x 128 LayerNorm + 64x96 + 96 fused QKV
        // + 4096 + 64 + 2 x 16384 + 256 + 64 MLP) + 128.
        QCOMPARE(synth_json(r)["parameters"].toInteger(), 3266112);
        const Run info = q8bench({"info", "-m", file, "--json"});
        QCOMPARE(info.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(info.out).object();
        QCOMPARE(o["architecture"].toString(), QString("starcoder"));
        QCOMPARE(o["family"].toString(), QString("StarCoder (GPTBigCode)"));
        QCOMPARE(o["block"].toObject()["positions"].toString(), QString("learned"));
        QCOMPARE(o["block"].toObject()["norm"].toString(), QString("layernorm"));
        QVERIFY(!o.contains("rope"));
        QCOMPARE(o["kv_heads"].toInt(), 1);
        QCOMPARE(o["context_length"].toInt(), 512);
        QCOMPARE(o["tensor_types"].toString(), QString("F16 x 10, F32 x 18"));
        const Run gen =
            q8bench({"generate", "-m", file, "-p", "def f(x):", "-n", "4", "--temp", "0", "--json", "-t", "1"});
        QCOMPARE(gen.code, 0);
    }

    void synth_copies_a_vocabulary() {
        if (!QFile::exists(shared_vocab("llama-spm")))
            QSKIP("../shared is absent (a user's clone): the vocabularies live there");
        // Same size: copied as is, so the synthetic model tokenizes exactly as the vocabulary does.
        const QString spm = dir_.filePath("tiny-spm.gguf");
        const Run r = q8bench({"synth", "--shape", "tiny-llama-test", "-o", spm, "--vocab", shared_vocab("llama-spm")});
        QCOMPARE(r.code, 0);
        QCOMPARE(synth_json(r)["padding_tokens"].toInt(), 0);
        const QString text = "Hello world, this is a synthetic model.";
        const Run want = q8bench({"tokenize", "-m", shared_vocab("llama-spm"), "-p", text});
        const Run got = q8bench({"tokenize", "-m", spm, "-p", text});
        QCOMPARE(got.code, 0);
        QCOMPARE(got.out, want.out);

        // Smaller than the embedding table: padded with unused tokens, which text never produces.
        const QString bpe = dir_.filePath("tiny-gpt2.gguf");
        const Run padded =
            q8bench({"synth", "--shape", "tiny-qwen2-test", "-o", bpe, "--vocab", shared_vocab("gpt-2")});
        QCOMPARE(padded.code, 0);
        QCOMPARE(synth_json(padded)["padding_tokens"].toInt(), 151936 - 50257);
        const Run info = q8bench({"info", "-m", bpe, "--json"});
        QCOMPARE(info.code, 0);
        const QJsonObject v = QJsonDocument::fromJson(info.out).object()["vocabulary"].toObject();
        QCOMPARE(v["size"].toInt(), 151936);
        QCOMPARE(v["pre_tokenizer"].toString(), QString("gpt-2"));
        QCOMPARE(q8bench({"tokenize", "-m", bpe, "-p", text}).out,
                 q8bench({"tokenize", "-m", shared_vocab("gpt-2"), "-p", text}).out);

        // Larger than the embedding table: refused before anything is written.
        const QString big = dir_.filePath("too-big.gguf");
        const Run refused =
            q8bench({"synth", "--shape", "tiny-llama-test", "-o", big, "--vocab", shared_vocab("gpt-2")});
        QCOMPARE(refused.code, 1);
        QVERIFY2(refused.err.contains("has 50257 tokens") && refused.err.contains("32000"), refused.err.constData());
        QVERIFY(!QFile::exists(big));
        QVERIFY(QDir(dir_.path()).entryList({"*.tmp.*"}, QDir::Files).isEmpty());  // nor a probe left behind
    }

    void synth_errors_come_before_any_work() {
        const Run unknown = q8bench({"synth", "--shape", "gpt-5", "-o", dir_.filePath("x.gguf")});
        QCOMPARE(unknown.code, 1);
        QVERIFY2(unknown.err.contains("unknown shape 'gpt-5'"), unknown.err.constData());
        for (const char* known : {"tinyllama-1.1b", "llama-3.2-1b", "qwen2.5-0.5b", "qwen2.5-1.5b"}) {
            QVERIFY2(unknown.err.contains(known), known);
        }
        QElapsedTimer t;
        t.start();
        const Run unwritable =
            q8bench({"synth", "--shape", "tinyllama-1.1b", "-o", dir_.filePath("no/such/dir/x.gguf")});
        QCOMPARE(unwritable.code, 1);
        QVERIFY2(unwritable.err.contains("cannot write there"), unwritable.err.constData());
        QVERIFY2(t.elapsed() < 5000, "an unwritable destination must fail before 2 GB of weights are generated");
    }

    void tokenize_matches_the_fixture_vectors() {
        const QString vocab = QString(Q8_SHARED_DIR) + "/fixtures/tokenizers/ggml-vocab-gpt-2.gguf";
        if (!QFile::exists(vocab)) QSKIP("../shared is absent (a user's clone): the fixture vectors live there");
        QFile inp(vocab + ".inp"), out(vocab + ".out");
        QVERIFY(inp.open(QIODevice::ReadOnly) && out.open(QIODevice::ReadOnly));
        const QByteArray all = inp.readAll();
        QList<QByteArray> cases;  // split on the full separator: strings may contain newlines
        const QByteArray sep = "\n__ggml_vocab_test__\n";
        for (qsizetype at = 0;;) {
            const qsizetype next = all.indexOf(sep, at);
            if (next < 0) break;
            cases.push_back(all.mid(at, next - at));
            at = next + sep.size();
        }
        const QList<QByteArray> lines = out.readAll().split('\n');
        QVERIFY(cases.size() >= 10);
        for (int i = 0; i < 10; ++i) {  // the CLI path, on a sample; test_tokenizer covers them all
            const QString file = dir_.filePath("text.txt");
            QFile t(file);
            QVERIFY(t.open(QIODevice::WriteOnly | QIODevice::Truncate));
            t.write(cases[i]);
            t.close();
            const Run r = q8bench({"tokenize", "-m", vocab, "-f", file});
            QCOMPARE(r.code, 0);
            QCOMPARE(r.out.trimmed(), lines[i].trimmed());
        }
    }

    void generate_json_is_greedy_and_complete() {
        const Run r = q8bench({"generate", "-m", model_, "-p", "ab", "-n", "8", "--temp", "0", "--json", "-t", "1"});
        QCOMPARE(r.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o["generated_tokens"].toInt(), 8);
        QCOMPARE(o["tokens"].toArray().size(), 8);
        QCOMPARE(o["stop_reason"].toString(), QString("token limit"));
        for (const char* k :
             {"time_to_first_token_s", "prompt_tokens_per_s", "decode_tokens_per_s", "resident_bytes"}) {
            QVERIFY2(o[k].toDouble() > 0, k);
        }
        const Run again =
            q8bench({"generate", "-m", model_, "-p", "ab", "-n", "8", "--temp", "0", "--json", "-t", "2"});
        QCOMPARE(QJsonDocument::fromJson(again.out).object()["tokens"], o["tokens"]);
    }

    void speculative_generate_matches_plain_greedy() {
        const QStringList base{"generate", "-m", model_, "-p", "ab", "-n", "12", "--temp", "0", "--json", "-t", "1"};
        const Run plain = q8bench(base);
        QCOMPARE(plain.code, 0);
        const QJsonObject p = QJsonDocument::fromJson(plain.out).object();
        for (const QStringList& draft : {QStringList{"--draft-self", "layers:1"}, QStringList{"--draft", model_}}) {
            const Run spec = q8bench(base + draft);
            QCOMPARE(spec.code, 0);
            const QJsonObject o = QJsonDocument::fromJson(spec.out).object();
            QCOMPARE(o["tokens"], p["tokens"]);
            QVERIFY(o["drafted"].toInt() > 0);
        }
        const Run bad = q8bench(base + QStringList{"--draft-self", "layers:99"});
        QCOMPARE(bad.code, 1);
        QVERIFY(bad.err.contains("layers:N needs"));
    }

    void bench_json_rows() {
        const Run r = q8bench({"bench", "-m", model_, "--config", "native,native+spec", "--draft-self", "layers:1",
                               "-p", "16", "-n", "8", "-r", "2", "-t", "1", "--bandwidth-mib", "64", "--json"});
        QCOMPARE(r.code, 0);
        const QJsonArray rows = QJsonDocument::fromJson(r.out).array();
        QCOMPARE(rows.size(), 4);
        for (const auto& v : rows) {
            const QJsonObject o = v.toObject();
            for (const char* k : {"config", "test", "n_threads", "avg_ts", "stddev_ts"}) QVERIFY2(o.contains(k), k);
            QVERIFY(o["avg_ts"].toDouble() > 0);
        }
        QCOMPARE(rows[0].toObject()["test"].toString(), QString("pp16"));
        QCOMPARE(rows[1].toObject()["test"].toString(), QString("tg8"));
        QVERIFY(rows[1].toObject()["roofline_pct"].toDouble() > 0);
        QVERIFY(rows[1].toObject()["gbps"].toDouble() > 0);
        QVERIFY(rows[3].toObject().contains("acceptance_rate"));
        QVERIFY(rows[3].toObject().contains("mean_accepted"));
        QVERIFY(rows[3].toObject()["verify_ms_per_step"].toDouble() > 0);
        QVERIFY(rows[3].toObject().contains("draft_ms_per_step"));
    }

    // profile: every operation kind once, non-negative times whose shares add up to the whole,
    // and the products (the weights) taking time in every pass, for a decode step, a verification
    // and a prompt.
    void profile_json_covers_every_operation() {
        const QList<QStringList> passes = {
            {"decode", "--batch", "1"}, {"verification", "--batch", "3"}, {"prompt", "--batch", "12", "--prompt"}};
        for (const QStringList& pass : passes) {
            const Run r = q8bench(QStringList{"profile", "-m", model_, "--config", "q4", "--passes", "3", "--warmup",
                                              "1", "--context", "8", "-t", "1", "--json"} +
                                  pass.mid(1));
            QCOMPARE(r.code, 0);
            const QJsonObject o = QJsonDocument::fromJson(r.out).object();
            QCOMPARE(o["tokens_per_pass"].toInt(), pass[2].toInt());
            QCOMPARE(o["pass"].toString(), pass[0]);
            const QJsonArray ops = o["ops"].toArray();
            QCOMPARE(ops.size(), 11);
            double share = 0;
            QSet<QString> names;
            for (const auto& v : ops) {
                const QJsonObject op = v.toObject();
                QVERIFY(op["ms_per_pass"].toDouble() >= 0);
                share += op["share"].toDouble();
                names.insert(op["op"].toString());
                if (op["op"].toString().endsWith("products") || op["op"].toString().endsWith("product"))
                    QVERIFY2(op["ms_per_pass"].toDouble() > 0, qPrintable(op["op"].toString()));
            }
            QCOMPARE(names.size(), 11);
            QVERIFY(std::abs(share - 1.0) < 1e-6);
            QVERIFY(o["profiled_ms_per_pass"].toDouble() <= o["wall_ms_per_pass"].toDouble());
        }
        const Run bad = q8bench({"profile", "-m", model_, "--batch", "0"});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("--batch"), bad.err.constData());
    }

    // verify: one row per batch size, each measured every round, costs relative to one token.
    void verify_json_rows() {
        const Run r = q8bench({"verify", "-m", model_, "--config", "q4", "--max-tokens", "4", "--context", "8", "-r",
                               "2", "-t", "1", "--json"});
        QCOMPARE(r.code, 0);
        const QJsonArray rows = QJsonDocument::fromJson(r.out).object()["rows"].toArray();
        QCOMPARE(rows.size(), 4);
        for (int i = 0; i < rows.size(); ++i) {
            const QJsonObject row = rows[i].toObject();
            QCOMPARE(row["tokens"].toInt(), i + 1);
            QCOMPARE(row["samples_ms"].toArray().size(), 2);
            QVERIFY(row["best_ms"].toDouble() > 0);
            QVERIFY(row["best_ms"].toDouble() <= row["median_ms"].toDouble());
        }
        QCOMPARE(rows[0].toObject()["cost_vs_one"].toDouble(), 1.0);
    }

    // --act: auto makes Q4 W4A8 with activation blocks and Q8 W8A16; a16, a8 and a8b stay
    // selectable for both.
    void activation_modes() {
        const QStringList base{"generate", "-m", model_, "-p", "ab", "-n", "2", "--temp", "0", "--json", "-t", "1"};
        auto precision = [&](const QStringList& extra) {
            const Run r = q8bench(base + extra);
            return r.code == 0 ? QJsonDocument::fromJson(r.out).object()["precision"].toString()
                               : QString("exit %1: %2").arg(r.code).arg(QString::fromUtf8(r.err));
        };
        QCOMPARE(precision({"--config", "q4"}), QString("q4 g32 W4A8 (blocks of 32)"));
        QCOMPARE(precision({"--config", "q4", "--act", "a8b"}), QString("q4 g32 W4A8 (blocks of 32)"));
        QCOMPARE(precision({"--config", "q4", "--act", "a16"}), QString("q4 g32 W4A16"));
        QCOMPARE(precision({"--config", "q4", "--act", "a8"}), QString("q4 g32 W4A8"));
        QCOMPARE(precision({"--config", "q8"}), QString("q8 W8A16 (Q8_0)"));
        QCOMPARE(precision({"--config", "q8", "--act", "a8"}), QString("q8 W8A8 (per-channel int8)"));
        QCOMPARE(precision({"--config", "q8", "--act", "a8b"}), QString("q8 W8A8 (Q8_0, blocks of 32)"));
    }

    void agreement_of_a_model_with_itself_is_total() {
        const QString text = dir_.filePath("agree.txt");
        QFile t(text);
        QVERIFY(t.open(QIODevice::WriteOnly));
        t.write("def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n");
        t.close();
        const Run self = q8bench({"agreement", "-m", model_, "--draft", model_, "-f", text, "--json", "-c", "16"});
        QCOMPARE(self.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(self.out).object();
        QCOMPARE(o["greedy_agreement"].toDouble(), 1.0);
        QVERIFY(o["windows"].toInt() >= 2);
        const Run skip = q8bench({"agreement", "-m", model_, "--draft-self", "layers:1", "-f", text, "--json"});
        QCOMPARE(skip.code, 0);
        const double a = QJsonDocument::fromJson(skip.out).object()["greedy_agreement"].toDouble();
        QVERIFY(a >= 0.0 && a < 1.0);
    }

    // The built-in demo model declares <fim_prefix>, <fim_suffix> and <fim_middle>: the FIM flags
    // make exactly the prompt that spelling it out with -p makes.
    void fim_flags_build_the_models_fill_in_the_middle_prompt() {
        const QString prefix = "def add(a, b):\n    return ", suffix = "\n\nprint(add(1, 2))\n";
        const QStringList common{"-n", "6", "--temp", "0", "--json", "-t", "1"};
        const Run fim = q8bench(QStringList{"generate", "--fim-prefix", prefix, "--fim-suffix", suffix} + common);
        QCOMPARE(fim.code, 0);
        const QJsonObject f = QJsonDocument::fromJson(fim.out).object();
        const QString spelled = "<fim_prefix>" + prefix + "<fim_suffix>" + suffix + "<fim_middle>";
        QCOMPARE(f["prompt"].toString(), spelled);
        const Run plain = q8bench(QStringList{"generate", "-p", spelled} + common);
        QCOMPARE(plain.code, 0);
        const QJsonObject p = QJsonDocument::fromJson(plain.out).object();
        QCOMPARE(f["prompt_tokens"].toInt(), p["prompt_tokens"].toInt());
        QCOMPARE(f["text"].toString(), p["text"].toString());
        // The markers are the vocabulary's three tokens, not their spelling (which tokenize, treating
        // special-token text as plain text, splits into several tokens each).
        const Run as_text =
            q8bench({"tokenize", "-m", QString(Q8_SOURCE_DIR) + "/resources/models/demo-target.gguf", "-p", spelled});
        QCOMPARE(as_text.code, 0);
        QVERIFY(f["prompt_tokens"].toInt() < as_text.out.trimmed().split(' ').size());
    }

    void fim_is_refused_without_fim_tokens_or_with_a_prompt() {
        const Run none = q8bench({"generate", "-m", model_, "--fim-prefix", "a", "--fim-suffix", "b"});
        QCOMPARE(none.code, 1);
        QVERIFY2(none.err.contains("this model has no fill-in-the-middle tokens (prefix, suffix, middle missing)"),
                 none.err.constData());
        const Run both = q8bench({"generate", "-m", model_, "-p", "x", "--fim-prefix", "a"});
        QVERIFY(both.code != 0);
        QVERIFY2(both.err.contains("excludes"), both.err.constData());
        const Run neither = q8bench({"generate", "-m", model_});
        QCOMPARE(neither.code, 1);
        QVERIFY2(neither.err.contains("generate needs -p TEXT, or --fim-prefix/--fim-suffix"), neither.err.constData());
    }

    // soak: the first prompt always runs through the kiosk's configurations, in the kiosk's order, with
    // memory samples and a summary per configuration; a bad prompts file is refused.
    void soak_runs_the_kiosk_cycle_and_reports_json() {
        const QString prompts = dir_.filePath("soak-prompts.json");
        QFile f(prompts);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"format": "q8chat.kiosk-prompts", "version": 1,
                    "prompts": [{"title": "t", "kind": "code", "text": "def add(a, b):"}]})");
        f.close();
        const Run r = q8bench({"soak", "--seconds", "1", "--json", "--tokens", "6", "-t", "1", "-m", model_, "--draft",
                               model_, "--prompts", prompts});
        QVERIFY2(r.code == 0, r.err.constData());
        const QJsonObject report = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(report["format"].toString(), QString("q8bench.soak"));
        QCOMPARE(report["version"].toInt(), 1);
        QVERIFY(report["errors"].toArray().isEmpty());
        const QJsonArray runs = report["runs"].toArray();
        QVERIFY(runs.size() >= 4);
        const QStringList cycle{"fp16", "q8", "q4", "q4+spec"};
        for (int i = 0; i < runs.size(); ++i) {
            const QJsonObject run = runs[i].toObject();
            QCOMPARE(run["configuration"].toString(), cycle[i % 4]);
            QCOMPARE(run["prompt"].toInt(), 1);
            QVERIFY(run["generated_tokens"].toInt() >= 1);
            QVERIFY(run["resident_mib"].toDouble() > 0);
        }
        const QJsonArray samples = report["samples"].toArray();
        QVERIFY(samples.size() >= 2);
        QVERIFY(samples.last().toObject()["resident_mib"].toDouble() > 0);
        const QJsonObject per = report["summary"].toObject()["configurations"].toObject();
        QCOMPARE(per.keys(), (QStringList{"fp16", "q4", "q4+spec", "q8"}));
        QVERIFY(per["q4"].toObject().contains("resident_growth_percent"));

        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(R"({"format": "q8chat.kiosk-prompts", "version": 1, "prompts": []})");
        f.close();
        const Run bad = q8bench({"soak", "--seconds", "1", "-m", model_, "--prompts", prompts});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("no prompts"), bad.err.constData());
    }

    void errors_exit_nonzero_with_a_message() {
        const Run missing = q8bench({"info", "-m", dir_.filePath("nope.gguf")});
        QCOMPARE(missing.code, 1);
        QVERIFY(missing.err.contains("cannot open"));
        const Run empty = q8bench({"generate", "-m", model_, "-p", ""});
        QCOMPARE(empty.code, 1);
        QVERIFY(empty.err.contains("prompt is empty"));
        const Run no_text = q8bench({"tokenize", "-m", model_});
        QCOMPARE(no_text.code, 1);
        QVERIFY(no_text.err.contains("-p TEXT or -f FILE"));
        const Run bad_isa = q8bench({"generate", "-m", model_, "-p", "x", "--isa", "sse9"});
        QCOMPARE(bad_isa.code, 1);
        QVERIFY(bad_isa.err.contains("unknown instruction set"));
    }
};

QTEST_GUILESS_MAIN(TestQ8benchCli)
#include "test_q8bench_cli.moc"
