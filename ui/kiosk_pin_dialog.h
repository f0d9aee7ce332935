#pragma once
// Asks for the kiosk's exit PIN. Accepted only with the right PIN; it closes itself after three
// wrong ones or when left untouched, so an unattended kiosk never sits behind it.
#include <QDialog>
#include <QTimer>

#include "kiosk_settings.h"

class QLabel;
class QLineEdit;

namespace q8ui {

class KioskPinDialog : public QDialog {
    Q_OBJECT
public:
    static constexpr int kAttempts = 3;

    // `idleMs`: how long it waits for a key before closing.
    KioskPinDialog(const KioskSettings& settings, int idleMs, QWidget* parent = nullptr);

    QLineEdit* pinEdit() const { return pin_; }
    QLabel* message() const { return message_; }

private:
    void check();

    KioskSettings settings_;
    QLineEdit* pin_;
    QLabel* message_;
    QTimer idle_;
    int wrong_ = 0;
};

}  // namespace q8ui
