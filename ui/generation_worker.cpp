#include "generation_worker.h"

#include <spdlog/spdlog.h>

#include "engine_error.h"

namespace q8ui {

GenerationWorker::GenerationWorker(QObject* parent) : QObject(parent) {}
GenerationWorker::~GenerationWorker() = default;

void GenerationWorker::loadModel(const QString& path) {
    try {
        session_.reset();
        model_ = q8::load_model(path.toStdString());
        q8::SessionOptions so;
        so.prompt_arithmetic = q8::BatchArithmetic::BF16;  // interactive: the fastest prompt products
        session_ = std::make_unique<q8::InferenceSession>(model_, so);
        const q8::ModelConfig& c = model_->config;
        emit modelLoaded(QString("%1 (%2, %3 layers, %4 MiB)")
                             .arg(QString::fromStdString(c.name), QString::fromStdString(c.arch_name))
                             .arg(c.n_layer)
                             .arg(double(model_->weight_bytes()) / (1 << 20), 0, 'f', 0));
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
        const q8::GenerationResult r = q8::generate(
            *session_, req,
            [this](const q8::TokenEvent& ev) {
                if (!ev.text.empty()) emit tokenReady(QString::fromStdString(ev.text));
            },
            &cancel_);
        emit finished(QString::fromStdString(r.message), r.metrics.decode_tokens_per_s,
                      double(r.metrics.resident_bytes) / (1 << 20));
    } catch (const q8::EngineError& e) {
        emit failed(QString::fromStdString(e.what()));
    }
}

}  // namespace q8ui
