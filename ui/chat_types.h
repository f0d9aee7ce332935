#pragma once
// What a chat is, as the window shows it, saves it and exports it: plain value types that cross
// from the worker thread to the GUI in queued signals and round-trip through the chat files
// (docs/chat-format.md).
#include <QDateTime>
#include <QJsonObject>
#include <QMetaType>
#include <QString>
#include <QVector>

namespace q8ui {

// The four configurations the window switches between.
enum class Configuration { Fp16, Q8, Q4, Q4Spec };
QString configurationName(Configuration c);  // "FP16", "Q8", "Q4", "Q4+spec"
// Parses a name written by configurationName; false for anything else.
bool parseConfiguration(const QString& name, Configuration* out);

// An answer's figures, kept with the message (definitions: docs/metrics.md).
struct MessageFigures {
    double decodeTokensPerSecond = 0;
    double promptTokensPerSecond = 0;
    double timeToFirstTokenSeconds = 0;
    qint64 promptTokens = 0;
    qint64 generatedTokens = 0;
    QString configuration;  // configurationName() of the configuration that produced the answer
    qint64 peakResidentBytes = 0;
    // Speculative decoding only (drafted == 0 otherwise).
    qint64 drafted = 0;
    qint64 accepted = 0;
    QString sampling;  // the sampling the figures were measured under, e.g. "greedy"
    // What produced them: CPU, kernel path, threads, context, model file and hash, engine version,
    // date (the engine's run record, keys as q8::record_json writes them; docs/metrics.md).
    QJsonObject record;

    bool speculative() const { return drafted > 0; }
    double acceptanceRate() const { return drafted > 0 ? double(accepted) / double(drafted) : 0.0; }
};

// A stretch of a message's text, in QString positions (UTF-16 code units).
struct TextSpan {
    int start = 0;
    int length = 0;
    bool operator==(const TextSpan&) const = default;
};
// Adds [start, start + length) to spans kept in order, merging it with the last span it touches.
void appendSpan(QVector<TextSpan>& spans, int start, int length);

enum class Role { System, User, Assistant };
QString roleName(Role r);  // "system", "user", "assistant"
bool parseRole(const QString& name, Role* out);

// How an answer ended; Streaming while it is being written.
enum class MessageState { Complete, Streaming, Stopped, Failed };

struct ChatMessage {
    Role role = Role::User;
    QString text;
    MessageState state = MessageState::Complete;
    QString note;            // why it stopped or failed, e.g. "context full", shown under the answer
    MessageFigures figures;  // assistant messages only
    // Q4+spec: the answer's text that the draft model wrote and the target accepted, for the
    // transcript's "highlight drafted tokens" view.
    QVector<TextSpan> draftSpans;
};

struct Chat {
    QString id;     // stable file name stem, e.g. "20261202-153012-4f2a"
    QString title;  // the user's, or the first words of the first message
    QDateTime created;
    QDateTime updated;
    QString systemPrompt;
    bool completionMode = false;  // a base model continues the text in place
    QVector<ChatMessage> messages;
};

}  // namespace q8ui

Q_DECLARE_METATYPE(q8ui::MessageFigures)
Q_DECLARE_METATYPE(q8ui::ChatMessage)
