#include "settings_dialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSpinBox>
#include <QThread>

namespace q8ui {

namespace {

QSpinBox* spin(int lo, int hi, int value, const QString& special = {}) {
    auto* s = new QSpinBox;
    s->setRange(lo, hi);
    s->setValue(value);
    if (!special.isEmpty()) s->setSpecialValueText(special);
    return s;
}

QDoubleSpinBox* dspin(double lo, double hi, double step, double value) {
    auto* s = new QDoubleSpinBox;
    s->setRange(lo, hi);
    s->setSingleStep(step);
    s->setDecimals(2);
    s->setValue(value);
    return s;
}

}  // namespace

SettingsDialog::SettingsDialog(const AppSettings& a, QWidget* parent) : QDialog(parent), base_(a) {
    setWindowTitle(tr("Settings"));
    const GenerationSettings& g = a.generation;
    threads_ = spin(0, QThread::idealThreadCount(), a.threads, tr("all cores"));
    context_ = spin(128, 131072, a.contextSize);
    context_->setSingleStep(512);
    draftK_ = spin(1, 16, a.draftK);
    draftLookup_ = new QCheckBox(tr("Also draft what followed the last words earlier in the text (Q4+spec)"));
    draftLookup_->setChecked(a.draftLookup);
    maxTokens_ = spin(1, 32768, g.maxTokens);
    temperature_ = dspin(0, 2, 0.05, g.temperature);
    topK_ = spin(0, 1000, g.topK, tr("off"));
    topP_ = dspin(0.01, 1, 0.01, g.topP);
    minP_ = dspin(0, 1, 0.01, g.minP);
    repeatPenalty_ = dspin(0.5, 2, 0.05, g.repeatPenalty);
    seed_ = spin(0, 1 << 30, static_cast<int>(g.seed));
    systemPrompt_ = new QPlainTextEdit(a.systemPrompt);
    systemPrompt_->setMaximumHeight(80);
    enterSends_ = new QCheckBox(tr("Enter sends (Shift+Enter for a new line)"));
    enterSends_->setChecked(a.enterSends);
    fontSize_ = spin(0, 48, a.fontPointSize, tr("system"));
    kioskIdle_ = spin(KioskSettings::kMinIdleSeconds, KioskSettings::kMaxIdleSeconds, a.kiosk.idleResumeSeconds);
    kioskIdle_->setSuffix(tr(" s"));
    kioskPin_ = new QLineEdit;
    kioskPin_->setEchoMode(QLineEdit::Password);
    kioskPin_->setValidator(new QRegularExpressionValidator(
        QRegularExpression(QString("[0-9]{0,%1}").arg(KioskSettings::kMaxPinDigits)), kioskPin_));
    kioskPin_->setPlaceholderText(a.kiosk.requiresPin() ? tr("a PIN is set: type a new one to change it")
                                                        : tr("none: type %1 to %2 digits to set one")
                                                              .arg(KioskSettings::kMinPinDigits)
                                                              .arg(KioskSettings::kMaxPinDigits));
    kioskRemovePin_ = new QCheckBox(tr("Leave kiosk mode without a PIN"));
    kioskRemovePin_->setVisible(a.kiosk.requiresPin());

    auto* form = new QFormLayout;
    form->addRow(tr("Threads"), threads_);
    form->addRow(tr("Context size (tokens)"), context_);
    form->addRow(tr("Draft tokens per step (Q4+spec)"), draftK_);
    form->addRow(QString(), draftLookup_);
    form->addRow(tr("Max new tokens"), maxTokens_);
    form->addRow(tr("Temperature (0 = greedy)"), temperature_);
    form->addRow(tr("Top-k"), topK_);
    form->addRow(tr("Top-p"), topP_);
    form->addRow(tr("Min-p"), minP_);
    form->addRow(tr("Repetition penalty (1 = off)"), repeatPenalty_);
    form->addRow(tr("Seed"), seed_);
    form->addRow(tr("System prompt"), systemPrompt_);
    form->addRow(QString(), enterSends_);
    form->addRow(tr("Font size"), fontSize_);
    form->addRow(new QLabel(tr("<b>Kiosk mode</b> (q8chat --kiosk; leave it with %1)")
                                .arg(KioskSettings::exitShortcut().toString(QKeySequence::NativeText))));
    form->addRow(tr("Resume the demo after a visitor's last input"), kioskIdle_);
    form->addRow(tr("PIN to leave kiosk mode"), kioskPin_);
    form->addRow(QString(), kioskRemovePin_);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    ok_ = buttons->button(QDialogButtonBox::Ok);
    // A PIN too short to set is not dropped silently: OK waits for a valid one (or none).
    const auto checkPin = [this] {
        const QString pin = kioskPin_->text();
        ok_->setEnabled(pin.isEmpty() || KioskSettings::validPin(pin));
        kioskPin_->setEnabled(!kioskRemovePin_->isChecked());
    };
    connect(kioskPin_, &QLineEdit::textChanged, this, checkPin);
    connect(kioskRemovePin_, &QCheckBox::toggled, this, checkPin);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form->addRow(buttons);
    setLayout(form);
}

AppSettings SettingsDialog::settings() const {
    AppSettings a = base_;
    a.threads = threads_->value();
    a.contextSize = context_->value();
    a.draftK = draftK_->value();
    a.draftLookup = draftLookup_->isChecked();
    GenerationSettings& g = a.generation;
    g.maxTokens = maxTokens_->value();
    g.temperature = temperature_->value();
    g.topK = topK_->value();
    g.topP = topP_->value();
    g.minP = minP_->value();
    g.repeatPenalty = repeatPenalty_->value();
    g.seed = static_cast<quint64>(seed_->value());
    a.systemPrompt = systemPrompt_->toPlainText();
    a.enterSends = enterSends_->isChecked();
    a.fontPointSize = fontSize_->value();
    a.kiosk.idleResumeSeconds = kioskIdle_->value();
    if (kioskRemovePin_->isChecked()) {
        a.kiosk.setPin(QString());
    } else if (!kioskPin_->text().isEmpty()) {
        a.kiosk.setPin(kioskPin_->text());
    }
    return a;
}

}  // namespace q8ui
