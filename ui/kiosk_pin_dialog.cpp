#include "kiosk_pin_dialog.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpressionValidator>
#include <QVBoxLayout>

namespace q8ui {

KioskPinDialog::KioskPinDialog(const KioskSettings& settings, int idleMs, QWidget* parent)
    : QDialog(parent), settings_(settings), pin_(new QLineEdit), message_(new QLabel) {
    setWindowTitle(tr("Leave kiosk mode"));
    setObjectName("kiosk-pin");
    pin_->setEchoMode(QLineEdit::Password);
    pin_->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QString("[0-9]{0,%1}").arg(KioskSettings::kMaxPinDigits)), pin_));
    message_->setText(tr("Enter the PIN to leave kiosk mode."));
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &KioskPinDialog::check);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(message_);
    layout->addWidget(pin_);
    layout->addWidget(buttons);
    idle_.setSingleShot(true);
    idle_.setInterval(idleMs);
    connect(&idle_, &QTimer::timeout, this, &QDialog::reject);
    connect(pin_, &QLineEdit::textEdited, &idle_, qOverload<>(&QTimer::start));
    idle_.start();
}

void KioskPinDialog::check() {
    if (settings_.acceptsPin(pin_->text())) {
        accept();
        return;
    }
    if (++wrong_ >= kAttempts) {
        reject();
        return;
    }
    pin_->clear();
    message_->setText(tr("Wrong PIN: %n attempt(s) left.", "", kAttempts - wrong_));
    idle_.start();
}

}  // namespace q8ui
