#include "kiosk_prompts.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace q8ui {

namespace {

QVector<KioskPrompt> fail(QString* error, const QString& why) {
    if (error != nullptr) *error = why;
    return {};
}

}  // namespace

QVector<KioskPrompt> loadKioskPrompts(const QString& path, QString* error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return fail(error, QString("%1: %2").arg(path, file.errorString()));
    QJsonParseError parse;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &parse);
    if (parse.error != QJsonParseError::NoError)
        return fail(error, QString("%1: not JSON (%2 at byte %3)").arg(path, parse.errorString()).arg(parse.offset));
    const QJsonObject root = doc.object();
    if (root["format"].toString() != "q8chat.kiosk-prompts" || root["version"].toInt() != 1)
        return fail(error, QString("%1: not a q8chat.kiosk-prompts file of version 1").arg(path));
    const QJsonArray list = root["prompts"].toArray();
    if (list.isEmpty()) return fail(error, QString("%1: holds no prompts").arg(path));
    QVector<KioskPrompt> prompts;
    for (int i = 0; i < list.size(); ++i) {
        const QJsonObject o = list[i].toObject();
        KioskPrompt p{o["title"].toString(), o["kind"].toString(), o["text"].toString()};
        if (p.title.trimmed().isEmpty() || p.text.trimmed().isEmpty())
            return fail(error, QString("%1: prompt %2 has no title or no text").arg(path).arg(i + 1));
        if (p.kind != "code" && p.kind != "prose")
            return fail(error, QString("%1: prompt %2: kind must be \"code\" or \"prose\"").arg(path).arg(i + 1));
        prompts.push_back(p);
    }
    return prompts;
}

}  // namespace q8ui
