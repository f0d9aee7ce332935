#pragma once
// What the Hugging Face folder suites share: the reference case a folder was written with (its
// prompt, logits and greedy continuation), logits and greedy runs through the engine, the
// comparison with the reference converter's GGUF file, and editing a folder into a bad one.
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <fstream>

#include <q8/error.h>

#include "convert_f16.h"
#include "dequantize.h"
#include "gguf_reader.h"
#include "half.h"
#include "inference_session.h"
#include "model.h"
#include "quantize_file.h"
#include "sampling.h"

namespace q8test {

// Every position's logits for `tokens`, with the F32 cache so only arithmetic differs.
inline std::vector<float> all_logits(const std::shared_ptr<const q8::Model>& model,
                                     const std::vector<int32_t>& tokens) {
    q8::SessionOptions so;
    so.n_threads = 1;
    so.kv_type = q8::KvType::F32;
    q8::InferenceSession s(model, so);
    if (!s.eval(tokens, true)) return {};
    std::vector<float> out;
    for (size_t t = 0; t < tokens.size(); ++t) {
        const auto row = s.logits_row(t);
        out.insert(out.end(), row.begin(), row.end());
    }
    return out;
}

// `n` greedy tokens after `prompt`, one at a time through the decode path.
inline std::vector<int32_t> greedy(const std::shared_ptr<const q8::Model>& model, const std::vector<int32_t>& prompt,
                                   size_t n) {
    q8::SessionOptions so;
    so.n_threads = 1;
    so.kv_type = q8::KvType::F32;
    q8::InferenceSession s(model, so);
    std::vector<int32_t> out;
    if (!s.eval(prompt)) return out;
    while (out.size() < n) {
        out.push_back(q8::argmax(s.logits()));
        const int32_t one[1] = {out.back()};
        if (!s.eval(one)) break;
    }
    return out;
}

// The reference case in `dir` (make_reference_case.py): prompt, NumPy logits, greedy tokens.
struct Expected {
    std::vector<int32_t> tokens;
    std::vector<float> logits;
    std::vector<int32_t> greedy;
};

inline Expected read_expected(const QString& dir) {
    Expected e;
    QFile f(dir + "/expected.json");
    if (!f.open(QIODevice::ReadOnly)) return e;
    const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    for (const auto v : o["tokens"].toArray()) e.tokens.push_back(v.toInt());
    for (const auto v : o["greedy"].toArray()) e.greedy.push_back(v.toInt());
    e.logits.resize(e.tokens.size() * static_cast<size_t>(o["n_vocab"].toInteger()));
    std::ifstream in((dir + "/logits.f32").toStdString(), std::ios::binary);
    in.read(reinterpret_cast<char*>(e.logits.data()), static_cast<std::streamsize>(e.logits.size() * 4));
    if (!in) e.logits.clear();
    return e;
}

// max |a - b| / max |b|
inline double rel_error(const std::vector<float>& a, const std::vector<float>& b) {
    if (a.size() != b.size()) return INFINITY;
    double num = 0, den = 0;
    for (size_t i = 0; i < b.size(); ++i) {
        num = std::max(num, std::abs(double(a[i]) - double(b[i])));
        den = std::max(den, std::abs(double(b[i])));
    }
    return num / std::max(den, 1e-30);
}

// Empty when `converted` (an F16 conversion) holds every tensor of `reference` under the same
// name and shape, matrices rounded to F16 and vectors exact; else the first difference.
inline QString differs_from_reference(const q8::GgufFile& converted, const q8::GgufFile& reference) {
    if (converted.tensors().size() != reference.tensors().size()) {
        return QString("%1 tensors, the reference has %2")
            .arg(converted.tensors().size())
            .arg(reference.tensors().size());
    }
    for (const q8::GgufTensorInfo& r : reference.tensors()) {
        const q8::GgufTensorInfo* c = converted.find_tensor(r.name);
        if (c == nullptr) return QString::fromStdString(r.name) + " is missing";
        if (c->ne != r.ne) return QString::fromStdString(r.name) + " has another shape";
        if (c->type != (r.n_dims == 2 ? q8::GgmlType::F16 : q8::GgmlType::F32)) {
            return QString::fromStdString(r.name) + " has another type";
        }
        const std::vector<float> want = q8::dequantize_tensor(r);
        const std::vector<float> got = q8::dequantize_tensor(*c);
        for (size_t i = 0; i < want.size(); ++i) {
            const float w = r.n_dims == 2 ? q8::f16_to_f32(q8::f32_to_f16(want[i])) : want[i];
            if (got[i] != w) return QString("%1[%2]: %3 != %4").arg(r.name.c_str()).arg(i).arg(got[i]).arg(w);
        }
    }
    return {};
}

// q8quant's conversion of `folder` to `type` (f16, q8 or q4), written to `out` and loaded natively,
// equals the folder converted at load: same formats, identical logits on `tokens`, and the
// tokenizer and hyper-parameters the folder had.
inline void check_conversion(const QString& folder, const QString& type, const QString& out,
                             const std::vector<int32_t>& tokens) {
    q8::LoadOptions lo;
    if (type == "f16") {
        QVERIFY(q8::quant::convert_to_f16(folder.toStdString(), out.toStdString()) > 0);
        lo.precision = q8::Precision::F16;
    } else {
        q8::quant::QuantizeFileOptions qo;
        qo.input = folder.toStdString();
        qo.output = out.toStdString();
        qo.type = type == "q8" ? q8::Precision::Q8 : q8::Precision::Q4;
        qo.int8_activations = true;
        qo.act_blocks = type == "q4";
        q8::quant::quantize_file(qo);
        lo.precision = qo.type;
        lo.activations = type == "q8" ? q8::ActivationMode::Int8PerToken : q8::ActivationMode::Int8Blocks;
    }
    const auto converted = q8::load_model(out.toStdString());
    const auto loaded = q8::load_model(folder.toStdString(), lo);
    QCOMPARE(QString::fromStdString(converted->weight_format_summary()),
             QString::fromStdString(loaded->weight_format_summary()));
    const std::vector<float> a = all_logits(loaded, tokens);
    QVERIFY(!a.empty());
    QVERIFY(a == all_logits(converted, tokens));
    QCOMPARE(converted->tokenizer.vocab().tokens, loaded->tokenizer.vocab().tokens);
    QCOMPARE(converted->tokenizer.vocab().merges, loaded->tokenizer.vocab().merges);
    QCOMPARE(converted->config.n_ctx_train, loaded->config.n_ctx_train);
    QCOMPARE(converted->config.rope_base, loaded->config.rope_base);
}

inline void copy_dir(const QString& from, const QString& to) {
    QDir().mkpath(to);
    for (const QString& f : QDir(from).entryList(QDir::Files)) QFile::copy(from + "/" + f, to + "/" + f);
}

// Rewrites one key of a JSON file (null removes it).
inline void set_json(const QString& path, const QString& key, const QJsonValue& v) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
    f.close();
    if (v.isNull())
        o.remove(key);
    else
        o[key] = v;
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(QJsonDocument(o).toJson());
}

// Expects opening `path` as a model to fail with a message containing `needle` and `file`.
inline void expect_refused(const QString& path, const QString& needle, const QString& file) {
    try {
        q8::load_model(path.toStdString());
        QFAIL(qPrintable("accepted: " + path));
    } catch (const q8::EngineError& e) {
        const QString msg = QString::fromUtf8(e.what());
        QVERIFY2(msg.contains(needle), qPrintable(msg));
        QVERIFY2(msg.contains(file), qPrintable("should name " + file + ": " + msg));
    }
}

}  // namespace q8test
