#pragma once
// The user's settings, persisted with QSettings. Generation settings travel with each request;
// threads, context size and the draft settings take effect at the next load.
#include <QString>

#include "chat_worker.h"
#include "kiosk_settings.h"

namespace q8ui {

struct AppSettings {
    int threads = 0;  // 0: every core
    int contextSize = 2048;
    int draftK = 8;
    bool draftLookup = true;  // Q4+spec also drafts what followed the last tokens earlier in the text
    GenerationSettings generation;
    QString systemPrompt;
    bool enterSends = false;  // Enter sends (Shift+Enter is then the new line); else Ctrl+Enter
    int fontPointSize = 0;    // 0: the system's
    KioskSettings kiosk;      // q8chat --kiosk: idle time and exit PIN

    static AppSettings load();  // from QSettings, defaults where unset
    void save() const;
};

}  // namespace q8ui
