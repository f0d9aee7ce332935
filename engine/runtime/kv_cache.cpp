#include "kv_cache.h"

#include <cstring>
#include <sstream>

#include <q8/error.h>
#include <q8/system.h>

#include "kernels.h"

namespace q8 {

namespace {

// Bytes of one of the two tables (keys or values). A context too large for memory is refused here
// with the figures, before the tables are zero-filled: filling them would touch every page and get
// the process killed instead.
size_t table_bytes(int64_t n_layer, int64_t n_ctx, int64_t kv_dim, size_t elem_bytes) {
    const double both = 2.0 * double(n_layer) * double(n_ctx) * double(kv_dim) * double(elem_bytes);
    const uint64_t avail = available_memory_bytes();
    if (avail > 0 && both > double(avail)) {
        std::ostringstream msg;
        msg.precision(1);
        msg << std::fixed << "the KV cache for a context of " << n_ctx << " tokens needs " << both / (1 << 20)
            << " MiB (" << n_layer << " layers x " << kv_dim << " values x 2) but only " << double(avail) / (1 << 20)
            << " MiB of memory is available: choose a smaller context";
        throw EngineError(msg.str());
    }
    return static_cast<size_t>(n_layer * n_ctx * kv_dim) * elem_bytes;
}

}  // namespace

KvCache::KvCache(int64_t n_layer, int64_t n_ctx, int64_t n_head_kv, int64_t head_dim, KvType type)
    : n_ctx_(n_ctx),
      n_head_kv_(n_head_kv),
      head_dim_(head_dim),
      type_(type),
      k_(table_bytes(n_layer, n_ctx, n_head_kv * head_dim, elem_bytes())),
      v_(k_.size()) {}

void KvCache::store(int64_t layer, int64_t pos, const float* keys, const float* values) {
    const KernelTable& kt = active_kernels();
    const auto hd = static_cast<size_t>(head_dim_);
    for (int64_t h = 0; h < n_head_kv_; ++h) {
        const float* key = keys + static_cast<size_t>(h) * hd;
        const float* value = values + static_cast<size_t>(h) * hd;
        if (type_ == KvType::F16) {
            kt.f32_to_f16(key, static_cast<uint16_t*>(k(layer, h, pos)), hd);
            kt.f32_to_f16(value, static_cast<uint16_t*>(v(layer, h, pos)), hd);
        } else {
            std::memcpy(k(layer, h, pos), key, hd * sizeof(float));
            std::memcpy(v(layer, h, pos), value, hd * sizeof(float));
        }
    }
}

}  // namespace q8
