#pragma once
// Tokens prepared as matmul prepares them for row tiles: int8 codes with one scale per block of
// 32 values and each block's offset (quant::tile_block_offsets), and the values they stand for.
#include <random>
#include <vector>

#include "kernels.h"
#include "outlier_activations.h"
#include "weight_formats.h"

namespace q8::test {

struct TileActivations {
    std::vector<int8_t> q;
    std::vector<float> scales, decoded;  // decoded: q * scale
    std::vector<int32_t> offsets;
};

inline TileActivations tile_activations(size_t n, size_t n_tok, std::mt19937& rng) {
    namespace qq = q8::quant;
    const std::vector<float> x = outlier_activations(n * n_tok, rng, true);
    const size_t nb = n / qq::kActBlock;
    TileActivations p;
    p.q.resize(n * n_tok);
    p.scales.resize(nb * n_tok);
    p.offsets.resize(nb * n_tok);
    p.decoded.resize(n * n_tok);
    for (size_t t = 0; t < n_tok; ++t) {
        qq::quantize_activations_i8_blocks(x.data() + t * n, p.q.data() + t * n, p.scales.data() + t * nb, n);
        qq::tile_block_offsets(p.q.data() + t * n, p.offsets.data() + t * nb, n);
        for (size_t i = 0; i < n; ++i)
            p.decoded[t * n + i] = static_cast<float>(p.q[t * n + i]) * p.scales[t * nb + i / qq::kActBlock];
    }
    return p;
}

// Tokens [t0, ...) of p as a kernel's argument.
inline A8Blocks tile_view(const TileActivations& p, size_t t0, size_t n) {
    const size_t nb = n / q8::quant::kActBlock;
    return {p.q.data() + t0 * n, p.scales.data() + t0 * nb, nullptr, n, nb, 0, p.offsets.data() + t0 * nb};
}

}  // namespace q8::test
