#include "chat_store.h"

#include <spdlog/spdlog.h>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QStringList>
#include <algorithm>
#include <cmath>

namespace q8ui {

namespace {

const QString kStates[] = {"complete", "streaming", "stopped", "failed"};

QString stateName(MessageState s) { return kStates[static_cast<int>(s)]; }

bool parseState(const QString& name, MessageState* out) {
    for (int i = 0; i < 4; ++i) {
        if (kStates[i] == name) {
            *out = static_cast<MessageState>(i);
            return true;
        }
    }
    return false;
}

void setError(QString* error, const QString& why) {
    if (error) *error = why;
}

// UTC, so a file means the same instant wherever it is read; loading turns it back to local time.
QString isoDate(const QDateTime& t) { return t.toUTC().toString(Qt::ISODateWithMs); }

// Reads typed fields of one JSON object. The first problem, with where it was, lands in *error and
// later reads return defaults, so the parser reads straight through and checks once at the end.
class FieldReader {
public:
    FieldReader(const QJsonObject& object, QString where, QString* error)
        : object_(object), where_(std::move(where)), error_(error) {}

    bool ok() const { return error_->isEmpty(); }

    void fail(const char* key, const QString& why) {
        if (ok()) *error_ = where_ + QLatin1String(key) + ": " + why;
    }

    QString string(const char* key, bool required) {
        const QJsonValue v = value(key, required);
        if (v.isUndefined()) return {};
        if (!v.isString()) fail(key, "not a string");
        return v.toString();
    }

    double number(const char* key) {
        const QJsonValue v = value(key, false);
        if (v.isUndefined()) return 0;
        if (!v.isDouble()) fail(key, "not a number");
        return v.toDouble();
    }

    qint64 integer(const char* key, bool required) {
        const QJsonValue v = value(key, required);
        if (v.isUndefined()) return 0;
        if (!v.isDouble() || v.toDouble() != std::trunc(v.toDouble())) {
            fail(key, "not an integer");
            return 0;
        }
        return v.toInteger();
    }

    bool boolean(const char* key) {
        const QJsonValue v = value(key, false);
        if (v.isUndefined()) return false;
        if (!v.isBool()) fail(key, "not true or false");
        return v.toBool();
    }

    QDateTime date(const char* key) {
        const QString text = string(key, true);
        if (!ok()) return {};
        const QDateTime t = QDateTime::fromString(text, Qt::ISODateWithMs);
        if (!t.isValid()) fail(key, QString("\"%1\" is not an ISO 8601 date and time").arg(text));
        return t.toLocalTime();
    }

    QJsonArray array(const char* key, bool required) {
        const QJsonValue v = value(key, required);
        if (v.isUndefined()) return {};
        if (!v.isArray()) fail(key, "not an array");
        return v.toArray();
    }

    // Undefined when absent.
    QJsonValue object(const char* key) {
        const QJsonValue v = value(key, false);
        if (!v.isUndefined() && !v.isObject()) fail(key, "not an object");
        return v;
    }

private:
    QJsonValue value(const char* key, bool required) {
        if (!ok()) return QJsonValue(QJsonValue::Undefined);
        const QJsonValue v = object_.value(QLatin1String(key));
        if (v.isUndefined() && required) fail(key, "missing");
        return v;
    }

    QJsonObject object_;
    QString where_;
    QString* error_;
};

QJsonObject figuresToJson(const MessageFigures& f) {
    QJsonObject json{
        {"decode_tokens_per_s", f.decodeTokensPerSecond},
        {"prompt_tokens_per_s", f.promptTokensPerSecond},
        {"time_to_first_token_s", f.timeToFirstTokenSeconds},
        {"prompt_tokens", f.promptTokens},
        {"generated_tokens", f.generatedTokens},
        {"configuration", f.configuration},
        {"peak_resident_bytes", f.peakResidentBytes},
        {"drafted", f.drafted},
        {"accepted", f.accepted},
        {"sampling", f.sampling},
    };
    if (!f.record.isEmpty()) json.insert("record", f.record);
    return json;
}

MessageFigures figuresFromJson(FieldReader& r) {
    MessageFigures f;
    f.decodeTokensPerSecond = r.number("decode_tokens_per_s");
    f.promptTokensPerSecond = r.number("prompt_tokens_per_s");
    f.timeToFirstTokenSeconds = r.number("time_to_first_token_s");
    f.promptTokens = r.integer("prompt_tokens", false);
    f.generatedTokens = r.integer("generated_tokens", false);
    f.configuration = r.string("configuration", false);
    f.peakResidentBytes = r.integer("peak_resident_bytes", false);
    f.drafted = r.integer("drafted", false);
    f.accepted = r.integer("accepted", false);
    f.sampling = r.string("sampling", false);
    f.record = r.object("record").toObject();
    return f;
}

// Spans are derived from the generation, not typed by anyone: one that does not fit the text (a
// file edited by hand) is dropped rather than costing the chat its loading.
QVector<TextSpan> draftSpansFromJson(const QJsonArray& array, int textSize) {
    QVector<TextSpan> spans;
    int end = 0;
    for (const QJsonValue& v : array) {
        const QJsonArray pair = v.toArray();
        const int start = pair.size() == 2 ? pair[0].toInt(-1) : -1;
        const int length = pair.size() == 2 ? pair[1].toInt(-1) : -1;
        if (start < end || length <= 0 || start + length > textSize) continue;
        spans.append(TextSpan{start, length});
        end = start + length;
    }
    return spans;
}

QJsonObject messageToJson(const ChatMessage& m) {
    QJsonObject json{
        {"role", roleName(m.role)},
        {"text", m.text},
        {"state", stateName(m.state)},
        {"note", m.note},
    };
    if (m.role == Role::Assistant) json.insert("figures", figuresToJson(m.figures));
    if (!m.draftSpans.isEmpty()) {
        QJsonArray spans;
        for (const TextSpan& s : m.draftSpans) spans.append(QJsonArray{s.start, s.length});
        json.insert("draft_spans", spans);
    }
    return json;
}

ChatMessage messageFromJson(const QJsonObject& json, const QString& where, QString* error) {
    FieldReader r(json, where, error);
    ChatMessage m;
    const QString role = r.string("role", true);
    if (r.ok() && !parseRole(role, &m.role)) r.fail("role", QString("unknown role \"%1\"").arg(role));
    m.text = r.string("text", true);
    const QString state = r.string("state", false);
    if (r.ok() && !state.isEmpty() && !parseState(state, &m.state))
        r.fail("state", QString("unknown state \"%1\"").arg(state));
    m.note = r.string("note", false);
    const QJsonValue figures = r.object("figures");
    if (r.ok() && figures.isObject()) {
        FieldReader fr(figures.toObject(), where + "figures.", error);
        m.figures = figuresFromJson(fr);
    }
    m.draftSpans = draftSpansFromJson(r.array("draft_spans", false), int(m.text.size()));
    return m;
}

// A name a file can have in the chats folder and nowhere else.
bool isPlainFileName(const QString& id) {
    if (id.isEmpty() || id.startsWith('.') || id.size() > 200) return false;
    return std::none_of(id.begin(), id.end(),
                        [](QChar c) { return c == '/' || c == '\\' || c.category() == QChar::Other_Control; });
}

bool writeAtomically(const QString& path, const QByteArray& bytes, QString* error) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        setError(error, QString("cannot write %1: %2").arg(path, file.errorString()));
        spdlog::warn("cannot write {}: {}", path.toStdString(), file.errorString().toStdString());
        return false;
    }
    return true;
}

Chat readChatFile(const QString& path, QString* error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        setError(error, "cannot be opened: " + file.errorString());
        return {};
    }
    QJsonParseError parse;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parse);
    if (parse.error != QJsonParseError::NoError) {
        setError(error, QString("not JSON: %1 at byte %2").arg(parse.errorString()).arg(parse.offset));
        return {};
    }
    if (!doc.isObject()) {
        setError(error, "not a JSON object");
        return {};
    }
    return chatFromJson(doc.object(), error);
}

UnreadableChatFile moveAside(const QDir& folder, const QString& name, const QString& reason) {
    const QString stem = name + ".unreadable-" + QDateTime::currentDateTime().toString("yyyyMMdd-hhmmss");
    QString target = stem;
    for (int n = 2; folder.exists(target); ++n) target = stem + "-" + QString::number(n);
    UnreadableChatFile entry{name, QString(), reason};
    if (QFile::rename(folder.filePath(name), folder.filePath(target))) entry.movedTo = target;
    spdlog::warn("chat file {} is unreadable ({}); {}", name.toStdString(), reason.toStdString(),
                 entry.movedTo.isEmpty() ? std::string("it could not be moved aside either")
                                         : "moved aside to " + target.toStdString());
    return entry;
}

// A fence left open by a stopped answer would swallow the rest of the export.
bool leavesCodeFenceOpen(const QString& text) {
    bool open = false;
    for (const QStringView line : QStringView(text).split('\n')) {
        if (line.trimmed().startsWith(QLatin1String("```"))) open = !open;
    }
    return open;
}

bool hasFigures(const ChatMessage& m) {
    return m.role == Role::Assistant && (m.figures.generatedTokens > 0 || !m.figures.configuration.isEmpty());
}

QString figuresInWords(const MessageFigures& f) {
    QStringList parts;
    if (!f.configuration.isEmpty()) parts << f.configuration;
    parts << QString("%1 tok/s decode").arg(f.decodeTokensPerSecond, 0, 'f', 1)
          << QString("prompt %1 tok/s").arg(f.promptTokensPerSecond, 0, 'f', 1)
          << QString("TTFT %1 s").arg(f.timeToFirstTokenSeconds, 0, 'f', 2)
          << QString("%1 tokens generated, %2 prompt tokens").arg(f.generatedTokens).arg(f.promptTokens)
          << QString("peak %1 MiB").arg(qRound64(double(f.peakResidentBytes) / (1024.0 * 1024.0)));
    if (f.speculative()) {
        parts << QString("accepted %1/%2 drafted (%3%)")
                     .arg(f.accepted)
                     .arg(f.drafted)
                     .arg(100.0 * f.acceptanceRate(), 0, 'f', 1);
    }
    if (!f.sampling.isEmpty()) parts << "sampling: " + f.sampling;
    return parts.join(" · ");
}

QString endingInWords(const ChatMessage& m) {
    const QString note = m.note.isEmpty() ? QString() : ": " + m.note;
    switch (m.state) {
    case MessageState::Complete: return m.note;
    case MessageState::Streaming: return "Unfinished when saved" + note;
    case MessageState::Stopped: return "Stopped" + note;
    case MessageState::Failed: return "Failed" + note;
    }
    return {};
}

QString roleHeading(Role r) {
    switch (r) {
    case Role::System: return "System";
    case Role::User: return "User";
    case Role::Assistant: return "Assistant";
    }
    return {};
}

QString localMinute(const QDateTime& t) { return t.toLocalTime().toString("yyyy-MM-dd hh:mm"); }

}  // namespace

QJsonObject chatToJson(const Chat& chat) {
    QJsonArray messages;
    for (const ChatMessage& m : chat.messages) messages.append(messageToJson(m));
    return {
        {"format", QLatin1String(kChatFormatName)},
        {"version", kChatFormatVersion},
        {"id", chat.id},
        {"title", chat.title},
        {"created", isoDate(chat.created)},
        {"updated", isoDate(chat.updated)},
        {"system_prompt", chat.systemPrompt},
        {"completion_mode", chat.completionMode},
        {"messages", messages},
    };
}

Chat chatFromJson(const QJsonObject& json, QString* error) {
    QString why;
    FieldReader r(json, QString(), &why);
    const QString format = r.string("format", true);
    if (r.ok() && format != QLatin1String(kChatFormatName))
        r.fail("format", QString("\"%1\", not \"%2\"").arg(format, QLatin1String(kChatFormatName)));
    const qint64 version = r.integer("version", true);
    if (r.ok() && version > kChatFormatVersion)
        r.fail("version", QString("%1 is newer than this q8chat reads (%2)").arg(version).arg(kChatFormatVersion));
    else if (r.ok() && version < 1)
        r.fail("version", QString("%1 is not a version").arg(version));

    Chat chat;
    chat.id = r.string("id", true);
    if (r.ok() && chat.id.isEmpty()) r.fail("id", "empty");
    chat.title = r.string("title", false);
    chat.created = r.date("created");
    chat.updated = r.date("updated");
    chat.systemPrompt = r.string("system_prompt", false);
    chat.completionMode = r.boolean("completion_mode");
    const QJsonArray messages = r.array("messages", true);
    for (qsizetype i = 0; i < messages.size() && r.ok(); ++i) {
        const QString where = QString("messages[%1]").arg(i);
        if (!messages[i].isObject()) {
            why = where + ": not an object";
            break;
        }
        chat.messages.append(messageFromJson(messages[i].toObject(), where + ".", &why));
    }
    if (!why.isEmpty()) {
        setError(error, why);
        return {};
    }
    return chat;
}

QString chatFilePath(const QString& dir, const QString& id) { return QDir(dir).filePath(id + ".json"); }

bool saveChat(const QString& dir, const Chat& chat, QString* error) {
    if (!isPlainFileName(chat.id)) {
        setError(error, QString("\"%1\" cannot be a chat file's name").arg(chat.id));
        return false;
    }
    const QJsonObject json = chatToJson(chat);
    QString why;
    chatFromJson(json, &why);
    if (!why.isEmpty()) {
        setError(error, QString("chat %1 not saved, it would not load back: %2").arg(chat.id, why));
        return false;
    }
    if (!QDir().mkpath(dir)) {
        setError(error, QString("cannot create the folder %1").arg(dir));
        return false;
    }
    return writeAtomically(chatFilePath(dir, chat.id), QJsonDocument(json).toJson(QJsonDocument::Indented), error);
}

bool listedBefore(const Chat& a, const Chat& b) {
    if (a.updated != b.updated) return a.updated > b.updated;
    return a.id > b.id;
}

LoadResult loadChats(const QString& dir) {
    LoadResult result;
    const QDir folder(dir);
    const QStringList names = folder.entryList({"*.json"}, QDir::Files | QDir::CaseSensitive, QDir::Name);
    for (const QString& name : names) {
        QString why;
        Chat chat = readChatFile(folder.filePath(name), &why);
        if (!why.isEmpty()) {
            result.unreadable.append(moveAside(folder, name, why));
            continue;
        }
        const QString stem = name.chopped(5);
        if (chat.id != stem) {
            spdlog::info("chat file {} says id {}; it is known by its file name", name.toStdString(),
                         chat.id.toStdString());
            chat.id = stem;
        }
        result.chats.append(chat);
    }
    std::sort(result.chats.begin(), result.chats.end(), listedBefore);
    return result;
}

bool deleteChat(const QString& dir, const QString& id, QString* error) {
    if (!isPlainFileName(id)) {
        setError(error, QString("\"%1\" cannot be a chat file's name").arg(id));
        return false;
    }
    QFile file(chatFilePath(dir, id));
    if (!file.exists() || file.remove()) return true;
    setError(error, QString("cannot delete %1: %2").arg(file.fileName(), file.errorString()));
    spdlog::warn("cannot delete {}: {}", file.fileName().toStdString(), file.errorString().toStdString());
    return false;
}

QString chatToMarkdown(const Chat& chat) {
    QString md = "# " + (chat.title.isEmpty() ? defaultTitle(chat) : chat.title) + "\n\n";
    md += QString("Created %1, updated %2").arg(localMinute(chat.created), localMinute(chat.updated));
    if (chat.completionMode) md += " · completion mode";
    md += "\n\n";
    if (!chat.systemPrompt.isEmpty()) md += "## System prompt\n\n" + chat.systemPrompt + "\n\n";
    for (const ChatMessage& m : chat.messages) {
        md += "## " + roleHeading(m.role) + "\n\n" + m.text;
        if (leavesCodeFenceOpen(m.text)) md += "\n```";
        md += "\n\n";
        if (hasFigures(m)) md += "*" + figuresInWords(m.figures) + "*\n\n";
        const QString ending = endingInWords(m);
        if (!ending.isEmpty()) md += "*" + ending + "*\n\n";
    }
    return md;
}

bool exportChat(const Chat& chat, const QString& path, ExportFormat format, QString* error) {
    const QByteArray bytes = format == ExportFormat::Markdown
                                 ? chatToMarkdown(chat).toUtf8()
                                 : QJsonDocument(chatToJson(chat)).toJson(QJsonDocument::Indented);
    return writeAtomically(path, bytes, error);
}

QString newChatId() {
    const quint32 suffix = QRandomGenerator::global()->bounded(0x10000u);
    return QDateTime::currentDateTime().toString("yyyyMMdd-hhmmss") + "-" +
           QString::number(suffix, 16).rightJustified(4, '0');
}

QString defaultTitle(const Chat& chat) {
    constexpr qsizetype kMaxChars = 40;
    for (const ChatMessage& m : chat.messages) {
        if (m.role != Role::User) continue;
        const QString words = m.text.simplified();
        if (words.isEmpty()) continue;
        if (words.size() <= kMaxChars) return words;
        qsizetype end = kMaxChars - 1;  // room for the ellipsis
        const qsizetype space = words.lastIndexOf(' ', end);
        if (space > 0) end = space;
        if (words.at(end - 1).isHighSurrogate()) --end;
        return words.left(end) + QChar(0x2026);
    }
    return "New chat";
}

}  // namespace q8ui
