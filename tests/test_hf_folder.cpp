// Hugging Face folders (config.json, tokenizer.json, *.safetensors, sharded with an index): the
// engine loads them as it loads GGUF files and their conversions give identical logits; the
// tokenizer.json path gives the GGUF path's ids on the same vocabulary; bad folders and bad
// safetensors files are refused with a message naming the file and the field.
#include <QTemporaryDir>
#include <QtTest>

#include <spdlog/spdlog.h>

#include <fstream>

#include "convert_f16.h"
#include "hf_cases.h"
#include "hf_folder.h"
#include "model.h"
#include "pre_tokenizer.h"
#include "reference_scripts.h"
#include "safetensors_file.h"
#include "tokenizer.h"
#include "tokenizer_json.h"

namespace {

using namespace q8test;

const QString kFixtures = QStringLiteral(Q8_SHARED_DIR "/fixtures/tokenizers/");

void write_file(const QString& path, const std::string& bytes) {
    std::ofstream out(path.toStdString(), std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_file(const QString& path) {
    std::ifstream in(path.toStdString(), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A safetensors file from a header (JSON text) and a data section of `data_bytes` zero bytes.
std::string safetensors(const std::string& header, size_t data_bytes, uint64_t declared_len = 0) {
    const uint64_t len = declared_len ? declared_len : header.size();
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>((len >> (8 * i)) & 0xff);
    return s + header + std::string(data_bytes, '\0');
}

// Adds a token to tokenizer.json's model.vocab.
void add_token(const QString& path, const QString& text, int id) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    f.close();
    QJsonObject model = o["model"].toObject();
    QJsonObject vocab = model["vocab"].toObject();
    vocab[text] = id;
    model["vocab"] = vocab;
    o["model"] = model;
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(QJsonDocument(o).toJson());
}

}  // namespace

class TestHfFolder : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

    QString hf(const QString& c) const { return dir_.filePath(c + "/hf"); }

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        QVERIFY(dir_.isValid());
        const QList<std::pair<QString, QStringList>> cases = {
            {"llama_shards", {"--arch", "llama", "--seed", "11", "--hf-shards", "3"}},
            {"qwen2_f16_tied", {"--arch", "qwen2", "--seed", "12", "--tied", "--dtype", "f16", "--hf-shards", "1"}},
            {"llama_bf16", {"--arch", "llama", "--seed", "13", "--hf-shards", "2", "--hf-dtype", "bf16"}},
            {"qwen2_q", {"--arch", "qwen2", "--seed", "14", "--dim", "128", "--ff", "256", "--hf-shards", "2"}},
            {"llama3_scaled", {"--arch", "llama", "--seed", "15", "--rope-scaling", "llama3", "--hf-shards", "1"}},
        };
        for (const auto& [name, args] : cases) {
            const QString err = q8test::make_reference_case(dir_.filePath(name), args);
            QVERIFY2(err.isEmpty(), qPrintable(err));
        }
    }

    // The folder and the GGUF file the reference converter wrote from the same weights (same
    // stored types) are the same model: identical logits, and both match the NumPy reference.
    void folder_equals_its_gguf_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("llama, 3 shards with index") << "llama_shards";
        QTest::newRow("qwen2, f16, tied, one file") << "qwen2_f16_tied";
    }
    void folder_equals_its_gguf() {
        QFETCH(QString, name);
        const Expected e = read_expected(dir_.filePath(name));
        QVERIFY(!e.logits.empty());
        const auto folder = q8::load_model(hf(name).toStdString());
        const auto gguf = q8::load_model(dir_.filePath(name + "/model.gguf").toStdString());
        QCOMPARE(folder->config.rope_style, gguf->config.rope_style);
        const std::vector<float> a = all_logits(folder, e.tokens);
        QVERIFY(!a.empty());
        QVERIFY(a == all_logits(gguf, e.tokens));
        QVERIFY2(rel_error(a, e.logits) < 1e-3, qPrintable(QString::number(rel_error(a, e.logits))));
    }

    // Folders whose weights the reference GGUF does not hold as such: BF16 weights, and Llama 3
    // RoPE factors computed from config.json's rope_scaling.
    void folder_matches_reference_data() {
        QTest::addColumn<QString>("name");
        QTest::newRow("llama, bf16") << "llama_bf16";
        QTest::newRow("llama 3 rope scaling") << "llama3_scaled";
    }
    void folder_matches_reference() {
        QFETCH(QString, name);
        const Expected e = read_expected(dir_.filePath(name));
        const auto folder = q8::load_model(hf(name).toStdString());
        if (name == "llama_bf16") {
            QCOMPARE(QString::fromStdString(folder->layers[0].wq.format_name()), QString("BF16"));
        } else {
            QCOMPARE(folder->rope_freq_factors.size(), size_t(8));
        }
        const double err = rel_error(all_logits(folder, e.tokens), e.logits);
        QVERIFY2(err < 1e-3, qPrintable(QString::number(err)));
    }

    // q8quant's conversions of the folder, loaded natively, equal the folder converted at load.
    void conversions_give_identical_logits_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("type");
        QTest::newRow("llama f16") << "llama_shards"
                                   << "f16";
        QTest::newRow("qwen2 f16") << "qwen2_q"
                                   << "f16";
        QTest::newRow("qwen2 q8") << "qwen2_q"
                                  << "q8";
        QTest::newRow("qwen2 q4") << "qwen2_q"
                                  << "q4";
    }
    void conversions_give_identical_logits() {
        QFETCH(QString, name);
        QFETCH(QString, type);
        check_conversion(hf(name), type, dir_.filePath(name + "-" + type + ".gguf"),
                         read_expected(dir_.filePath(name)).tokens);
    }

    // The conversion has the reference converter's tensor names, shapes and layout (Llama's Q/K
    // rows permuted as llama.cpp's convert_hf_to_gguf.py permutes them): every tensor of the GGUF
    // file it wrote from the same weights, rounded to F16 where the conversion stores F16.
    void conversion_matches_the_reference_converter() {
        const std::string out = dir_.filePath("llama_shards-layout.gguf").toStdString();
        QVERIFY(q8::quant::convert_to_f16(hf("llama_shards").toStdString(), out) > 0);
        const q8::GgufFile converted(out);
        const q8::GgufFile reference(dir_.filePath("llama_shards/model.gguf").toStdString());
        QCOMPARE(converted.get_string("general.architecture"), reference.get_string("general.architecture"));
        QCOMPARE(converted.get_uint("llama.attention.head_count_kv"),
                 reference.get_uint("llama.attention.head_count_kv"));
        const QString diff = q8test::differs_from_reference(converted, reference);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
    }

    void public_api_describes_a_folder() {
        const q8::ModelInfo info = q8::read_model_info(hf("llama_shards").toStdString());
        QCOMPARE(QString::fromStdString(info.architecture), QString("llama"));
        QCOMPARE(info.n_layer, int64_t(2));
        QVERIFY(info.file_bytes > 0);
        const q8::MemoryEstimate m = q8::estimate_memory(info, q8::Precision::Q8, 128);
        const q8::MemoryEstimate f = q8::estimate_memory(info, q8::Precision::Native, 128);
        QVERIFY(m.weights > 0 && m.weights < f.weights);
    }

    // tokenizer.json written from each GGUF fixture's vocabulary gives the GGUF path's ids.
    void tokenizer_json_matches_gguf_data() {
        QTest::addColumn<QString>("vocab");
        for (const char* v : {"gpt-2", "llama-spm", "phi-3", "starcoder"}) QTest::newRow(v) << v;
    }
    void tokenizer_json_matches_gguf() {
        QFETCH(QString, vocab);
        const QString gguf = kFixtures + "ggml-vocab-" + vocab + ".gguf";
        if (!QFile::exists(gguf)) QSKIP("tokenizer fixtures not found (../shared)");
        const QString out = dir_.filePath("tok-" + vocab);
        const QString err = q8test::run_reference_script("gguf_to_tokenizer_json.py", {gguf, out});
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const q8::GgufFile f(gguf.toStdString());
        const q8::Tokenizer from_gguf = q8::Tokenizer::from_gguf(f);
        q8::HfTokenizer h =
            q8::read_hf_tokenizer((out + "/tokenizer.json").toStdString(),
                                  (out + "/tokenizer_config.json").toStdString(), f.get_string("general.name"));
        const q8::Tokenizer from_json(h.vocab);
        QCOMPARE(from_json.vocab().pre, from_gguf.vocab().pre == "gpt-2" ? "gpt2" : from_gguf.vocab().pre);
        QCOMPARE(from_json.vocab().add_bos, from_gguf.vocab().add_bos);
        QCOMPARE(from_json.vocab().eog_ids, from_gguf.vocab().eog_ids);

        std::string inp = read_file(gguf + ".inp");
        const std::string sep = "\n__ggml_vocab_test__\n";
        std::vector<std::string> texts{"Hello <|endoftext|> <s>world</s> 12345 <|user|>\n"};
        for (size_t pos; (pos = inp.find(sep)) != std::string::npos; inp.erase(0, pos + sep.size())) {
            texts.push_back(inp.substr(0, pos));
        }
        QVERIFY(texts.size() > 10);
        for (const std::string& t : texts) {
            for (bool special : {false, true}) {
                QCOMPARE(from_json.encode(t, special, special), from_gguf.encode(t, special, special));
            }
        }
    }

    // Split regexes as real tokenizer.json files spell them name the pre-tokenizer they are.
    void pre_tokenizer_regexes_are_recognised() {
        const std::string llama3 =
            R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
        const std::string qwen2 =
            R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
        q8::PreTokenizerKind kind{};
        QVERIFY(q8::PreTokenizer::match_regexes({llama3}, kind));
        QCOMPARE(kind, q8::PreTokenizerKind::llama3);
        QVERIFY(q8::PreTokenizer::match_regexes({qwen2}, kind));
        QCOMPARE(kind, q8::PreTokenizerKind::qwen2);
        QVERIFY(q8::PreTokenizer::match_regexes({"\\p{N}", q8::PreTokenizer::byte_level_regex()}, kind));
        QCOMPARE(kind, q8::PreTokenizerKind::starcoder);
        QVERIFY(!q8::PreTokenizer::match_regexes({"[a-z]+"}, kind));
    }

    void bad_folders_are_refused_data() {
        QTest::addColumn<QString>("variant");
        QTest::addColumn<QString>("needle");
        QTest::addColumn<QString>("file");
        QTest::newRow("no config.json") << "no_config"
                                        << "no config.json"
                                        << "hf";
        QTest::newRow("config without architectures") << "no_arch"
                                                      << "missing 'architectures'"
                                                      << "config.json";
        QTest::newRow("unsupported architecture") << "bad_arch"
                                                  << "unsupported architecture MambaForCausalLM"
                                                  << "config.json";
        QTest::newRow("config field of the wrong type") << "string_dim"
                                                        << "'hidden_size' should be an integer"
                                                        << "config.json";
        QTest::newRow("config with fewer layers than the tensors")
            << "fewer_layers"
            << "belongs to layer 1 but config.json's 'num_hidden_layers' is 1"
            << ".safetensors";
        QTest::newRow("config with more layers than the tensors")
            << "more_layers"
            << "no shard has tensor 'model.layers.2.input_layernorm.weight'"
            << "hf";
        QTest::newRow("config inconsistent with a tensor's shape")
            << "wrong_ff"
            << "'blk.0.ffn_gate.weight' (model-00002-of-00003.safetensors: "
               "'model.layers.0.mlp.gate_proj.weight') has shape [64, 160]"
            << "hf";
        // Both forms reached the RoPE factor table unbounded (4 GiB, a billion pow() calls).
        QTest::newRow("head_dim absurdly large") << "huge_head_dim"
                                                 << "the head dimension 2000000000 ('head_dim'"
                                                 << "config.json";
        QTest::newRow("hidden_size absurdly large") << "huge_hidden"
                                                    << "the head dimension 536870911 ("
                                                    << "config.json";
        QTest::newRow("rope_scaling with a number for its type")
            << "rope_type_number"
            << "'rope_scaling' {\"rope_type\":5} is not supported (only rope_type llama3)"
            << "config.json";
        QTest::newRow("untied without lm_head") << "untied"
                                                << "no shard has tensor 'lm_head.weight'"
                                                << "hf";
        QTest::newRow("index names a missing shard") << "missing_shard"
                                                     << "which does not exist"
                                                     << "model.safetensors.index.json";
        QTest::newRow("no tokenizer.json") << "no_tokenizer"
                                           << "no tokenizer.json"
                                           << "hf";
        QTest::newRow("vocabulary size not the embedding's")
            << "small_vocab"
            << "'vocab_size' is 200 but 'model.embed_tokens.weight' has 300 rows"
            << "config.json";
        QTest::newRow("tokenizer larger than the embedding")
            << "big_tokenizer"
            << "the tokenizer has 301 tokens but config.json's 'vocab_size' is 300"
            << "tokenizer.json";
    }
    void bad_folders_are_refused() {
        QFETCH(QString, variant);
        QFETCH(QString, needle);
        QFETCH(QString, file);
        const QString d = dir_.filePath("bad-" + variant + "/hf");
        const bool scaled = variant.startsWith("huge_");
        copy_dir(hf(variant == "untied" ? "qwen2_f16_tied" : scaled ? "llama3_scaled" : "llama_shards"), d);
        const QString cfg = d + "/config.json";
        if (variant == "no_config") QFile::remove(cfg);
        if (variant == "no_arch") set_json(cfg, "architectures", QJsonValue::Null);
        if (variant == "bad_arch") set_json(cfg, "architectures", QJsonArray{"MambaForCausalLM"});
        if (variant == "string_dim") set_json(cfg, "hidden_size", "64");
        if (variant == "fewer_layers") set_json(cfg, "num_hidden_layers", 1);
        if (variant == "more_layers") set_json(cfg, "num_hidden_layers", 3);
        if (variant == "wrong_ff") set_json(cfg, "intermediate_size", 128);
        if (variant == "untied") set_json(cfg, "tie_word_embeddings", false);
        if (variant == "missing_shard") QFile::remove(d + "/model-00002-of-00003.safetensors");
        if (variant == "no_tokenizer") QFile::remove(d + "/tokenizer.json");
        if (variant == "small_vocab") set_json(cfg, "vocab_size", 200);
        if (variant == "rope_type_number") set_json(cfg, "rope_scaling", QJsonObject{{"rope_type", 5}});
        if (variant == "huge_head_dim") set_json(cfg, "head_dim", 2000000000);
        if (variant == "huge_hidden") set_json(cfg, "hidden_size", 2147483644);
        if (variant == "big_tokenizer") add_token(d + "/tokenizer.json", "<extra>", 300);
        expect_refused(d, needle, file);
    }

    void bad_safetensors_are_refused_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("needle");
        const std::string w = R"({"model.norm.weight": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})";
        QTest::newRow("header length beyond the file")
            << QByteArray::fromStdString(safetensors(w, 16, 1000)) << "truncated: the header needs 1000 bytes";
        QTest::newRow("header too large")
            << QByteArray::fromStdString(safetensors(w, 16, uint64_t{1} << 40)) << "exceeds the format's limit";
        QTest::newRow("shorter than a length") << QByteArray("\x10\0\0", 3) << "truncated";
        QTest::newRow("not JSON") << QByteArray::fromStdString(safetensors("{\"a\": ", 0)) << "not valid JSON";
        QTest::newRow("offsets past the data")
            << QByteArray::fromStdString(
                   safetensors(R"({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}})", 8))
            << "data_offsets [0, 16) lie outside the data section (8 bytes)";
        QTest::newRow("offsets reversed") << QByteArray::fromStdString(safetensors(
                                                 R"({"a": {"dtype": "F32", "shape": [0], "data_offsets": [8, 0]}})", 8))
                                          << "lie outside the data section";
        QTest::newRow("size does not match the shape")
            << QByteArray::fromStdString(
                   safetensors(R"({"a": {"dtype": "F16", "shape": [4], "data_offsets": [0, 16]}})", 16))
            << "data_offsets span 16 bytes but its shape and F16 need 8";
        QTest::newRow("overlapping tensors")
            << QByteArray::fromStdString(safetensors(R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                                                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})",
                                                     12))
            << "overlap";
        QTest::newRow("absurd shape")
            << QByteArray::fromStdString(safetensors(
                   R"({"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})", 0))
            << "absurd dimensions";
        QTest::newRow("negative offset") << QByteArray::fromStdString(safetensors(
                                                R"({"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}})", 4))
                                         << "must be a non-negative integer";
        QTest::newRow("integer dtype") << QByteArray::fromStdString(safetensors(
                                              R"({"a": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}})", 8))
                                       << "has dtype I64; weights must be F32, F16 or BF16";
    }
    void bad_safetensors_are_refused() {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, needle);
        const QString path = dir_.filePath("bad.safetensors");
        write_file(path, bytes.toStdString());
        try {
            q8::SafetensorsFile f(path.toStdString());
            QFAIL("accepted");
        } catch (const q8::EngineError& e) {
            const QString msg = QString::fromUtf8(e.what());
            QVERIFY2(msg.contains(needle), qPrintable(msg));
            QVERIFY2(msg.contains(path), qPrintable(msg));
        }
    }

    void safetensors_tensors_are_read() {
        const std::string header =
            R"({"__metadata__": {"format": "pt"}, "w": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [8, 20]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})";
        const QString path = dir_.filePath("good.safetensors");
        write_file(path, safetensors(header, 20));
        const q8::SafetensorsFile f(path.toStdString());
        QCOMPARE(f.tensors().size(), size_t(2));
        const q8::SafetensorsTensor* w = f.find("w");
        QVERIFY(w != nullptr);
        QCOMPARE(w->type, q8::GgmlType::BF16);
        QCOMPARE(w->shape, (std::vector<uint64_t>{2, 3}));
        QCOMPARE(w->n_bytes, uint64_t(12));
        QCOMPARE(w->data - f.find("b")->data, ptrdiff_t(8));
    }
};

QTEST_GUILESS_MAIN(TestHfFolder)
#include "test_hf_folder.moc"
