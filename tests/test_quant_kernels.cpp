// Kernels for the quantized layouts of compute/weight_formats.h, on every instruction set this CPU runs:
// group-wise 4-bit dots with float activations against a double-precision reference, and the
// int8-activation dots (W8A8, W4A8) against an integer reference written here, exactly. Also
// matmul over those layouts, including the shared-input form and the observer hook.
#include <QtTest>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "cpu_features.h"
#include "half.h"
#include "kernel_tables.h"
#include "kernels.h"
#include "matmul.h"
#include "thread_pool.h"
#include "weight_formats.h"
#include "weight_matrices.h"
#include "weight_quant.h"

using q8::Isa;
using q8::KernelTable;

namespace {

std::vector<float> normal(std::mt19937& rng, size_t n, float s = 1.f) {
    std::normal_distribution<float> nd(0.f, s);
    std::vector<float> v(n);
    for (auto& x : v) x = nd(rng);
    return v;
}

std::vector<int8_t> int8s(std::mt19937& rng, size_t n, int lo = -127, int hi = 127) {
    std::uniform_int_distribution<int> d(lo, hi);
    std::vector<int8_t> v(n);
    for (auto& x : v) x = static_cast<int8_t>(d(rng));
    return v;
}

void put_f16(uint8_t* p, float v) {
    const uint16_t h = q8::f32_to_f16(v);
    std::memcpy(p, &h, 2);
}

// A group-wise row with random codes and power-of-two scales (and minimums), so that every
// partial sum the kernels form in float is an exactly representable value.
std::vector<uint8_t> exact_q4_row(std::mt19937& rng, size_t n, size_t g, bool asym) {
    const size_t bb = q8::quant::q4g_block_bytes(g, asym), hdr = asym ? 4 : 2;
    std::vector<uint8_t> row(n / g * bb);
    std::uniform_int_distribution<int> e(-4, 0), code(0, 255), sign(0, 1);
    for (size_t b = 0; b < n / g; ++b) {
        uint8_t* blk = row.data() + b * bb;
        put_f16(blk, (sign(rng) ? -1.f : 1.f) * std::ldexp(1.f, e(rng)));
        if (asym) put_f16(blk + 2, (sign(rng) ? -1.f : 1.f) * std::ldexp(1.f, e(rng)));
        for (size_t j = 0; j < g / 2; ++j) blk[hdr + j] = static_cast<uint8_t>(code(rng));
    }
    return row;
}

// The integer reference: per group sum (q - 8) x (or q x and sum x), times the group's d (and m).
double ref_q4_a8(const uint8_t* w, const int8_t* x, size_t n, size_t g, bool asym) {
    const size_t bb = q8::quant::q4g_block_bytes(g, asym), hdr = asym ? 4 : 2, h = g / 2;
    double s = 0;
    for (size_t b = 0; b < n / g; ++b, w += bb, x += g) {
        int64_t qx = 0, sx = 0;
        for (size_t j = 0; j < h; ++j) {
            qx += int64_t(w[hdr + j] & 15) * x[j] + int64_t(w[hdr + j] >> 4) * x[j + h];
            sx += int64_t(x[j]) + x[j + h];
        }
        const double d = q8::f16_to_f32(static_cast<uint16_t>(w[0] | w[1] << 8));
        if (asym) {
            s += d * double(qx) + double(q8::f16_to_f32(static_cast<uint16_t>(w[2] | w[3] << 8))) * double(sx);
        } else {
            s += d * double(qx - 8 * sx);
        }
    }
    return s;
}

}  // namespace

class TestQuantKernels : public QObject {
    Q_OBJECT

private slots:
    // Every ISA's activation quantizer equals the portable one (compute/weight_formats.h) byte for byte and
    // scale for scale: dynamic and static modes, lengths with vector tails, exact .5 ties,
    // values beyond the clamp, an all-zero row.
    void activation_quantizer_matches_portable() {
        std::mt19937 rng(11);
        std::normal_distribution<float> nd(0.f, 3.f);
        for (Isa isa : kAllIsas) {
            if (isa > q8::best_supported_isa()) continue;
            const KernelTable& k = table_of(isa);
            for (size_t n : {size_t{1}, size_t{15}, size_t{16}, size_t{33}, size_t{2048}, size_t{2051}}) {
                for (float scale : {0.f, 1.f, 0.37f}) {
                    std::vector<float> x(n);
                    for (size_t i = 0; i < n; ++i) x[i] = i % 7 == 3 ? float(int(i % 301) - 150) + 0.5f : nd(rng);
                    if (n == 33) std::fill(x.begin(), x.end(), 0.f);
                    std::vector<int8_t> got(n), want(n);
                    const float gs = k.quantize_act_i8(x.data(), got.data(), n, scale);
                    const float ws = scale > 0.f
                                         ? q8::quant::quantize_activations_i8_static(x.data(), want.data(), n, scale)
                                         : q8::quant::quantize_activations_i8(x.data(), want.data(), n);
                    QCOMPARE(gs, ws);
                    QVERIFY2(got == want,
                             qPrintable(QStringLiteral("isa %1, n %2, scale %3").arg(int(isa)).arg(n).arg(scale)));
                }
            }
        }
    }

    void group_dot_float_activations_data() { add_isa_rows(); }
    void group_dot_float_activations() {
        QFETCH(int, isa);
        REQUIRE_ISA(Isa(isa));
        const KernelTable& k = table_of(Isa(isa));
        std::mt19937 rng(11);
        for (bool asym : {false, true}) {
            for (size_t g : {32, 64, 128}) {
                for (size_t n : {size_t(128), size_t(384), size_t(2048), size_t(4224)}) {
                    if (n % g) continue;
                    const std::vector<float> w = normal(rng, n, 0.05f), x = normal(rng, n);
                    std::vector<uint8_t> q(n / g * q8::quant::q4g_block_bytes(g, asym));
                    q8::quant::quantize_row_q4g(w.data(), q.data(), n, g, asym);
                    std::vector<float> deq(n);
                    q8::quant::dequantize_row_q4g(q.data(), deq.data(), n, g, asym);
                    double want = 0, mag = 0;
                    for (size_t i = 0; i < n; ++i) {
                        want += double(deq[i]) * x[i];
                        mag += std::fabs(double(deq[i]) * x[i]);
                    }
                    const float got = (asym ? k.dot_q4ga : k.dot_q4g)(q.data(), x.data(), n, g);
                    QVERIFY2(
                        std::fabs(got - want) <= 1e-5 * mag + 1e-6,
                        qPrintable(
                            QString("g%1 asym=%2 n=%3: got %4 want %5").arg(g).arg(asym).arg(n).arg(got).arg(want)));
                }
            }
        }
    }

    void int8_dot_is_exact_data() { add_isa_rows(); }
    void int8_dot_is_exact() {
        QFETCH(int, isa);
        REQUIRE_ISA(Isa(isa));
        const KernelTable& k = table_of(Isa(isa));
        std::mt19937 rng(5);
        for (size_t n : {size_t(1), size_t(31), size_t(32), size_t(33), size_t(64), size_t(100), size_t(127),
                         size_t(128), size_t(129), size_t(1000), size_t(4096), size_t(5632)}) {
            for (int trial = 0; trial < 4; ++trial) {
                const std::vector<int8_t> w = int8s(rng, n), x = int8s(rng, n);
                int64_t want = 0, wsum = 0;
                for (size_t i = 0; i < n; ++i) {
                    want += int64_t(w[i]) * x[i];
                    wsum += w[i];
                }
                QCOMPARE(int64_t(k.dot_i8(w.data(), x.data(), n, int32_t(wsum))), want);
            }
        }
        // Extremes: the largest sums the format allows (n = 65536, all +-127), both signs.
        const size_t n = 65536;
        for (int sw : {127, -127}) {
            for (int sx : {127, -127}) {
                const std::vector<int8_t> w(n, static_cast<int8_t>(sw)), x(n, static_cast<int8_t>(sx));
                QCOMPARE(int64_t(k.dot_i8(w.data(), x.data(), n, int32_t(int64_t(sw) * n))),
                         int64_t(sw) * sx * int64_t(n));
            }
        }
    }

    void w4a8_group_dot_is_exact_data() { add_isa_rows(); }
    void w4a8_group_dot_is_exact() {
        QFETCH(int, isa);
        REQUIRE_ISA(Isa(isa));
        const KernelTable& k = table_of(Isa(isa));
        std::mt19937 rng(9);
        for (bool asym : {false, true}) {
            for (size_t g : {32, 64, 128}) {
                // 32, 96, 160: odd group counts for group 32 (the AVX-512 path takes two at a time).
                for (size_t n :
                     {size_t(32), size_t(96), size_t(128), size_t(160), size_t(256), size_t(1024), size_t(4096)}) {
                    if (n % g) continue;
                    const std::vector<uint8_t> w = exact_q4_row(rng, n, g, asym);
                    for (auto [lo, hi] : {std::pair{-127, 127}, std::pair{127, 127}, std::pair{-127, -127}}) {
                        const std::vector<int8_t> x = int8s(rng, n, lo, hi);
                        const double want = ref_q4_a8(w.data(), x.data(), n, g, asym);
                        const float got = (asym ? k.dot_q4ga_a8 : k.dot_q4g_a8)(w.data(), x.data(), n, g);
                        QVERIFY2(double(got) == want, qPrintable(QString("g%1 asym=%2 n=%3: got %4, exact %5")
                                                                     .arg(g)
                                                                     .arg(asym)
                                                                     .arg(n)
                                                                     .arg(got, 0, 'g', 17)
                                                                     .arg(want, 0, 'g', 17)));
                    }
                }
            }
        }
    }

    // matmul over every layout: float activations equal the decoded-float product; int8
    // activations equal the product of the decoded weights with the int8-rounded activations.
    void matmul_over_quantized_layouts() {
        std::mt19937 rng(21);
        const int64_t rows = 48, cols = 256;
        const std::vector<float> wf = normal(rng, size_t(rows * cols), 0.05f);
        q8::ThreadPool pool(2);
        const std::vector<q8::WeightTarget> targets = {
            {q8::WeightLayout::Ggml, q8::GgmlType::Q8_0, 0, false},
            {q8::WeightLayout::Ggml, q8::GgmlType::Q4_0, 0, false},
            {q8::WeightLayout::Q4Group, q8::GgmlType::F32, 64, false},
            {q8::WeightLayout::Q4GroupAsym, q8::GgmlType::F32, 128, false},
            {q8::WeightLayout::I8Row, q8::GgmlType::F32, 0, false},
            {q8::WeightLayout::I8Row, q8::GgmlType::F32, 0, true},
            {q8::WeightLayout::Q4Group, q8::GgmlType::F32, 32, true},
            {q8::WeightLayout::Q4GroupAsym, q8::GgmlType::F32, 64, true},
        };
        for (const auto& t : targets) {
            const q8::WeightMatrix m = make_matrix(rows, cols, wf, t);
            for (size_t n : {size_t(1), size_t(2), size_t(7)}) {
                std::vector<float> x = normal(rng, n * size_t(cols));
                std::vector<float> y(n * size_t(rows));
                q8::matmul(m, x.data(), n, y.data(), pool);
                std::vector<float> xr = x;
                if (t.int8_activations) {
                    std::vector<int8_t> q(static_cast<size_t>(cols));
                    for (size_t tk = 0; tk < n; ++tk) {
                        const float s =
                            q8::quant::quantize_activations_i8(&x[tk * size_t(cols)], q.data(), size_t(cols));
                        for (int64_t c = 0; c < cols; ++c) xr[tk * size_t(cols) + size_t(c)] = q[size_t(c)] * s;
                    }
                }
                std::vector<float> row(static_cast<size_t>(cols));
                for (int64_t r = 0; r < rows; ++r) {
                    q8::weight_row_to_f32(m, r, row.data());
                    for (size_t tk = 0; tk < n; ++tk) {
                        double want = 0, mag = 0;
                        for (int64_t c = 0; c < cols; ++c) {
                            want += double(row[size_t(c)]) * xr[tk * size_t(cols) + size_t(c)];
                            mag += std::fabs(double(row[size_t(c)]) * xr[tk * size_t(cols) + size_t(c)]);
                        }
                        const float got = y[tk * size_t(rows) + size_t(r)];
                        QVERIFY2(std::fabs(got - want) <= 2e-5 * mag + 1e-6,
                                 qPrintable(QString("%1 n=%2 row %3: %4 vs %5")
                                                .arg(QString::fromStdString(m.format_name()))
                                                .arg(n)
                                                .arg(r)
                                                .arg(got)
                                                .arg(want)));
                    }
                }
            }
        }
    }

    // Static per-tensor activation scale: every token quantized with the same calibrated scale,
    // values beyond 127 steps clipped.
    void static_activation_scale_quantizes_with_the_fixed_scale() {
        std::mt19937 rng(8);
        const int64_t rows = 16, cols = 128;
        const std::vector<float> wf = normal(rng, size_t(rows * cols), 0.05f);
        q8::ThreadPool pool(2);
        for (const auto& t : {q8::WeightTarget{q8::WeightLayout::I8Row, q8::GgmlType::F32, 0, true},
                              q8::WeightTarget{q8::WeightLayout::Q4Group, q8::GgmlType::F32, 64, true}}) {
            q8::WeightMatrix m = make_matrix(rows, cols, wf, t);
            m.act_scale = 0.01f;
            std::vector<float> x = normal(rng, 3 * size_t(cols));
            x[5] = 5.f;  // beyond 127 * 0.01: clipped to 1.27
            std::vector<float> y(3 * size_t(rows));
            q8::matmul(m, x.data(), 3, y.data(), pool);
            std::vector<float> row(static_cast<size_t>(cols));
            for (int64_t r = 0; r < rows; ++r) {
                q8::weight_row_to_f32(m, r, row.data());
                for (size_t tk = 0; tk < 3; ++tk) {
                    double want = 0, mag = 0;
                    for (int64_t c = 0; c < cols; ++c) {
                        const double xq =
                            std::clamp(std::round(x[tk * size_t(cols) + size_t(c)] / 0.01f), -127.f, 127.f) * 0.01;
                        want += row[size_t(c)] * xq;
                        mag += std::fabs(row[size_t(c)] * xq);
                    }
                    QVERIFY(std::fabs(y[tk * size_t(rows) + size_t(r)] - want) <= 2e-5 * mag + 1e-6);
                }
            }
            QVERIFY(QString::fromStdString(m.format_name()).endsWith("/A8s"));
        }
    }

    void shared_input_equals_separate_calls_and_observer_sees_inputs() {
        std::mt19937 rng(4);
        const int64_t cols = 128;
        const std::vector<float> a = normal(rng, 64 * cols, 0.1f), b = normal(rng, 32 * cols, 0.1f);
        const q8::WeightMatrix ma = make_matrix(64, cols, a, {q8::WeightLayout::I8Row, q8::GgmlType::F32, 0, true});
        const q8::WeightMatrix mb = make_matrix(32, cols, b, {q8::WeightLayout::Q4Group, q8::GgmlType::F32, 32, true});
        q8::ThreadPool pool(2);
        const std::vector<float> x = normal(rng, 3 * cols);
        std::vector<float> ya(3 * 64), yb(3 * 32), ya2(ya.size()), yb2(yb.size());
        q8::matmul(ma, x.data(), 3, ya.data(), pool);
        q8::matmul(mb, x.data(), 3, yb.data(), pool);
        int seen = 0;
        const q8::MatmulObserver obs = [&](const q8::WeightMatrix& w, const float* xi, size_t n) {
            QCOMPARE(xi, x.data());
            QCOMPARE(n, size_t(3));
            QVERIFY(&w == &ma || &w == &mb);
            ++seen;
        };
        q8::matmul_shared_input({{&ma, ya2.data()}, {&mb, yb2.data()}}, x.data(), 3, pool, {.observer = &obs});
        QCOMPARE(seen, 2);
        QVERIFY(ya == ya2);
        QVERIFY(yb == yb2);
    }
};

QTEST_GUILESS_MAIN(TestQuantKernels)
#include "test_quant_kernels.moc"
