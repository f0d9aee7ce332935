#include "onednn_gemm.h"

#include <spdlog/spdlog.h>

#include <omp.h>
#include <cstdlib>
#include <dnnl.hpp>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace q8 {

namespace {

using dt = dnnl::memory::data_type;

struct OneDnn {
    dnnl::engine engine{dnnl::engine::kind::cpu, 0};
    std::mutex mutex;  // guards the cache; executing a primitive is thread-safe
    std::map<std::tuple<dt, size_t, size_t, size_t, size_t>, dnnl::matmul> cache;
};

OneDnn& onednn() {
    static OneDnn d;
    return d;
}

dnnl::memory::dim dim(size_t v) { return static_cast<dnnl::memory::dim>(v); }

// x (m x k, row-major) times w^T, where w is n rows of k: the k x n matrix B in column-major
// ("ba") form, so oneDNN reads the weights in place.
struct Shapes {
    dnnl::memory::desc a, b, c;
    Shapes(dt in, dt acc, size_t m, size_t n, size_t k, size_t ldo)
        : a({dim(m), dim(k)}, in, dnnl::memory::format_tag::ab),
          b({dim(k), dim(n)}, in, dnnl::memory::format_tag::ba),
          c({dim(m), dim(n)}, acc, dnnl::memory::dims{dim(ldo), 1}) {}
    dnnl::matmul::primitive_desc describe(const dnnl::engine& e) const {
        return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, c), e);
    }
};

bool gemm(dt in, dt acc, const void* x, size_t m, const void* w, size_t n, size_t k, void* out, size_t ldo) noexcept {
    thread_local const bool single_threaded = [] {
        omp_set_num_threads(1);  // oneDNN sizes its parallel regions from this thread's setting
        return true;
    }();
    (void)single_threaded;
    try {
        OneDnn& d = onednn();
        const Shapes shapes(in, acc, m, n, k, ldo);
        dnnl::matmul product;
        {
            std::lock_guard lock(d.mutex);
            auto it = d.cache.find({in, m, n, k, ldo});
            if (it == d.cache.end()) {
                const dnnl::matmul::primitive_desc pd = shapes.describe(d.engine);
                spdlog::debug("oneDNN matmul {}x{}x{}: {}", m, n, k, pd.impl_info_str());
                it = d.cache.emplace(std::tuple{in, m, n, k, ldo}, dnnl::matmul(pd)).first;
            }
            product = it->second;
        }
        dnnl::stream s(d.engine);
        dnnl::memory am(shapes.a, d.engine, const_cast<void*>(x));
        dnnl::memory bm(shapes.b, d.engine, const_cast<void*>(w));
        dnnl::memory cm(shapes.c, d.engine, out);
        product.execute(s, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
        s.wait();
        return true;
    } catch (const std::exception& e) {
        static std::once_flag logged;
        std::call_once(logged, [&] {
            spdlog::warn("oneDNN product {}x{}x{} failed ({}); using our own kernels", m, n, k, e.what());
        });
        return false;
    }
}

}  // namespace

bool onednn_gemm_s8s8s32(const int8_t* x, size_t m, const int8_t* w, size_t n, size_t k, int32_t* out,
                         size_t ldo) noexcept {
    return gemm(dt::s8, dt::s32, x, m, w, n, k, out, ldo);
}

bool onednn_gemm_bf16(const uint16_t* x, size_t m, const uint16_t* w, size_t n, size_t k, float* out,
                      size_t ldo) noexcept {
    return gemm(dt::bf16, dt::f32, x, m, w, n, k, out, ldo);
}

std::string onednn_gemm_implementation(bool int8, size_t m, size_t n, size_t k) {
    try {
        const Shapes shapes(int8 ? dt::s8 : dt::bf16, int8 ? dt::s32 : dt::f32, m, n, k, n);
        return shapes.describe(onednn().engine).impl_info_str();
    } catch (const std::exception&) {
        return {};
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
