#pragma once
// q8chat --kiosk: the unattended demo (ui/kiosk_controller.h) on the kiosk's models, its chats in
// the cache folder (kiosk-chats, the 20 newest kept), and with --soak a timed run that writes a JSON
// report of memory and tokens/s and exits.
#include <QString>

namespace q8app {

struct KioskOptions {
    double soakSeconds = 0;  // 0: run until the exit shortcut
    QString soakOutput;      // empty: stdout
    QString chatsDir;        // empty: <cache>/kiosk-chats
};

// Runs the application's event loop; returns the exit code (1 when the kiosk's models or prompts
// are missing or a soak report cannot be written).
int runKiosk(const KioskOptions& options);

}  // namespace q8app
