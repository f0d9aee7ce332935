// Q4 row tiles (compute/weight_formats.h), the layout W4A8-block matrices are repacked into when
// their rows come in 32s: the repacking loses nothing; every ISA's kernel gives the scalar
// reference's bits (the arithmetic is defined exactly, kernels.h) and values within float
// rounding of the double-precision product; results do not depend on how many tiles or tokens
// share a call (speculative verification relies on it); matmul over the loader's layout, with 1
// and 2 threads, on every ISA this CPU runs.
#include <QtTest>

#include <cmath>
#include <random>
#include <vector>

#include "batch_identity.h"
#include "cpu_features.h"
#include "kernel_tables.h"
#include "kernels.h"
#include "matmul.h"
#include "thread_pool.h"
#include "tile_activations.h"
#include "tile_matmul_checks.h"
#include "weight_formats.h"
#include "weight_matrices.h"
#include "weight_quant.h"

using q8::Isa;
using q8::KernelTable;
namespace qq = q8::quant;

namespace {

using q8::test::same_bits;
using q8::test::tile_activations;
using q8::test::tile_view;
using q8::test::TileActivations;

constexpr size_t kRows = qq::kTileRows;

// n_tiles tiles of random Q4G rows, and the same rows decoded (row-major).
struct Tiles {
    std::vector<uint8_t> bytes;
    std::vector<float> decoded;
};

Tiles make_tiles(size_t n_tiles, size_t n, size_t group, std::mt19937& rng) {
    const size_t row_bytes = n / group * qq::q4g_block_bytes(group, false);
    std::normal_distribution<float> nd(0.f, 0.05f);
    std::vector<float> dense(n_tiles * kRows * n);
    for (float& f : dense) f = nd(rng);
    std::vector<uint8_t> rows(n_tiles * kRows * row_bytes);
    Tiles t;
    t.bytes.resize(rows.size());
    t.decoded.resize(dense.size());
    for (size_t r = 0; r < n_tiles * kRows; ++r) {
        qq::quantize_row_q4g(dense.data() + r * n, rows.data() + r * row_bytes, n, group, false);
        qq::dequantize_row_q4g(rows.data() + r * row_bytes, t.decoded.data() + r * n, n, group, false);
    }
    for (size_t i = 0; i < n_tiles; ++i)
        qq::q4g_to_tile(rows.data() + i * kRows * row_bytes, row_bytes, t.bytes.data() + i * kRows * row_bytes, n,
                        group);
    return t;
}

void add_shape_rows() {
    QTest::addColumn<int>("isa");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("group");
    for (Isa isa : kAllIsas)
        for (int g : {32, 64, 128})
            for (int n : {128, 384, 1408, 2048})
                QTest::addRow("%s/g%d/n%d", name_of(isa), g, n) << static_cast<int>(isa) << n << g;
    for (Isa isa : kAllIsas)  // rows shorter than a split span, and a length of an odd number of blocks
        for (int n : {32, 96, 416}) QTest::addRow("%s/g32/n%d", name_of(isa), n) << static_cast<int>(isa) << n << 32;
}

}  // namespace

class TestW4A8Tiles : public QObject {
    Q_OBJECT

private slots:
    // Each row of a tile decodes to exactly the values of the Q4G row it came from.
    void tiles_hold_the_rows() {
        std::mt19937 rng(1);
        for (size_t g : {size_t{32}, size_t{64}, size_t{128}}) {
            const size_t n = 4 * g;
            const Tiles t = make_tiles(2, n, g, rng);
            std::vector<float> row(n);
            for (size_t r = 0; r < 2 * kRows; ++r) {
                qq::dequantize_tile_row(t.bytes.data() + r / kRows * qq::q4_tile_bytes(n, g), r % kRows, row.data(), n,
                                        g);
                for (size_t i = 0; i < n; ++i) QVERIFY(same_bits(row[i], t.decoded[r * n + i]));
            }
        }
    }

    // Every ISA: the scalar reference's bits, the double-precision product within float rounding,
    // and each (tile, token) result the same alone as in a call with other tiles and tokens.
    void kernel_data() { add_shape_rows(); }

    void kernel() {
        QFETCH(int, isa);
        QFETCH(int, n);
        QFETCH(int, group);
        REQUIRE_ISA(static_cast<Isa>(isa));
        const KernelTable& k = table_of(static_cast<Isa>(isa));
        const KernelTable& ref = q8::scalar_kernels();
        const auto un = static_cast<size_t>(n), g = static_cast<size_t>(group);
        std::mt19937 rng(static_cast<uint32_t>(n * 7 + group + isa * 13));
        constexpr size_t kTiles = 3;
        const Tiles w = make_tiles(kTiles, un, g, rng);
        const size_t tile_bytes = qq::q4_tile_bytes(un, g), ld = kTiles * kRows + 1;  // ld: a gap after each token
        for (size_t n_tok : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{6}, size_t{7}, size_t{9}, size_t{13}}) {
            const TileActivations p = tile_activations(un, n_tok, rng);
            std::vector<float> y(n_tok * ld, -1.f), want(n_tok * ld, -1.f), one(kRows);
            k.batch_q4t_a8b(w.bytes.data(), kTiles, tile_view(p, 0, un), n_tok, un, g, y.data(), ld);
            ref.batch_q4t_a8b(w.bytes.data(), kTiles, tile_view(p, 0, un), n_tok, un, g, want.data(), ld);
            for (size_t t = 0; t < n_tok; ++t) {
                QCOMPARE(y[t * ld + ld - 1], -1.f);  // ldy respected
                for (size_t i = 0; i < kTiles; ++i) {
                    k.batch_q4t_a8b(w.bytes.data() + i * tile_bytes, 1, tile_view(p, t, un), 1, un, g, one.data(),
                                    kRows);
                    for (size_t r = 0; r < kRows; ++r) {
                        const size_t row = i * kRows + r;
                        const float got = y[t * ld + row];
                        QVERIFY2(same_bits(got, want[t * ld + row]),
                                 qPrintable(QStringLiteral("%1 tokens, token %2, row %3: %4, scalar %5")
                                                .arg(n_tok)
                                                .arg(t)
                                                .arg(row)
                                                .arg(got, 0, 'g', 9)
                                                .arg(want[t * ld + row], 0, 'g', 9)));
                        QVERIFY2(same_bits(got, one[r]),
                                 qPrintable(QStringLiteral("%1 tokens, token %2, row %3: %4, alone %5")
                                                .arg(n_tok)
                                                .arg(t)
                                                .arg(row)
                                                .arg(got, 0, 'g', 9)
                                                .arg(one[r], 0, 'g', 9)));
                        double exact = 0, mag = 0;
                        for (size_t c = 0; c < un; ++c) {
                            const double v = double(w.decoded[row * un + c]) * p.decoded[t * un + c];
                            exact += v;
                            mag += std::abs(v);
                        }
                        QVERIFY2(std::abs(got - exact) <= 1e-5 * mag + 1e-6,
                                 qPrintable(QStringLiteral("token %1, row %2: %3, exact %4")
                                                .arg(t)
                                                .arg(row)
                                                .arg(got, 0, 'g', 9)
                                                .arg(exact, 0, 'g', 9)));
                    }
                }
            }
        }
    }

    // The prompt path's decoder (where an ISA has one) gives the scalar decoder's values.
    void decode_rows_data() { add_shape_rows(); }

    void decode_rows() {
        QFETCH(int, isa);
        QFETCH(int, n);
        QFETCH(int, group);
        REQUIRE_ISA(static_cast<Isa>(isa));
        const KernelTable& k = table_of(static_cast<Isa>(isa));
        if (k.decode_q4t_rows == nullptr)
            QSKIP("this ISA has no prompt decoder for tiles (its prompts run the tile kernel)");
        const auto un = static_cast<size_t>(n), g = static_cast<size_t>(group);
        std::mt19937 rng(static_cast<uint32_t>(n + group));
        const Tiles w = make_tiles(2, un, g, rng);
        std::vector<float> got(2 * kRows * un, -1.f);
        k.decode_q4t_rows(w.bytes.data(), un / g * qq::q4g_block_bytes(g, false), 2 * kRows, un, g, got.data());
        for (size_t i = 0; i < got.size(); ++i) QVERIFY(same_bits(got[i], w.decoded[i]));
    }

    // The loader's layout: symmetric W4A8-block matrices with rows in 32s become tiles;
    // asymmetric ones, other row counts and float activations keep split rows.
    void loader_picks_tiles() {
        std::mt19937 rng(2);
        std::vector<float> dense(64 * 256, 0.01f);
        using L = q8::WeightLayout;
        const q8::WeightTarget sym_a8b{L::Q4Group, q8::GgmlType::F32, 32, true, true};
        const q8::WeightTarget asym_a8b{L::Q4GroupAsym, q8::GgmlType::F32, 32, true, true};
        const q8::WeightTarget sym_a16{L::Q4Group, q8::GgmlType::F32, 64, false, false};
        QCOMPARE(make_matrix(64, 256, dense, sym_a8b, true).layout, L::Q4Tiles);
        QCOMPARE(make_matrix(64, 256, dense, asym_a8b, true).layout, L::Q4SplitAsym);
        QCOMPARE(make_matrix(48, 256, dense, sym_a8b, true).layout, L::Q4Split);
        QCOMPARE(make_matrix(50, 256, dense, sym_a8b, true).layout, L::Q4Split);
        QCOMPARE(make_matrix(64, 256, dense, sym_a16, true).layout, L::Q4Split);
        const q8::WeightMatrix w = make_matrix(64, 256, dense, sym_a8b, true);
        QCOMPARE(QString::fromStdString(w.format_name()), QStringLiteral("Q4G32/A8b"));
    }

    // matmul over the loader's tiles on each ISA, 1 and 2 threads (tile_matmul_checks.h).
    void matmul_tiles_data() {
        QTest::addColumn<int>("isa");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("group");
        QTest::addColumn<int>("threads");
        for (Isa isa : kAllIsas)
            for (auto [rows, cols, group] : {std::tuple{64, 256, 32}, {160, 1408, 32}, {32, 512, 128}, {96, 384, 64}})
                for (int threads : {1, 2})
                    QTest::addRow("%s/%dx%d/g%d/t%d", name_of(isa), rows, cols, group, threads)
                        << static_cast<int>(isa) << rows << cols << group << threads;
    }

    void matmul_tiles() {
        QFETCH(int, isa);
        QFETCH(int, rows);
        QFETCH(int, cols);
        QFETCH(int, group);
        QFETCH(int, threads);
        REQUIRE_ISA(static_cast<Isa>(isa));
        q8::set_isa_override(static_cast<Isa>(isa));
        std::mt19937 rng(static_cast<uint32_t>(rows * 31 + cols + group + isa));
        const auto uc = static_cast<size_t>(cols), ur = static_cast<size_t>(rows);
        const std::vector<float> dense = normal_weights(ur * uc, rng);
        const q8::WeightTarget target{q8::WeightLayout::Q4Group, q8::GgmlType::F32, static_cast<uint32_t>(group), true,
                                      true};
        const q8::WeightMatrix w = make_matrix(rows, cols, dense, target, true);
        QCOMPARE(w.layout, q8::WeightLayout::Q4Tiles);
        q8::test::check_tile_matmul(w, threads, rng);
        q8::set_isa_override(q8::best_supported_isa());
    }
};

QTEST_GUILESS_MAIN(TestW4A8Tiles)
#include "test_w4a8_tiles.moc"
