#include "performance_dock.h"

#include <QBarCategoryAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QFileDialog>
#include <QGraphicsLayout>
#include <QGridLayout>
#include <QLabel>
#include <QLegendMarker>
#include <QLineSeries>
#include <QMenu>
#include <QSaveFile>
#include <QScatterSeries>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>
#include <QValueAxis>
#include <cmath>

#include "configuration_color.h"
#include "file_export.h"
#include "performance_export.h"

namespace q8ui {

namespace {

constexpr Configuration kConfigurations[] = {Configuration::Fp16, Configuration::Q8, Configuration::Q4,
                                             Configuration::Q4Spec};
constexpr double kMiB = 1024.0 * 1024.0;

// 1, 2 or 5 times a power of ten, at least v.
double niceCeiling(double v) {
    if (!(v > 0)) return 1;
    const double decade = std::pow(10.0, std::floor(std::log10(v)));
    for (double m : {1.0, 2.0, 5.0})
        if (m * decade >= v * (1 - 1e-9)) return m * decade;
    return 10 * decade;
}

// 0 to at least `max` in about `intervals` steps of 1, 2 or 5 times a power of ten: labels that
// read well.
void setNiceRange(QValueAxis* axis, double max, int intervals = 5) {
    const double step = niceCeiling(std::max(max, 1e-9) / intervals);
    const double ticks = std::max(1.0, std::ceil(max / step * (1 - 1e-9)));
    axis->setTickInterval(step);
    axis->setRange(0, step * ticks);
}

double maxX(const QList<QPointF>& points) { return points.isEmpty() ? 0 : points.last().x(); }
double maxY(const QList<QPointF>& points) {
    double m = 0;
    for (const QPointF& p : points) m = std::max(m, p.y());
    return m;
}

QValueAxis* valueAxis(const QString& title, const QString& format = QStringLiteral("%g")) {
    auto* axis = new QValueAxis;
    axis->setTitleText(title);
    axis->setLabelFormat(format);
    QFont font = axis->labelsFont();
    font.setPointSizeF(7.5);
    axis->setLabelsFont(font);
    font.setPointSizeF(8);
    axis->setTitleFont(font);
    // Ticks at multiples of the interval setNiceRange chooses, from 0.
    axis->setTickType(QValueAxis::TicksDynamic);
    axis->setTickAnchor(0);
    axis->setTickInterval(0.2);
    axis->setRange(0, 1);
    return axis;
}

QChart* compactChart(const QString& title) {
    auto* chart = new QChart;
    chart->setTitle(title);
    QFont font = chart->titleFont();
    font.setPointSizeF(9);
    font.setBold(true);
    chart->setTitleFont(font);
    chart->setMargins(QMargins(2, 2, 2, 2));
    chart->layout()->setContentsMargins(0, 0, 0, 0);
    chart->setBackgroundRoundness(0);
    QFont legendFont = chart->legend()->font();
    legendFont.setPointSizeF(7.5);
    chart->legend()->setFont(legendFont);
    chart->legend()->setAlignment(Qt::AlignBottom);
    return chart;
}

template <typename Series>
Series* addSeries(QChart* chart, const QString& name, QAbstractAxis* x, QAbstractAxis* y, const QColor& color) {
    auto* s = new Series;
    s->setName(name);
    s->setColor(color);
    chart->addSeries(s);
    s->attachAxis(x);
    s->attachAxis(y);
    return s;
}

void hideFromLegend(QChart* chart, QAbstractSeries* s) {
    for (QLegendMarker* m : chart->legend()->markers(s)) m->setVisible(false);
}

// An empty series for one summary figure, on the chart's axes: one bar per configuration.
QBarSeries* summaryBars(QChart* chart) {
    auto* bars = new QBarSeries;
    bars->setLabelsVisible(true);
    bars->setLabelsPosition(QAbstractBarSeries::LabelsInsideEnd);
    bars->setLabelsPrecision(4);  // 3 would write 1040 tokens/s as 1.04e+03
    chart->addSeries(bars);
    for (QAbstractAxis* axis : chart->axes()) bars->attachAxis(axis);
    return bars;
}

}  // namespace

PerformanceDock::PerformanceDock(QWidget* parent) : QDockWidget(tr("Performance"), parent) {
    setObjectName("performance-dock");
    auto* box = new QWidget;
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(2, 2, 2, 2);

    exportButton_ = new QToolButton;
    exportButton_->setText(tr("Export"));
    exportButton_->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(exportButton_);
    exportButton_->setMenu(menu);
    connect(menu->addAction(tr("Charts as PNG…")), &QAction::triggered, this,
            [this] { chooseExport(tr("PNG image (*.png)"), &PerformanceDock::exportPng); });
    connect(menu->addAction(tr("Charts as SVG…")), &QAction::triggered, this,
            [this] { chooseExport(tr("SVG image (*.svg)"), &PerformanceDock::exportSvg); });
    connect(menu->addAction(tr("Data as CSV…")), &QAction::triggered, this,
            [this] { chooseExport(tr("CSV (*.csv)"), &PerformanceDock::exportCsv); });
    connect(menu->addAction(tr("Data as JSON…")), &QAction::triggered, this,
            [this] { chooseExport(tr("JSON (*.json)"), &PerformanceDock::exportJson); });
    exportError_ = new QLabel;
    exportError_->setStyleSheet("color: #b00020");
    auto* top = new QHBoxLayout;
    top->addWidget(exportButton_);
    top->addWidget(exportError_, 1);
    layout->addLayout(top);

    content_ = new QWidget;
    content_->setMinimumWidth(380);
    buildCharts();
    auto* scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(content_);
    layout->addWidget(scroll);
    setWidget(box);

    timer_.setInterval(kRefreshMs);
    connect(&timer_, &QTimer::timeout, this, &PerformanceDock::refresh);
}

void PerformanceDock::chooseExport(const QString& filter,
                                   bool (PerformanceDock::*write)(const QString&, QString*) const) {
    const QString path = QFileDialog::getSaveFileName(this, tr("Export performance"), {}, filter);
    if (path.isEmpty()) return;
    QString error;
    exportError_->setText((this->*write)(path, &error) ? QString() : error);
}

QChartView* PerformanceDock::addView(Chart c, const QString& title, int minimumHeight) {
    auto* view = new QChartView(compactChart(title));
    view->setRenderHint(QPainter::Antialiasing);
    view->setMinimumHeight(minimumHeight);
    views_.insert(c, view);
    return view;
}

void PerformanceDock::buildCharts() {
    auto* layout = new QVBoxLayout(content_);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);

    QChartView* rates = addView(Chart::TokensPerSecond, tr("Tokens per second (latest run of each)"), 240);
    rates->setToolTip(tr("Decode: tokens of the last %1 s ÷ %1 s, from the first token on; a burst counts as made\n"
                         "over the time since the previous one.\n"
                         "Markers: prompt tokens/s, placed where prompt evaluation ended.")
                          .arg(PerformanceData::kWindowSeconds));
    QChart* chart = rates->chart();
    rateTime_ = valueAxis(tr("s since the request began"));
    rateAxis_ = valueAxis(tr("tokens/s (%1 s window)").arg(PerformanceData::kWindowSeconds), "%.0f");
    promptAxis_ = valueAxis(tr("prompt tokens/s (■)"), "%.0f");
    chart->addAxis(rateTime_, Qt::AlignBottom);
    chart->addAxis(rateAxis_, Qt::AlignLeft);
    chart->addAxis(promptAxis_, Qt::AlignRight);
    layout->addWidget(rates);

    QChartView* memory = addView(Chart::Memory, tr("Memory (MiB)"), 210);
    memory->setToolTip(tr("Resident: the process's resident set. Dashed: the estimate made before loading."));
    chart = memory->chart();
    memoryTime_ = valueAxis(tr("s since the request began"));
    memoryAxis_ = valueAxis(tr("MiB"), "%.0f");
    chart->addAxis(memoryTime_, Qt::AlignBottom);
    chart->addAxis(memoryAxis_, Qt::AlignLeft);
    resident_ = addSeries<QLineSeries>(chart, tr("resident"), memoryTime_, memoryAxis_, QColor(0x33, 0x33, 0x33));
    weights_ = addSeries<QLineSeries>(chart, tr("weights"), memoryTime_, memoryAxis_, QColor(0x1f, 0x77, 0xb4));
    kv_ = addSeries<QLineSeries>(chart, tr("KV cache"), memoryTime_, memoryAxis_, QColor(0xd6, 0x27, 0x28));
    // A small model's weights and KV cache can lie a few MiB apart on an axis of a hundred or more:
    // the weights are a wide band under the thin KV-cache line, so that both stay visible.
    QPen band = weights_->pen();
    band.setWidthF(6);
    weights_->setPen(band);
    estimate_ = addSeries<QLineSeries>(chart, tr("estimate (before load)"), memoryTime_, memoryAxis_, Qt::gray);
    QPen dashed = estimate_->pen();
    dashed.setStyle(Qt::DashLine);
    dashed.setWidthF(1.5);
    estimate_->setPen(dashed);
    layout->addWidget(memory);

    QChartView* acceptance = addView(Chart::Acceptance, tr("Speculative decoding"), 210);
    acceptance->setToolTip(tr("Acceptance = accepted ÷ drafted: per step (dots) and over the last %1 s (line).\n"
                              "k: tokens the draft proposes per step.")
                               .arg(PerformanceData::kWindowSeconds));
    chart = acceptance->chart();
    acceptanceTime_ = valueAxis(tr("s since the request began"));
    auto* rateAxis = valueAxis(tr("acceptance"), "%.1f");
    kAxis_ = valueAxis(tr("k"), "%.0f");
    chart->addAxis(acceptanceTime_, Qt::AlignBottom);
    chart->addAxis(rateAxis, Qt::AlignLeft);
    chart->addAxis(kAxis_, Qt::AlignRight);
    stepAcceptance_ = addSeries<QScatterSeries>(chart, tr("per step"), acceptanceTime_, rateAxis,
                                                configurationColor(Configuration::Q4Spec).lighter(150));
    stepAcceptance_->setMarkerSize(5);
    stepAcceptance_->setBorderColor(Qt::transparent);
    smoothedAcceptance_ = addSeries<QLineSeries>(chart, tr("%1 s window").arg(PerformanceData::kWindowSeconds),
                                                 acceptanceTime_, rateAxis, configurationColor(Configuration::Q4Spec));
    k_ = addSeries<QLineSeries>(chart, tr("k"), acceptanceTime_, kAxis_, QColor(0x55, 0x55, 0x55));
    layout->addWidget(acceptance);

    QChartView* histogram = addView(Chart::AcceptedHistogram, tr("Accepted tokens per step"), 170);
    histogram->setToolTip(tr("How many steps kept 0, 1, 2, … of their drafted tokens."));
    chart = histogram->chart();
    histogram_ = new QBarSeries;
    auto* steps = new QBarSet(tr("steps"));
    steps->setColor(configurationColor(Configuration::Q4Spec));
    histogram_->append(steps);
    chart->addSeries(histogram_);
    histogramLengths_ = new QBarCategoryAxis;
    histogramLengths_->setTitleText(tr("accepted in the step"));
    histogramSteps_ = valueAxis(tr("steps"), "%.0f");
    chart->addAxis(histogramLengths_, Qt::AlignBottom);
    chart->addAxis(histogramSteps_, Qt::AlignLeft);
    histogram_->attachAxis(histogramLengths_);
    histogram_->attachAxis(histogramSteps_);
    chart->legend()->hide();
    layout->addWidget(histogram);

    auto* heading = new QLabel(tr("<b>Last run of each configuration</b>"));
    layout->addWidget(heading);
    auto* grid = new QGridLayout;
    grid->setSpacing(2);
    const QList<QPair<Chart, QString>> summaries = {
        {Chart::SummaryDecode, tr("decode tokens/s")},
        {Chart::SummaryPrompt, tr("prompt tokens/s")},
        {Chart::SummaryFirstToken, tr("time to first token (s)")},
        {Chart::SummaryPeakMemory, tr("peak memory (MiB)")},
    };
    for (int i = 0; i < summaries.size(); ++i) {
        QChartView* view = addView(summaries[i].first, summaries[i].second, 160);
        chart = view->chart();
        // One category: the configurations' bars stand side by side and the legend names them.
        auto* category = new QBarCategoryAxis;
        // (An empty category name breaks QBarSeries' layout: only one set is drawn.)
        category->append(tr("last run"));
        category->setLabelsVisible(false);
        category->setGridLineVisible(false);
        QValueAxis* values = valueAxis(QString(), "%g");
        chart->addAxis(category, Qt::AlignBottom);
        chart->addAxis(values, Qt::AlignLeft);
        QBarSeries* bars = summaryBars(chart);
        summary_.insert(summaries[i].first, bars);
        summaryAxis_.insert(summaries[i].first, values);
        grid->addWidget(view, i / 2, i % 2);
    }
    layout->addLayout(grid);
    layout->addStretch();
    dirty_ = All;
    refresh();
}

void PerformanceDock::markDirty(unsigned what) {
    dirty_ |= what;
    if (!timer_.isActive()) refresh();  // between runs nothing else would redraw
}

void PerformanceDock::beginRun(Configuration c, double memoryEstimateMiB) {
    data_.beginRun(c, memoryEstimateMiB);
    timer_.start();
    markDirty(All);
}

void PerformanceDock::addTokens(double elapsedSeconds, int count, int fromDraft) {
    data_.addTokens(elapsedSeconds, count, fromDraft);
    markDirty(fromDraft > 0 ? unsigned(Rates | Speculative) : unsigned(Rates));
}

void PerformanceDock::promptDone(double elapsedSeconds, double promptTokensPerSecond) {
    data_.promptDone(elapsedSeconds, promptTokensPerSecond);
    markDirty(Rates);
}

void PerformanceDock::addStep(double elapsedSeconds, int k, int drafted, int accepted, bool lookedUp) {
    data_.addStep(elapsedSeconds, k, drafted, accepted, lookedUp);
    markDirty(Speculative);
}

void PerformanceDock::addMemorySample(double elapsedSeconds, double residentMiB, double weightsMiB, double kvMiB) {
    data_.addMemorySample(elapsedSeconds, residentMiB, weightsMiB, kvMiB);
    markDirty(Memory);
}

void PerformanceDock::endRun(const MessageFigures& figures) {
    data_.endRun(figures);
    timer_.stop();
    markDirty(All);
}

void PerformanceDock::refresh() {
    if (dirty_ & Rates) redrawRates();
    if (dirty_ & Memory) redrawMemory();
    if (dirty_ & Speculative) redrawSpeculative();
    if (dirty_ & Summary) redrawSummary();
    dirty_ = 0;
}

void PerformanceDock::redrawRates() {
    QChart* chart = views_[Chart::TokensPerSecond]->chart();
    double xMax = 0, rateMax = 0, promptMax = 0;
    for (Configuration c : kConfigurations) {
        const QList<QPointF>& points = data_.decodeRate(c).points();
        const std::optional<QPointF> prompt = data_.promptPoint(c);
        if (!decode_.contains(c)) {
            if (points.isEmpty() && !prompt) continue;
            decode_[c] =
                addSeries<QLineSeries>(chart, configurationName(c), rateTime_, rateAxis_, configurationColor(c));
            QScatterSeries* marker = addSeries<QScatterSeries>(chart, tr("%1 prompt").arg(configurationName(c)),
                                                               rateTime_, promptAxis_, configurationColor(c));
            marker->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
            marker->setMarkerSize(9);
            marker->setBorderColor(Qt::white);
            hideFromLegend(chart, marker);
            prompt_[c] = marker;
        }
        decode_[c]->replace(points);
        prompt_[c]->replace(prompt ? QList<QPointF>{*prompt} : QList<QPointF>{});
        xMax = std::max({xMax, maxX(points), prompt ? prompt->x() : 0.0});
        rateMax = std::max(rateMax, maxY(points));
        promptMax = std::max(promptMax, prompt ? prompt->y() : 0.0);
    }
    setNiceRange(rateTime_, std::max(1.0, xMax));
    setNiceRange(rateAxis_, rateMax * 1.1);
    setNiceRange(promptAxis_, promptMax * 1.1);
}

void PerformanceDock::redrawMemory() {
    const QList<QPointF>& resident = data_.resident().points();
    resident_->replace(resident);
    weights_->replace(data_.weights().points());
    kv_->replace(data_.kvCache().points());
    const double estimate = data_.memoryEstimateMiB();
    setNiceRange(memoryTime_, std::max(1.0, maxX(resident)));
    const double xMax = memoryTime_->max();
    estimate_->replace(estimate > 0 ? QList<QPointF>{QPointF(0, estimate), QPointF(xMax, estimate)} : QList<QPointF>{});
    setNiceRange(memoryAxis_, std::max(maxY(resident), estimate) * 1.1);
    views_[Chart::Memory]->chart()->setTitle(tr("Memory (MiB) · %1").arg(configurationName(data_.configuration())));
}

void PerformanceDock::redrawSpeculative() {
    stepAcceptance_->replace(data_.stepAcceptance().points());
    smoothedAcceptance_->replace(data_.smoothedAcceptance().points());
    const QList<QPointF>& k = data_.draftLength().points();
    k_->replace(k);
    setNiceRange(acceptanceTime_, std::max(1.0, maxX(k)));
    setNiceRange(kAxis_, maxY(k) + 1);

    QString title = tr("Speculative decoding");
    if (data_.drafted() > 0) {
        title = tr("%1 · k = %2 · %3% accepted (%4/%5)")
                    .arg(configurationName(Configuration::Q4Spec))
                    .arg(data_.currentK())
                    .arg(100.0 * double(data_.accepted()) / double(data_.drafted()), 0, 'f', 0)
                    .arg(data_.accepted())
                    .arg(data_.drafted());
        const auto share = [&](qint64 tokens) {
            return QString::number(100.0 * double(tokens) / double(std::max<qint64>(1, data_.emittedTokens())), 'f', 0);
        };
        if (data_.currentK() == 0 && data_.lookedUpTokens() > 0)
            title += tr("<br>draft model paused · %1% of the output looked up").arg(share(data_.lookedUpTokens()));
        else if (data_.currentK() == 0)
            title += tr("<br>speculation paused: draft slower than target");
        else if (data_.lookedUpTokens() > 0)
            title += tr("<br>%1% of the output from drafts, %2% looked up")
                         .arg(share(data_.draftTokens()), share(data_.lookedUpTokens()));
        else if (data_.emittedTokens() > 0)
            title += tr("<br>%1% of the output came from the draft").arg(share(data_.draftTokens()));
    }
    views_[Chart::Acceptance]->chart()->setTitle(title);

    // The one bar set is updated in place.
    const QList<int>& counts = data_.acceptedHistogram();
    QBarSet* steps = histogram_->barSets().first();
    if (steps->count() > counts.size()) steps->remove(0, steps->count());
    QStringList lengths;
    int most = 0;
    for (int n = 0; n < counts.size(); ++n) {
        lengths << QString::number(n);
        if (n < steps->count())
            steps->replace(n, counts[n]);
        else
            steps->append(counts[n]);
        most = std::max(most, counts[n]);
    }
    histogramLengths_->setCategories(lengths);
    setNiceRange(histogramSteps_, most * 1.1);
}

void PerformanceDock::redrawSummary() {
    const QMap<Chart, double (*)(const MessageFigures&)> figure = {
        {Chart::SummaryDecode, [](const MessageFigures& f) { return f.decodeTokensPerSecond; }},
        {Chart::SummaryPrompt, [](const MessageFigures& f) { return f.promptTokensPerSecond; }},
        {Chart::SummaryFirstToken, [](const MessageFigures& f) { return f.timeToFirstTokenSeconds; }},
        {Chart::SummaryPeakMemory, [](const MessageFigures& f) { return double(f.peakResidentBytes) / kMiB; }},
    };
    for (auto it = summary_.begin(); it != summary_.end(); ++it) {
        QBarSeries* bars = *it;
        double most = 0;
        int i = 0;
        // Summaries only ever gain configurations, in the map's order, so set i is the i-th one's.
        for (auto run = data_.summaries().begin(); run != data_.summaries().end(); ++run, ++i) {
            const double value = figure[it.key()](*run);
            most = std::max(most, value);
            if (i < bars->count() && bars->barSets()[i]->label() == configurationName(run.key())) {
                bars->barSets()[i]->replace(0, value);
                continue;
            }
            // A child of the series, so that it is freed with it: in Qt Charts 6.4 insert(), unlike
            // append(), leaves the set without a parent (LeakSanitizer found every inserted set lost).
            auto* set = new QBarSet(configurationName(run.key()), bars);
            set->setColor(configurationColor(run.key()));
            set->setLabelColor(Qt::white);
            set->append(value);
            bars->insert(i, set);
        }
        // Short charts: more labels than this get elided.
        setNiceRange(summaryAxis_[it.key()], most * 1.1, 3);
    }
}

int PerformanceDock::pointCount(Chart c) const {
    int count = 0;
    for (QAbstractSeries* s : views_.value(c)->chart()->series()) {
        if (auto* xy = qobject_cast<QXYSeries*>(s)) count += xy->count();
        if (auto* bars = qobject_cast<QAbstractBarSeries*>(s))
            for (QBarSet* set : bars->barSets()) count += set->count();
    }
    return count;
}

bool PerformanceDock::exportPng(const QString& path, QString* error) const {
    return saveWidgetPng(*content_, path, error);
}

bool PerformanceDock::exportSvg(const QString& path, QString* error) const {
    return saveWidgetSvg(*content_, path, tr("q8chat performance"), error);
}

bool PerformanceDock::exportCsv(const QString& path, QString* error) const {
    return saveBytes(path, performanceCsv(data_), error);
}

bool PerformanceDock::exportJson(const QString& path, QString* error) const {
    return saveBytes(path, performanceJson(data_), error);
}

}  // namespace q8ui
