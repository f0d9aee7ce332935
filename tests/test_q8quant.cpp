// The quantizer end to end: q8quant's files are read by the independent NumPy GGUF reader with the
// same metadata and tensor values the engine reads; loading them runs exactly like quantizing in
// memory (SmoothQuant W8A8 with per-row int8, group-wise Q4 re-packed from standard Q4_0 blocks);
// (StarCoder's fused QKV and position table included); and every bad input is refused clearly
// without leaving a file behind: already-quantized input, an empty calibration file, SmoothQuant on
// a LayerNorm/GELU model, an unwritable destination, cancellation while writing.
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <spdlog/spdlog.h>

#include <cmath>

#include <q8/error.h>

#include "act_policy.h"
#include "calibration.h"
#include "dequantize.h"
#include "float_model.h"
#include "inference_session.h"
#include "quantize_file.h"
#include "smoothquant.h"

namespace qq = q8::quant;

namespace {

std::vector<float> logits(const std::shared_ptr<const q8::Model>& m, const std::vector<int32_t>& tokens) {
    q8::SessionOptions so;
    so.kv_type = q8::KvType::F32;
    so.n_threads = 1;
    q8::InferenceSession s(m, so);
    if (!s.eval(tokens, true)) return {};
    return {s.logits().begin(), s.logits().end()};
}

struct Run {
    int code = -1;
    QString out, err;
};

Run run_q8quant(const QStringList& args) {
    QProcess p;
    p.start(Q8QUANT_PATH, args);
    p.waitForFinished(300000);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

}  // namespace

class TestQ8Quant : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString f32_, calib_;
    std::vector<int32_t> eval_tokens_{5, 17, 99, 200, 31, 7, 64, 128, 250, 3, 77, 140};

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        QVERIFY(dir_.isValid());
        QProcess p;
        p.start(Q8_PYTHON,
                {QString(Q8_SOURCE_DIR) + "/tests/reference/make_reference_case.py", "--arch", "qwen2", "--seed", "41",
                 "--dim", "128", "--ff", "256", "--n-head", "4", "--n-head-kv", "2", "--out", dir_.filePath("src")});
        QVERIFY(p.waitForFinished(300000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        f32_ = dir_.filePath("src/model.gguf");
        calib_ = dir_.filePath("calib.txt");
        QFile c(calib_);
        QVERIFY(c.open(QIODevice::WriteOnly));
        for (int i = 0; i < 30; ++i)
            c.write("The engine runs on the processor, it loads the weights from the file and writes the answer. ");
    }

    void independent_reader_sees_what_the_engine_sees() {
        const QString out = dir_.filePath("q8sq.gguf");
        const Run r =
            run_q8quant({"-m", f32_, "-o", out, "--type", "q8", "--smoothquant", "--calib", calib_, "--json"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject summary = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(summary["activations"].toString(), QString("int8"));

        QProcess p;
        p.start(Q8_PYTHON, {QString(Q8_SOURCE_DIR) + "/tests/reference/gguf_summary.py", out});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QJsonObject py = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
        const q8::GgufFile ours(out.toStdString());
        const q8::GgufFile src(f32_.toStdString());
        const QJsonObject kv = py["kv"].toObject();
        QCOMPARE(qsizetype(kv.size()), qsizetype(ours.keys().size()));
        for (const std::string& k : src.keys())
            QVERIFY2(kv.contains(QString::fromStdString(k)), k.c_str());  // all copied
        QCOMPARE(kv["general.file_type"].toInt(), 7);
        QCOMPARE(kv["q8chat.quant.activations"].toString(), QString("int8"));
        QCOMPARE(kv["q8chat.quant.smoothquant"].toBool(), true);
        QCOMPARE(kv["general.architecture"].toString(), QString("qwen2"));
        const QJsonObject tensors = py["tensors"].toObject();
        QCOMPARE(qsizetype(tensors.size()), qsizetype(ours.tensors().size()));
        for (const auto& t : ours.tensors()) {
            const QJsonObject pt = tensors[QString::fromStdString(t.name)].toObject();
            QCOMPARE(pt["type"].toString(),
                     QString::fromLatin1(q8::type_traits(uint32_t(t.type))->name.data(),
                                         qsizetype(q8::type_traits(uint32_t(t.type))->name.size())));
            const std::vector<float> v = q8::dequantize_tensor(t);
            double sum = 0, sumsq = 0;
            for (float x : v) {
                sum += x;
                sumsq += double(x) * x;
            }
            QVERIFY2(std::fabs(sum - pt["sum"].toDouble()) <= 1e-6 * std::max(1.0, sumsq), t.name.c_str());
            QVERIFY2(std::fabs(sumsq - pt["sumsq"].toDouble()) <= 1e-9 * sumsq, t.name.c_str());
            if (t.name.find("attn_q.weight") != std::string::npos) QCOMPARE(pt["type"].toString(), QString("Q8_0"));
        }
    }

    void smoothquant_file_runs_like_in_memory_smoothquant() {
        const QString out = dir_.filePath("q8sq_a05.gguf");
        const Run r =
            run_q8quant({"-m", f32_, "-o", out, "--type", "q8", "--smoothquant", "--calib", calib_, "--alpha", "0.5"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const auto file_model = q8::load_model(out.toStdString());
        QCOMPARE(QString::fromStdString(file_model->layers[0].wq.format_name()), QString("I8row/A8"));

        const auto src = q8::load_model(f32_.toStdString());
        const auto toks = qq::calibration_tokens(*src, calib_.toStdString());
        const auto st = qq::calibrate(src, toks, {});
        qq::FloatLayers fl = qq::float_layers(*src);
        qq::SmoothQuantOptions so;
        so.alpha = 0.5f;
        qq::smooth_quant(fl, src->config, st, so);
        const q8::WeightTarget q8_0{q8::WeightLayout::Ggml, q8::GgmlType::Q8_0, 0, false};
        const auto mem =
            qq::assemble_model(*src, fl, {{q8::WeightLayout::I8Row, q8::GgmlType::F32, 0, true}, q8_0, q8_0, "mem"});
        QVERIFY(logits(file_model, eval_tokens_) == logits(mem, eval_tokens_));
    }

    void activation_policy_is_written_and_used() {
        const QString out = dir_.filePath("q4a8p.gguf");
        const Run r = run_q8quant({"-m", f32_, "-o", out, "--type", "q4", "--act", "a8", "--act-policy", "auto",
                                   "--calib", calib_, "--json"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject summary = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QVERIFY(summary["activation_policy_summary"].toString().startsWith("static "));
        const q8::GgufFile g(out.toStdString());
        const std::vector<float> scales = g.get_float_array("q8chat.quant.act_static_scale");
        QCOMPARE(scales.size(), size_t(8));
        const auto file_model = q8::load_model(out.toStdString());
        const auto src = q8::load_model(f32_.toStdString());
        const auto st = qq::calibrate(src, qq::calibration_tokens(*src, calib_.toStdString()), {});
        const qq::FloatLayers fl = qq::float_layers(*src);
        const q8::WeightTarget w4a8{q8::WeightLayout::Q4Group, q8::GgmlType::F32, 32, true};
        const auto policy = qq::choose_activation_policy(fl, st, w4a8);
        QVERIFY(policy.static_scales() == scales);
        for (size_t l = 0; l < file_model->layers.size(); ++l) {
            QCOMPARE(file_model->layers[l].wq.act_scale, scales[l * 4]);
            QCOMPARE(file_model->layers[l].w_down.act_scale, scales[l * 4 + 3]);
        }
        const q8::WeightTarget q4_0{q8::WeightLayout::Ggml, q8::GgmlType::Q4_0, 0, false};
        const q8::WeightTarget q8_0{q8::WeightLayout::Ggml, q8::GgmlType::Q8_0, 0, false};
        const auto mem = qq::assemble_model(*src, fl, {w4a8, q4_0, q8_0, "mem", scales});
        QVERIFY(logits(file_model, eval_tokens_) == logits(mem, eval_tokens_));
        const Run bad = run_q8quant({"-m", f32_, "-o", out, "--type", "q4", "--act", "a8", "--act-policy", "auto"});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("--calib"), qPrintable(bad.err));
    }

    void q4_group_file_runs_like_quantize_at_load() {
        const QString out = dir_.filePath("q4g64.gguf");
        const Run r = run_q8quant({"-m", f32_, "-o", out, "--type", "q4", "--group", "64"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const q8::GgufFile g(out.toStdString());
        QCOMPARE(g.find_tensor("blk.0.ffn_up.weight")->type, q8::GgmlType::Q4_0);  // standard blocks on disk
        // Q4 files default to int8 activation blocks, as Q4 at load does.
        QCOMPARE(QString::fromStdString(g.opt_string("q8chat.quant.activations").value_or("")), QString("int8-blocks"));
        const auto file_model = q8::load_model(out.toStdString());
        QCOMPARE(QString::fromStdString(file_model->layers[0].w_up.format_name()), QString("Q4G64/A8b"));
        QCOMPARE(QString::fromStdString(file_model->output_matrix().format_name()), QString("Q8_0/A8b"));
        q8::LoadOptions lo;
        lo.precision = q8::Precision::Q4;
        lo.q4_group = 64;
        const auto at_load = q8::load_model(f32_.toStdString(), lo);
        QVERIFY(logits(file_model, eval_tokens_) == logits(at_load, eval_tokens_));
        // --act a16 writes a float-activation file, which runs like W4A16 at load.
        const QString a16 = dir_.filePath("q4g64-a16.gguf");
        QVERIFY(run_q8quant({"-m", f32_, "-o", a16, "--type", "q4", "--group", "64", "--act", "a16"}).code == 0);
        const auto a16_model = q8::load_model(a16.toStdString());
        QCOMPARE(QString::fromStdString(a16_model->layers[0].w_up.format_name()), QString("Q4G64"));
        lo.activations = q8::ActivationMode::Float;
        QVERIFY(logits(a16_model, eval_tokens_) == logits(q8::load_model(f32_.toStdString(), lo), eval_tokens_));
        // The per-token policy needs per-token activations.
        const Run bad = run_q8quant(
            {"-m", f32_, "-o", a16, "--type", "q4", "--act", "a8b", "--act-policy", "auto", "--calib", calib_});
        QCOMPARE(bad.code, 1);
        QVERIFY2(bad.err.contains("--act a8"), qPrintable(bad.err));
        QVERIFY(QFileInfo(out).size() < QFileInfo(f32_).size() / 4);
    }

    void q8_blocks_file_runs_like_quantize_at_load() {
        const QString out = dir_.filePath("q8-a8b.gguf");
        const Run r = run_q8quant({"-m", f32_, "-o", out, "--type", "q8", "--act", "a8b"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const q8::GgufFile g(out.toStdString());
        QCOMPARE(g.find_tensor("blk.0.ffn_up.weight")->type, q8::GgmlType::Q8_0);
        QCOMPARE(QString::fromStdString(g.opt_string("q8chat.quant.activations").value_or("")), QString("int8-blocks"));
        QCOMPARE(QString::fromStdString(g.opt_string("q8chat.quant.weights").value_or("")), QString("Q8_0"));
        const auto file_model = q8::load_model(out.toStdString());
        QCOMPARE(QString::fromStdString(file_model->layers[0].w_up.format_name()), QString("Q8_0/A8b"));
        q8::LoadOptions lo;
        lo.precision = q8::Precision::Q8;
        lo.activations = q8::ActivationMode::Int8Blocks;
        const auto at_load = q8::load_model(f32_.toStdString(), lo);
        QCOMPARE(QString::fromStdString(at_load->layers[0].w_up.format_name()), QString("Q8_0/A8b"));
        QVERIFY(logits(file_model, eval_tokens_) == logits(at_load, eval_tokens_));
    }

    void starcoder_file_runs_like_quantize_at_load_and_smoothquant_is_refused() {
        // GPTBigCode: the fused QKV and the position table are quantized, LayerNorms and biases copied.
        QProcess p;
        p.start(Q8_PYTHON, {QString(Q8_SOURCE_DIR) + "/tests/reference/make_reference_case.py", "--arch", "starcoder",
                            "--seed", "42", "--dim", "128", "--ff", "256", "--out", dir_.filePath("starcoder")});
        QVERIFY(p.waitForFinished(300000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QString src = dir_.filePath("starcoder/model.gguf");
        const QString out = dir_.filePath("starcoder-q8.gguf");
        const Run r = run_q8quant({"-m", src, "-o", out, "--type", "q8", "--act", "a16"});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const q8::GgufFile g(out.toStdString());
        QCOMPARE(g.find_tensor("blk.0.attn_qkv.weight")->type, q8::GgmlType::Q8_0);
        QCOMPARE(g.find_tensor("position_embd.weight")->type, q8::GgmlType::Q8_0);
        QCOMPARE(g.find_tensor("blk.0.attn_qkv.bias")->type, q8::GgmlType::F32);
        QCOMPARE(g.find_tensor("blk.0.ffn_norm.bias")->type, q8::GgmlType::F32);
        q8::LoadOptions lo;
        lo.precision = q8::Precision::Q8;
        lo.activations = q8::ActivationMode::Float;
        QVERIFY(logits(q8::load_model(out.toStdString()), eval_tokens_) ==
                logits(q8::load_model(src.toStdString(), lo), eval_tokens_));
        const Run sq = run_q8quant(
            {"-m", src, "-o", dir_.filePath("starcoder-sq.gguf"), "--type", "q8", "--smoothquant", "--calib", calib_});
        QCOMPARE(sq.code, 1);
        QVERIFY2(sq.err.contains("support RMSNorm/SwiGLU models") && sq.err.contains("starcoder"), qPrintable(sq.err));
        QVERIFY(!QFile::exists(dir_.filePath("starcoder-sq.gguf")));
    }

    void already_quantized_input_is_refused() {
        const QString q4 = dir_.filePath("q4g64.gguf");
        if (!QFile::exists(q4)) QVERIFY(run_q8quant({"-m", f32_, "-o", q4, "--type", "q4", "--group", "64"}).code == 0);
        const QString out = dir_.filePath("requant.gguf");
        const Run r = run_q8quant({"-m", q4, "-o", out, "--type", "q8"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("already quantized") && r.err.contains("Q4_0"), qPrintable(r.err));
        QVERIFY(!QFile::exists(out));
    }

    void empty_calibration_file_is_refused() {
        const QString empty = dir_.filePath("empty.txt");
        QFile e(empty);
        QVERIFY(e.open(QIODevice::WriteOnly));
        e.write("  \n");
        e.close();
        const QString out = dir_.filePath("nocalib.gguf");
        const Run r = run_q8quant({"-m", f32_, "-o", out, "--type", "q8", "--smoothquant", "--calib", empty});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("calibration file is empty"), qPrintable(r.err));
        const Run r2 = run_q8quant({"-m", f32_, "-o", out, "--type", "q8", "--smoothquant"});
        QCOMPARE(r2.code, 1);
        QVERIFY2(r2.err.contains("--calib"), qPrintable(r2.err));
        QVERIFY(!QFile::exists(out));
        QCOMPARE(QDir(dir_.path()).entryList({"*.tmp.*"}).size(), 0);
    }

    void unwritable_output_fails_at_once_and_leaves_nothing() {
        const QString ro = dir_.filePath("readonly");
        QVERIFY(QDir().mkdir(ro));
        QVERIFY(QFile::setPermissions(ro, QFileDevice::ReadOwner | QFileDevice::ExeOwner));
        const bool root = QFileInfo(ro).isWritable();  // root ignores permissions; use a missing directory then
        const QString out = root ? dir_.filePath("missing/dir/out.gguf") : ro + "/out.gguf";
        const Run r = run_q8quant({"-m", f32_, "-o", out, "--type", "q4"});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains("cannot write"), qPrintable(r.err));
        QVERIFY(!QFile::exists(out));
        QFile::setPermissions(ro, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        QCOMPARE(QDir(ro).entryList(QDir::Files).size(), 0);
    }

    // A Hugging Face folder converts like a GGUF file; --type f16 takes no quantization options.
    void converts_a_hugging_face_folder() {
        QProcess p;
        p.start(Q8_PYTHON, {QString(Q8_SOURCE_DIR) + "/tests/reference/make_reference_case.py", "--arch", "llama",
                            "--seed", "42", "--hf-shards", "2", "--out", dir_.filePath("hfsrc")});
        QVERIFY(p.waitForFinished(300000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const QString hf = dir_.filePath("hfsrc/hf");
        for (const char* type : {"f16", "q8"}) {
            const QString out = dir_.filePath(QString("hf-%1.gguf").arg(type));
            const Run r = run_q8quant({"-m", hf, "-o", out, "--type", type, "--json"});
            QVERIFY2(r.code == 0, qPrintable(r.err));
            QVERIFY2(r.out.contains(QString("\"type\": \"%1\"").arg(type)), qPrintable(r.out));
            const auto m = q8::load_model(out.toStdString());
            QCOMPARE(m->config.n_layer, int64_t(2));
            QCOMPARE(m->tokenizer.n_vocab(), int32_t(300));
        }
        const Run bad = run_q8quant({"-m", hf, "-o", dir_.filePath("x.gguf"), "--type", "f16", "--act", "a8"});
        QCOMPARE(bad.code, 2);
        QVERIFY2(bad.err.contains("converts without quantizing"), qPrintable(bad.err));
    }

    void cancel_while_writing_leaves_no_file() {
        qq::QuantizeFileOptions o;
        o.input = f32_.toStdString();
        o.output = dir_.filePath("cancelled.gguf").toStdString();
        o.type = q8::Precision::Q4;
        o.progress = [](const std::string& stage, float f) { return !(stage == "write" && f > 0.3f); };
        QVERIFY_THROWS_EXCEPTION(q8::EngineError, qq::quantize_file(o));
        QVERIFY(!QFile::exists(QString::fromStdString(o.output)));
        QCOMPARE(QDir(dir_.path()).entryList({"*.tmp.*"}).size(), 0);
    }
};

QTEST_GUILESS_MAIN(TestQ8Quant)
#include "test_q8quant.moc"
