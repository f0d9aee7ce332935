#pragma once
// The kiosk's attract-loop prompts, read from a small JSON file (resources/kiosk-prompts.json,
// installed to <prefix>/share/q8chat): {"format": "q8chat.kiosk-prompts", "version": 1,
// "prompts": [{"title": …, "kind": "code"|"prose", "text": …}, …]}.
#include <QString>
#include <QVector>

namespace q8ui {

struct KioskPrompt {
    QString title;  // shown under the headline, e.g. "A Fibonacci function"
    QString kind;   // "code" or "prose"
    QString text;   // what the model continues
};

// The prompts in file order. An unreadable file, another format or version, or a prompt without
// a title or text gives an empty list and says why (with the prompt's position) in *error.
QVector<KioskPrompt> loadKioskPrompts(const QString& path, QString* error);

}  // namespace q8ui
