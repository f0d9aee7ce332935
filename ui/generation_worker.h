#pragma once
// Owns the model and session on a worker thread and runs generation there, so the window never
// blocks. Requests arrive as queued slot calls; tokens leave as queued signals. Stop raises an
// atomic flag the engine checks between layers, so it acts within one layer's time.
#include <QObject>
#include <QString>
#include <atomic>
#include <memory>

#include <q8/engine.h>

namespace q8ui {

class GenerationWorker : public QObject {
    Q_OBJECT
public:
    explicit GenerationWorker(QObject* parent = nullptr);
    ~GenerationWorker() override;

    // Thread-safe: may be called from the GUI thread while a generation runs. armForRequest() is
    // called before a request is queued, so a Stop pressed before the worker picks it up still
    // counts.
    void requestStop() { cancel_.store(true); }
    void armForRequest() { cancel_.store(false); }

public slots:
    void loadModel(const QString& path);
    void generate(const QString& prompt, int maxTokens);

signals:
    void modelLoaded(const QString& description);
    void tokenReady(const QString& text);
    void finished(const QString& summary, double decodeTokensPerSecond, double residentMiB);
    void failed(const QString& message);

private:
    std::unique_ptr<q8::Session> session_;
    std::atomic<bool> cancel_{false};
};

}  // namespace q8ui
