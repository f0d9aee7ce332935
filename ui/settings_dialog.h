#pragma once
// Edits AppSettings; the caller saves and applies them when the dialog is accepted.
#include <QDialog>

#include "app_settings.h"

class QCheckBox;
class QDoubleSpinBox;
class QPlainTextEdit;
class QSpinBox;

namespace q8ui {

class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    SettingsDialog(const AppSettings& settings, QWidget* parent = nullptr);
    AppSettings settings() const;

private:
    AppSettings base_;
    QSpinBox *threads_, *context_, *draftK_, *maxTokens_, *topK_, *seed_, *fontSize_;
    QDoubleSpinBox *temperature_, *topP_, *minP_, *repeatPenalty_;
    QPlainTextEdit* systemPrompt_;
    QCheckBox* enterSends_;
};

}  // namespace q8ui
