#include "kiosk_soak.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QSaveFile>
#include <cmath>
#include <cstdio>

#include <q8/system.h>

#include "main_window.h"
#include "performance_dock.h"

namespace q8ui {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

QString stateName(KioskController::State s) {
    switch (s) {
    case KioskController::State::Loading: return "loading";
    case KioskController::State::Answering: return "answering";
    case KioskController::State::Showing: return "showing";
    case KioskController::State::Error: return "error";
    case KioskController::State::Visitor: return "visitor";
    }
    return {};
}

double rounded(double v, int decimals = 2) {
    const double scale = std::pow(10.0, decimals);
    return std::round(v * scale) / scale;
}

}  // namespace

KioskSoak::KioskSoak(KioskController& kiosk, const MainWindow& window, double seconds, int sampleMs, QObject* parent)
    : QObject(parent), kiosk_(kiosk), window_(window), seconds_(seconds) {
    sampler_.setInterval(sampleMs);
    connect(&sampler_, &QTimer::timeout, this, &KioskSoak::sample);
    end_.setSingleShot(true);
    connect(&end_, &QTimer::timeout, this, [this] {
        sampler_.stop();
        sample();
        emit finished();
    });
    connect(&kiosk_, &KioskController::runFinished, this, [this](int prompt, Configuration c, const MessageFigures& f) {
        runs_.push_back({now(), prompt, c, f});
    });
    connect(&kiosk_, &KioskController::errorShown, this, [this](const QString& message) {
        errors_.push_back({now(), message});
    });
}

void KioskSoak::start() {
    clock_.start();
    sample();
    sampler_.start();
    end_.start(int(seconds_ * 1000));
}

void KioskSoak::sample() {
    const PerformanceData& data = window_.performanceDock()->data();
    const Configuration c = window_.loadedModel().configuration;
    // What the headline shows: the live rate while an answer streams, else the configuration's last
    // answer's (answers on the built-in pair last well under a second).
    const bool live = data.running() && data.configuration() == c && !data.decodeRate(c).points().isEmpty();
    const double rate = live ? data.decodeRate(c).points().last().y() : data.summaries().value(c).decodeTokensPerSecond;
    samples_.push_back({now(), double(q8::resident_memory_bytes()) / kMiB, rate, live, c, kiosk_.state()});
}

QJsonObject KioskSoak::report() const {
    QJsonArray samples;
    double first = 0, last = 0, most = 0;
    for (const Sample& s : samples_) {
        samples.append(QJsonObject{{"t_s", rounded(s.t)},
                                   {"resident_mib", rounded(s.residentMiB, 1)},
                                   {"decode_tokens_per_s", rounded(s.tokensPerSecond, 1)},
                                   {"live", s.live},
                                   {"configuration", configurationName(s.configuration)},
                                   {"state", stateName(s.state)}});
        if (samples.size() == 1) first = s.residentMiB;
        last = s.residentMiB;
        most = std::max(most, s.residentMiB);
    }
    QJsonArray runs;
    QMap<QString, QPair<double, int>> perConfiguration;  // sum of decode tokens/s, runs
    for (const Run& r : runs_) {
        const QString name = configurationName(r.configuration);
        runs.append(QJsonObject{{"t_s", rounded(r.t)},
                                {"prompt", r.prompt + 1},
                                {"configuration", name},
                                {"decode_tokens_per_s", rounded(r.figures.decodeTokensPerSecond, 1)},
                                {"prompt_tokens_per_s", rounded(r.figures.promptTokensPerSecond, 1)},
                                {"generated_tokens", r.figures.generatedTokens},
                                {"peak_resident_mib", rounded(double(r.figures.peakResidentBytes) / kMiB, 1)}});
        perConfiguration[name].first += r.figures.decodeTokensPerSecond;
        perConfiguration[name].second += 1;
    }
    QJsonObject meanDecode;
    for (auto it = perConfiguration.begin(); it != perConfiguration.end(); ++it)
        meanDecode[it.key()] = rounded(it->first / it->second, 1);
    QJsonArray errors;
    for (const Error& e : errors_) errors.append(QJsonObject{{"t_s", rounded(e.t)}, {"message", e.message}});
    return QJsonObject{
        {"format", "q8chat.kiosk-soak"},
        {"version", 1},
        {"seconds", seconds_},
        {"model", window_.loadedModel().path},
        {"samples", samples},
        {"runs", runs},
        {"errors", errors},
        {"summary", QJsonObject{{"resident_mib_first", rounded(first, 1)},
                                {"resident_mib_last", rounded(last, 1)},
                                {"resident_mib_max", rounded(most, 1)},
                                {"runs", runs.size()},
                                {"errors", errors.size()},
                                {"mean_decode_tokens_per_s", meanDecode}}},
    };
}

bool writeSoakReport(const QJsonObject& report, const QString& path, QString* error) {
    const QByteArray json = QJsonDocument(report).toJson(QJsonDocument::Indented);
    if (path.isEmpty()) {
        QFile out;
        if (!out.open(stdout, QIODevice::WriteOnly) || out.write(json) != json.size() || !out.flush()) {
            *error = QString("could not write the report to stdout: %1").arg(out.errorString());
            return false;
        }
        return true;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(json) != json.size() || !file.commit()) {
        *error = QString("could not write %1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

}  // namespace q8ui
