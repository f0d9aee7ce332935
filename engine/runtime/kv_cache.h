#pragma once
// Keys and values of every past position, per layer and kv head. F16 by default, which halves
// what attention reads per generated token; F32 for exact comparisons. Rolling back (speculative
// rejection, prompt reuse) is just a smaller position count: entries beyond it are overwritten
// later. Head-major, so that attention for one kv head reads one contiguous run of positions,
// which the prefetchers follow, rather than a slice of every position's row.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace q8 {

enum class KvType { F16, F32 };

class KvCache {
public:
    KvCache(int64_t n_layer, int64_t n_ctx, int64_t n_head_kv, int64_t head_dim, KvType type);

    KvType type() const { return type_; }
    // Row of head_dim elements (uint16_t halves or floats, as type() says) for one layer, kv head
    // and position; the next position's row follows it (row_bytes() later).
    void* k(int64_t layer, int64_t head, int64_t pos) { return k_.data() + offset(layer, head, pos); }
    void* v(int64_t layer, int64_t head, int64_t pos) { return v_.data() + offset(layer, head, pos); }
    const void* k(int64_t layer, int64_t head, int64_t pos) const { return k_.data() + offset(layer, head, pos); }
    const void* v(int64_t layer, int64_t head, int64_t pos) const { return v_.data() + offset(layer, head, pos); }
    size_t elem_bytes() const { return type_ == KvType::F16 ? 2 : 4; }
    // Stores one position's keys and values, given as rows of n_head_kv * head_dim floats (the
    // projections' layout), into each kv head's table, converting to the cache's type.
    void store(int64_t layer, int64_t pos, const float* keys, const float* values);
    size_t row_bytes() const { return static_cast<size_t>(head_dim_) * elem_bytes(); }

    int64_t n_ctx() const { return n_ctx_; }
    size_t bytes() const { return k_.size() + v_.size(); }

private:
    size_t offset(int64_t layer, int64_t head, int64_t pos) const {
        const auto table = static_cast<size_t>(layer * n_head_kv_ + head);
        return (table * static_cast<size_t>(n_ctx_) + static_cast<size_t>(pos)) * row_bytes();
    }
    int64_t n_ctx_, n_head_kv_, head_dim_;
    KvType type_;
    std::vector<uint8_t> k_, v_;
};

}  // namespace q8
