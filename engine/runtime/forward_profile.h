#pragma once
// Where a forward pass spends its time, by kind of operation: what `q8bench profile` reports per
// token. A session given a profile times each operation with a steady clock; without one the
// forward pass pays a null check per operation and nothing else.
#include <array>
#include <chrono>
#include <cstdint>
#include <string_view>

namespace q8 {

// Products include the quantization of their input to int8 and the thread pool's hand-off, which
// is what they cost a token.
enum class ForwardOp {
    Embedding,
    Norms,
    QkvProducts,
    RopeAndCache,
    Attention,
    AttnOutProduct,
    FfnUpGateProducts,
    FfnActivation,
    FfnDownProduct,
    Residuals,
    Head,
};
inline constexpr size_t kForwardOpCount = 11;

std::string_view forward_op_name(ForwardOp op);

struct ForwardProfile {
    std::array<double, kForwardOpCount> seconds{};
    int64_t tokens = 0;  // tokens evaluated while profiling
    int64_t passes = 0;  // forward chunks

    double total_seconds() const;
    void clear() { *this = ForwardProfile{}; }
};

// Adds the time from construction to destruction to one operation of `profile` (if any).
class ForwardOpTimer {
public:
    ForwardOpTimer(ForwardProfile* profile, ForwardOp op) : profile_(profile), op_(op) {
        if (profile_ != nullptr) start_ = std::chrono::steady_clock::now();
    }
    ~ForwardOpTimer() {
        if (profile_ != nullptr) {
            profile_->seconds[static_cast<size_t>(op_)] +=
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        }
    }
    ForwardOpTimer(const ForwardOpTimer&) = delete;
    ForwardOpTimer& operator=(const ForwardOpTimer&) = delete;

private:
    ForwardProfile* profile_;
    ForwardOp op_;
    std::chrono::steady_clock::time_point start_{};
};

// Runs f, its time added to `op` of `profile` (if any).
template <class F>
void timed(ForwardProfile* profile, ForwardOp op, F&& f) {
    ForwardOpTimer timer(profile, op);
    f();
}

}  // namespace q8
