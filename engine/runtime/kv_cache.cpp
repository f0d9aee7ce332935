#include "kv_cache.h"

namespace q8 {

KvCache::KvCache(int64_t n_layer, int64_t n_ctx, int64_t kv_dim, KvType type)
    : n_ctx_(n_ctx),
      kv_dim_(kv_dim),
      type_(type),
      k_(static_cast<size_t>(n_layer * n_ctx * kv_dim) * elem_bytes()),
      v_(static_cast<size_t>(n_layer * n_ctx * kv_dim) * elem_bytes()) {}

}  // namespace q8
