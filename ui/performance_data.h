#pragma once
// What the performance dock draws, without any widget: per configuration the decode rate of its
// latest run and where its prompt evaluation ended, the memory and speculative steps of the latest
// run, and the figures of the last run of each configuration. Feeding is cheap (amortized O(1)
// apart from the smoothing window); every series is a bounded, evenly decimated PointBuffer.
#include <QMap>
#include <QPointF>
#include <optional>

#include "chat_types.h"
#include "point_buffer.h"
#include "rate_window.h"

namespace q8ui {

class PerformanceData {
public:
    // Smoothed figures cover this much time ("tokens/s (0.5 s window)"). The decode rate is
    // time-weighted: the tokens of an arrival count as produced since the previous arrival.
    static constexpr double kWindowSeconds = 0.5;
    // The decode rate is sampled on this grid of run time, so its points are evenly spaced in
    // time however tokens arrive.
    static constexpr double kSampleSeconds = 0.1;

    // Times are seconds since the request began (q8::TokenEvent::elapsed_s) and never decrease
    // within a run.
    void beginRun(Configuration c, double memoryEstimateMiB);
    void addTokens(double elapsedSeconds, int count, int fromDraft);
    void promptDone(double elapsedSeconds, double promptTokensPerSecond);
    // lookedUp: the drafts were looked up in the text so far, not proposed by the draft model.
    void addStep(double elapsedSeconds, int k, int drafted, int accepted, bool lookedUp);
    void addMemorySample(double elapsedSeconds, double residentMiB, double weightsMiB, double kvMiB);
    void endRun(const MessageFigures& figures);

    bool running() const { return running_; }
    Configuration configuration() const { return current_; }  // of the latest run

    // Tokens/s: per configuration, its latest run.
    QList<Configuration> ratedConfigurations() const { return decode_.keys(); }
    const PointBuffer& decodeRate(Configuration c) const;  // empty for one that has not run
    // Where prompt evaluation ended (x) and its prompt tokens/s (y).
    std::optional<QPointF> promptPoint(Configuration c) const;

    // Memory of the latest run (MiB).
    const PointBuffer& resident() const { return resident_; }
    const PointBuffer& weights() const { return weights_; }
    const PointBuffer& kvCache() const { return kv_; }
    double memoryEstimateMiB() const { return estimateMiB_; }

    // Speculative decoding: the latest speculative run.
    const PointBuffer& stepAcceptance() const { return stepAcceptance_; }          // accepted ÷ drafted, per step
    const PointBuffer& smoothedAcceptance() const { return smoothedAcceptance_; }  // over the window
    const PointBuffer& draftLength() const { return k_; }                          // k per step
    const QList<int>& acceptedHistogram() const { return histogram_; }             // [n]: steps that kept n
    int currentK() const { return currentK_; }  // the draft model's, of its latest step (0: paused)
    qint64 drafted() const { return drafted_; }
    qint64 accepted() const { return accepted_; }
    qint64 draftTokens() const { return draftTokens_; }  // emitted tokens that came from the draft
    qint64 lookedUpTokens() const { return lookedUp_; }  // of those, looked up in the text so far
    qint64 emittedTokens() const { return emittedTokens_; }

    // The last run of each configuration that finished.
    const QMap<Configuration, MessageFigures>& summaries() const { return summaries_; }

private:
    // Adds the rate samples due at or before `t`.
    void sampleRateThrough(double t);

    bool running_ = false;
    Configuration current_ = Configuration::Fp16;

    QMap<Configuration, PointBuffer> decode_;
    QMap<Configuration, QPointF> prompt_;
    RateWindow tokens_{kWindowSeconds, RateWindow::Arrival::SinceLast};
    double firstTokenAt_ = -1;  // < 0: no token yet in this run
    qint64 samples_ =
        0;  // rate samples taken in this run; the next is due at firstTokenAt_ + (samples_ + 1) * kSampleSeconds

    PointBuffer resident_, weights_, kv_;
    double estimateMiB_ = 0;

    PointBuffer stepAcceptance_, smoothedAcceptance_, k_;
    RateWindow windowDrafted_{kWindowSeconds, RateWindow::Arrival::Instant};
    RateWindow windowAccepted_{kWindowSeconds, RateWindow::Arrival::Instant};
    QList<int> histogram_;
    int currentK_ = 0;
    qint64 drafted_ = 0, accepted_ = 0, draftTokens_ = 0, emittedTokens_ = 0, lookedUp_ = 0;

    QMap<Configuration, MessageFigures> summaries_;
};

}  // namespace q8ui
