#pragma once
// What the operator sets for kiosk mode (q8chat --kiosk), in QSettings under kiosk/: how long the
// attract loop waits after a visitor's last input before it resumes, and an optional PIN that
// leaving kiosk mode asks for. The PIN is kept salted and hashed (SHA-256): it stops a visitor at
// the keyboard, and someone who can read the settings file learns nothing they could reuse.
#include <QKeySequence>
#include <QString>

namespace q8ui {

struct KioskSettings {
    static constexpr int kMinIdleSeconds = 5;
    static constexpr int kMaxIdleSeconds = 3600;
    static constexpr int kMinPinDigits = 4;
    static constexpr int kMaxPinDigits = 12;

    int idleResumeSeconds = 60;  // kiosk/idleResumeSeconds
    QString exitPinHash;         // kiosk/exitPin: "sha256:<salt hex>:<digest hex>", empty: no PIN

    // The one way out of kiosk mode: Ctrl+Alt+Shift+Q (then the PIN, when one is set).
    static QKeySequence exitShortcut();

    static KioskSettings load();  // out-of-range or malformed values fall back to the defaults
    void save() const;

    bool requiresPin() const { return !exitPinHash.isEmpty(); }
    // True when no PIN is set, or `pin` is the one set.
    bool acceptsPin(const QString& pin) const;
    // Sets (a fresh salt each time) or, with an empty pin, removes the PIN. False for anything but
    // kMinPinDigits to kMaxPinDigits digits.
    bool setPin(const QString& pin);
    static bool validPin(const QString& pin);
};

}  // namespace q8ui
