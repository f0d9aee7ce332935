#pragma once
// Keys and values of every past position, per layer. F16 by default, which halves what attention
// reads per generated token; F32 for exact comparisons. Rolling back (speculative rejection,
// prompt reuse) is just a smaller position count: entries beyond it are overwritten later.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace q8 {

enum class KvType { F16, F32 };

class KvCache {
public:
    KvCache(int64_t n_layer, int64_t n_ctx, int64_t kv_dim, KvType type);

    KvType type() const { return type_; }
    // Row of kv_dim elements (uint16_t halves or floats, as type() says) for one layer and position.
    void* k(int64_t layer, int64_t pos) { return k_.data() + offset(layer, pos); }
    void* v(int64_t layer, int64_t pos) { return v_.data() + offset(layer, pos); }
    const void* k(int64_t layer, int64_t pos) const { return k_.data() + offset(layer, pos); }
    const void* v(int64_t layer, int64_t pos) const { return v_.data() + offset(layer, pos); }
    size_t elem_bytes() const { return type_ == KvType::F16 ? 2 : 4; }

    int64_t n_ctx() const { return n_ctx_; }
    int64_t kv_dim() const { return kv_dim_; }
    size_t bytes() const { return k_.size() + v_.size(); }

private:
    size_t offset(int64_t layer, int64_t pos) const {
        return (static_cast<size_t>(layer) * static_cast<size_t>(n_ctx_) + static_cast<size_t>(pos)) *
               static_cast<size_t>(kv_dim_) * elem_bytes();
    }
    int64_t n_ctx_, kv_dim_;
    KvType type_;
    std::vector<uint8_t> k_, v_;
};

}  // namespace q8
