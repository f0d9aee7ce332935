// Q8 row tiles (compute/weight_formats.h), the layout Q8_0 matrices with int8 activation blocks
// are repacked into when their rows come in 32s: the repacking loses nothing; every ISA's kernel
// gives the scalar reference's bits and values within float rounding of the double-precision
// product; results do not depend on how many tiles or tokens share a call (speculative
// verification relies on it); the prompt decoder gives the rows' values; matmul over the loader's
// layout, with 1 and 2 threads, on every ISA this CPU runs.
#include <QtTest>

#include <cmath>
#include <random>
#include <vector>

#include "batch_identity.h"
#include "cpu_features.h"
#include "dequantize.h"
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

// n_tiles tiles of random Q8_0 rows, and the same rows decoded (row-major). Every fourth row
// holds the extreme codes (-127 and 127, and -128, which a file may hold though the quantizer
// never writes it) to reach the edges of the kernels' integer ranges.
struct Tiles {
    std::vector<uint8_t> bytes;
    std::vector<float> decoded;
};

Tiles make_tiles(size_t n_tiles, size_t n, std::mt19937& rng) {
    const size_t row_bytes = n / 32 * qq::kQ8_0Bytes;
    std::normal_distribution<float> nd(0.f, 0.05f);
    std::vector<uint8_t> rows(n_tiles * kRows * row_bytes);
    std::vector<float> dense(n);
    Tiles t;
    t.bytes.resize(rows.size());
    t.decoded.resize(n_tiles * kRows * n);
    for (size_t r = 0; r < n_tiles * kRows; ++r) {
        uint8_t* row = rows.data() + r * row_bytes;
        for (float& f : dense) f = nd(rng);
        qq::quantize_row_q8_0(dense.data(), row, n);
        if (r % 4 == 3) {
            for (size_t i = 0; i < n; ++i) {
                const int8_t code = i % 3 == 0 ? -128 : i % 3 == 1 ? -127 : 127;
                row[i / 32 * qq::kQ8_0Bytes + 2 + i % 32] = static_cast<uint8_t>(code);
            }
        }
        q8::dequantize_row(q8::GgmlType::Q8_0, row, t.decoded.data() + r * n, n);
    }
    for (size_t i = 0; i < n_tiles; ++i)
        qq::q8_0_to_tile(rows.data() + i * kRows * row_bytes, row_bytes, t.bytes.data() + i * kRows * row_bytes, n);
    return t;
}

void add_shape_rows() {
    QTest::addColumn<int>("isa");
    QTest::addColumn<int>("n");
    for (Isa isa : kAllIsas)
        for (int n : {32, 96, 256, 416, 2048}) QTest::addRow("%s/n%d", name_of(isa), n) << static_cast<int>(isa) << n;
}

QString where(size_t n_tok, size_t t, size_t row, float got, const char* other, float want) {
    return QStringLiteral("%1 tokens, token %2, row %3: %4, %5 %6")
        .arg(n_tok)
        .arg(t)
        .arg(row)
        .arg(got, 0, 'g', 9)
        .arg(QLatin1String(other))
        .arg(want, 0, 'g', 9);
}

}  // namespace

class TestW8A8Tiles : public QObject {
    Q_OBJECT

private slots:
    // Each row of a tile decodes to exactly the values of the Q8_0 row it came from.
    void tiles_hold_the_rows() {
        std::mt19937 rng(1);
        for (size_t n : {size_t{32}, size_t{160}}) {
            const Tiles t = make_tiles(2, n, rng);
            std::vector<float> row(n);
            for (size_t r = 0; r < 2 * kRows; ++r) {
                qq::dequantize_q8_tile_row(t.bytes.data() + r / kRows * qq::q8_tile_bytes(n), r % kRows, row.data(), n);
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
        REQUIRE_ISA(static_cast<Isa>(isa));
        const KernelTable& k = table_of(static_cast<Isa>(isa));
        const KernelTable& ref = q8::scalar_kernels();
        const auto un = static_cast<size_t>(n);
        std::mt19937 rng(static_cast<uint32_t>(n * 7 + isa * 13));
        constexpr size_t kTiles = 3;
        const Tiles w = make_tiles(kTiles, un, rng);
        const size_t tile_bytes = qq::q8_tile_bytes(un), ld = kTiles * kRows + 1;  // ld: a gap after each token
        for (size_t n_tok : {size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{6}, size_t{7}, size_t{9}, size_t{13}}) {
            const TileActivations p = tile_activations(un, n_tok, rng);
            std::vector<float> y(n_tok * ld, -1.f), want(n_tok * ld, -1.f), one(kRows);
            k.batch_q8t_a8b(w.bytes.data(), kTiles, tile_view(p, 0, un), n_tok, un, y.data(), ld);
            ref.batch_q8t_a8b(w.bytes.data(), kTiles, tile_view(p, 0, un), n_tok, un, want.data(), ld);
            for (size_t t = 0; t < n_tok; ++t) {
                QCOMPARE(y[t * ld + ld - 1], -1.f);  // ldy respected
                for (size_t i = 0; i < kTiles; ++i) {
                    k.batch_q8t_a8b(w.bytes.data() + i * tile_bytes, 1, tile_view(p, t, un), 1, un, one.data(), kRows);
                    for (size_t r = 0; r < kRows; ++r) {
                        const size_t row = i * kRows + r;
                        const float got = y[t * ld + row];
                        QVERIFY2(same_bits(got, want[t * ld + row]),
                                 qPrintable(where(n_tok, t, row, got, "scalar", want[t * ld + row])));
                        QVERIFY2(same_bits(got, one[r]), qPrintable(where(n_tok, t, row, got, "alone", one[r])));
                        double exact = 0, mag = 0;
                        for (size_t c = 0; c < un; ++c) {
                            const double v = double(w.decoded[row * un + c]) * p.decoded[t * un + c];
                            exact += v;
                            mag += std::abs(v);
                        }
                        QVERIFY2(std::abs(got - exact) <= 1e-5 * mag + 1e-6,
                                 qPrintable(where(n_tok, t, row, got, "exact", static_cast<float>(exact))));
                    }
                }
            }
        }
    }

    // The prompt path's decoder (where an ISA has one) gives the rows' values.
    void decode_rows_data() { add_shape_rows(); }

    void decode_rows() {
        QFETCH(int, isa);
        QFETCH(int, n);
        REQUIRE_ISA(static_cast<Isa>(isa));
        const KernelTable& k = table_of(static_cast<Isa>(isa));
        if (k.decode_q8t_rows == nullptr)
            QSKIP("this ISA has no prompt decoder for Q8 tiles (its prompts run the tile kernel)");
        const auto un = static_cast<size_t>(n);
        std::mt19937 rng(static_cast<uint32_t>(n));
        const Tiles w = make_tiles(2, un, rng);
        std::vector<float> got(2 * kRows * un, -1.f);
        k.decode_q8t_rows(w.bytes.data(), un / 32 * qq::kQ8_0Bytes, 2 * kRows, un, 32, got.data());
        for (size_t i = 0; i < got.size(); ++i) QVERIFY(same_bits(got[i], w.decoded[i]));
    }

    // The loader's layout: Q8_0 with activation blocks and rows in 32s becomes tiles; other row
    // counts and float activations keep Q8_0 rows.
    void loader_picks_tiles() {
        const std::vector<float> dense(64 * 256, 0.01f);
        using L = q8::WeightLayout;
        const q8::WeightTarget a8b{L::Ggml, q8::GgmlType::Q8_0, 0, true, true};
        const q8::WeightTarget a16{L::Ggml, q8::GgmlType::Q8_0, 0, false, false};
        QCOMPARE(make_matrix(64, 256, dense, a8b, true).layout, L::Q8Tiles);
        QCOMPARE(make_matrix(48, 256, dense, a8b, true).layout, L::Ggml);
        QCOMPARE(make_matrix(64, 256, dense, a16, true).layout, L::Ggml);
        QCOMPARE(QString::fromStdString(make_matrix(64, 256, dense, a8b, true).format_name()),
                 QStringLiteral("Q8_0/A8b"));
    }

    // matmul over the loader's tiles on each ISA, 1 and 2 threads (tile_matmul_checks.h).
    void matmul_tiles_data() {
        QTest::addColumn<int>("isa");
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("cols");
        QTest::addColumn<int>("threads");
        for (Isa isa : kAllIsas)
            for (auto [rows, cols] : {std::pair{64, 256}, {160, 1408}, {96, 96}})
                for (int threads : {1, 2})
                    QTest::addRow("%s/%dx%d/t%d", name_of(isa), rows, cols, threads)
                        << static_cast<int>(isa) << rows << cols << threads;
    }

    void matmul_tiles() {
        QFETCH(int, isa);
        QFETCH(int, rows);
        QFETCH(int, cols);
        QFETCH(int, threads);
        REQUIRE_ISA(static_cast<Isa>(isa));
        q8::set_isa_override(static_cast<Isa>(isa));
        std::mt19937 rng(static_cast<uint32_t>(rows * 31 + cols + isa));
        const auto uc = static_cast<size_t>(cols), ur = static_cast<size_t>(rows);
        const std::vector<float> dense = normal_weights(ur * uc, rng);
        const q8::WeightTarget target{q8::WeightLayout::Ggml, q8::GgmlType::Q8_0, 0, true, true};
        const q8::WeightMatrix w = make_matrix(rows, cols, dense, target, true);
        QCOMPARE(w.layout, q8::WeightLayout::Q8Tiles);
        q8::test::check_tile_matmul(w, threads, rng);
        q8::set_isa_override(q8::best_supported_isa());
    }
};

QTEST_GUILESS_MAIN(TestW8A8Tiles)
#include "test_w8a8_tiles.moc"
