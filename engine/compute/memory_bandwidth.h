#pragma once
// Measures DRAM read bandwidth the way a decode step reads weights: every thread of the pool
// streams its own contiguous slice of a buffer far larger than the last-level cache. The result is
// the roofline that decode throughput is judged against.
#include <cstddef>

#include "thread_pool.h"

namespace q8 {

struct BandwidthResult {
    double gb_per_s = 0;  // best of the repetitions (10^9 bytes per second)
    double mean_gb_per_s = 0;
    size_t bytes = 0;  // buffer size
    int threads = 0;
    int repetitions = 0;
};

// 4 GiB by default: on a virtual machine the host's last-level cache can be far larger than the
// one the guest reports (a 1 GiB probe read ~60 GB/s on a host where 4 GiB reads ~35 GB/s).
BandwidthResult measure_read_bandwidth(ThreadPool& pool, size_t bytes = size_t{4} << 30, int repetitions = 5);

// Sums n floats as fast as memory allows (the read loop itself, per instruction set).
float stream_sum(const float* p, size_t n);

}  // namespace q8
