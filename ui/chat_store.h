#pragma once
// Saved chats: one open JSON file per chat (docs/chat-format.md) in a folder the caller names (the
// app passes QStandardPaths::AppDataLocation + "/chats"), plus the Markdown export. Files are written
// through QSaveFile, so a killed app leaves the old file or the new one, never half of either. A file
// that cannot be read is moved aside under a new name, never deleted: it may hold the only copy of
// a conversation a future version (or a person) can still recover.
#include <QJsonObject>
#include <QString>
#include <QVector>

#include "chat_types.h"

namespace q8ui {

// The "format" and "version" at the top of every chat file.
inline constexpr char kChatFormatName[] = "q8chat.chat";
inline constexpr int kChatFormatVersion = 1;

QJsonObject chatToJson(const Chat& chat);
// The inverse of chatToJson. On a wrong format or version, a missing required field or a field of
// the wrong type: returns an empty Chat and says why in *error (which may be null).
Chat chatFromJson(const QJsonObject& json, QString* error);

// "<dir>/<id>.json".
QString chatFilePath(const QString& dir, const QString& id);

// Writes (or replaces) the chat's file, creating dir if needed. Refuses an id that is not a plain
// file name (empty, leading '.', '/', '\\' or control characters) and a chat that would not load
// back (e.g. an invalid date), so saving never produces a file the next start moves aside.
bool saveChat(const QString& dir, const Chat& chat, QString* error);

struct UnreadableChatFile {
    QString fileName;  // as it was found, e.g. "20261202-153012-4f2a.json"
    QString movedTo;   // its new name in the same folder; empty if even the rename failed
    QString reason;
};

struct LoadResult {
    QVector<Chat> chats;  // in listedBefore order
    QVector<UnreadableChatFile> unreadable;
};

// The order the chat list shows: most recently updated first, ties by id, newest first.
bool listedBefore(const Chat& a, const Chat& b);

// Reads every "*.json" in dir (a missing dir holds no chats). A file that cannot be read or parsed
// is renamed to "<name>.unreadable-yyyyMMdd-hhmmss", reported, and loading goes on. A chat whose id
// differs from its file name (a copied file) takes the file name as its id, so saving and deleting
// it touch that file.
LoadResult loadChats(const QString& dir);

// Removes the chat's file. True when the file is gone afterwards (also when there was none).
bool deleteChat(const QString& dir, const QString& id, QString* error = nullptr);

// The chat for reading or sharing: title, system prompt, each message under its role, and under
// each answer its figures in words and why it stopped or failed. Message text is copied verbatim,
// so code blocks survive.
QString chatToMarkdown(const Chat& chat);

enum class ExportFormat { Markdown, Json };
bool exportChat(const Chat& chat, const QString& path, ExportFormat format, QString* error);

// "yyyyMMdd-hhmmss-xxxx": local time and four random hex digits; sorts by creation, file-name safe.
QString newChatId();
// The first user message's words, whitespace collapsed, cut at a word to at most 40 characters
// ("…" included when cut); "New chat" when there is no user text.
QString defaultTitle(const Chat& chat);

}  // namespace q8ui
