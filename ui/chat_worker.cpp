#include "chat_worker.h"

#include <spdlog/spdlog.h>

#include <QJsonDocument>

#include <exception>

namespace q8ui {

namespace {

constexpr qint64 kFlushIntervalMs = 33;  // ~30 GUI updates a second
constexpr double kMiB = 1024.0 * 1024.0;

q8::Precision precisionOf(Configuration c) {
    switch (c) {
    case Configuration::Fp16: return q8::Precision::F16;
    case Configuration::Q8: return q8::Precision::Q8;
    case Configuration::Q4:
    case Configuration::Q4Spec: return q8::Precision::Q4;
    }
    return q8::Precision::Native;
}

// A record names configurations as `q8bench` does ("fp16", "q8", "q4", "q4+spec"), so records from
// the window and the CLI compare; the window's configurations are in the comparison's order.
std::string recordName(Configuration c) {
    return std::string(q8::compare_config_name(static_cast<q8::CompareConfig>(static_cast<int>(c))));
}

// A float file runs in every configuration; a quantized one only as itself (the engine explains
// which). FP16 of an F16/F32 file is the file itself, so it loads natively without a copy.
q8::Precision loadPrecision(const q8::ModelInfo& info, Configuration c) {
    const q8::Precision p = precisionOf(c);
    const bool floatFile = info.file_type.find("Q") == std::string::npos;
    return p == q8::Precision::F16 && floatFile ? q8::Precision::Native : p;
}

// Refuses, with the numbers, a model that cannot fit next to what the machine has free.
void checkMemory(const q8::ModelInfo& info, const q8::MemoryEstimate& need, uint64_t available, int contextSize) {
    if (available == 0 || need.total() <= available) return;
    throw q8::EngineError(QString("%1 needs about %2 MiB (weights %3 MiB + KV cache %4 MiB for %5 tokens) but "
                                  "only %6 MiB of memory is available")
                              .arg(QString::fromStdString(info.name))
                              .arg(double(need.total()) / kMiB, 0, 'f', 0)
                              .arg(double(need.weights) / kMiB, 0, 'f', 0)
                              .arg(double(need.kv_cache) / kMiB, 0, 'f', 0)
                              .arg(contextSize)
                              .arg(double(available) / kMiB, 0, 'f', 0)
                              .toStdString());
}

// The draft must speak the target's vocabulary; the engine checks token by token at load, this
// says early why a chosen draft cannot serve.
QString draftProblem(const q8::ModelInfo& target, const QString& draftPath) {
    if (draftPath.isEmpty()) return {};
    try {
        const q8::ModelInfo draft = q8::read_model_info(draftPath.toStdString());
        if (draft.n_vocab != target.n_vocab || draft.tokenizer != target.tokenizer) {
            return QString("the draft's vocabulary (%1 tokens, %2) differs from the model's (%3 tokens, %4)")
                .arg(draft.n_vocab)
                .arg(QString::fromStdString(draft.tokenizer))
                .arg(target.n_vocab)
                .arg(QString::fromStdString(target.tokenizer));
        }
        return {};
    } catch (const std::exception& e) {
        return QString::fromStdString(e.what());
    }
}

std::vector<q8::Turn> turnsOf(const QVector<ChatMessage>& history) {
    std::vector<q8::Turn> turns;
    for (const ChatMessage& m : history) {
        if (m.role == Role::System) continue;  // the system prompt travels on its own
        turns.push_back(q8::Turn{m.role == Role::User ? q8::Role::User : q8::Role::Assistant, m.text.toStdString()});
    }
    return turns;
}

}  // namespace

ChatWorker::ChatWorker(QObject* parent) : QObject(parent) {
    qRegisterMetaType<LoadRequest>();
    qRegisterMetaType<LoadedModel>();
    qRegisterMetaType<ChatRequest>();
    qRegisterMetaType<ReplyDone>();
    qRegisterMetaType<ReplyChunk>();
    qRegisterMetaType<LiveSample>();
    qRegisterMetaType<CompareJob>();
    qRegisterMetaType<ScaledModelJob>();
    qRegisterMetaType<CompareRowSummary>();
}

ChatWorker::~ChatWorker() = default;

void ChatWorker::load(const LoadRequest& request) {
    try {
        const std::string path = request.modelPath.toStdString();
        const q8::ModelInfo info = q8::read_model_info(path);
        const q8::Precision precision = loadPrecision(info, request.configuration);
        const q8::MemoryEstimate need = q8::estimate_memory(info, precision, request.contextSize);
        const uint64_t available = q8::available_memory_bytes();
        emit loadPlanned(static_cast<qint64>(need.total()), static_cast<qint64>(available));
        checkMemory(info, need, available, request.contextSize);
        const QString problem = draftProblem(info, request.draftPath);
        q8::LoadOptions options;
        options.precision = precision;
        options.cache_dir = request.cacheDir.toStdString();
        options.progress = loadProgressReporter();
        auto model = q8::load_model(path, options);

        q8::SessionConfig config;
        config.n_ctx = request.contextSize;
        config.n_threads = request.threads;
        QString draftName;
        if (request.configuration == Configuration::Q4Spec) {
            if (request.draftPath.isEmpty()) {
                throw q8::EngineError("Q4+spec needs a draft model with the same vocabulary: choose one as Draft");
            }
            if (!problem.isEmpty()) throw q8::EngineError("Q4+spec cannot use this draft: " + problem.toStdString());
            config.draft = q8::load_model(request.draftPath.toStdString());
            config.speculative.k_max = request.draftK;
            config.speculative.lookup = request.draftLookup;
            draftName = QString::fromStdString(q8::model_info(*config.draft).name);
        }
        auto session = std::make_unique<q8::Session>(model, config);
        // Hashed now, inside the load the user waits for, so no answer waits for its record.
        q8::file_identity(path);
        if (config.draft != nullptr) q8::file_identity(request.draftPath.toStdString());

        // Only now is the previous model let go: a failed load above leaves it usable.
        conversation_.reset();
        session_ = std::move(session);
        model_ = std::move(model);
        configuration_ = request.configuration;
        loadedRequest_ = request;
        conversation_ = std::make_unique<q8::Conversation>(*session_);

        const q8::ModelInfo now = session_->info();
        LoadedModel m;
        m.path = request.modelPath;
        m.name = QString::fromStdString(now.name);
        m.architecture = QString::fromStdString(now.architecture);
        m.precision = QString::fromStdString(now.precision);
        m.configuration = request.configuration;
        m.draftName = draftName;
        m.draftProblem = problem;
        m.weightBytes = static_cast<qint64>(now.weight_bytes);
        m.kvCacheBytes = static_cast<qint64>(session_->kv_cache_bytes());
        m.contextSize = static_cast<int>(session_->n_ctx());
        m.threads = session_->n_threads();
        m.hasChatTemplate = !now.chat_template.empty();
        m.chatTemplate = QString::fromStdString(conversation_->template_description());
        m.hasFim = q8::has_fim_tokens(now.special);
        spdlog::info("loaded {} as {} ({})", now.name, configurationName(request.configuration).toStdString(),
                     now.precision);
        emit loaded(m);
    } catch (const std::exception& e) {
        spdlog::warn("load failed: {}", e.what());
        emit loadFailed(QString::fromStdString(e.what()));
    }
}

q8::GenerationRequest ChatWorker::engineRequest(const GenerationSettings& s) const {
    q8::GenerationRequest r;
    r.max_tokens = s.maxTokens;
    r.sampling.temperature = static_cast<float>(s.temperature);
    r.sampling.top_k = s.topK;
    r.sampling.top_p = static_cast<float>(s.topP);
    r.sampling.min_p = static_cast<float>(s.minP);
    r.sampling.repeat_penalty = static_cast<float>(s.repeatPenalty);
    r.sampling.seed = s.seed;
    return r;
}

void ChatWorker::flushText(bool force) {
    if (pendingSample_.tokens == 0 || (!force && sinceFlush_.elapsed() < kFlushIntervalMs)) return;
    if (!pendingChunk_.text.isEmpty()) emit replyText(pendingChunk_);
    emit replyProgress(pendingSample_);
    pendingChunk_ = ReplyChunk{};
    pendingSample_ = LiveSample{};
    sinceFlush_.restart();
}

namespace {

QJsonObject recordObject(const q8::RunRecord& record) {
    return QJsonDocument::fromJson(QByteArray::fromStdString(q8::record_json(record))).object();
}

MessageFigures figuresOf(const q8::GenerationResult& r, Configuration c, const q8::RunRecord& record) {
    const q8::GenerationMetrics& m = r.metrics;
    MessageFigures f;
    f.decodeTokensPerSecond = m.decode_tokens_per_s;
    f.promptTokensPerSecond = m.prompt_tokens_per_s;
    f.timeToFirstTokenSeconds = m.time_to_first_token_s;
    f.promptTokens = m.prompt_tokens;
    f.generatedTokens = m.generated_tokens;
    f.configuration = configurationName(c);
    f.peakResidentBytes = static_cast<qint64>(m.peak_resident_bytes);
    f.drafted = m.speculative.drafted;
    f.accepted = m.speculative.accepted;
    f.sampling = QString::fromStdString(r.sampling);
    f.record = recordObject(record);
    return f;
}

QString agreementOf(const q8::CompareRow& row) {
    if (!row.compared_with_fp16) return {};
    if (row.identical_to_fp16) return QStringLiteral("identical");
    return QString("differs from token %1; %2% of tokens match")
        .arg(row.first_difference)
        .arg(100.0 * row.matching_share, 0, 'f', 0);
}

}  // namespace

ReplyDone ChatWorker::finishReply(const q8::GenerationResult& r) {
    flushText(true);
    ReplyDone d;
    d.state = r.reason == q8::StopReason::Cancelled ? MessageState::Stopped : MessageState::Complete;
    d.note = QString::fromStdString(r.message);
    d.figures = figuresOf(r, configuration_, q8::run_record(*session_, recordName(configuration_)));
    return d;
}

void ChatWorker::compare(const CompareJob& job) {
    q8::CompareRequest request;
    request.model_path = loadedRequest_.modelPath.toStdString();
    request.draft_path = loadedRequest_.draftPath.toStdString();
    request.prompt = job.prompt.toStdString();
    request.max_tokens = job.maxTokens;
    request.n_threads = loadedRequest_.threads;
    request.n_ctx = loadedRequest_.contextSize;
    request.cache_dir = loadedRequest_.cacheDir.toStdString();
    request.speculative.k_max = loadedRequest_.draftK;
    request.speculative.lookup = loadedRequest_.draftLookup;
    // The compare configurations are in Configuration's order.
    auto index = [](q8::CompareConfig c) { return static_cast<int>(c); };
    QString pending;
    LiveSample sample;
    int pendingConfig = 0;
    QElapsedTimer sinceFlush;
    sinceFlush.start();
    auto flush = [&] {
        if (!pending.isEmpty()) emit compareText(pendingConfig, pending);
        if (sample.tokens > 0) emit compareProgress(pendingConfig, sample);
        pending.clear();
        sample = LiveSample{};
        sinceFlush.restart();
    };
    q8::CompareCallbacks callbacks;
    callbacks.on_start = [&](q8::CompareConfig c) { emit compareStarted(index(c)); };
    callbacks.on_loaded = [&](q8::CompareConfig c, uint64_t weights, uint64_t kv) {
        emit compareLoaded(index(c), static_cast<qint64>(weights), static_cast<qint64>(kv));
    };
    callbacks.on_token = [&](q8::CompareConfig c, const q8::TokenEvent& ev) {
        pendingConfig = index(c);
        pending += QString::fromStdString(ev.text);
        sample.elapsedSeconds = ev.elapsed_s;
        sample.tokens += 1;
        sample.fromDraft += ev.from_draft ? 1 : 0;
        sample.firstToken = sample.firstToken || ev.index == 0;
        if (sinceFlush.elapsed() >= kFlushIntervalMs) flush();
    };
    callbacks.on_step = [&](q8::CompareConfig, const q8::SpecStep& st) {
        sample.steps.push_back(LiveSample::Step{st.k, st.drafted, st.accepted, st.lookup});
    };
    callbacks.on_done = [&](const q8::CompareRow& row) {
        flush();
        CompareRowSummary s;
        s.config = index(row.config);
        s.ran = row.ran;
        s.reason = QString::fromStdString(row.reason);
        s.figures = figuresOf(row.result, static_cast<Configuration>(s.config), row.record);
        s.weightBytes = static_cast<qint64>(row.weight_bytes);
        s.precision = QString::fromStdString(row.precision);
        s.speedup = row.speedup_vs_fp16;
        s.agreement = agreementOf(row);
        emit compareRow(s);
    };
    QString report;
    try {
        report = QString::fromStdString(q8::compare_json(request, q8::run_compare(request, callbacks, &stop_)));
    } catch (const std::exception& e) {
        spdlog::warn("compare failed: {}", e.what());
    }
    emit compareFinished(report);
}

std::function<bool(float)> ChatWorker::loadProgressReporter() {
    auto sinceProgress = std::make_shared<QElapsedTimer>();
    sinceProgress->start();
    return [this, sinceProgress](float fraction) {
        if (sinceProgress->elapsed() >= kFlushIntervalMs) {
            emit loadProgress(fraction);
            sinceProgress->restart();
        }
        return !cancelLoad_.load();
    };
}

void ChatWorker::buildScaledModel(const ScaledModelJob& job) {
    try {
        q8::ScaleOptions options;
        options.shape = job.shape.toStdString();
        options.progress = loadProgressReporter();
        spdlog::info("building the scaled demo ({}) at {}", options.shape, job.outputPath.toStdString());
        if (!q8::write_scaled_model(job.sourcePath.toStdString(), job.outputPath.toStdString(), options)) {
            emit loadFailed(tr("cancelled; the scaled demo was not built"));
            return;
        }
        emit scaledModelBuilt(job.outputPath);
    } catch (const std::exception& e) {
        spdlog::warn("building the scaled demo failed: {}", e.what());
        emit loadFailed(QString::fromStdString(e.what()));
    }
}

void ChatWorker::answer(const ChatRequest& request) {
    if (!session_) {
        emit replyRefused(tr("No model is loaded."));
        return;
    }
    pendingChunk_ = ReplyChunk{};
    pendingSample_ = LiveSample{};
    sinceFlush_.start();
    q8::GenerationCallbacks callbacks;
    callbacks.on_token = [this](const q8::TokenEvent& ev) {
        const QString piece = QString::fromStdString(ev.text);
        if (ev.from_draft) appendSpan(pendingChunk_.draftSpans, int(pendingChunk_.text.size()), int(piece.size()));
        pendingChunk_.text += piece;
        pendingSample_.elapsedSeconds = ev.elapsed_s;
        pendingSample_.tokens += 1;
        pendingSample_.fromDraft += ev.from_draft ? 1 : 0;
        pendingSample_.firstToken = pendingSample_.firstToken || ev.index == 0;
        pendingSample_.contextTokens = ev.context_tokens;
        flushText(false);
    };
    callbacks.on_step = [this](const q8::SpecStep& st) {
        pendingSample_.steps.push_back(LiveSample::Step{st.k, st.drafted, st.accepted, st.lookup});
    };
    try {
        q8::GenerationRequest settings = engineRequest(request.settings);
        if (request.completion || request.fillInTheMiddle) {
            settings.prompt =
                request.fillInTheMiddle
                    ? q8::fim_prompt(session_->info().special, request.text.toStdString(), request.suffix.toStdString())
                    : request.text.toStdString();
            const q8::GenerationResult r = session_->generate(settings, callbacks, &stop_);
            ReplyDone done = finishReply(r);
            done.contextTokens = r.metrics.prompt_tokens + r.metrics.generated_tokens;
            emit replyFinished(done);
            return;
        }
        conversation_->set_system_prompt(request.systemPrompt.toStdString());
        conversation_->set_turns(turnsOf(request.history));
        const q8::ConversationReply reply =
            conversation_->send(request.text.toStdString(), settings, callbacks, &stop_);
        ReplyDone done = finishReply(reply.generation);
        done.droppedTurns = reply.dropped_turns;
        done.contextTokens = reply.context_tokens + reply.generation.metrics.generated_tokens;
        emit replyFinished(done);
    } catch (const std::exception& e) {
        // Nothing thrown here may end the process; what streamed before a failure stays shown.
        flushText(true);
        spdlog::warn("generation failed: {}", e.what());
        emit replyRefused(QString::fromStdString(e.what()));
    }
}

}  // namespace q8ui
