#include "onednn_gemm.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <dnnl.hpp>
#include <omp.h>
#include <map>
#include <mutex>
#include <tuple>


namespace q8 {

namespace {

struct OneDnn {
    dnnl::engine engine{dnnl::engine::kind::cpu, 0};
    std::mutex mutex;  // guards the cache; executing a primitive is thread-safe
    std::map<std::tuple<size_t, size_t, size_t, size_t>, dnnl::matmul> cache;  // executing one is thread-safe
};

OneDnn& onednn() {
    static OneDnn d;
    return d;
}

dnnl::memory::dim dim(size_t v) { return static_cast<dnnl::memory::dim>(v); }

}  // namespace

bool onednn_gemm_s8s8s32(const int8_t* x, size_t m, const int8_t* w, size_t n, size_t k, int32_t* out, size_t ldo) noexcept {
    thread_local const bool single_threaded = [] {
        omp_set_num_threads(1);  // oneDNN sizes its parallel regions from this thread's setting
        return true;
    }();
    (void)single_threaded;
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    try {
        OneDnn& d = onednn();
        // Weights are [n][k] row-major, which is the k x n matrix B in column-major ("ba") form:
        // oneDNN reads them in place, no reordered copy.
        const dnnl::memory::desc a({dim(m), dim(k)}, dt::s8, tag::ab);
        const dnnl::memory::desc b({dim(k), dim(n)}, dt::s8, tag::ba);
        const dnnl::memory::desc c({dim(m), dim(n)}, dt::s32, dnnl::memory::dims{dim(ldo), 1});
        dnnl::matmul product;
        {
            std::lock_guard lock(d.mutex);
            auto it = d.cache.find({m, n, k, ldo});
            if (it == d.cache.end()) {
                const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a, b, c), d.engine);
                spdlog::debug("oneDNN int8 matmul {}x{}x{}: {}", m, n, k, pd.impl_info_str());
                it = d.cache.emplace(std::tuple{m, n, k, ldo}, dnnl::matmul(pd)).first;
            }
            product = it->second;
        }
        dnnl::stream s(d.engine);
        dnnl::memory am(a, d.engine, const_cast<int8_t*>(x));
        dnnl::memory bm(b, d.engine, const_cast<int8_t*>(w));
        dnnl::memory cm(c, d.engine, out);
        product.execute(s, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
        s.wait();
        return true;
    } catch (const std::exception& e) {
        static std::once_flag logged;
        std::call_once(logged, [&] { spdlog::warn("oneDNN int8 product {}x{}x{} failed ({}); using our own kernels", m, n, k, e.what()); });
        return false;
    }
}

size_t onednn_min_tokens() {
    static const size_t v = [] {
        const char* env = std::getenv("Q8_ONEDNN_MIN_TOKENS");
        if (env != nullptr && *env != 0) return static_cast<size_t>(std::strtoul(env, nullptr, 10));
        return size_t{16};
    }();
    return v;
}

}  // namespace q8
