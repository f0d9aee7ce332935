#pragma once
// The property speculative verification rests on, checked one way by every matmul test: n tokens
// in one product give each token's outputs bit for bit as n one-token products do.
#include <QString>

#include <bit>
#include <cstdint>
#include <vector>

#include "matmul.h"
#include "thread_pool.h"

// Each of the n tokens of x (rows of w.cols) through matmul alone, with the exact arithmetic
// verification uses: n rows of w.rows outputs.
inline std::vector<float> one_token_products(const q8::WeightMatrix& w, const std::vector<float>& x, size_t n,
                                             q8::ThreadPool& pool) {
    const auto cols = static_cast<size_t>(w.cols), rows = static_cast<size_t>(w.rows);
    std::vector<float> y(n * rows);
    for (size_t t = 0; t < n; ++t)
        q8::matmul(w, x.data() + t * cols, 1, y.data() + t * rows, pool, {q8::BatchArithmetic::Exact});
    return y;
}

// Empty when `batched` and `alone` (tokens of `rows` outputs) agree bit for bit; otherwise where
// they first differ.
inline QString first_bit_difference(const std::vector<float>& batched, const std::vector<float>& alone, size_t rows) {
    for (size_t i = 0; i < batched.size(); ++i) {
        if (std::bit_cast<uint32_t>(batched[i]) != std::bit_cast<uint32_t>(alone[i])) {
            return QStringLiteral("%1 tokens, token %2, row %3: batched %4, alone %5")
                .arg(batched.size() / rows)
                .arg(i / rows)
                .arg(i % rows)
                .arg(batched[i], 0, 'g', 9)
                .arg(alone[i], 0, 'g', 9);
        }
    }
    return {};
}
