#pragma once
// The performance dock's data as files: every series' points and the summary figures of the last
// run of each configuration, as CSV (one row per value) and JSON (keys as in docs/metrics.md).
#include <QByteArray>
#include <QList>
#include <QPointF>
#include <QString>

#include "performance_data.h"

namespace q8ui {

// One drawn series, named as the dock names it.
struct ExportedSeries {
    QString chart;          // "tokens_per_s", "memory_mib", "acceptance", "accepted_histogram"
    QString configuration;  // configurationName() of the run it belongs to
    QString name;           // the series' legend name
    QList<QPointF> points;
};

QList<ExportedSeries> exportedSeries(const PerformanceData& data);

// Header chart,configuration,series,x,y; summary rows have chart "summary", the figure's key as
// series and no x.
QByteArray performanceCsv(const PerformanceData& data);
QByteArray performanceJson(const PerformanceData& data);

}  // namespace q8ui
