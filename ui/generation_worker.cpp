#include "generation_worker.h"

#include <spdlog/spdlog.h>

namespace q8ui {

GenerationWorker::GenerationWorker(QObject* parent) : QObject(parent) {}
GenerationWorker::~GenerationWorker() = default;

void GenerationWorker::loadModel(const QString& path) {
    try {
        session_.reset();
        session_ = std::make_unique<q8::Session>(q8::load_model(path.toStdString()));
        const q8::ModelInfo info = session_->info();
        emit modelLoaded(QString("%1 (%2, %3 layers, %4 MiB)")
                             .arg(QString::fromStdString(info.name), QString::fromStdString(info.architecture))
                             .arg(info.n_layer)
                             .arg(double(info.weight_bytes) / (1 << 20), 0, 'f', 0));
    } catch (const q8::EngineError& e) {
        emit failed(QString::fromStdString(e.what()));
    }
}

void GenerationWorker::generate(const QString& prompt, int maxTokens) {
    if (!session_) {
        emit failed(tr("No model is loaded."));
        return;
    }
    try {
        q8::GenerationRequest req;
        req.prompt = prompt.toStdString();
        req.max_tokens = maxTokens;
        q8::GenerationCallbacks callbacks;
        callbacks.on_token = [this](const q8::TokenEvent& ev) {
            if (!ev.text.empty()) emit tokenReady(QString::fromStdString(ev.text));
        };
        const q8::GenerationResult r = session_->generate(req, callbacks, &cancel_);
        emit finished(QString::fromStdString(r.message), r.metrics.decode_tokens_per_s,
                      double(r.metrics.resident_bytes) / (1 << 20));
    } catch (const q8::EngineError& e) {
        emit failed(QString::fromStdString(e.what()));
    }
}

}  // namespace q8ui
