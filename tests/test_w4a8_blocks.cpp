// W4A8 with int8 activation blocks (one scale per 32 values), the default Q4 mode: the block
// quantizer's rule; every ISA's split-row kernel against the scalar reference and against a
// double-precision product of the decoded weights and decoded activations; batched calls
// bit-identical to one-token calls (speculative verification relies on it); and matmul over rows
// that leave remainders, on every ISA this CPU runs, with 1 and 2 threads.
#include <QtTest>

#include <bit>
#include <cmath>
#include <random>
#include <vector>

#include "batch_identity.h"
#include "cpu_features.h"
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

std::vector<float> activations(size_t n, std::mt19937& rng) { return q8::test::outlier_activations(n, rng, false); }

// One token prepared as matmul prepares it: block codes and scales, split order, group sums.
struct Prepared {
    std::vector<int8_t> q, xp;
    std::vector<float> scales, sums, decoded;  // decoded: q * scale, natural order
};

Prepared prepare(const std::vector<float>& x, size_t n, size_t n_tok, size_t group) {
    Prepared p;
    const size_t nb = n / qq::kActBlock, ng = n / group;
    p.q.resize(n * n_tok);
    p.xp.resize(n * n_tok);
    p.scales.resize(nb * n_tok);
    p.sums.resize(ng * n_tok);
    p.decoded.resize(n * n_tok);
    for (size_t t = 0; t < n_tok; ++t) {
        qq::quantize_activations_i8_blocks(x.data() + t * n, p.q.data() + t * n, p.scales.data() + t * nb, n);
        qq::q4split_order_i8_blocks(p.q.data() + t * n, p.scales.data() + t * nb, p.xp.data() + t * n,
                                    p.sums.data() + t * ng, n, group);
        for (size_t i = 0; i < n; ++i)
            p.decoded[t * n + i] = static_cast<float>(p.q[t * n + i]) * p.scales[t * nb + i / qq::kActBlock];
    }
    return p;
}

q8::A8Blocks view(const Prepared& p, size_t t0, size_t n, size_t group) {
    const size_t nb = n / qq::kActBlock, ng = n / group;
    return {p.xp.data() + t0 * n, p.scales.data() + t0 * nb, p.sums.data() + t0 * ng, n, nb, ng};
}

}  // namespace

class TestW4A8Blocks : public QObject {
    Q_OBJECT

private slots:
    // Each block: scale amax / 127 of its own values, codes within [-127, 127], and every value
    // within half a step of its code (the rule of quantize_activations_i8, block by block).
    void block_quantizer_rule() {
        std::mt19937 rng(3);
        constexpr size_t n = 320;
        const std::vector<float> x = activations(n, rng);
        std::vector<int8_t> q(n);
        std::vector<float> s(n / 32);
        qq::quantize_activations_i8_blocks(x.data(), q.data(), s.data(), n);
        for (size_t b = 0; b < n / 32; ++b) {
            float amax = 0.f;
            for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::abs(x[32 * b + j]));
            QCOMPARE(s[b], amax / 127.f);
            for (size_t j = 0; j < 32; ++j) {
                const size_t i = 32 * b + j;
                QVERIFY(q[i] != -128);  // the code range is symmetric
                QVERIFY2(
                    std::abs(q[i] * s[b] - x[i]) <= 0.5f * s[b] * (1.f + 1e-6f),
                    qPrintable(QStringLiteral("value %1: %2 coded as %3 * %4").arg(i).arg(x[i]).arg(q[i]).arg(s[b])));
            }
        }
        // An all-zero block has scale 0 and codes 0, next to blocks that are not zero.
        std::vector<float> z(64, 0.f);
        z[40] = 2.f;
        qq::quantize_activations_i8_blocks(z.data(), q.data(), s.data(), 64);
        QCOMPARE(s[0], 0.f);
        for (size_t j = 0; j < 32; ++j) QCOMPARE(q[j], int8_t{0});
        QCOMPARE(q[40], int8_t{127});
    }

    // Every ISA's kernel: close to the scalar reference and to the double-precision product;
    // n tokens in one call bit-identical to each token alone.
    void split_kernel_data() {
        QTest::addColumn<int>("isa");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("group");
        QTest::addColumn<bool>("asym");
        for (Isa isa : kAllIsas)
            for (int g : {32, 64, 128})
                for (bool asym : {false, true})
                    for (int n : {128, 384, 1408, 2048})
                        QTest::addRow("%s/g%d%s/n%d", name_of(isa), g, asym ? "a" : "", n)
                            << static_cast<int>(isa) << n << g << asym;
    }

    void split_kernel() {
        QFETCH(int, isa);
        QFETCH(int, n);
        QFETCH(int, group);
        QFETCH(bool, asym);
        REQUIRE_ISA(static_cast<Isa>(isa));
        const KernelTable& k = table_of(static_cast<Isa>(isa));
        const KernelTable& ref = q8::scalar_kernels();
        const auto un = static_cast<size_t>(n), g = static_cast<size_t>(group);
        std::mt19937 rng(static_cast<uint32_t>(n * 7 + group + asym * 3 + isa * 13));
        const std::vector<float> dense = normal_weights(un, rng);
        std::vector<uint8_t> blocks(un / g * qq::q4g_block_bytes(g, asym)), split(blocks.size());
        qq::quantize_row_q4g(dense.data(), blocks.data(), un, g, asym);
        qq::q4g_to_split(blocks.data(), split.data(), un, g, asym);
        std::vector<float> wf(un);
        qq::dequantize_row_q4g(blocks.data(), wf.data(), un, g, asym);
        for (size_t n_tok : {size_t{1}, size_t{2}, size_t{3}, size_t{4}, size_t{5}, size_t{7}, size_t{9}}) {
            const Prepared p = prepare(activations(un * n_tok, rng), un, n_tok, g);
            std::vector<float> y(2 * n_tok, -1.f), want(n_tok), one(1);
            k.batch_q4s_a8b(split.data(), split.size(), 1, view(p, 0, un, g), n_tok, un, g, asym, y.data(), 2);
            ref.batch_q4s_a8b(split.data(), split.size(), 1, view(p, 0, un, g), n_tok, un, g, asym, want.data(), 1);
            for (size_t t = 0; t < n_tok; ++t) {
                double exact = 0, mag = 0;
                for (size_t i = 0; i < un; ++i) {
                    exact += double(wf[i]) * p.decoded[t * un + i];
                    mag += std::abs(double(wf[i]) * p.decoded[t * un + i]);
                }
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
                k.batch_q4s_a8b(split.data(), split.size(), 1, view(p, t, un, g), 1, un, g, asym, one.data(), 1);
                QVERIFY2(same_bits(one[0], y[2 * t]),
                         qPrintable(QStringLiteral("n_tok %1, token %2: batched %3, alone %4")
                                        .arg(n_tok)
                                        .arg(t)
                                        .arg(y[2 * t], 0, 'g', 9)
                                        .arg(one[0], 0, 'g', 9)));
            }
        }
    }

    // matmul with the loader's layout (split rows, act_blocks) on each ISA: rows that leave
    // remainders for the thread split and the token tiles; n tokens in one product bit-identical
    // to n one-token products; values equal to the double-precision product of decoded operands.
    // Several rows in one call (the kernel tiles rows by tokens, remainders included): each (row,
    // token) result bit-identical to that row alone, whatever the row count and token count.
    void rows_in_one_call_data() { split_kernel_data(); }

    void rows_in_one_call() {
        QFETCH(int, isa);
        QFETCH(int, n);
        QFETCH(int, group);
        QFETCH(bool, asym);
        REQUIRE_ISA(static_cast<Isa>(isa));
        const KernelTable& k = table_of(static_cast<Isa>(isa));
        const auto un = static_cast<size_t>(n), g = static_cast<size_t>(group);
        const size_t row_bytes = un / g * qq::q4g_block_bytes(g, asym);
        constexpr size_t kRows = 8;
        std::mt19937 rng(static_cast<uint32_t>(n * 5 + group + asym + isa * 11));
        std::normal_distribution<float> nd(0.f, 0.05f);
        std::vector<float> dense(un);
        std::vector<uint8_t> blocks(row_bytes), split(kRows * row_bytes);
        for (size_t r = 0; r < kRows; ++r) {
            for (float& f : dense) f = nd(rng);
            qq::quantize_row_q4g(dense.data(), blocks.data(), un, g, asym);
            qq::q4g_to_split(blocks.data(), split.data() + r * row_bytes, un, g, asym);
        }
        for (size_t n_tok : {size_t{1}, size_t{3}, size_t{4}, size_t{5}, size_t{6}, size_t{9}}) {
            const Prepared p = prepare(activations(un * n_tok, rng), un, n_tok, g);
            for (size_t rows : {size_t{2}, size_t{3}, size_t{4}, size_t{7}, kRows}) {
                std::vector<float> y(n_tok * rows), one(n_tok);
                k.batch_q4s_a8b(split.data(), row_bytes, rows, view(p, 0, un, g), n_tok, un, g, asym, y.data(), rows);
                for (size_t r = 0; r < rows; ++r) {
                    k.batch_q4s_a8b(split.data() + r * row_bytes, row_bytes, 1, view(p, 0, un, g), n_tok, un, g, asym,
                                    one.data(), 1);
                    for (size_t t = 0; t < n_tok; ++t) {
                        QVERIFY2(same_bits(y[t * rows + r], one[t]),
                                 qPrintable(QStringLiteral("%1 rows, %2 tokens, row %3, token %4: %5, alone %6")
                                                .arg(rows)
                                                .arg(n_tok)
                                                .arg(r)
                                                .arg(t)
                                                .arg(y[t * rows + r], 0, 'g', 9)
                                                .arg(one[t], 0, 'g', 9)));
                    }
                }
            }
        }
    }

    void matmul_blocks_data() {
        QTest::addColumn<int>("isa");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("group");
        QTest::addColumn<bool>("asym");
        QTest::addColumn<int>("threads");
        for (Isa isa : kAllIsas)
            for (auto [rows, cols, group, asym] :
                 {std::tuple{37, 256, 32, false}, {50, 1408, 32, false}, {29, 384, 64, true}, {65, 512, 128, false}})
                for (int threads : {1, 2})
                    QTest::addRow("%s/%dx%d/g%d%s/t%d", name_of(isa), rows, cols, group, asym ? "a" : "", threads)
                        << static_cast<int>(isa) << rows << cols << group << asym << threads;
    }

    void matmul_blocks() {
        QFETCH(int, isa);
        QFETCH(int, rows);
        QFETCH(int, cols);
        QFETCH(int, group);
        QFETCH(bool, asym);
        QFETCH(int, threads);
        REQUIRE_ISA(static_cast<Isa>(isa));
        q8::set_isa_override(static_cast<Isa>(isa));
        std::mt19937 rng(static_cast<uint32_t>(rows * 31 + cols + group + isa));
        const auto uc = static_cast<size_t>(cols), ur = static_cast<size_t>(rows);
        const std::vector<float> dense = normal_weights(ur * uc, rng);
        q8::WeightTarget target{asym ? q8::WeightLayout::Q4GroupAsym : q8::WeightLayout::Q4Group, q8::GgmlType::F32,
                                static_cast<uint32_t>(group), true, true};
        const q8::WeightMatrix w = make_matrix(rows, cols, dense, target, true);
        QVERIFY(w.act_blocks && w.int8_activations);
        std::vector<float> wf(uc);
        q8::ThreadPool pool(threads);
        const q8::MatmulOptions exact{q8::BatchArithmetic::Exact};
        for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{6}, size_t{9}}) {
            const std::vector<float> x = activations(n * uc, rng);
            const Prepared p = prepare(x, uc, n, static_cast<size_t>(group));
            std::vector<float> batched(n * ur), fast(n * ur);
            q8::matmul(w, x.data(), n, batched.data(), pool, exact);
            q8::matmul(w, x.data(), n, fast.data(), pool);  // the prompt path takes the same kernels
            QVERIFY(fast == batched);
            const std::vector<float> alone = one_token_products(w, x, n, pool);
            const QString diff = first_bit_difference(batched, alone, ur);
            QVERIFY2(diff.isEmpty(), qPrintable(diff));
            for (size_t t = 0; t < n; ++t) {
                const float* one = alone.data() + t * ur;
                for (size_t r = 0; r < ur; ++r) {
                    q8::decode_weight_row(w, static_cast<int64_t>(r), wf.data());
                    double want = 0, mag = 0;
                    for (size_t i = 0; i < uc; ++i) {
                        want += double(wf[i]) * p.decoded[t * uc + i];
                        mag += std::abs(double(wf[i]) * p.decoded[t * uc + i]);
                    }
                    QVERIFY2(std::abs(one[r] - want) <= 1e-5 * mag + 1e-6,
                             qPrintable(
                                 QStringLiteral("token %1, row %2: %3, want %4").arg(t).arg(r).arg(one[r]).arg(want)));
                }
            }
        }
        q8::set_isa_override(q8::best_supported_isa());
    }

    // Rows that do not split into 128-value spans have no block kernel: matmul gives them float
    // activations, so the product equals the W4A16 one.
    void rows_without_split_take_float_activations() {
        constexpr int64_t rows = 9, cols = 96;
        std::mt19937 rng(4);
        const std::vector<float> dense = normal_weights(rows * cols, rng);
        q8::WeightTarget blocks{q8::WeightLayout::Q4Group, q8::GgmlType::F32, 32, true, true};
        q8::WeightTarget plain{q8::WeightLayout::Q4Group, q8::GgmlType::F32, 32, false, false};
        const q8::WeightMatrix a = make_matrix(rows, cols, dense, blocks), b = make_matrix(rows, cols, dense, plain);
        const std::vector<float> x = activations(cols, rng);
        std::vector<float> ya(rows), yb(rows);
        q8::ThreadPool pool(1);
        q8::matmul(a, x.data(), 1, ya.data(), pool);
        q8::matmul(b, x.data(), 1, yb.data(), pool);
        QVERIFY(ya == yb);
    }
};

QTEST_GUILESS_MAIN(TestW4A8Blocks)
#include "test_w4a8_blocks.moc"
