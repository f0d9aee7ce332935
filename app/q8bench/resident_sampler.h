#pragma once
// Samples the process's resident memory on its own thread at a fixed interval, so a long run's
// memory curve does not depend on how long each generation takes.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace q8bench {

class ResidentSampler {
public:
    struct Sample {
        double t_s;
        double resident_mib;
    };

    explicit ResidentSampler(std::chrono::milliseconds every);
    ~ResidentSampler();  // stops the thread
    ResidentSampler(const ResidentSampler&) = delete;
    ResidentSampler& operator=(const ResidentSampler&) = delete;

    double elapsed_s() const;
    std::vector<Sample> stop();  // takes one last sample and returns all of them

private:
    void take();  // caller holds mutex_

    const std::chrono::steady_clock::time_point start_;
    const std::chrono::milliseconds every_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::vector<Sample> samples_;
    std::thread thread_;
};

}  // namespace q8bench
