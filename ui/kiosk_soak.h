#pragma once
// q8chat --kiosk --soak SECONDS: while the attract loop runs, samples resident memory and decode
// tokens/s once a second and records every demo answer and error; when the time is up it
// has a JSON report (format "q8chat.kiosk-soak", version 1) for long-run checks of memory growth
// and speed.
#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QTimer>
#include <QVector>

#include "chat_types.h"
#include "kiosk_controller.h"

namespace q8ui {

class MainWindow;

class KioskSoak : public QObject {
    Q_OBJECT
public:
    KioskSoak(KioskController& kiosk, const MainWindow& window, double seconds, int sampleMs = 1000,
              QObject* parent = nullptr);

    void start();
    QJsonObject report() const;

signals:
    void finished();  // the time is up; report() holds everything

private:
    struct Sample {
        double t;
        double residentMiB;
        double tokensPerSecond;  // decode: live while an answer streams, else the last answer's
        bool live;
        Configuration configuration;
        KioskController::State state;
    };
    struct Run {
        double t;
        int prompt;
        Configuration configuration;
        MessageFigures figures;
    };
    struct Error {
        double t;
        QString message;
    };

    void sample();
    double now() const { return double(clock_.elapsed()) / 1000.0; }

    KioskController& kiosk_;
    const MainWindow& window_;
    double seconds_;
    QElapsedTimer clock_;
    QTimer sampler_;
    QTimer end_;
    QVector<Sample> samples_;  // compact: a soak of days keeps hundreds of thousands
    QVector<Run> runs_;
    QVector<Error> errors_;
};

// Writes the report to `path`, or to stdout when it is empty. False with *error set on failure.
bool writeSoakReport(const QJsonObject& report, const QString& path, QString* error);

}  // namespace q8ui
