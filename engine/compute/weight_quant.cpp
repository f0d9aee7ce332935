#include "weight_quant.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include <q8/error.h>

#include "dequantize.h"
#include "half.h"
#include "weight_formats.h"

namespace q8 {

namespace {

size_t row_bytes_for(const WeightTarget& t, int64_t cols) {
    const auto c = static_cast<size_t>(cols);
    switch (t.layout) {
    case WeightLayout::Ggml:
        switch (t.type) {
        case GgmlType::F32: return c * 4;
        case GgmlType::F16: return c * 2;
        case GgmlType::Q8_0: return c / 32 * quant::kQ8_0Bytes;
        case GgmlType::Q4_0: return c / 32 * quant::kQ4_0Bytes;
        default: return 0;
        }
    case WeightLayout::Q4Group: return c / t.group * quant::q4g_block_bytes(t.group, false);
    case WeightLayout::Q4GroupAsym: return c / t.group * quant::q4g_block_bytes(t.group, true);
    case WeightLayout::I8Row: return c;
    case WeightLayout::Q4Split:
    case WeightLayout::Q4SplitAsym:
    case WeightLayout::Q4Tiles:
    case WeightLayout::Q8Tiles: break;  // made by repacking at load, never quantized into
    }
    return 0;
}

// Rows per progress report: about 4 MiB of float input.
int64_t report_every(int64_t cols) { return std::max<int64_t>(1, (int64_t{1} << 20) / std::max<int64_t>(cols, 1)); }

}  // namespace

bool target_fits(const WeightTarget& t, int64_t cols) {
    if (cols <= 0) return false;
    switch (t.layout) {
    case WeightLayout::Ggml: return (t.type != GgmlType::Q8_0 && t.type != GgmlType::Q4_0) || cols % 32 == 0;
    case WeightLayout::Q4Group:
    case WeightLayout::Q4GroupAsym: return quant::valid_q4_group(t.group) && cols % t.group == 0;
    case WeightLayout::I8Row: return cols <= 65536;
    case WeightLayout::Q4Split:
    case WeightLayout::Q4SplitAsym:
    case WeightLayout::Q4Tiles:
    case WeightLayout::Q8Tiles: break;
    }
    return false;
}

bool quantize_matrix(int64_t rows, int64_t cols, const std::function<void(int64_t, float*)>& get_row,
                     const WeightTarget& t, WeightMatrix& w, const RowProgress& progress) {
    if (!target_fits(t, cols)) {
        throw EngineError("cannot quantize a matrix of " + std::to_string(cols) + " columns into this layout");
    }
    w = WeightMatrix{};
    w.rows = rows;
    w.cols = cols;
    w.layout = t.layout;
    w.type = t.layout == WeightLayout::Ggml ? t.type : GgmlType::F32;
    w.group = t.layout == WeightLayout::Q4Group || t.layout == WeightLayout::Q4GroupAsym ? t.group : 0;
    w.int8_activations = t.int8_activations;
    w.act_blocks = t.int8_activations && t.act_blocks;
    w.row_bytes = row_bytes_for(t, cols);
    w.storage.resize(w.row_bytes * static_cast<size_t>(rows));
    if (t.layout == WeightLayout::I8Row) {
        w.row_scale.resize(static_cast<size_t>(rows));
        w.row_sum.resize(static_cast<size_t>(rows));
    }
    const auto c = static_cast<size_t>(cols);
    std::vector<float> x(c);
    const int64_t every = report_every(cols);
    for (int64_t r = 0; r < rows; ++r) {
        get_row(r, x.data());
        uint8_t* dst = w.storage.data() + static_cast<size_t>(r) * w.row_bytes;
        switch (t.layout) {
        case WeightLayout::Ggml:
            if (t.type == GgmlType::Q8_0) {
                quant::quantize_row_q8_0(x.data(), dst, c);
            } else if (t.type == GgmlType::Q4_0) {
                quant::quantize_row_q4_0(x.data(), dst, c);
            } else if (t.type == GgmlType::F16) {
                auto* h = reinterpret_cast<uint16_t*>(dst);
                for (size_t i = 0; i < c; ++i) h[i] = f32_to_f16(x[i]);
            } else {
                std::memcpy(dst, x.data(), c * 4);
            }
            break;
        case WeightLayout::Q4Group: quant::quantize_row_q4g(x.data(), dst, c, t.group, false); break;
        case WeightLayout::Q4GroupAsym: quant::quantize_row_q4g(x.data(), dst, c, t.group, true); break;
        case WeightLayout::I8Row: {
            auto* q = reinterpret_cast<int8_t*>(dst);
            w.row_scale[static_cast<size_t>(r)] = quant::quantize_row_i8(x.data(), q, c);
            int32_t s = 0;
            for (size_t i = 0; i < c; ++i) s += q[i];
            w.row_sum[static_cast<size_t>(r)] = s;
            break;
        }
        case WeightLayout::Q4Split:
        case WeightLayout::Q4SplitAsym:
        case WeightLayout::Q4Tiles:
        case WeightLayout::Q8Tiles: break;  // refused above
        }
        if (progress && ((r + 1) % every == 0 || r + 1 == rows) && !progress(r + 1)) return false;
    }
    w.data = w.storage.data();
    return true;
}

bool q8_0_to_i8_rows(WeightMatrix& w) {
    if (w.layout != WeightLayout::Ggml || w.type != GgmlType::Q8_0) return false;
    const auto c = static_cast<size_t>(w.cols);
    std::vector<uint8_t> storage(c * static_cast<size_t>(w.rows));
    std::vector<float> scale(static_cast<size_t>(w.rows));
    std::vector<int32_t> sum(static_cast<size_t>(w.rows));
    for (int64_t r = 0; r < w.rows; ++r) {
        auto* q = reinterpret_cast<int8_t*>(storage.data() + static_cast<size_t>(r) * c);
        if (!quant::q8_0_row_to_i8(w.row(r), q, &scale[static_cast<size_t>(r)], c)) return false;
        int32_t s = 0;
        for (size_t i = 0; i < c; ++i) s += q[i];
        sum[static_cast<size_t>(r)] = s;
    }
    w.storage = std::move(storage);
    w.data = w.storage.data();
    w.row_bytes = c;
    w.layout = WeightLayout::I8Row;
    w.type = GgmlType::F32;
    w.row_scale = std::move(scale);
    w.row_sum = std::move(sum);
    return true;
}

bool q4_0_to_groups(WeightMatrix& w, uint32_t group) {
    if (w.layout != WeightLayout::Ggml || w.type != GgmlType::Q4_0 || !quant::valid_q4_group(group) ||
        w.cols % group != 0) {
        return false;
    }
    if (group != 32) {
        const auto c = static_cast<size_t>(w.cols);
        const size_t rb = c / group * quant::q4g_block_bytes(group, false);
        std::vector<uint8_t> storage(rb * static_cast<size_t>(w.rows));
        for (int64_t r = 0; r < w.rows; ++r) {
            if (!quant::ggml_to_q4g(w.row(r), storage.data() + static_cast<size_t>(r) * rb, c, group, false))
                return false;
        }
        w.storage = std::move(storage);
        w.data = w.storage.data();
        w.row_bytes = rb;
    }
    w.layout = WeightLayout::Q4Group;
    w.group = group;
    w.type = GgmlType::F32;
    return true;
}

void repack_for_kernels(WeightMatrix& w, uint8_t* dst) {
    const bool q4_0 = w.layout == WeightLayout::Ggml && w.type == GgmlType::Q4_0;
    const bool q4 = q4_0 || w.layout == WeightLayout::Q4Group || w.layout == WeightLayout::Q4GroupAsym;
    const size_t group = q4_0 ? 32 : w.group;
    const auto cols = static_cast<size_t>(w.cols), rows = static_cast<size_t>(w.rows);
    const bool asym = w.layout == WeightLayout::Q4GroupAsym;
    if (q4 && !asym && w.act_blocks && quant::q4_tiles_fit(rows, cols, group)) {
        for (size_t r = 0; r < rows; r += quant::kTileRows)
            quant::q4g_to_tile(w.row(static_cast<int64_t>(r)), w.row_bytes, dst + r * w.row_bytes, cols, group);
        w.group = static_cast<uint32_t>(group);
        w.layout = WeightLayout::Q4Tiles;
        if (!q4_0) w.type = GgmlType::F32;
        return;
    }
    const bool q8_0 = w.layout == WeightLayout::Ggml && w.type == GgmlType::Q8_0;
    if (q8_0 && w.act_blocks && quant::q8_tiles_fit(rows, cols)) {
        for (size_t r = 0; r < rows; r += quant::kTileRows)
            quant::q8_0_to_tile(w.row(static_cast<int64_t>(r)), w.row_bytes, dst + r * w.row_bytes, cols);
        w.layout = WeightLayout::Q8Tiles;
        return;
    }
    if (!q4 || !quant::q4_split_fits(cols, group)) {
        std::memcpy(dst, w.data, rows * w.row_bytes);
        // Int8 activation blocks have kernels for split rows, tiles and Q8_0 rows only: other rows
        // take float activations, and say so in their format name.
        if (w.act_blocks && !q8_0) w.int8_activations = w.act_blocks = false;
        return;
    }
    for (size_t r = 0; r < rows; ++r)
        quant::q4g_to_split(w.row(static_cast<int64_t>(r)), dst + r * w.row_bytes, cols, group, asym);
    w.group = static_cast<uint32_t>(group);
    w.layout = asym ? WeightLayout::Q4SplitAsym : WeightLayout::Q4Split;
    if (!q4_0) w.type = GgmlType::F32;
}

void decode_weight_row(const WeightMatrix& w, int64_t r, float* dst) {
    const auto c = static_cast<size_t>(w.cols);
    switch (w.layout) {
    case WeightLayout::Ggml: dequantize_row(w.type, w.row(r), dst, c); return;
    case WeightLayout::Q4Group: quant::dequantize_row_q4g(w.row(r), dst, c, w.group, false); return;
    case WeightLayout::Q4GroupAsym: quant::dequantize_row_q4g(w.row(r), dst, c, w.group, true); return;
    case WeightLayout::Q4Split: quant::dequantize_row_q4split(w.row(r), dst, c, w.group, false); return;
    case WeightLayout::Q4SplitAsym: quant::dequantize_row_q4split(w.row(r), dst, c, w.group, true); return;
    case WeightLayout::Q4Tiles: {
        const int64_t first = r - r % static_cast<int64_t>(quant::kTileRows);
        quant::dequantize_tile_row(w.row(first), static_cast<size_t>(r - first), dst, c, w.group);
        return;
    }
    case WeightLayout::Q8Tiles: {
        const int64_t first = r - r % static_cast<int64_t>(quant::kTileRows);
        quant::dequantize_q8_tile_row(w.row(first), static_cast<size_t>(r - first), dst, c);
        return;
    }
    case WeightLayout::I8Row:
        quant::dequantize_row_i8(reinterpret_cast<const int8_t*>(w.row(r)), w.row_scale[static_cast<size_t>(r)], dst,
                                 c);
        return;
    }
}

}  // namespace q8
