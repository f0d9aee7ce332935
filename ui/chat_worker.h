#pragma once
// Owns the engine on a worker thread: the loaded model (in the configuration the window asked
// for), its session and the conversation being answered. Requests arrive as queued slot calls
// with small structs; text and figures leave as queued signals. Streamed text is coalesced so the
// GUI gets at most ~30 updates a second however fast tokens come. Stop and Cancel raise atomic
// flags the engine checks between layers and while loading.
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <atomic>
#include <functional>
#include <memory>

#include <q8/engine.h>

#include "chat_types.h"

namespace q8ui {

struct LoadRequest {
    QString modelPath;
    QString draftPath;  // the draft model for Q4+spec; empty: none chosen
    Configuration configuration = Configuration::Fp16;
    int threads = 0;          // 0: every core
    int contextSize = 2048;   // tokens
    int draftK = 8;           // Q4+spec: most tokens drafted per step
    bool draftLookup = true;  // Q4+spec: also draft by lookup in the text so far
    QString cacheDir;         // quantize-at-load results are kept here
};

// The model in use, as the toolbar and status bar show it.
struct LoadedModel {
    QString path;
    QString name;
    QString architecture;
    QString precision;  // what the weights run as, e.g. "q4 g32 W4A16"
    Configuration configuration = Configuration::Fp16;
    QString draftName;  // Q4+spec only
    // Why the chosen draft cannot serve this model (another vocabulary), empty when it can or
    // when no draft is chosen.
    QString draftProblem;
    qint64 weightBytes = 0;
    qint64 kvCacheBytes = 0;
    int contextSize = 0;
    int threads = 0;
    bool hasChatTemplate = false;
    // What lays out chat turns: "model's own (ChatML)", "plain (no template in the model)", ...
    QString chatTemplate;
    bool hasFim = false;  // the vocabulary has fill-in-the-middle tokens
};

struct GenerationSettings {
    int maxTokens = 512;
    double temperature = 0.8;
    int topK = 40;
    double topP = 0.95;
    double minP = 0.05;
    double repeatPenalty = 1.0;
    quint64 seed = 0;
};

struct ChatRequest {
    QString chatId;
    QString systemPrompt;
    QVector<ChatMessage> history;  // the chat's messages before this request
    // The user's new message (a regenerated or edited turn is sent again with the history before
    // it), or the text to continue in completion mode.
    QString text;
    bool completion = false;  // continue `text` in place instead of answering a turn
    // Fill in the middle (models with FIM tokens): `text` is the code before the gap, this the
    // code after it, and the answer is what goes between.
    bool fillInTheMiddle = false;
    QString suffix;
    GenerationSettings settings;
};

// New text of an answer since the previous chunk (at most ~30 a second), with the parts of it that
// came from the draft model (positions within `text`).
struct ReplyChunk {
    QString text;
    QVector<TextSpan> draftSpans;
};

// What happened in an answer since the previous sample, for the live charts (at most ~30 a
// second, like the text).
struct LiveSample {
    double elapsedSeconds = 0;  // of the newest token, since the request began
    int tokens = 0;             // generated since the previous sample
    int fromDraft = 0;          // of those, drafted tokens the target accepted
    bool firstToken = false;    // the sample holds the answer's first token (prompt evaluation ended)
    qint64 contextTokens = 0;   // in the model's context after the newest token (prompt and answer)
    struct Step {
        int k = 0, drafted = 0, accepted = 0;
        bool lookedUp = false;  // drafts looked up in the text so far, not from the draft model
    };
    QVector<Step> steps;  // speculative steps completed since the previous sample
};

struct ReplyDone {
    MessageState state = MessageState::Complete;
    QString note;  // the reason it ended, e.g. "reached the limit of 512 tokens"
    MessageFigures figures;
    int droppedTurns = 0;  // old turns that left the context for this reply
    qint64 contextTokens = 0;
};

// A comparison of the four configurations on one prompt (compare mode).
struct CompareJob {
    QString prompt;
    int maxTokens = 128;
};

// The scaled demo to build (scaled_demo.h).
struct ScaledModelJob {
    QString sourcePath;  // the small model
    QString outputPath;
    QString shape;
};

// One configuration's line of the comparison table.
struct CompareRowSummary {
    int config = 0;  // the Configuration, as an int for queued signals
    bool ran = false;
    QString reason;  // why it did not run
    MessageFigures figures;
    qint64 weightBytes = 0;
    QString precision;
    double speedup = 0;  // decode tokens/s over FP16's
    QString agreement;   // with FP16: "identical", or where it first differs and the share
};

class ChatWorker : public QObject {
    Q_OBJECT
public:
    explicit ChatWorker(QObject* parent = nullptr);
    ~ChatWorker() override;

    // Thread-safe: called from the GUI thread while the worker is busy. arm*() is called before a
    // request is queued, so a Stop or Cancel pressed before the worker picks it up still counts.
    void requestStop() { stop_.store(true); }
    void armForRequest() { stop_.store(false); }
    void requestCancelLoad() { cancelLoad_.store(true); }
    void armForLoad() { cancelLoad_.store(false); }

public slots:
    void load(const q8ui::LoadRequest& request);
    void answer(const q8ui::ChatRequest& request);
    void compare(const q8ui::CompareJob& job);
    // Progress and Cancel as for a load; the model in use stays loaded.
    void buildScaledModel(const q8ui::ScaledModelJob& job);

signals:
    // Before loading: what the model will take in memory against what is available (0: unknown).
    void loadPlanned(qint64 neededBytes, qint64 availableBytes);
    void loadProgress(double fraction);
    void loaded(const q8ui::LoadedModel& model);
    // The previous model (if any) stays loaded and usable.
    void loadFailed(const QString& message);
    void scaledModelBuilt(const QString& path);
    void replyText(const q8ui::ReplyChunk& chunk);
    void replyProgress(const q8ui::LiveSample& sample);
    void replyFinished(const q8ui::ReplyDone& done);
    // Nothing was generated (a refused request); the message says why.
    void replyRefused(const QString& message);

    void compareStarted(int config);
    void compareLoaded(int config, qint64 weightBytes, qint64 kvCacheBytes);
    void compareText(int config, const QString& text);
    void compareProgress(int config, const q8ui::LiveSample& sample);
    void compareRow(const q8ui::CompareRowSummary& row);
    // The comparison as `q8bench compare --json` prints it (q8::compare_json); empty when it failed.
    void compareFinished(const QString& reportJson);

private:
    q8::GenerationRequest engineRequest(const GenerationSettings& s) const;
    // For a load or a build: reports progress about 30 times a second; false once Cancel was asked.
    std::function<bool(float)> loadProgressReporter();
    ReplyDone finishReply(const q8::GenerationResult& r);
    void flushText(bool force);

    std::shared_ptr<const q8::Model> model_;
    std::unique_ptr<q8::Session> session_;
    std::unique_ptr<q8::Conversation> conversation_;
    Configuration configuration_ = Configuration::Fp16;
    std::atomic<bool> stop_{false};
    std::atomic<bool> cancelLoad_{false};
    ReplyChunk pendingChunk_;
    LiveSample pendingSample_;
    LoadRequest loadedRequest_;  // what the model in use was loaded from (compare mode reuses it)
    QElapsedTimer sinceFlush_;
};

}  // namespace q8ui

Q_DECLARE_METATYPE(q8ui::LoadRequest)
Q_DECLARE_METATYPE(q8ui::LoadedModel)
Q_DECLARE_METATYPE(q8ui::ChatRequest)
Q_DECLARE_METATYPE(q8ui::ReplyDone)
Q_DECLARE_METATYPE(q8ui::LiveSample)
Q_DECLARE_METATYPE(q8ui::ReplyChunk)
Q_DECLARE_METATYPE(q8ui::CompareJob)
Q_DECLARE_METATYPE(q8ui::ScaledModelJob)
Q_DECLARE_METATYPE(q8ui::CompareRowSummary)
