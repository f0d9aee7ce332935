#pragma once
// A persistent pool: threads are created once per session and woken for each operation, so the
// hundreds of small products in one decode step pay no thread creation. The calling thread takes
// part as worker 0. Workers spin briefly before sleeping, since the next operation usually follows
// within microseconds.
#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace q8 {

class ThreadPool {
public:
    explicit ThreadPool(int n_threads);  // n_threads >= 1, including the caller
    ~ThreadPool();
    ThreadPool(const ThreadPool&) = delete;
    ThreadPool& operator=(const ThreadPool&) = delete;

    int size() const { return n_threads_; }

    // Runs fn(thread_index, n_threads) on every thread and returns when all are done. fn must not
    // throw on worker threads; an exception on the calling thread is rethrown after they finish.
    void run(const std::function<void(int, int)>& fn);

    // Splits [0, n) into contiguous ranges, one per thread: fn(begin, end).
    void parallel_for(size_t n, const std::function<void(size_t, size_t)>& fn);

private:
    void worker_loop(int index);

    int n_threads_;
    std::vector<std::jthread> workers_;
    const std::function<void(int, int)>* job_ = nullptr;
    // 32 bits, the futex's own size: libstdc++ waits on wider atomics through a table of shared
    // slots, so a notify on one pool's generation woke the idle worker of another pool (a draft's)
    // now and then, which then spun, taking a core from the busy pool. Only equality is compared,
    // so wrapping around is harmless.
    std::atomic<uint32_t> generation_{0};
    std::atomic<int> pending_{0};
    std::atomic<bool> stop_{false};
};

// Default thread count: the cores this process may run on.
int default_thread_count();

}  // namespace q8
