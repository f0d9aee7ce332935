// The performance dock fed as the window feeds it (offscreen): every chart shows what it was fed,
// series stay bounded yet span the whole run evenly, the smoothed rate reads the true rate,
// acceptance and its histogram match the steps, the summary keeps the last run of each
// configuration, and the exports hold the same figures.
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineSeries>
#include <QScatterSeries>
#include <QTemporaryDir>
#include <QValueAxis>
#include <QtTest>

#include "performance_dock.h"
#include "point_buffer.h"

using namespace q8ui;
using Chart = PerformanceDock::Chart;

namespace {

template <typename Series>
Series* seriesNamed(PerformanceDock& dock, Chart c, const QString& name) {
    for (QAbstractSeries* s : dock.chartView(c)->chart()->series())
        if (s->name() == name) return qobject_cast<Series*>(s);
    return nullptr;
}

MessageFigures figures(Configuration c, double decode, double prompt, double ttft, qint64 peakMiB) {
    MessageFigures f;
    f.configuration = configurationName(c);
    f.decodeTokensPerSecond = decode;
    f.promptTokensPerSecond = prompt;
    f.timeToFirstTokenSeconds = ttft;
    f.peakResidentBytes = peakMiB << 20;
    f.generatedTokens = 100;
    f.promptTokens = 40;
    f.sampling = "greedy";
    f.record = QJsonObject{{"cpu_model", "Test CPU, 2 cores"},
                           {"configuration", configurationName(c).toLower()},
                           {"model", QJsonObject{{"name", "m.gguf"}, {"bytes", 1234}, {"xxh3", "00000000deadbeef"}}},
                           {"draft", QJsonValue::Null}};
    return f;
}

// Steady plain decoding: one token every 1/rate s from `start`.
void feedSteady(PerformanceDock& dock, int tokens, double start, double rate) {
    for (int i = 0; i < tokens; ++i) dock.addTokens(start + i / rate, 1, 0);
}

// Steps of k = 4 keeping `accepted[i]` tokens each, every 0.05 s; the tokens of a step arrive
// together (accepted ones from the draft, plus the target's own).
void feedSpeculative(PerformanceDock& dock, const QList<int>& accepted) {
    for (int i = 0; i < accepted.size(); ++i) {
        const double t = 0.2 + 0.05 * i;
        dock.addStep(t, 4, 4, accepted[i], false);
        dock.addTokens(t, accepted[i] + 1, accepted[i]);
    }
}

QList<int> acceptancePattern(int steps) {
    const QList<int> cycle = {4, 2, 0, 4, 3, 1, 4, 4};
    QList<int> out;
    for (int i = 0; i < steps; ++i) out.append(cycle[i % cycle.size()]);
    return out;
}

// A complete speculative run with memory samples, as the window would feed it.
void feedSyntheticRun(PerformanceDock& dock) {
    dock.beginRun(Configuration::Q4Spec, 820);
    for (int i = 0; i <= 20; ++i) dock.addMemorySample(0.1 * i, 700 + i, 600, 20 + i);
    dock.promptDone(0.15, 900);
    feedSpeculative(dock, acceptancePattern(40));
    dock.endRun(figures(Configuration::Q4Spec, 95, 900, 0.2, 760));
}

}  // namespace

class TestPerformanceDock : public QObject {
    Q_OBJECT
private slots:
    void syntheticRunFillsEveryChart();
    void redrawsWhileRunning();
    void pointBufferDecimatesEvenly();
    void longRunStaysBoundedAndSpansTheRun();
    void steadyRateReadsTheRate();
    void burstsReadTheirMeanRate();
    void acceptanceAndHistogramMatchSteps();
    void lookedUpDraftsAreNamed();
    void summaryKeepsLastRunOfEachConfiguration();
    void exportsHoldWhatWasFed();
    void exportFailureSaysWhy();
};

void TestPerformanceDock::syntheticRunFillsEveryChart() {
    PerformanceDock dock;
    feedSyntheticRun(dock);
    for (Chart c : {Chart::TokensPerSecond, Chart::Memory, Chart::Acceptance, Chart::AcceptedHistogram,
                    Chart::SummaryDecode, Chart::SummaryPrompt, Chart::SummaryFirstToken, Chart::SummaryPeakMemory})
        QVERIFY2(dock.pointCount(c) > 0, qPrintable(QString::number(int(c))));

    auto* decode = seriesNamed<QLineSeries>(dock, Chart::TokensPerSecond, "Q4+spec");
    QVERIFY(decode);
    QVERIFY(decode->count() > 10);
    auto* prompt = seriesNamed<QScatterSeries>(dock, Chart::TokensPerSecond, "Q4+spec prompt");
    QVERIFY(prompt);
    QCOMPARE(prompt->count(), 1);
    QCOMPARE(prompt->at(0), QPointF(0.15, 900));
    // Prompt evaluation sits on its own axis, never averaged into decode.
    QVERIFY(prompt->attachedAxes() != decode->attachedAxes());
    const auto vertical = dock.chartView(Chart::TokensPerSecond)->chart()->axes(Qt::Vertical, decode);
    QCOMPARE(vertical.size(), 1);
    QCOMPARE(vertical.first()->titleText(), QString("tokens/s (0.5 s window)"));

    QCOMPARE(seriesNamed<QLineSeries>(dock, Chart::Memory, "resident")->count(), 21);
    QCOMPARE(seriesNamed<QLineSeries>(dock, Chart::Memory, "weights")->at(3), QPointF(0.3, 600));
    QCOMPARE(seriesNamed<QLineSeries>(dock, Chart::Memory, "KV cache")->at(20), QPointF(2.0, 40));
    // Weights and KV cache of nearly equal size stay visible: a wide band under a thin line.
    const auto* weights = seriesNamed<QLineSeries>(dock, Chart::Memory, "weights");
    const auto* kv = seriesNamed<QLineSeries>(dock, Chart::Memory, "KV cache");
    QVERIFY(weights->pen().widthF() >= 2 * kv->pen().widthF());
    const QList<QAbstractSeries*> drawn = dock.chartView(Chart::Memory)->chart()->series();
    QVERIFY(drawn.indexOf(const_cast<QLineSeries*>(kv)) > drawn.indexOf(const_cast<QLineSeries*>(weights)));
    auto* estimate = seriesNamed<QLineSeries>(dock, Chart::Memory, "estimate (before load)");
    QCOMPARE(estimate->count(), 2);
    QCOMPARE(estimate->at(0).y(), 820.0);
    QCOMPARE(estimate->pen().style(), Qt::DashLine);
}

void TestPerformanceDock::redrawsWhileRunning() {
    QVERIFY(PerformanceDock::kRefreshMs <= 200);  // at least 5 redraws a second
    PerformanceDock dock;
    dock.beginRun(Configuration::Q8, 0);
    feedSteady(dock, 100, 0.1, 100);
    dock.addMemorySample(0.5, 500, 400, 10);
    // Feeding only buffers; the timer draws it without an explicit refresh.
    QTRY_VERIFY_WITH_TIMEOUT(dock.pointCount(Chart::TokensPerSecond) > 0, 1000);
    QTRY_VERIFY_WITH_TIMEOUT(dock.pointCount(Chart::Memory) > 0, 1000);
    QVERIFY(dock.data().running());
}

void TestPerformanceDock::pointBufferDecimatesEvenly() {
    PointBuffer buffer(600);
    for (int i = 0; i < 10000; ++i) buffer.add(QPointF(i, i));
    const QList<QPointF>& p = buffer.points();
    QVERIFY(p.size() <= 600);
    QVERIFY(p.size() >= 300);
    QCOMPARE(p.first().x(), 0.0);
    for (int j = 1; j < p.size(); ++j) QCOMPARE(p[j].x() - p[j - 1].x(), double(buffer.stride()));
    QVERIFY(p.last().x() > 10000 - buffer.stride() - 1);
}

void TestPerformanceDock::longRunStaysBoundedAndSpansTheRun() {
    PerformanceDock dock;
    dock.beginRun(Configuration::Q4, 0);
    const double start = 0.3, rate = 100;
    feedSteady(dock, 10000, start, rate);  // 100 s of decoding, one call per token
    for (int i = 0; i < 10000; ++i) dock.addMemorySample(0.01 * i, 600, 500, 10 + 0.001 * i);
    dock.endRun(figures(Configuration::Q4, 100, 800, 0.3, 620));

    auto* decode = seriesNamed<QLineSeries>(dock, Chart::TokensPerSecond, "Q4");
    const QList<QPointF> points = decode->points();
    QVERIFY2(points.size() <= PointBuffer::kDefaultCapacity, qPrintable(QString::number(points.size())));
    QVERIFY(points.size() >= PointBuffer::kDefaultCapacity / 2);
    const double end = start + 9999 / rate;
    const double spacing = points[1].x() - points[0].x();
    QVERIFY(points.first().x() < start + spacing + 1e-9);
    QVERIFY(points.last().x() > end - spacing - 1e-9);
    for (int j = 1; j < points.size(); ++j) QVERIFY(qAbs(points[j].x() - points[j - 1].x() - spacing) < 1e-6);

    QVERIFY(dock.pointCount(Chart::Memory) <= 3 * PointBuffer::kDefaultCapacity + 2);
    const QList<QPointF> resident = seriesNamed<QLineSeries>(dock, Chart::Memory, "resident")->points();
    QCOMPARE(resident.first().x(), 0.0);
    QVERIFY(resident.last().x() > 99.0);
}

void TestPerformanceDock::steadyRateReadsTheRate() {
    PerformanceDock dock;
    dock.beginRun(Configuration::Fp16, 0);
    feedSteady(dock, 1000, 0.25, 100);
    dock.endRun(figures(Configuration::Fp16, 100, 500, 0.25, 600));
    const QList<QPointF> points = seriesNamed<QLineSeries>(dock, Chart::TokensPerSecond, "FP16")->points();
    QVERIFY(points.size() > 50);
    for (const QPointF& p : points) QVERIFY2(qAbs(p.y() - 100) <= 3, qPrintable(QString::number(p.y())));
}

void TestPerformanceDock::burstsReadTheirMeanRate() {
    // Speculative output: 5 tokens at once every 0.05 s is 100 tokens/s, not spikes and gaps.
    PerformanceDock dock;
    dock.beginRun(Configuration::Q4Spec, 0);
    for (int i = 0; i < 200; ++i) dock.addTokens(0.225 + 0.05 * i, 5, 4);
    dock.endRun(figures(Configuration::Q4Spec, 100, 500, 0.23, 600));
    const QList<QPointF> points = seriesNamed<QLineSeries>(dock, Chart::TokensPerSecond, "Q4+spec")->points();
    QVERIFY(points.size() > 50);
    for (const QPointF& p : points)
        // Once the first burst has left the window.
        if (p.x() > 0.225 + PerformanceData::kWindowSeconds + 0.01)
            QVERIFY2(qAbs(p.y() - 100) <= 1, qPrintable(QString::number(p.y())));
    QCOMPARE(dock.data().draftTokens(), 800);
    QCOMPARE(dock.data().emittedTokens(), 1000);
}

void TestPerformanceDock::acceptanceAndHistogramMatchSteps() {
    PerformanceDock dock;
    dock.beginRun(Configuration::Q4Spec, 0);
    const QList<int> accepted = acceptancePattern(40);
    feedSpeculative(dock, accepted);
    dock.endRun(figures(Configuration::Q4Spec, 90, 700, 0.2, 640));

    auto* perStep = seriesNamed<QScatterSeries>(dock, Chart::Acceptance, "per step");
    QCOMPARE(perStep->count(), accepted.size());
    for (int i = 0; i < accepted.size(); ++i) {
        QCOMPARE(perStep->at(i).x(), 0.2 + 0.05 * i);
        QCOMPARE(perStep->at(i).y(), accepted[i] / 4.0);
    }
    // The window holds the last 10 steps (0.5 s at 0.05 s each): accepted ÷ drafted over them.
    auto* smoothed = seriesNamed<QLineSeries>(dock, Chart::Acceptance, "0.5 s window");
    QCOMPARE(smoothed->count(), accepted.size());
    const int last = accepted.size() - 1;
    int kept = 0, steps = 0;
    for (int i = 0; i < accepted.size(); ++i)
        if (0.2 + 0.05 * i > 0.2 + 0.05 * last - PerformanceData::kWindowSeconds) kept += accepted[i], ++steps;
    QVERIFY(qAbs(smoothed->at(last).y() - kept / (4.0 * steps)) < 1e-9);
    QCOMPARE(seriesNamed<QLineSeries>(dock, Chart::Acceptance, "k")->at(last).y(), 4.0);

    int total = 0;
    for (int a : accepted) total += a;
    const QString title = dock.chartView(Chart::Acceptance)->chart()->title();
    QVERIFY2(title.contains("k = 4"), qPrintable(title));
    QVERIFY2(title.contains(QString("(%1/%2)").arg(total).arg(4 * accepted.size())), qPrintable(title));

    auto* histogram = qobject_cast<QBarSeries*>(dock.chartView(Chart::AcceptedHistogram)->chart()->series().first());
    QCOMPARE(histogram->count(), 1);
    QBarSet* set = histogram->barSets().first();
    QCOMPARE(set->count(), 5);  // 0..4 accepted
    for (int n = 0; n <= 4; ++n) QCOMPARE(int(set->at(n)), int(accepted.count(n)));
}

// Drafts looked up in the text count as drafts, are named apart from the draft model's, and do not
// hide that the draft model itself is paused.
void TestPerformanceDock::lookedUpDraftsAreNamed() {
    PerformanceDock dock;
    dock.beginRun(Configuration::Q4Spec, 0);
    dock.addStep(0.1, 4, 4, 2, false);  // the draft model: 2 of 4
    dock.addTokens(0.1, 3, 2);
    dock.addStep(0.2, 6, 6, 5, true);  // a lookup: 5 of 6
    dock.addTokens(0.2, 6, 5);
    dock.endRun(figures(Configuration::Q4Spec, 90, 700, 0.2, 640));
    QCOMPARE(dock.data().lookedUpTokens(), 5);
    QCOMPARE(dock.data().currentK(), 4);
    QString title = dock.chartView(Chart::Acceptance)->chart()->title();
    QVERIFY2(title.contains("k = 4 · 70% accepted (7/10)"), qPrintable(title));
    QVERIFY2(title.contains("78% of the output from drafts, 56% looked up"), qPrintable(title));

    dock.beginRun(Configuration::Q4Spec, 0);
    dock.addStep(0.1, 0, 0, 0, false);  // the draft model paused: a plain step
    dock.addTokens(0.1, 1, 0);
    dock.addStep(0.2, 3, 3, 3, true);
    dock.addTokens(0.2, 4, 3);
    dock.endRun(figures(Configuration::Q4Spec, 90, 700, 0.2, 640));
    title = dock.chartView(Chart::Acceptance)->chart()->title();
    QVERIFY2(title.contains("draft model paused · 60% of the output looked up"), qPrintable(title));
}

void TestPerformanceDock::summaryKeepsLastRunOfEachConfiguration() {
    PerformanceDock dock;
    const auto run = [&](Configuration c, double decode, double prompt, double ttft, qint64 peak) {
        dock.beginRun(c, 0);
        feedSteady(dock, 20, 0.1, decode);
        dock.endRun(figures(c, decode, prompt, ttft, peak));
    };
    run(Configuration::Fp16, 10, 100, 0.9, 2100);
    run(Configuration::Q4, 40, 400, 0.3, 700);
    run(Configuration::Q8, 25, 250, 0.5, 1200);
    run(Configuration::Q4, 45, 420, 0.25, 710);  // replaces the first Q4 run

    const QMap<Chart, QList<QPair<QString, double>>> expected = {
        {Chart::SummaryDecode, {{"FP16", 10}, {"Q8", 25}, {"Q4", 45}}},
        {Chart::SummaryPrompt, {{"FP16", 100}, {"Q8", 250}, {"Q4", 420}}},
        {Chart::SummaryFirstToken, {{"FP16", 0.9}, {"Q8", 0.5}, {"Q4", 0.25}}},
        {Chart::SummaryPeakMemory, {{"FP16", 2100}, {"Q8", 1200}, {"Q4", 710}}},
    };
    for (auto it = expected.begin(); it != expected.end(); ++it) {
        auto* bars = qobject_cast<QBarSeries*>(dock.chartView(it.key())->chart()->series().first());
        QCOMPARE(bars->count(), it->size());
        for (int i = 0; i < it->size(); ++i) {
            QCOMPARE(bars->barSets()[i]->label(), (*it)[i].first);
            QCOMPARE(bars->barSets()[i]->at(0), (*it)[i].second);
        }
    }
    // Each configuration that ran keeps its own decode line.
    for (const char* name : {"FP16", "Q8", "Q4"}) QVERIFY(seriesNamed<QLineSeries>(dock, Chart::TokensPerSecond, name));
    QVERIFY(!seriesNamed<QLineSeries>(dock, Chart::TokensPerSecond, "Q4+spec"));
}

void TestPerformanceDock::exportsHoldWhatWasFed() {
    PerformanceDock dock;
    dock.resize(420, 1200);
    dock.show();  // fed while on show, as in the window
    QVERIFY(QTest::qWaitForWindowExposed(&dock));
    dock.beginRun(Configuration::Q4, 700);
    feedSteady(dock, 200, 0.2, 50);
    for (int i = 0; i <= 40; ++i) dock.addMemorySample(0.1 * i, 650 + i, 600, 10 + i);
    dock.promptDone(0.2, 600);
    dock.endRun(figures(Configuration::Q4, 50, 600, 0.2, 690));
    feedSyntheticRun(dock);

    QTemporaryDir dir;
    QString error;
    const QString png = dir.filePath("charts.png");
    QVERIFY2(dock.exportPng(png, &error), qPrintable(error));
    QImage image(png);
    QVERIFY(!image.isNull());
    QVERIFY(image.width() >= 300 && image.height() >= 600);
    const QString svgPath = dir.filePath("charts.svg");
    QVERIFY2(dock.exportSvg(svgPath, &error), qPrintable(error));
    QFile svg(svgPath);
    QVERIFY(svg.open(QIODevice::ReadOnly));
    const QByteArray svgText = svg.readAll();
    QVERIFY(svgText.contains("<svg"));
    QVERIFY(svgText.contains("<polyline") || svgText.contains("<path"));  // the charts' lines as vectors

    const QString csvPath = dir.filePath("data.csv");
    QVERIFY2(dock.exportCsv(csvPath, &error), qPrintable(error));
    QFile csv(csvPath);
    QVERIFY(csv.open(QIODevice::ReadOnly));
    const QStringList lines = QString::fromUtf8(csv.readAll()).split('\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.first(), QString("chart,configuration,series,x,y"));
    QVERIFY(lines.contains("tokens_per_s,Q4,Q4 prompt,0.2,600"));
    QVERIFY(lines.contains("memory_mib,Q4+spec,resident,2,720"));
    QVERIFY(lines.contains("summary,Q4,decode_tokens_per_s,,50"));
    QVERIFY(lines.contains("summary,Q4+spec,peak_resident_mib,,760"));
    QVERIFY(lines.contains("summary,Q4+spec,sampling,,greedy"));
    // Each summary keeps the record of the run it came from, quoted where it holds a comma.
    QVERIFY(lines.contains("summary,Q4,record.cpu_model,,\"Test CPU, 2 cores\""));
    QVERIFY(lines.contains("summary,Q4,record.model.xxh3,,00000000deadbeef"));
    QVERIFY(lines.contains("summary,Q4+spec,record.configuration,,q4+spec"));
    const int decodeRows = int(std::count_if(lines.begin(), lines.end(),
                                             [](const QString& l) { return l.startsWith("tokens_per_s,Q4,Q4,"); }));
    QCOMPARE(decodeRows, int(dock.data().decodeRate(Configuration::Q4).points().size()));

    const QString jsonPath = dir.filePath("data.json");
    QVERIFY2(dock.exportJson(jsonPath, &error), qPrintable(error));
    QFile jsonFile(jsonPath);
    QVERIFY(jsonFile.open(QIODevice::ReadOnly));
    const QJsonObject root = QJsonDocument::fromJson(jsonFile.readAll()).object();
    QCOMPARE(root["window_s"].toDouble(), 0.5);
    const QJsonObject q4 = root["summary"].toObject()["Q4"].toObject();
    QCOMPARE(q4["decode_tokens_per_s"].toDouble(), 50.0);
    QCOMPARE(q4["prompt_tokens_per_s"].toDouble(), 600.0);
    QCOMPARE(q4["time_to_first_token_s"].toDouble(), 0.2);
    QCOMPARE(q4["peak_resident_mib"].toDouble(), 690.0);
    QCOMPARE(q4["record"].toObject()["model"].toObject()["bytes"].toInt(), 1234);
    QCOMPARE(root["summary"].toObject()["Q4+spec"].toObject()["decode_tokens_per_s"].toDouble(), 95.0);
    bool sawHistogram = false;
    for (const QJsonValue& v : root["series"].toArray()) {
        const QJsonObject s = v.toObject();
        if (s["chart"].toString() == "accepted_histogram") {
            sawHistogram = true;
            const QJsonArray points = s["points"].toArray();
            QCOMPARE(points.size(), dock.data().acceptedHistogram().size());
            for (int n = 0; n < points.size(); ++n)
                QCOMPARE(points[n].toArray()[1].toInt(), dock.data().acceptedHistogram()[n]);
        }
        if (s["chart"].toString() == "tokens_per_s" && s["series"].toString() == "Q4")
            QCOMPARE(s["points"].toArray().size(), dock.data().decodeRate(Configuration::Q4).points().size());
    }
    QVERIFY(sawHistogram);
}

void TestPerformanceDock::exportFailureSaysWhy() {
    PerformanceDock dock;
    const QString path = "/nonexistent-q8-dir/out";
    for (auto write : {&PerformanceDock::exportPng, &PerformanceDock::exportSvg, &PerformanceDock::exportCsv,
                       &PerformanceDock::exportJson}) {
        QString error;
        QVERIFY(!(dock.*write)(path, &error));
        QVERIFY2(error.contains(path), qPrintable(error));
    }
}

QTEST_MAIN(TestPerformanceDock)
#include "test_performance_dock.moc"
