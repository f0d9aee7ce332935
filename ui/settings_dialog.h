#pragma once
// Edits AppSettings; the caller saves and applies them when the dialog is accepted.
#include <QDialog>

#include "app_settings.h"

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;

namespace q8ui {

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    SettingsDialog(const AppSettings& settings, QWidget* parent = nullptr);
    AppSettings settings() const;

    // For tests: the draft lookup switch, the kiosk's exit PIN (empty: keep the one set) and its
    // removal.
    QCheckBox* draftLookup() const { return draftLookup_; }
    QLineEdit* kioskPinEdit() const { return kioskPin_; }
    QCheckBox* kioskRemovePin() const { return kioskRemovePin_; }
    QPushButton* okButton() const { return ok_; }

private:
    AppSettings base_;
    QSpinBox *threads_, *context_, *draftK_, *maxTokens_, *topK_, *seed_, *fontSize_;
    QDoubleSpinBox *temperature_, *topP_, *minP_, *repeatPenalty_;
    QPlainTextEdit* systemPrompt_;
    QCheckBox *draftLookup_, *enterSends_;
    QSpinBox* kioskIdle_;
    QLineEdit* kioskPin_;
    QCheckBox* kioskRemovePin_;
    QPushButton* ok_;
};

}  // namespace q8ui
