// The oneDNN products prompt evaluation uses (engine/compute/onednn_gemm.h), against plain sums:
// int8 exactly (int32 sums, so they equal our own int8 kernels bit for bit), bf16 to float
// rounding. oneDNN picks its kernel by CPU; the suite prints which one ran. AMX kernels exist only on
// Xeons with AMX, where the kernel must also have granted this process tile data: there the AMX
// case checks that oneDNN chose them and that they give the same sums; elsewhere it is skipped
// with the reason.
#include <QtTest>

#include <random>
#include <vector>

#include "cpu_features.h"
#include "half.h"
#include "onednn_gemm.h"

namespace {

struct Shape {
    size_t m, n, k;
};

// Prompts of a few tokens up to a long one, rows and depths with tails.
const std::vector<Shape> kShapes = {{1, 16, 64}, {7, 33, 100}, {24, 64, 256}, {64, 96, 320}, {128, 48, 2048}};

void check_int8(const Shape& s, std::mt19937& rng) {
    std::uniform_int_distribution<int> v(-128, 127);
    std::vector<int8_t> x(s.m * s.k), w(s.n * s.k);
    for (auto& e : x) e = static_cast<int8_t>(v(rng));
    for (auto& e : w) e = static_cast<int8_t>(v(rng));
    std::vector<int32_t> out(s.m * s.n, -1);
    QVERIFY(q8::onednn_gemm_s8s8s32(x.data(), s.m, w.data(), s.n, s.k, out.data(), s.n));
    for (size_t t = 0; t < s.m; ++t) {
        for (size_t r = 0; r < s.n; ++r) {
            int32_t sum = 0;
            for (size_t c = 0; c < s.k; ++c) sum += int32_t(x[t * s.k + c]) * int32_t(w[r * s.k + c]);
            QCOMPARE(out[t * s.n + r], sum);
        }
    }
}

void check_bf16(const Shape& s, std::mt19937& rng) {
    std::normal_distribution<float> v(0.f, 1.f);
    std::vector<uint16_t> x(s.m * s.k), w(s.n * s.k);
    for (auto& e : x) e = q8::f32_to_bf16(v(rng));
    for (auto& e : w) e = q8::f32_to_bf16(v(rng));
    std::vector<float> out(s.m * s.n, -1.f);
    QVERIFY(q8::onednn_gemm_bf16(x.data(), s.m, w.data(), s.n, s.k, out.data(), s.n));
    for (size_t t = 0; t < s.m; ++t) {
        for (size_t r = 0; r < s.n; ++r) {
            // The products of bf16 values are exact in float; only the order of the sums differs.
            double sum = 0, magnitude = 0;
            for (size_t c = 0; c < s.k; ++c) {
                const double p = double(q8::bf16_to_f32(x[t * s.k + c])) * double(q8::bf16_to_f32(w[r * s.k + c]));
                sum += p;
                magnitude += std::abs(p);
            }
            QVERIFY2(std::abs(out[t * s.n + r] - sum) <= 1e-5 * magnitude,
                     qPrintable(QString("%1 vs %2").arg(out[t * s.n + r]).arg(sum)));
        }
    }
}

}  // namespace

class TestOneDnnGemm : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() {
        qInfo("CPU: %s; AMX: %s", q8::cpu_feature_summary().c_str(), q8::amx_description().c_str());
        qInfo("oneDNN kernels for a 128-token prompt: int8 %s, bf16 %s",
              q8::onednn_gemm_implementation(true, 128, 2048, 2048).c_str(),
              q8::onednn_gemm_implementation(false, 128, 2048, 2048).c_str());
    }

    void int8_products_are_the_exact_sums() {
        std::mt19937 rng(5);
        for (const Shape& s : kShapes) check_int8(s, rng);
    }

    void bf16_products_round_only_their_sums() {
        std::mt19937 rng(6);
        for (const Shape& s : kShapes) check_bf16(s, rng);
    }

    void amx_products_run_where_the_cpu_grants_them() {
        const q8::CpuFeatures& f = q8::cpu_features();
        if (!f.amx_tile || !f.amx_permitted) {
            QSKIP(qPrintable("oneDNN's AMX products cannot run here: AMX is " +
                             QString::fromStdString(q8::amx_description()) +
                             " on this CPU. They are tested on Xeons with AMX."));
        }
        for (const bool int8 : {true, false}) {
            if (!(int8 ? f.amx_int8 : f.amx_bf16)) continue;
            const std::string impl = q8::onednn_gemm_implementation(int8, 128, 2048, 2048);
            QVERIFY2(impl.find("amx") != std::string::npos, impl.c_str());
        }
        std::mt19937 rng(7);
        const Shape s{128, 64, 1024};
        if (f.amx_int8) check_int8(s, rng);
        if (f.amx_bf16) check_bf16(s, rng);
    }
};

QTEST_GUILESS_MAIN(TestOneDnnGemm)
#include "test_onednn_gemm.moc"
