#pragma once
// The four configurations as one segmented control, always in view: FP16 | Q8 | Q4 | Q4+spec.
// A configuration the loaded model cannot run is disabled with the reason as its tooltip.
#include <QWidget>

#include "chat_types.h"

class QButtonGroup;
class QToolButton;

namespace q8ui {

class ConfigurationSwitch : public QWidget {
    Q_OBJECT
public:
    explicit ConfigurationSwitch(QWidget* parent = nullptr);

    Configuration current() const { return current_; }
    // Shows `c` as chosen without emitting (the worker confirmed it).
    void setCurrent(Configuration c);
    // An empty reason enables the configuration.
    void setUnavailable(Configuration c, const QString& reason);
    QToolButton* button(Configuration c) const;

signals:
    void chosen(q8ui::Configuration c);

private:
    QButtonGroup* group_;
    Configuration current_ = Configuration::Fp16;
};

}  // namespace q8ui
