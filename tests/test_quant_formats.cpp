// The row quantizers of compute/weight_formats.h: Q8_0, Q4_0 and Q4_1 byte for byte against the NumPy
// reference quantizers (tests/reference/quant_vectors.py, which uses gguf_writer.py), round-trip
// error bounds per group for every format, and the equivalences the GGUF interop relies on
// (Q4G(32) == Q4_0, Q4GA(32) == Q4_1, group-wise rows <-> standard blocks, I8 rows <-> Q8_0).
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <random>
#include <vector>

#include "dequantize.h"
#include "weight_formats.h"
#include "half.h"

namespace qq = q8::quant;

namespace {

constexpr size_t kCols = 256;

std::vector<uint8_t> read_bytes(const QString& path) {
    std::ifstream in(path.toStdString(), std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::vector<float> random_row(std::mt19937& rng, size_t n, float scale) {
    std::normal_distribution<float> nd(0.f, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

float f16_at(const uint8_t* p) { return q8::f16_to_f32(static_cast<uint16_t>(p[0] | (p[1] << 8))); }

}  // namespace

class TestQuantFormats : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    std::vector<float> x_;

private slots:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        QProcess p;
        p.start(Q8_PYTHON, {QString(Q8_SOURCE_DIR) + "/tests/reference/quant_vectors.py", dir_.path()});
        QVERIFY(p.waitForFinished(120000));
        QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
        const std::vector<uint8_t> raw = read_bytes(dir_.filePath("x.f32"));
        x_.resize(raw.size() / 4);
        std::memcpy(x_.data(), raw.data(), raw.size());
        QVERIFY(x_.size() >= kCols * 30 && x_.size() % kCols == 0);
    }

    void ggml_types_match_numpy_reference_byte_for_byte_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("block_bytes");
        QTest::newRow("q8_0") << "q8_0.bin" << 34;
        QTest::newRow("q4_0") << "q4_0.bin" << 18;
        QTest::newRow("q4_1") << "q4_1.bin" << 20;
    }
    void ggml_types_match_numpy_reference_byte_for_byte() {
        QFETCH(QString, file);
        QFETCH(int, block_bytes);
        const std::vector<uint8_t> want = read_bytes(dir_.filePath(file));
        QCOMPARE(want.size(), x_.size() / 32 * size_t(block_bytes));
        std::vector<uint8_t> got(want.size());
        for (size_t r = 0; r < x_.size() / kCols; ++r) {
            uint8_t* dst = got.data() + r * kCols / 32 * block_bytes;
            const float* src = x_.data() + r * kCols;
            if (file == "q8_0.bin") qq::quantize_row_q8_0(src, dst, kCols);
            if (file == "q4_0.bin") qq::quantize_row_q4_0(src, dst, kCols);
            if (file == "q4_1.bin") qq::quantize_row_q4_1(src, dst, kCols);
        }
        for (size_t i = 0; i < want.size(); ++i) {
            if (got[i] != want[i]) {
                QFAIL(qPrintable(QString("byte %1 (row %2, block %3): got 0x%4, NumPy 0x%5")
                                     .arg(i)
                                     .arg(i / (kCols / 32 * block_bytes))
                                     .arg(i / block_bytes % (kCols / 32))
                                     .arg(got[i], 2, 16, QChar('0'))
                                     .arg(want[i], 2, 16, QChar('0'))));
            }
        }
        // And the engine's GGUF decoder reads them back as the same values as our decoder.
        if (file != "q4_1.bin") {
            std::vector<float> a(x_.size()), b(x_.size());
            q8::dequantize_row(file == "q8_0.bin" ? q8::GgmlType::Q8_0 : q8::GgmlType::Q4_0, got.data(), a.data(),
                               a.size());
            if (file == "q4_0.bin") {
                qq::dequantize_row_q4g(got.data(), b.data(), b.size(), 32, false);
                QVERIFY(a == b);
            }
        }
    }

    void group_32_layouts_are_q4_0_and_q4_1() {
        std::vector<uint8_t> a(x_.size() / 32 * 18), b(a.size()), c(x_.size() / 32 * 20), d(c.size());
        qq::quantize_row_q4_0(x_.data(), a.data(), x_.size());
        qq::quantize_row_q4g(x_.data(), b.data(), x_.size(), 32, false);
        QVERIFY(a == b);
        qq::quantize_row_q4_1(x_.data(), c.data(), x_.size());
        qq::quantize_row_q4g(x_.data(), d.data(), x_.size(), 32, true);
        QVERIFY(c == d);
    }

    // |x - dequant(quant(x))| per group: symmetric 4-bit at most |d| (the code range is -8..7, so
    // the far extreme clips by one step) and half a step elsewhere; asymmetric half a step plus the
    // f16 rounding of d and m; Q8_0 half a step; all plus f16 scale rounding.
    void round_trip_error_bounds_per_group_data() {
        QTest::addColumn<int>("group");
        QTest::addColumn<bool>("asym");
        for (int g : {32, 64, 128})
            for (bool a : {false, true})
                QTest::newRow(qPrintable(QString("g%1%2").arg(g).arg(a ? "_asym" : ""))) << g << a;
    }
    void round_trip_error_bounds_per_group() {
        QFETCH(int, group);
        QFETCH(bool, asym);
        const size_t g = size_t(group), bb = qq::q4g_block_bytes(g, asym);
        std::vector<uint8_t> q(x_.size() / g * bb);
        std::vector<float> y(x_.size());
        qq::quantize_row_q4g(x_.data(), q.data(), x_.size(), g, asym);
        qq::dequantize_row_q4g(q.data(), y.data(), y.size(), g, asym);
        double worst_ratio = 0;
        for (size_t b = 0; b < x_.size() / g; ++b) {
            const float d = std::fabs(f16_at(q.data() + b * bb));
            float amax = 0, mn = INFINITY, mx = -INFINITY;
            for (size_t j = 0; j < g; ++j) {
                amax = std::max(amax, std::fabs(x_[b * g + j]));
                mn = std::min(mn, x_[b * g + j]);
                mx = std::max(mx, x_[b * g + j]);
            }
            // f16 rounding of d (relative 2^-11, times at most 15 steps) and of m, and subnormal d.
            const double slack =
                (asym ? 16 * d + std::fabs(mn) : 8 * d) * std::ldexp(1.0, -10) + std::ldexp(1.0, -24) * 16;
            const double step = asym ? 0.5 * (mx - mn) / 15 : d;
            for (size_t j = 0; j < g; ++j) {
                const double err = std::fabs(double(x_[b * g + j]) - y[b * g + j]);
                QVERIFY2(
                    err <= step + slack,
                    qPrintable(
                        QString("group %1 elem %2: error %3 > bound %4").arg(b).arg(j).arg(err).arg(step + slack)));
                worst_ratio = std::max(worst_ratio, err / (step + slack));
            }
        }
        qInfo("worst error / bound: %.3f", worst_ratio);
    }

    void q8_0_round_trip_within_half_step() {
        std::vector<uint8_t> q(x_.size() / 32 * 34);
        std::vector<float> y(x_.size());
        qq::quantize_row_q8_0(x_.data(), q.data(), x_.size());
        q8::dequantize_row(q8::GgmlType::Q8_0, q.data(), y.data(), y.size());
        for (size_t b = 0; b < x_.size() / 32; ++b) {
            float amax = 0;
            for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(x_[b * 32 + j]));
            const double bound = 0.5 * amax / 127 + amax * std::ldexp(1.0, -10) + std::ldexp(1.0, -24) * 128;
            for (size_t j = 0; j < 32; ++j) QVERIFY(std::fabs(double(x_[b * 32 + j]) - y[b * 32 + j]) <= bound);
        }
    }

    void group_rows_convert_to_standard_blocks_and_back() {
        for (bool asym : {false, true}) {
            for (size_t g : {64, 128}) {
                const size_t bb = qq::q4g_block_bytes(g, asym);
                std::vector<uint8_t> q(x_.size() / g * bb), back(q.size());
                std::vector<uint8_t> std_blocks(x_.size() / 32 * (asym ? 20 : 18));
                qq::quantize_row_q4g(x_.data(), q.data(), x_.size(), g, asym);
                qq::q4g_to_ggml(q.data(), std_blocks.data(), x_.size(), g, asym);
                QVERIFY(qq::ggml_to_q4g(std_blocks.data(), back.data(), x_.size(), g, asym));
                QVERIFY(q == back);
                // Same values through the standard decoder.
                std::vector<float> a(x_.size()), b(x_.size());
                qq::dequantize_row_q4g(q.data(), a.data(), a.size(), g, asym);
                qq::dequantize_row_q4g(std_blocks.data(), b.data(), b.size(), 32, asym);
                QVERIFY(a == b);
                if (!asym) {
                    q8::dequantize_row(q8::GgmlType::Q4_0, std_blocks.data(), b.data(), b.size());
                    QVERIFY(a == b);
                }
            }
        }
        // Standard blocks whose scales differ within a group are not a group row.
        std::vector<uint8_t> q4(x_.size() / 32 * 18), out(x_.size() / 64 * 34);
        qq::quantize_row_q4_0(x_.data(), q4.data(), x_.size());
        QVERIFY(!qq::ggml_to_q4g(q4.data(), out.data(), x_.size(), 64, false));
    }

    void i8_rows_are_q8_0_rows_with_one_scale() {
        std::mt19937 rng(7);
        for (float scale : {1e-3f, 0.02f, 1.f, 300.f}) {
            const std::vector<float> x = random_row(rng, 4096, scale);
            std::vector<int8_t> q(x.size()), q2(x.size());
            const float s = qq::quantize_row_i8(x.data(), q.data(), x.size());
            QCOMPARE(q8::f16_to_f32(q8::f32_to_f16(s)), s);  // f16-exact
            float amax = 0;
            for (float v : x) amax = std::max(amax, std::fabs(v));
            for (size_t i = 0; i < x.size(); ++i) {
                QVERIFY(q[i] != -128);
                QVERIFY(std::fabs(x[i] - q[i] * s) <= 0.5 * s * 1.002 + amax * 1e-3);
            }
            std::vector<uint8_t> blocks(x.size() / 32 * 34);
            qq::i8_row_to_q8_0(q.data(), s, blocks.data(), x.size());
            std::vector<float> a(x.size()), b(x.size());
            qq::dequantize_row_i8(q.data(), s, a.data(), a.size());
            q8::dequantize_row(q8::GgmlType::Q8_0, blocks.data(), b.data(), b.size());
            QVERIFY(a == b);
            float s2 = 0;
            QVERIFY(qq::q8_0_row_to_i8(blocks.data(), q2.data(), &s2, x.size()));
            QVERIFY(q == q2);
            QCOMPARE(s2, s);
        }
        std::vector<int8_t> q(kCols);
        std::vector<uint8_t> blocks(kCols / 32 * 34);
        qq::quantize_row_q8_0(x_.data(), blocks.data(), kCols);  // per-block scales
        float s = 0;
        QVERIFY(!qq::q8_0_row_to_i8(blocks.data(), q.data(), &s, kCols));
        // All-zero row: scale 0, codes 0.
        std::vector<float> z(64, 0.f);
        QCOMPARE(qq::quantize_row_i8(z.data(), q.data(), 64), 0.f);
        for (int i = 0; i < 64; ++i) QCOMPARE(int(q[i]), 0);
    }

    void activations_quantize_per_token_within_half_step() {
        std::mt19937 rng(3);
        for (float scale : {1e-4f, 1.f, 50.f}) {
            std::vector<float> x = random_row(rng, 1000, scale);
            x[17] = 40 * scale;  // an outlier sets the scale
            std::vector<int8_t> q(x.size());
            const float s = qq::quantize_activations_i8(x.data(), q.data(), x.size());
            QCOMPARE(s, 40 * scale / 127);
            QCOMPARE(int(q[17]), 127);
            for (size_t i = 0; i < x.size(); ++i) QVERIFY(std::fabs(x[i] - q[i] * s) <= 0.5001 * s);
        }
    }
};

QTEST_GUILESS_MAIN(TestQuantFormats)
#include "test_quant_formats.moc"
