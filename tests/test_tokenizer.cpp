// Tokenizers: every reference vector of the four fixture vocabularies (llama.cpp's test strings,
// ids from the Hugging Face tokenizers) and of the "default" pre-tokenizer (an independent Python
// reference) must match id for id; decoding restores the text; the streaming detokenizer never
// hands out half a character; special tokens, ill-formed input and broken vocabularies are handled.
#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <chrono>
#include <map>
#include <memory>
#include <random>

#include <q8/error.h>

#include "gguf_bytes.h"
#include "gguf_reader.h"
#include "pre_tokenizer.h"
#include "reference_scripts.h"
#include "tokenizer.h"
#include "utf8.h"
#include "vocab.h"

using q8test::GgufBytes;

namespace {

const QString kFixtures = QStringLiteral(Q8_SHARED_DIR "/fixtures/tokenizers/");

bool have_fixtures() { return QDir(kFixtures).exists(); }

#define REQUIRE_FIXTURES()                                            \
    if (!have_fixtures())                                             \
    QSKIP(qPrintable("tokenizer fixtures not found at " + kFixtures + \
                     " (the shared folder is absent in a plain clone; CI has it)"))

std::string read_file(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return {};
    const QByteArray b = f.readAll();
    return std::string(b.constData(), static_cast<size_t>(b.size()));
}

struct Vectors {
    std::vector<std::string> texts;
    std::vector<std::vector<int32_t>> ids;
};

// Same reading as llama.cpp's test-tokenizer-0: strings end at each separator (text after the
// last one is not a string); expected ids are one line per string.
Vectors read_vectors(const QString& base) {
    Vectors v;
    std::string inp = read_file(base + ".inp");
    const std::string sep = "\n__ggml_vocab_test__\n";
    size_t pos = 0;
    while ((pos = inp.find(sep)) != std::string::npos) {
        v.texts.push_back(inp.substr(0, pos));
        inp.erase(0, pos + sep.size());
    }
    const QList<QByteArray> lines = QByteArray::fromStdString(read_file(base + ".out")).split('\n');
    for (const QByteArray& line : lines) {
        std::vector<int32_t> ids;
        for (const QByteArray& tok : line.split(' ')) {
            if (!tok.isEmpty()) ids.push_back(tok.toInt());
        }
        v.ids.push_back(std::move(ids));
    }
    return v;
}

std::string join(const std::vector<int32_t>& ids) {
    std::string s;
    for (int32_t id : ids) {
        if (!s.empty()) s += ' ';
        s += std::to_string(id);
    }
    return s;
}

bool contains(const std::vector<int32_t>& ids, int32_t id) {
    return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// A small SentencePiece-style vocabulary for checks that need no fixture.
q8::Vocab tiny_spm() {
    q8::Vocab v;
    v.kind = q8::VocabKind::spm;
    v.tokens = {"<unk>",
                "<s>",
                "</s>",
                "\xE2\x96\x81",
                "a",
                "b",
                "ab",
                "\xE2\x96\x81"
                "ab"};
    v.scores = {0, 0, 0, -1, -2, -2, -1, -0.5f};
    v.types = {q8::TokenType::unknown, q8::TokenType::control, q8::TokenType::control, q8::TokenType::normal,
               q8::TokenType::normal,  q8::TokenType::normal,  q8::TokenType::normal,  q8::TokenType::normal};
    v.unk = 0;
    v.bos = 1;
    v.eos = 2;
    return v;
}

}  // namespace

class TestTokenizer : public QObject {
    Q_OBJECT
    std::map<QString, std::unique_ptr<q8::Tokenizer>> cache_;
    QTemporaryDir dir_;

    const q8::Tokenizer& tok(const QString& name) {
        auto& t = cache_[name];
        if (!t) {
            const q8::GgufFile f((kFixtures + "ggml-vocab-" + name + ".gguf").toStdString());
            t = std::make_unique<q8::Tokenizer>(q8::Tokenizer::from_gguf(f));
        }
        return *t;
    }

    // Expects loading `g` as a vocabulary to fail with a message containing `needle`.
    void expect_gguf_error(const GgufBytes& g, const char* needle) {
        const std::string path = dir_.filePath("vocab.gguf").toStdString();
        g.write(path);
        try {
            const q8::GgufFile f(path);
            (void)q8::Vocab::from_gguf(f);
            QFAIL(qPrintable(QString("no error, expected one mentioning '%1'").arg(needle)));
        } catch (const q8::EngineError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find(needle) != std::string::npos, msg.c_str());
            QVERIFY2(msg.find(path) != std::string::npos, "message should name the file");
        }
    }

    void expect_vocab_error(q8::Vocab v, const char* needle) {
        try {
            v.finalize();
            QFAIL(qPrintable(QString("no error, expected one mentioning '%1'").arg(needle)));
        } catch (const q8::EngineError& e) {
            QVERIFY2(std::string(e.what()).find(needle) != std::string::npos, e.what());
        }
    }

    static GgufBytes& string_array(GgufBytes& g, const std::string& key, const std::vector<std::string>& items) {
        g.str(key).put<uint32_t>(9).put<uint32_t>(8).put<uint64_t>(items.size());
        for (const auto& s : items) g.str(s);
        return g;
    }

private slots:
    void reference_vectors_data() {
        QTest::addColumn<QString>("name");
        for (const char* n : {"llama-spm", "phi-3", "gpt-2", "starcoder"}) QTest::newRow(n) << n;
    }

    void reference_vectors() {
        REQUIRE_FIXTURES();
        QFETCH(QString, name);
        const Vectors v = read_vectors(kFixtures + "ggml-vocab-" + name + ".gguf");
        QVERIFY2(!v.texts.empty(), "no test strings read");
        QVERIFY2(v.ids.size() >= v.texts.size(), "fewer expected lines than strings");
        const q8::Tokenizer& t = tok(name);
        size_t matched = 0;
        for (size_t i = 0; i < v.texts.size(); ++i) {
            const std::vector<int32_t> got = t.encode(v.texts[i], false, false);
            if (got == v.ids[i]) {
                ++matched;
            } else {
                qWarning("%s #%zu %s\n  expected: %s\n  got:      %s", qPrintable(name), i,
                         QByteArray::fromStdString(v.texts[i]).toPercentEncoding(" ").constData(),
                         join(v.ids[i]).c_str(), join(got).c_str());
            }
        }
        qInfo("%s: %zu/%zu vectors match", qPrintable(name), matched, v.texts.size());
        QCOMPARE(matched, v.texts.size());
    }

    void decode_restores_text_data() { reference_vectors_data(); }

    void decode_restores_text() {
        REQUIRE_FIXTURES();
        QFETCH(QString, name);
        const Vectors v = read_vectors(kFixtures + "ggml-vocab-" + name + ".gguf");
        const q8::Tokenizer& t = tok(name);
        // Every fixture string is well-formed UTF-8 made of characters all four vocabularies can
        // spell (spm via byte fallback), and decode() removes the space prefix spm adds.
        for (const std::string& s : v.texts) {
            QCOMPARE(t.decode(t.encode(s, false, false)), s);
            QCOMPARE(t.decode(t.encode(s, true, false)), s);  // BOS decodes to nothing
        }
    }

    void vocab_metadata() {
        REQUIRE_FIXTURES();
        const q8::Vocab& spm = tok("llama-spm").vocab();
        QCOMPARE(spm.kind, q8::VocabKind::spm);
        QCOMPARE(spm.n_tokens(), 32000);
        QCOMPARE(spm.bos, 1);
        QCOMPARE(spm.eos, 2);
        QCOMPARE(spm.unk, 0);
        QVERIFY(spm.add_bos && !spm.add_eos && spm.add_space_prefix);
        QVERIFY(spm.is_eog(2));
        QVERIFY(!spm.is_eog(1));

        const q8::Vocab& phi = tok("phi-3").vocab();
        QCOMPARE(phi.eos, 32000);
        QCOMPARE(phi.pad, 32000);
        QCOMPARE(phi.tokens[static_cast<size_t>(phi.eot)], std::string("<|end|>"));  // found by text
        QVERIFY(phi.is_eog(phi.eot) && phi.is_eog(32000));

        const q8::Vocab& gpt2 = tok("gpt-2").vocab();
        QCOMPARE(gpt2.kind, q8::VocabKind::bpe);
        QCOMPARE(gpt2.pre, std::string("gpt-2"));
        QCOMPARE(gpt2.bos, 50256);
        QVERIFY(!gpt2.add_bos && !gpt2.add_space_prefix);
        QVERIFY(gpt2.is_eog(50256));
        QCOMPARE(gpt2.merges.size(), size_t(50000));

        const q8::Vocab& sc = tok("starcoder").vocab();
        QCOMPARE(sc.fim_pre, 1);
        QCOMPARE(sc.fim_mid, 2);
        QCOMPARE(sc.fim_suf, 3);
        QCOMPARE(sc.eot, 0);
        QVERIFY(sc.is_eog(0));
    }

    void add_special_follows_flags() {
        REQUIRE_FIXTURES();
        const auto spm = tok("llama-spm").encode("Hello world", true, false);
        QCOMPARE(spm, (std::vector<int32_t>{1, 15043, 3186}));
        QCOMPARE(tok("llama-spm").encode("", true, false), std::vector<int32_t>{1});
        // GPT-2 asks for no BOS.
        QCOMPARE(tok("gpt-2").encode("Hello world", true, false), (std::vector<int32_t>{15496, 995}));
    }

    void empty_text_gives_no_tokens_data() { reference_vectors_data(); }

    void empty_text_gives_no_tokens() {
        REQUIRE_FIXTURES();
        QFETCH(QString, name);
        QVERIFY(tok(name).encode("", false, false).empty());
        QVERIFY(tok(name).encode("", false, true).empty());
        QCOMPARE(tok(name).decode({}), std::string());
    }

    void parse_special_maps_token_text() {
        REQUIRE_FIXTURES();
        const q8::Tokenizer& gpt2 = tok("gpt-2");
        QCOMPARE(gpt2.encode("<|endoftext|>", false, true), std::vector<int32_t>{50256});
        const auto mixed = gpt2.encode("Hello<|endoftext|> world", false, true);
        QCOMPARE(mixed, (std::vector<int32_t>{15496, 50256, 995}));
        const auto plain = gpt2.encode("<|endoftext|>", false, false);
        QVERIFY(!contains(plain, 50256));
        QCOMPARE(gpt2.decode(plain), std::string("<|endoftext|>"));
        // Control tokens decode to nothing unless asked for.
        QCOMPARE(gpt2.decode(mixed), std::string("Hello world"));
        QCOMPARE(gpt2.decode(mixed, true), std::string("Hello<|endoftext|> world"));

        const q8::Tokenizer& sc = tok("starcoder");
        const auto fim = sc.encode("<fim_prefix>def f():<fim_suffix>\n<fim_middle>", false, true);
        QCOMPARE(fim.front(), sc.vocab().fim_pre);
        QVERIFY(contains(fim, sc.vocab().fim_suf));
        QCOMPARE(fim.back(), sc.vocab().fim_mid);
        for (int32_t id : sc.encode("<fim_prefix>x<fim_suffix>", false, false)) {
            QVERIFY2(!sc.vocab().is_control(id), "control token produced from plain text");
        }

        // SentencePiece: the text after a special token gets the space prefix again.
        const q8::Tokenizer& spm = tok("llama-spm");
        QCOMPARE(spm.encode("<s>Hello", false, true), (std::vector<int32_t>{1, 15043}));
        QVERIFY(!contains(spm.encode("<s>Hello", false, false), 1));

        // Phi-3's chat tokens are control tokens; HF marks them rstrip, so the newline after
        // "<|user|>" is swallowed. "</s>" is user-defined there: reference tokenizers match such
        // tokens even without parse_special.
        const q8::Tokenizer& phi = tok("phi-3");
        const auto chat = phi.encode("<|user|>\nHello<|end|>\n<|assistant|>", false, true);
        QCOMPARE(chat, (std::vector<int32_t>{32010, 15043, 32007, 32001}));
        for (int32_t id : phi.encode("<|user|>\nHello<|end|>", false, false)) QVERIFY(id < 32000);
        QVERIFY(contains(phi.encode("a</s>b", false, false), 2));
    }

    void streaming_never_splits_a_character_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("llama-spm") << "llama-spm";  // byte-fallback tokens <0xF0><0x9F>...
        QTest::newRow("gpt-2") << "gpt-2";          // tokens holding parts of a character
        QTest::newRow("starcoder") << "starcoder";
    }

    void streaming_never_splits_a_character() {
        REQUIRE_FIXTURES();
        QFETCH(QString, name);
        const q8::Tokenizer& t = tok(name);
        const std::string text =
            "Führer 🦙🦙 нещо 我想在apple工作 😶\u200d🌫️ កាន់តែ ✅";
        const auto ids = t.encode(text, false, false);
        // The text must really have characters spread over several tokens.
        size_t partial_tokens = 0;
        for (int32_t id : ids) partial_tokens += q8::utf8::is_valid(t.token_to_piece(id)) ? 0 : 1;
        QVERIFY2(partial_tokens > 0, "no token holds part of a character; the check proves nothing");

        q8::StreamingDetokenizer detok(t, false, true);
        std::string streamed;
        for (int32_t id : ids) {
            const std::string out = detok.push(id);
            QVERIFY2(q8::utf8::is_valid(out), qPrintable("partial UTF-8 after token " + QString::number(id)));
            streamed += out;
        }
        const std::string rest = detok.flush();
        QVERIFY(rest.empty());
        QCOMPARE(streamed, text);
    }

    void streaming_flush_and_invalid_bytes() {
        REQUIRE_FIXTURES();
        const q8::Tokenizer& t = tok("llama-spm");
        const q8::Vocab& v = t.vocab();
        const int32_t f0 = v.find("<0xF0>"), x9f = v.find("<0x9F>"), ff = v.find("<0xFF>");
        const int32_t a = v.find("a");
        QVERIFY(f0 >= 0 && x9f >= 0 && ff >= 0 && a >= 0);
        q8::StreamingDetokenizer d(t);
        QCOMPARE(d.push(f0), std::string());  // could still become a character: held
        QCOMPARE(d.push(x9f), std::string());
        QCOMPARE(d.flush(), std::string("\xEF\xBF\xBD"));  // cut short at the end: one U+FFFD
        QCOMPARE(d.flush(), std::string());
        // A byte that can never start a character is shown at once, and does not hold back what
        // follows.
        QCOMPARE(d.push(ff), std::string("\xEF\xBF\xBD"));
        QCOMPARE(d.push(f0), std::string());
        QCOMPARE(d.push(a), std::string("\xEF\xBF\xBD"
                                        "a"));
    }

    void ill_formed_utf8_does_not_crash_data() { reference_vectors_data(); }

    void ill_formed_utf8_does_not_crash() {
        REQUIRE_FIXTURES();
        QFETCH(QString, name);
        const q8::Tokenizer& t = tok(name);
        const std::vector<std::string> inputs = {
            "\xFF",
            "\x80",
            "abc\xC3",
            "\xC3(",
            "\xE2\x82",
            "\xE2\x28\xA1",
            "\xF0\x9F\x98",
            "\xED\xA0\x80 surrogate",
            "\xC0\xAF overlong",
            "\xF4\x90\x80\x80 too big",
            std::string("nul\0byte", 8),
            "mixed \xFF\xFE words 12\x80"
            "34 '\xC3s\n\n",
            "<|endoftext|>\xFF<s>\xF0",
        };
        // Where every byte has a token (GPT-2's full byte alphabet, spm byte fallback) the bytes
        // survive the round trip.
        const bool lossless = name == "gpt-2" || name == "llama-spm" || name == "phi-3";
        for (const std::string& s : inputs) {
            for (bool parse_special : {false, true}) {
                const auto ids = t.encode(s, false, parse_special);
                for (int32_t id : ids) QVERIFY(id >= 0 && id < t.n_vocab());
                if (parse_special) continue;
                // StarCoder lacks tokens for bytes that never occur in UTF-8, and its UNK is
                // <|endoftext|>: such bytes must not turn into an end of text.
                for (int32_t id : ids) QVERIFY2(!t.vocab().is_control(id), qPrintable(QString::number(id)));
                if (lossless) QCOMPARE(t.decode(ids), s);
            }
        }
        std::mt19937 rng(1234);
        std::string noise(20000, '\0');
        for (char& c : noise) c = static_cast<char>(rng() & 0xFF);
        QVERIFY(!t.encode(noise, true, true).empty());
        const auto ids = t.encode(noise, false, false);
        for (int32_t id : ids) QVERIFY(!t.vocab().is_control(id));
        if (lossless) QCOMPARE(t.decode(ids), noise);
    }

    void large_text_is_fast_data() { reference_vectors_data(); }

    void large_text_is_fast() {
        REQUIRE_FIXTURES();
        QFETCH(QString, name);
        const q8::Tokenizer& t = tok(name);
        // Mixed prose, code, numbers and several scripts, ~100 KB.
        std::string unit = read_file(kFixtures + "ggml-vocab-" + name + ".gguf.inp");
        unit += read_file(QStringLiteral(Q8_SOURCE_DIR "/engine/tokenizer.cpp"));
        std::string text;
        while (text.size() < 100 * 1024) text += unit;
        text.resize(100 * 1024);
        while (!q8::utf8::is_valid(text)) text.pop_back();  // not cut inside a character

        const auto t0 = std::chrono::steady_clock::now();
        const auto ids = t.encode(text, true, true);
        const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        qInfo("%s: encoded %zu bytes into %zu tokens in %.1f ms", qPrintable(name), text.size(), ids.size(), ms);
        QVERIFY2(ms < 1000.0, qPrintable(QString("encoding took %1 ms").arg(ms)));
        QCOMPARE(t.decode(t.encode(text, false, false)), text);
    }

    void pre_tokenizer_splits() {
        using K = q8::PreTokenizerKind;
        auto split = [](K k, std::string_view s) {
            std::vector<std::string> out;
            for (auto p : q8::PreTokenizer(k).split(s)) out.emplace_back(p);
            return out;
        };
        using V = std::vector<std::string>;
        // Llama 3: case-insensitive contractions, numbers in groups of up to three.
        QCOMPARE(split(K::llama3, "Hello 12345 world's DON'T\n\n  x"),
                 (V{"Hello", " ", "123", "45", " world", "'s", " DON", "'T", "\n\n", " ", " x"}));
        QCOMPARE(split(K::qwen2, "v12345 ok"), (V{"v", "1", "2", "3", "4", "5", " ok"}));
        // GPT-2: contractions are case-sensitive; a run of spaces leaves its last one to the word.
        QCOMPARE(split(K::gpt2, "  Hello DON'T don't"), (V{" ", " Hello", " DON", "'", "T", " don", "'t"}));
        QCOMPARE(split(K::starcoder, "a12 b"), (V{"a", "1", "2", " b"}));
        QCOMPARE(split(K::gpt4o, "HelloWorld CamelCase's x/\n"),
                 (V{"Hello", "World", " Camel", "Case's", " x", "/\n"}));
        QCOMPARE(split(K::deepseek_coder, "a1 b!\n\xE6\x88\x91\xE4\xBB\xAC"),
                 (V{"a", "1", " b", "!", "\n", "\xE6\x88\x91\xE4\xBB\xAC"}));
        // Oniguruma's \s (which HF uses) includes U+0085; PCRE2's would not.
        QCOMPARE(split(K::gpt2,
                       "a\xC2\x85\xC2\x85"
                       "b"),
                 (V{"a", "\xC2\x85", "\xC2\x85", "b"}));

        // Ill-formed bytes split like U+FFFD but stay themselves; pieces cover the input.
        const std::string bad = "ab\xFF\xFE cd \xE2\x82 12\xC3";
        std::string joined;
        for (auto p : q8::PreTokenizer(K::gpt2).split(bad)) joined += p;
        QCOMPARE(joined, bad);
        QCOMPARE(split(K::gpt2, "ab\xFF\xFE cd"), (V{"ab", "\xFF\xFE", " cd"}));

        // llama.cpp's "default": punctuation runs first (an apostrophe too), digits in threes.
        QCOMPARE(split(K::ggml_default, "x+=12345;don't"), (V{"x", "+=", "123", "45", ";", "don", "'", "t"}));
        QCOMPARE(q8::PreTokenizer("default").kind(), K::ggml_default);

        // Unknown names fall back to GPT-2 (with a warning) instead of failing the model.
        QCOMPARE(q8::PreTokenizer("no-such-pre").kind(), K::gpt2);
        QCOMPARE(q8::PreTokenizer("llama-bpe").kind(), K::llama3);
        QCOMPARE(q8::PreTokenizer("refact").kind(), K::starcoder);
    }

    // No tokenizer.json describes "default", so its vectors come from an independent reference
    // whose vocabulary's merges were learned on GPT-2's split (as the demo models' were): the
    // same file read as "gpt-2" must give other ids, else the test could not tell them apart.
    void default_pre_tokenizer_matches_reference() {
        const QString dir = dir_.filePath("bpe-pre");
        const QString err = q8test::run_reference_script("bpe_pre_reference.py", {"--out", dir});
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const q8::GgufFile f((dir + "/vocab-default.gguf").toStdString());
        q8::Vocab vocab = q8::Vocab::from_gguf(f);
        QCOMPARE(vocab.pre, std::string("default"));
        const q8::Tokenizer as_default(vocab);
        vocab.pre = "gpt-2";
        const q8::Tokenizer as_gpt2(std::move(vocab));

        const Vectors def = read_vectors(dir + "/default");
        const Vectors gpt2 = read_vectors(dir + "/gpt-2");
        QVERIFY2(!def.texts.empty(), "no test strings read");
        QCOMPARE(gpt2.texts, def.texts);
        QVERIFY(def.ids.size() >= def.texts.size() && gpt2.ids.size() >= def.texts.size());
        size_t matched = 0, differ = 0;
        for (size_t i = 0; i < def.texts.size(); ++i) {
            const std::string& text = def.texts[i];
            const std::vector<int32_t> got = as_default.encode(text, false, false);
            const std::vector<int32_t> got_gpt2 = as_gpt2.encode(text, false, false);
            if (got == def.ids[i] && got_gpt2 == gpt2.ids[i]) {
                ++matched;
            } else {
                qWarning(
                    "#%zu %s\n  default expected: %s\n  default got:      %s\n  gpt-2 expected:   %s\n"
                    "  gpt-2 got:        %s",
                    i, QByteArray::fromStdString(text).toPercentEncoding(" ").constData(), join(def.ids[i]).c_str(),
                    join(got).c_str(), join(gpt2.ids[i]).c_str(), join(got_gpt2).c_str());
            }
            if (got_gpt2 != def.ids[i]) ++differ;
            QCOMPARE(as_default.decode(got), text);
        }
        qInfo("default: %zu/%zu vectors match (default and gpt-2); gpt-2 differs on %zu", matched, def.texts.size(),
              differ);
        QCOMPARE(matched, def.texts.size());
        QVERIFY2(differ > 0, "every string encodes the same under gpt-2: the vectors cannot tell the splits apart");
    }

    void in_memory_spm() {
        const q8::Tokenizer t(tiny_spm());
        // "▁ab" outscores "▁" + "ab"; "c" has no token and no byte tokens exist: UNK.
        QCOMPARE(t.encode("ab ab", false, false), (std::vector<int32_t>{7, 7}));
        QCOMPARE(t.encode("abc", true, false), (std::vector<int32_t>{1, 7, 0}));
        QCOMPARE(t.decode(std::vector<int32_t>{7, 7}), std::string("ab ab"));
        QCOMPARE(t.encode("</s>", false, true), std::vector<int32_t>{2});
        QVERIFY(t.vocab().is_eog(2));
    }

    void vocab_errors_name_the_key() {
        try {
            (void)q8::Vocab::kind_from_model("rwkv");
            QFAIL("rwkv accepted");
        } catch (const q8::EngineError& e) {
            const std::string msg = e.what();
            QVERIFY2(msg.find("rwkv") != std::string::npos, e.what());
            QVERIFY2(msg.find("tokenizer.ggml.model") != std::string::npos, e.what());
        }
        QCOMPARE(q8::Vocab::kind_from_model("llama"), q8::VocabKind::spm);
        QCOMPARE(q8::Vocab::kind_from_model("gpt2"), q8::VocabKind::bpe);

        q8::Vocab v = tiny_spm();
        v.tokens.clear();
        v.scores.clear();
        v.types.clear();
        v.unk = v.bos = v.eos = q8::kNoToken;
        expect_vocab_error(v, "tokenizer.ggml.tokens");
        v = tiny_spm();
        v.scores.pop_back();
        expect_vocab_error(v, "tokenizer.ggml.scores");
        v = tiny_spm();
        v.types.push_back(q8::TokenType::normal);
        expect_vocab_error(v, "tokenizer.ggml.token_type");
        v = tiny_spm();
        v.bos = 99;
        expect_vocab_error(v, "tokenizer.ggml.bos_token_id");
        v = tiny_spm();
        v.fim_mid = -7;
        expect_vocab_error(v, "tokenizer.ggml.fim_mid_token_id");
        v = tiny_spm();
        v.kind = q8::VocabKind::bpe;
        v.merges = {"a b", "ab"};
        expect_vocab_error(v, "tokenizer.ggml.merges");
    }

    void vocab_errors_from_gguf() {
        QVERIFY(dir_.isValid());
        {
            GgufBytes g;
            g.header(0, 2).kv_string("tokenizer.ggml.model", "rwkv");
            string_array(g, "tokenizer.ggml.tokens", {"a", "b"});
            expect_gguf_error(g, "'rwkv'");
        }
        {
            GgufBytes g;  // gpt2 without merges
            g.header(0, 2).kv_string("tokenizer.ggml.model", "gpt2");
            string_array(g, "tokenizer.ggml.tokens", {"a", "b"});
            expect_gguf_error(g, "tokenizer.ggml.merges");
        }
        {
            GgufBytes g;
            g.header(0, 2).kv_string("tokenizer.ggml.model", "llama");
            string_array(g, "tokenizer.ggml.tokens", {});
            expect_gguf_error(g, "tokenizer.ggml.tokens");
        }
        {
            GgufBytes g;
            g.header(0, 3).kv_string("tokenizer.ggml.model", "llama");
            string_array(g, "tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
            g.kv_u32("tokenizer.ggml.eos_token_id", 3);
            expect_gguf_error(g, "tokenizer.ggml.eos_token_id");
        }
        {
            GgufBytes g;
            g.header(0, 3).kv_string("tokenizer.ggml.model", "llama");
            string_array(g, "tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>"});
            g.str("tokenizer.ggml.token_type").put<uint32_t>(9).put<uint32_t>(5).put<uint64_t>(2);
            g.put<int32_t>(2).put<int32_t>(3);
            expect_gguf_error(g, "tokenizer.ggml.token_type");
        }
        {
            // A well-formed minimal file loads, with SentencePiece's default ids.
            GgufBytes g;
            g.header(0, 2).kv_string("tokenizer.ggml.model", "llama");
            string_array(g, "tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "x"});
            const std::string path = dir_.filePath("ok.gguf").toStdString();
            g.write(path);
            const q8::GgufFile f(path);
            const q8::Tokenizer t = q8::Tokenizer::from_gguf(f);
            QCOMPARE(t.vocab().bos, 1);
            QCOMPARE(t.vocab().eos, 2);
            QCOMPARE(t.n_vocab(), 4);
            QCOMPARE(t.encode("x", true, false), (std::vector<int32_t>{1, 0, 3}));  // "▁" is UNK
        }
    }
};

QTEST_GUILESS_MAIN(TestTokenizer)
#include "test_tokenizer.moc"
