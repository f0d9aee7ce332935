#include "memory_bandwidth.h"

#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include <q8/error.h>

#include "cpu_features.h"

namespace q8 {

float stream_sum_avx512(const float* p, size_t n);  // memory_bandwidth_avx512.cpp

namespace {

struct Unmap {
    size_t len;
    void operator()(void* p) const { ::munmap(p, len); }
};

float stream_sum_scalar(const float* p, size_t n) {
    float s[8] = {};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; ++k) s[k] += p[i + static_cast<size_t>(k)];
    for (; i < n; ++i) s[0] += p[i];
    return s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

}  // namespace

float stream_sum(const float* p, size_t n) {
    return active_isa() == Isa::Avx512 ? stream_sum_avx512(p, n) : stream_sum_scalar(p, n);
}

BandwidthResult measure_read_bandwidth(ThreadPool& pool, size_t bytes, int repetitions) {
    bytes = bytes / 4096 * 4096;
    if (bytes == 0 || repetitions < 1) throw EngineError("bandwidth: buffer size and repetitions must be positive");
    void* raw = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw EngineError("bandwidth: cannot allocate " + std::to_string(bytes >> 20) + " MiB");
    std::unique_ptr<void, Unmap> mem(raw, Unmap{bytes});
    ::madvise(raw, bytes, MADV_HUGEPAGE);  // as the weights will be: fewer TLB misses, longer prefetch
    auto* data = static_cast<float*>(raw);
    const size_t n = bytes / sizeof(float);
    // First touch by the thread that will read it. Every page gets different contents: identical
    // pages (all 1.0f) can be merged by the host (KSM/dedup on a VM), and then the "DRAM" reads hit
    // a handful of cached pages and report impossible bandwidth.
    pool.parallel_for(n, [&](size_t b, size_t e) {
        for (size_t i = b; i < e; ++i) data[i] = static_cast<float>((static_cast<uint32_t>(i) * 2654435761u) >> 12);
    });

    BandwidthResult r;
    r.bytes = bytes;
    r.threads = pool.size();
    r.repetitions = repetitions;
    double total = 0;
    std::vector<float> sums(static_cast<size_t>(pool.size()));  // kept, so the reads are not optimised away
    for (int rep = 0; rep < repetitions; ++rep) {
        const auto t0 = std::chrono::steady_clock::now();
        pool.run([&](int t, int nt) {
            const size_t b = n * static_cast<size_t>(t) / static_cast<size_t>(nt);
            const size_t e = n * static_cast<size_t>(t + 1) / static_cast<size_t>(nt);
            sums[static_cast<size_t>(t)] += stream_sum(data + b, e - b);
        });
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double gbps = double(bytes) / s / 1e9;
        r.gb_per_s = std::max(r.gb_per_s, gbps);
        total += gbps;
    }
    r.mean_gb_per_s = total / repetitions;
    if (sums[0] < 0) throw EngineError("bandwidth: the probe read garbage");
    return r;
}

}  // namespace q8
