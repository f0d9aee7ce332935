#include "thread_pool.h"

#include <sched.h>

#include <algorithm>
#include <exception>

#include <q8/error.h>

namespace q8 {

namespace {
// About 100 microseconds of spinning: long enough to bridge the gaps between the products of one
// decode step, short enough not to steal a time slice from other work when cores are shared.
constexpr int kSpinIterations = 2000;

// Pauses, and now and then yields: when there are more threads than cores (another process, or
// several pools), the thread being waited for may need this core to make progress.
inline void cpu_relax(int spin) {
    if ((spin & 63) == 63) {
        std::this_thread::yield();
    } else {
        __builtin_ia32_pause();
    }
}
}  // namespace

int default_thread_count() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads) {
    if (n_threads < 1 || n_threads > 1024) throw EngineError("thread count must be between 1 and 1024");
    workers_.reserve(static_cast<size_t>(n_threads - 1));
    for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
    stop_.store(true, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    generation_.notify_all();
    // Join here, while the members the workers read (generation_, stop_) are still alive; left to
    // member destruction, workers_ would be joined only after those members were destroyed.
    workers_.clear();
}

void ThreadPool::worker_loop(int index) {
    uint32_t seen = 0;
    for (;;) {
        uint32_t g = generation_.load(std::memory_order_acquire);
        for (int spin = 0; g == seen && spin < kSpinIterations; ++spin) {
            cpu_relax(spin);
            g = generation_.load(std::memory_order_acquire);
        }
        if (g == seen) {
            generation_.wait(seen, std::memory_order_acquire);
            continue;
        }
        seen = g;
        if (stop_.load(std::memory_order_acquire)) return;
        (*job_)(index, n_threads_);
        if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
    }
}

void ThreadPool::run(const std::function<void(int, int)>& fn) {
    if (n_threads_ == 1) {
        fn(0, 1);
        return;
    }
    job_ = &fn;
    pending_.store(n_threads_ - 1, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    generation_.notify_all();
    // The caller's share may throw; the workers must still finish before `fn` goes out of scope.
    std::exception_ptr error;
    try {
        fn(0, n_threads_);
    } catch (...) {
        error = std::current_exception();
    }
    int left = pending_.load(std::memory_order_acquire);
    for (int spin = 0; left != 0 && spin < kSpinIterations; ++spin) {
        cpu_relax(spin);
        left = pending_.load(std::memory_order_acquire);
    }
    while (left != 0) {
        pending_.wait(left, std::memory_order_acquire);
        left = pending_.load(std::memory_order_acquire);
    }
    if (error) std::rethrow_exception(error);
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn) {
    if (n == 0) return;
    run([&](int t, int nt) {
        const size_t begin = n * static_cast<size_t>(t) / static_cast<size_t>(nt);
        const size_t end = n * static_cast<size_t>(t + 1) / static_cast<size_t>(nt);
        if (begin < end) fn(begin, end);
    });
}

}  // namespace q8
