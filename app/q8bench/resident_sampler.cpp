#include "resident_sampler.h"

#include <q8/system.h>

namespace q8bench {

ResidentSampler::ResidentSampler(std::chrono::milliseconds every)
    : start_(std::chrono::steady_clock::now()), every_(every) {
    std::lock_guard lock(mutex_);
    take();
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!wake_.wait_for(lock, every_, [this] { return stopping_; })) take();
    });
}

ResidentSampler::~ResidentSampler() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

double ResidentSampler::elapsed_s() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::vector<ResidentSampler::Sample> ResidentSampler::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mutex_);
    take();
    return samples_;
}

void ResidentSampler::take() { samples_.push_back({elapsed_s(), double(q8::resident_memory_bytes()) / (1 << 20)}); }

}  // namespace q8bench
