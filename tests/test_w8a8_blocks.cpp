// W8A8 with int8 activation blocks: Q8_0 rows (one f16 scale per 32 weights) against activations
// with one scale per 32 values. Every ISA's kernel against the scalar reference and against a
// double-precision product of the decoded weights and decoded activations, on rows whose block
// count leaves every remainder of the kernels' four-block steps and with codes of -128 (which
// Q8_0 files may hold); several tokens and several rows in one call bit-identical to one row and
// one token alone (speculative verification relies on it); and matmul with the loader's matrices,
// on every ISA this CPU runs, with 1 and 2 threads.
#include <QtTest>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "batch_identity.h"
#include "cpu_features.h"
#include "half.h"
#include "kernel_tables.h"
#include "kernels.h"
#include "matmul.h"
#include "outlier_activations.h"
#include "thread_pool.h"
#include "weight_formats.h"
#include "weight_matrices.h"
#include "weight_quant.h"

using q8::Isa;
using q8::KernelTable;
namespace qq = q8::quant;

namespace {

using q8::test::same_bits;

std::vector<float> activations(size_t n, std::mt19937& rng) { return q8::test::outlier_activations(n, rng, true); }

// n_tok tokens quantized as matmul quantizes them: codes and block scales, and their values.
struct Blocks {
    std::vector<int8_t> q;
    std::vector<float> scales, decoded;
};

Blocks quantize(const std::vector<float>& x, size_t n, size_t n_tok) {
    Blocks p;
    const size_t nb = n / qq::kActBlock;
    p.q.resize(n * n_tok);
    p.scales.resize(nb * n_tok);
    p.decoded.resize(n * n_tok);
    for (size_t t = 0; t < n_tok; ++t) {
        qq::quantize_activations_i8_blocks(x.data() + t * n, p.q.data() + t * n, p.scales.data() + t * nb, n);
        for (size_t i = 0; i < n; ++i)
            p.decoded[t * n + i] = static_cast<float>(p.q[t * n + i]) * p.scales[t * nb + i / qq::kActBlock];
    }
    return p;
}

q8::A8Blocks view(const Blocks& p, size_t t0, size_t n) {
    const size_t nb = n / qq::kActBlock;
    return {p.q.data() + t0 * n, p.scales.data() + t0 * nb, nullptr, n, nb, 0};
}

// n_rows Q8_0 rows of n values; with `extremes`, some codes set to -128 (the kernels' corner:
// its magnitude does not fit a signed byte).
std::vector<uint8_t> q8_0_rows(size_t n_rows, size_t n, bool extremes, std::mt19937& rng) {
    const size_t row_bytes = n / 32 * qq::kQ8_0Bytes;
    std::vector<uint8_t> w(n_rows * row_bytes);
    std::normal_distribution<float> nd(0.f, 0.05f);
    std::vector<float> dense(n);
    std::uniform_int_distribution<size_t> pick(0, n - 1);
    for (size_t r = 0; r < n_rows; ++r) {
        for (float& f : dense) f = nd(rng);
        uint8_t* row = w.data() + r * row_bytes;
        qq::quantize_row_q8_0(dense.data(), row, n);
        if (extremes) {
            for (int k = 0; k < 5; ++k) {
                const size_t i = pick(rng);
                row[i / 32 * qq::kQ8_0Bytes + 2 + i % 32] = 0x80;
            }
        }
    }
    return w;
}

float f16_scale(const uint8_t* block) {
    uint16_t h;
    std::memcpy(&h, block, 2);
    return q8::f16_to_f32(h);
}

// The double-precision product of one decoded row and one token's decoded activations, and the
// sum of the magnitudes of its terms (the scale of a float summation's rounding).
std::pair<double, double> exact_dot(const uint8_t* row, const float* x, size_t n) {
    double s = 0, mag = 0;
    for (size_t i = 0; i < n; ++i) {
        const uint8_t* block = row + i / 32 * qq::kQ8_0Bytes;
        const double w = double(f16_scale(block)) * static_cast<int8_t>(block[2 + i % 32]);
        s += w * x[i];
        mag += std::abs(w * x[i]);
    }
    return {s, mag};
}

}  // namespace

class TestW8A8Blocks : public QObject {
    Q_OBJECT

private slots:
    // Rows of 1 to 176 blocks, every remainder of four; plus rows with codes of -128.
    void kernel_data() {
        QTest::addColumn<int>("isa");
        QTest::addColumn<int>("n");
        QTest::addColumn<bool>("extremes");
        for (Isa isa : kAllIsas)
            for (int n : {32, 64, 96, 160, 2048, 2080, 5632})
                for (bool extremes : {false, true})
                    QTest::addRow("%s/n%d%s", name_of(isa), n, extremes ? "/-128" : "")
                        << static_cast<int>(isa) << n << extremes;
    }

    void kernel() {
        QFETCH(int, isa);
        QFETCH(int, n);
        QFETCH(bool, extremes);
        REQUIRE_ISA(static_cast<Isa>(isa));
        const KernelTable& k = table_of(static_cast<Isa>(isa));
        const KernelTable& ref = q8::scalar_kernels();
        const auto un = static_cast<size_t>(n);
        std::mt19937 rng(static_cast<uint32_t>(n * 7 + extremes * 3 + isa * 13));
        const std::vector<uint8_t> w = q8_0_rows(1, un, extremes, rng);
        for (size_t n_tok : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{6}, size_t{7}, size_t{11}}) {
            const Blocks p = quantize(activations(un * n_tok, rng), un, n_tok);
            std::vector<float> y(2 * n_tok, -1.f), want(n_tok), one(1);
            k.batch_q8_0_a8b(w.data(), w.size(), 1, view(p, 0, un), n_tok, un, y.data(), 2);
            ref.batch_q8_0_a8b(w.data(), w.size(), 1, view(p, 0, un), n_tok, un, want.data(), 1);
            for (size_t t = 0; t < n_tok; ++t) {
                const auto [exact, mag] = exact_dot(w.data(), p.decoded.data() + t * un, un);
                const double tol = 1e-5 * mag + 1e-6;
                QVERIFY2(std::abs(want[t] - exact) <= tol,
                         qPrintable(QStringLiteral("token %1: scalar %2, exact %3").arg(t).arg(want[t]).arg(exact)));
                QVERIFY2(std::abs(y[2 * t] - want[t]) <= tol,
                         qPrintable(QStringLiteral("n_tok %1, token %2: %3 %4, scalar %5")
                                        .arg(n_tok)
                                        .arg(t)
                                        .arg(name_of(static_cast<Isa>(isa)))
                                        .arg(y[2 * t], 0, 'g', 9)
                                        .arg(want[t], 0, 'g', 9)));
                QCOMPARE(y[2 * t + 1], -1.f);  // ldy respected
                k.batch_q8_0_a8b(w.data(), w.size(), 1, view(p, t, un), 1, un, one.data(), 1);
                QVERIFY2(same_bits(one[0], y[2 * t]),
                         qPrintable(QStringLiteral("n_tok %1, token %2: batched %3, alone %4")
                                        .arg(n_tok)
                                        .arg(t)
                                        .arg(y[2 * t], 0, 'g', 9)
                                        .arg(one[0], 0, 'g', 9)));
            }
        }
    }

    // Several rows in one call (the kernel tiles rows by tokens, remainders included): each (row,
    // token) result bit-identical to that row and that token alone, whatever the counts.
    void rows_in_one_call_data() {
        QTest::addColumn<int>("isa");
        QTest::addColumn<int>("n");
        for (Isa isa : kAllIsas)
            for (int n : {96, 352, 2048}) QTest::addRow("%s/n%d", name_of(isa), n) << static_cast<int>(isa) << n;
    }

    void rows_in_one_call() {
        QFETCH(int, isa);
        QFETCH(int, n);
        REQUIRE_ISA(static_cast<Isa>(isa));
        const KernelTable& k = table_of(static_cast<Isa>(isa));
        const auto un = static_cast<size_t>(n);
        const size_t row_bytes = un / 32 * qq::kQ8_0Bytes;
        constexpr size_t kRows = 8;
        std::mt19937 rng(static_cast<uint32_t>(n * 5 + isa * 11));
        const std::vector<uint8_t> w = q8_0_rows(kRows, un, true, rng);
        for (size_t n_tok : {size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{6}, size_t{9}, size_t{11}}) {
            const Blocks p = quantize(activations(un * n_tok, rng), un, n_tok);
            for (size_t rows : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{7}, kRows}) {
                std::vector<float> y(n_tok * rows), one(1);
                k.batch_q8_0_a8b(w.data(), row_bytes, rows, view(p, 0, un), n_tok, un, y.data(), rows);
                for (size_t r = 0; r < rows; ++r) {
                    for (size_t t = 0; t < n_tok; ++t) {
                        k.batch_q8_0_a8b(w.data() + r * row_bytes, row_bytes, 1, view(p, t, un), 1, un, one.data(), 1);
                        QVERIFY2(same_bits(y[t * rows + r], one[0]),
                                 qPrintable(QStringLiteral("%1 rows, %2 tokens, row %3, token %4: %5, alone %6")
                                                .arg(rows)
                                                .arg(n_tok)
                                                .arg(r)
                                                .arg(t)
                                                .arg(y[t * rows + r], 0, 'g', 9)
                                                .arg(one[0], 0, 'g', 9)));
                    }
                }
            }
        }
    }

    // matmul with the loader's matrix (Q8_0 rows, act_blocks) on each ISA: random shapes whose
    // rows leave remainders for the thread split and the tiles; n tokens in one product, exact or
    // F32 arithmetic, bit-identical to n one-token products; values equal to the double-precision
    // product of decoded operands.
    void matmul_blocks_data() {
        QTest::addColumn<int>("isa");
        QTest::addColumn<int>("seed");
        QTest::addColumn<int>("threads");
        for (Isa isa : kAllIsas)
            for (int seed : {1, 2, 3, 4})
                for (int threads : {1, 2})
                    QTest::addRow("%s/shape%d/t%d", name_of(isa), seed, threads)
                        << static_cast<int>(isa) << seed << threads;
    }

    void matmul_blocks() {
        QFETCH(int, isa);
        QFETCH(int, seed);
        QFETCH(int, threads);
        REQUIRE_ISA(static_cast<Isa>(isa));
        q8::set_isa_override(static_cast<Isa>(isa));
        std::mt19937 rng(static_cast<uint32_t>(seed * 31 + isa));
        const int rows = std::uniform_int_distribution<int>(1, 70)(rng);
        const int cols = 32 * std::uniform_int_distribution<int>(1, 90)(rng);
        qInfo("%d x %d", rows, cols);
        const auto uc = static_cast<size_t>(cols), ur = static_cast<size_t>(rows);
        const std::vector<float> dense = normal_weights(ur * uc, rng);
        const q8::WeightTarget target{q8::WeightLayout::Ggml, q8::GgmlType::Q8_0, 0, true, true};
        const q8::WeightMatrix w = make_matrix(rows, cols, dense, target);
        QVERIFY(w.act_blocks && w.int8_activations);
        QCOMPARE(QString::fromStdString(w.format_name()), QString("Q8_0/A8b"));
        q8::ThreadPool pool(threads);
        const q8::MatmulOptions exact{q8::BatchArithmetic::Exact};
        for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{6}, size_t{9}, size_t{12}}) {
            const std::vector<float> x = activations(n * uc, rng);
            const Blocks p = quantize(x, uc, n);
            std::vector<float> batched(n * ur), fast(n * ur);
            q8::matmul(w, x.data(), n, batched.data(), pool, exact);
            q8::matmul(w, x.data(), n, fast.data(), pool);  // F32 prompts take the same kernels
            QVERIFY(fast == batched);
            const std::vector<float> alone = one_token_products(w, x, n, pool);
            const QString diff = first_bit_difference(batched, alone, ur);
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
            for (size_t t = 0; t < n; ++t) {
                const float* one = alone.data() + t * ur;
                for (size_t r = 0; r < ur; ++r) {
                    const auto [want, mag] = exact_dot(w.row(static_cast<int64_t>(r)), p.decoded.data() + t * uc, uc);
                    QVERIFY2(std::abs(one[r] - want) <= 1e-5 * mag + 1e-6,
                             qPrintable(
                                 QStringLiteral("token %1, row %2: %3, want %4").arg(t).arg(r).arg(one[r]).arg(want)));
                }
            }
        }
        q8::set_isa_override(q8::best_supported_isa());
    }
};

QTEST_GUILESS_MAIN(TestW8A8Blocks)
#include "test_w8a8_blocks.moc"
