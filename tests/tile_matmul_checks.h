#pragma once
// The checks every row-tile format passes through matmul (test_w4a8_tiles, test_w8a8_tiles).
#include <QtTest>

#include <cmath>
#include <random>
#include <vector>

#include "batch_identity.h"
#include "matmul.h"
#include "thread_pool.h"
#include "tile_activations.h"
#include "weight_quant.h"

namespace q8::test {

// matmul over the tiled matrix w with `threads` threads: n tokens in one product bit-identical to
// n one-token products (and the F32 prompt arithmetic takes the same kernel); values within float
// rounding of the double product of decode_weight_row's rows; a bf16 prompt (decoded rows through
// the bf16 product) close to them. Failures are recorded with QVERIFY.
inline void check_tile_matmul(const q8::WeightMatrix& w, int threads, std::mt19937& rng) {
    const auto uc = static_cast<size_t>(w.cols), ur = static_cast<size_t>(w.rows);
    std::vector<float> wf(ur * uc);
    for (size_t r = 0; r < ur; ++r) q8::decode_weight_row(w, static_cast<int64_t>(r), wf.data() + r * uc);
    q8::ThreadPool pool(threads);
    const q8::MatmulOptions exact{q8::BatchArithmetic::Exact};
    for (size_t n : {size_t{1}, size_t{2}, size_t{5}, size_t{9}, size_t{17}}) {
        std::vector<float> x(n * uc);
        const TileActivations p = tile_activations(uc, n, rng);
        for (size_t i = 0; i < x.size(); ++i) x[i] = p.decoded[i];  // already on the int8 grid
        std::vector<float> batched(n * ur), fast(n * ur), bf16(n * ur);
        q8::matmul(w, x.data(), n, batched.data(), pool, exact);
        q8::matmul(w, x.data(), n, fast.data(), pool, {q8::BatchArithmetic::F32});
        QVERIFY(fast == batched);
        q8::matmul(w, x.data(), n, bf16.data(), pool, {q8::BatchArithmetic::BF16});
        const std::vector<float> alone = one_token_products(w, x, n, pool);
        const QString diff = first_bit_difference(batched, alone, ur);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
        for (size_t t = 0; t < n; ++t) {
            const float* one = alone.data() + t * ur;
            for (size_t r = 0; r < ur; ++r) {
                double want = 0, mag = 0;
                for (size_t i = 0; i < uc; ++i) {
                    want += double(wf[r * uc + i]) * x[t * uc + i];
                    mag += std::abs(double(wf[r * uc + i]) * x[t * uc + i]);
                }
                const QString at =
                    QStringLiteral("%1 tokens, token %2, row %3, want %4").arg(n).arg(t).arg(r).arg(want);
                QVERIFY2(std::abs(one[r] - want) <= 1e-5 * mag + 1e-6, qPrintable(at + QString(": %1").arg(one[r])));
                // bf16 operands: 8 significant bits each, so about 2^-8 of the magnitude.
                QVERIFY2(std::abs(bf16[t * ur + r] - want) <= 1e-2 * mag + 1e-6,
                         qPrintable(at + QString(": bf16 prompt %1").arg(bf16[t * ur + r])));
            }
        }
    }
}

}  // namespace q8::test
