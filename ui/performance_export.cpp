#include "performance_export.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QVariant>

#include "file_export.h"

namespace q8ui {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

ExportedSeries series(const QString& chart, Configuration c, const QString& name, const QList<QPointF>& points) {
    return ExportedSeries{chart, configurationName(c), name, points};
}

// The figures of one run, under the keys of docs/metrics.md (numbers only; sampling apart).
QList<QPair<QString, double>> summaryFigures(const MessageFigures& f) {
    return {
        {"decode_tokens_per_s", f.decodeTokensPerSecond},
        {"prompt_tokens_per_s", f.promptTokensPerSecond},
        {"time_to_first_token_s", f.timeToFirstTokenSeconds},
        {"peak_resident_mib", double(f.peakResidentBytes) / kMiB},
        {"peak_resident_bytes", double(f.peakResidentBytes)},
        {"prompt_tokens", double(f.promptTokens)},
        {"generated_tokens", double(f.generatedTokens)},
        {"drafted", double(f.drafted)},
        {"accepted", double(f.accepted)},
        {"acceptance_rate", f.acceptanceRate()},
    };
}

// The record's fields as CSV rows: "model.name" for a nested field.
void flattenRecord(const QJsonObject& object, const QString& prefix, QList<QPair<QString, QString>>& out) {
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString key = prefix + it.key();
        if (it->isObject()) {
            flattenRecord(it->toObject(), key + '.', out);
        } else if (!it->isNull()) {
            out.append({key, it->isString() ? it->toString() : it->toVariant().toString()});
        }
    }
}

QString number(double v) { return QString::number(v, 'g', 10); }

}  // namespace

QList<ExportedSeries> exportedSeries(const PerformanceData& data) {
    QList<ExportedSeries> out;
    for (Configuration c : data.ratedConfigurations()) {
        out.append(series("tokens_per_s", c, configurationName(c), data.decodeRate(c).points()));
        if (auto p = data.promptPoint(c)) out.append(series("tokens_per_s", c, configurationName(c) + " prompt", {*p}));
    }
    const Configuration run = data.configuration();
    out.append(series("memory_mib", run, "resident", data.resident().points()));
    out.append(series("memory_mib", run, "weights", data.weights().points()));
    out.append(series("memory_mib", run, "KV cache", data.kvCache().points()));
    const QList<QPointF>& r = data.resident().points();
    if (!r.isEmpty() && data.memoryEstimateMiB() > 0)
        out.append(series(
            "memory_mib", run, "estimate (before load)",
            {QPointF(r.first().x(), data.memoryEstimateMiB()), QPointF(r.last().x(), data.memoryEstimateMiB())}));
    const Configuration spec = Configuration::Q4Spec;
    out.append(series("acceptance", spec, "per step", data.stepAcceptance().points()));
    out.append(series("acceptance", spec, QString("%1 s window").arg(PerformanceData::kWindowSeconds),
                      data.smoothedAcceptance().points()));
    out.append(series("acceptance", spec, "k", data.draftLength().points()));
    QList<QPointF> histogram;
    for (int n = 0; n < data.acceptedHistogram().size(); ++n) histogram.append(QPointF(n, data.acceptedHistogram()[n]));
    out.append(series("accepted_histogram", spec, "steps", histogram));
    return out;
}

QByteArray performanceCsv(const PerformanceData& data) {
    QString csv = QStringLiteral("chart,configuration,series,x,y\n");
    for (const ExportedSeries& s : exportedSeries(data))
        for (const QPointF& p : s.points)
            csv +=
                QStringList{s.chart, s.configuration, csvField(s.name), number(p.x()), number(p.y())}.join(',') + '\n';
    for (auto it = data.summaries().begin(); it != data.summaries().end(); ++it) {
        const QString name = configurationName(it.key());
        for (const auto& [key, value] : summaryFigures(*it))
            csv += QStringList{"summary", name, key, QString(), number(value)}.join(',') + '\n';
        csv += QStringList{"summary", name, "sampling", QString(), csvField(it->sampling)}.join(',') + '\n';
        QList<QPair<QString, QString>> record;
        flattenRecord(it->record, QStringLiteral("record."), record);
        for (const auto& [key, value] : record)
            csv += QStringList{"summary", name, key, QString(), csvField(value)}.join(',') + '\n';
    }
    return csv.toUtf8();
}

QByteArray performanceJson(const PerformanceData& data) {
    QJsonArray charts;
    for (const ExportedSeries& s : exportedSeries(data)) {
        QJsonArray points;
        for (const QPointF& p : s.points) points.append(QJsonArray{p.x(), p.y()});
        charts.append(QJsonObject{
            {"chart", s.chart}, {"configuration", s.configuration}, {"series", s.name}, {"points", points}});
    }
    QJsonObject summary;
    for (auto it = data.summaries().begin(); it != data.summaries().end(); ++it) {
        QJsonObject figures;
        for (const auto& [key, value] : summaryFigures(*it)) figures.insert(key, value);
        figures.insert("sampling", it->sampling);
        figures.insert("record", it->record);
        summary.insert(configurationName(it.key()), figures);
    }
    const QJsonObject root{
        {"window_s", PerformanceData::kWindowSeconds},
        {"rate_sample_s", PerformanceData::kSampleSeconds},
        {"memory_estimate_mib", data.memoryEstimateMiB()},
        {"series", charts},
        {"summary", summary},
    };
    return QJsonDocument(root).toJson(QJsonDocument::Indented);
}

}  // namespace q8ui
