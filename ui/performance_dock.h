#pragma once
// The live performance dock: tokens/s per configuration (decode smoothed over a stated window,
// prompt evaluation apart), memory against the pre-load estimate, speculative acceptance and
// draft length with a histogram of accepted lengths, and the last run of each configuration side
// by side. The window feeds it from the GUI thread; feeding only buffers (PerformanceData) and a
// timer redraws what changed, at least 5 times a second while a run is live.
#include <QDockWidget>
#include <QMap>
#include <QTimer>

#include "chat_types.h"
#include "performance_data.h"

class QBarCategoryAxis;
class QBarSeries;
class QChartView;
class QLabel;
class QLineSeries;
class QScatterSeries;
class QToolButton;
class QValueAxis;

namespace q8ui {

class PerformanceDock : public QDockWidget {
    Q_OBJECT
public:
    enum class Chart {
        TokensPerSecond,
        Memory,
        Acceptance,
        AcceptedHistogram,
        SummaryDecode,
        SummaryPrompt,
        SummaryFirstToken,
        SummaryPeakMemory,
    };
    static constexpr int kRefreshMs = 100;

    explicit PerformanceDock(QWidget* parent = nullptr);

    // Times are seconds since the request began (q8::TokenEvent::elapsed_s).
    void beginRun(Configuration c, double memoryEstimateMiB);
    void addTokens(double elapsedSeconds, int count, int fromDraft);
    void promptDone(double elapsedSeconds, double promptTokensPerSecond);
    // lookedUp: the drafts were looked up in the text so far, not proposed by the draft model.
    void addStep(double elapsedSeconds, int k, int drafted, int accepted, bool lookedUp);
    void addMemorySample(double elapsedSeconds, double residentMiB, double weightsMiB, double kvMiB);
    void endRun(const MessageFigures& figures);

    // Redraws what changed now; the timer does it while a run is live.
    void refresh();

    const PerformanceData& data() const { return data_; }
    QChartView* chartView(Chart c) const { return views_.value(c); }
    QToolButton* exportButton() const { return exportButton_; }
    // Points (bars for bar charts) the chart shows.
    int pointCount(Chart c) const;

    // False with *error set when the file cannot be written.
    bool exportPng(const QString& path, QString* error = nullptr) const;
    bool exportSvg(const QString& path, QString* error = nullptr) const;
    bool exportCsv(const QString& path, QString* error = nullptr) const;
    bool exportJson(const QString& path, QString* error = nullptr) const;

private:
    enum Dirty : unsigned { Rates = 1, Memory = 2, Speculative = 4, Summary = 8, All = 15 };

    QChartView* addView(Chart c, const QString& title, int minimumHeight);
    void buildCharts();
    // Asks for a file name, writes it with `write`, shows why if that fails.
    void chooseExport(const QString& filter, bool (PerformanceDock::*write)(const QString&, QString*) const);
    void redrawRates();
    void redrawMemory();
    void redrawSpeculative();
    void redrawSummary();
    void markDirty(unsigned what);

    PerformanceData data_;
    unsigned dirty_ = 0;
    QTimer timer_;
    QWidget* content_ = nullptr;  // everything the PNG shows
    QToolButton* exportButton_ = nullptr;
    QLabel* exportError_ = nullptr;
    QMap<Chart, QChartView*> views_;

    // Tokens/s: a decode line and a prompt marker per configuration that has run.
    QMap<Configuration, QLineSeries*> decode_;
    QMap<Configuration, QScatterSeries*> prompt_;
    QValueAxis* rateTime_ = nullptr;
    QValueAxis* rateAxis_ = nullptr;
    QValueAxis* promptAxis_ = nullptr;

    QLineSeries* resident_ = nullptr;
    QLineSeries* weights_ = nullptr;
    QLineSeries* kv_ = nullptr;
    QLineSeries* estimate_ = nullptr;
    QValueAxis* memoryTime_ = nullptr;
    QValueAxis* memoryAxis_ = nullptr;

    QScatterSeries* stepAcceptance_ = nullptr;
    QLineSeries* smoothedAcceptance_ = nullptr;
    QLineSeries* k_ = nullptr;
    QValueAxis* acceptanceTime_ = nullptr;
    QValueAxis* kAxis_ = nullptr;
    QBarSeries* histogram_ = nullptr;
    QBarCategoryAxis* histogramLengths_ = nullptr;
    QValueAxis* histogramSteps_ = nullptr;

    QMap<Chart, QBarSeries*> summary_;
    QMap<Chart, QValueAxis*> summaryAxis_;
};

}  // namespace q8ui
