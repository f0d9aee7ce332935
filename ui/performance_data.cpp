#include "performance_data.h"

#include <cmath>
#include <limits>

namespace q8ui {

namespace {
constexpr double kInfinity = std::numeric_limits<double>::infinity();
}  // namespace

void PerformanceData::beginRun(Configuration c, double memoryEstimateMiB) {
    running_ = true;
    current_ = c;
    decode_[c].clear();
    prompt_.remove(c);
    firstTokenAt_ = -1;

    resident_.clear();
    weights_.clear();
    kv_.clear();
    estimateMiB_ = memoryEstimateMiB;

    // A plain run leaves the last speculative run on show: it has nothing to replace it with.
    if (c == Configuration::Q4Spec) {
        stepAcceptance_.clear();
        smoothedAcceptance_.clear();
        k_.clear();
        windowDrafted_.restart(0);
        windowAccepted_.restart(0);
        histogram_.clear();
        currentK_ = 0;
        drafted_ = accepted_ = draftTokens_ = emittedTokens_ = lookedUp_ = 0;
    }
}

const PointBuffer& PerformanceData::decodeRate(Configuration c) const {
    static const PointBuffer empty;
    auto it = decode_.find(c);
    return it == decode_.end() ? empty : *it;
}

void PerformanceData::sampleRateThrough(double t) {
    // Tokens are spread over the time since the previous arrival, so a sample at or before the
    // newest arrival has every token that counts for it.
    PointBuffer& series = decode_[current_];
    for (;;) {
        const double at = firstTokenAt_ + double(samples_ + 1) * kSampleSeconds;
        if (at > t) return;
        series.add(QPointF(at, tokens_.rate(at, firstTokenAt_)));
        ++samples_;
    }
}

void PerformanceData::addTokens(double elapsedSeconds, int count, int fromDraft) {
    if (!running_ || count <= 0) return;
    if (current_ == Configuration::Q4Spec) {
        draftTokens_ += fromDraft;
        emittedTokens_ += count;
    }
    if (firstTokenAt_ < 0) {
        // Decode tokens/s counts the tokens after the first over the time since the first
        // (docs/metrics.md); the window starts there too, so the first samples are not diluted.
        // The rest of a first burst counts just after it.
        firstTokenAt_ = elapsedSeconds;
        samples_ = 0;
        tokens_.restart(elapsedSeconds);
        if (count > 1) tokens_.add(std::nextafter(elapsedSeconds, kInfinity), count - 1);
        return;
    }
    tokens_.add(elapsedSeconds, count);
    sampleRateThrough(elapsedSeconds);
}

void PerformanceData::promptDone(double elapsedSeconds, double promptTokensPerSecond) {
    if (running_) prompt_[current_] = QPointF(elapsedSeconds, promptTokensPerSecond);
}

std::optional<QPointF> PerformanceData::promptPoint(Configuration c) const {
    auto it = prompt_.find(c);
    if (it == prompt_.end()) return std::nullopt;
    return *it;
}

void PerformanceData::addStep(double elapsedSeconds, int k, int drafted, int accepted, bool lookedUp) {
    if (!running_) return;
    // A lookup step says nothing of whether the draft model is drafting or paused.
    if (lookedUp)
        lookedUp_ += accepted;
    else
        currentK_ = k;
    k_.add(QPointF(elapsedSeconds, k));
    // A paused step (k = 0, plain decoding) or one at the end of the context drafted nothing: it
    // has no accepted length to count and no acceptance to plot.
    if (drafted <= 0) return;
    if (histogram_.size() <= accepted) histogram_.resize(accepted + 1, 0);
    ++histogram_[accepted];
    drafted_ += drafted;
    accepted_ += accepted;
    stepAcceptance_.add(QPointF(elapsedSeconds, double(accepted) / double(drafted)));
    windowDrafted_.add(elapsedSeconds, drafted);
    windowAccepted_.add(elapsedSeconds, accepted);
    const double notBefore = -kInfinity;
    // Accepted ÷ drafted over the window, the same definition as the run's acceptance rate.
    smoothedAcceptance_.add(QPointF(elapsedSeconds, windowAccepted_.sum(elapsedSeconds, notBefore) /
                                                        windowDrafted_.sum(elapsedSeconds, notBefore)));
}

void PerformanceData::addMemorySample(double elapsedSeconds, double residentMiB, double weightsMiB, double kvMiB) {
    if (!running_) return;
    resident_.add(QPointF(elapsedSeconds, residentMiB));
    weights_.add(QPointF(elapsedSeconds, weightsMiB));
    kv_.add(QPointF(elapsedSeconds, kvMiB));
}

void PerformanceData::endRun(const MessageFigures& figures) {
    if (!running_) return;
    running_ = false;
    summaries_[current_] = figures;
}

}  // namespace q8ui
