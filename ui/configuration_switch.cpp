#include "configuration_switch.h"

#include <QButtonGroup>
#include <QHBoxLayout>
#include <QToolButton>

namespace q8ui {

namespace {
const Configuration kAll[] = {Configuration::Fp16, Configuration::Q8, Configuration::Q4, Configuration::Q4Spec};
const char* kTips[] = {
    "Half-precision weights: the reference for speed and quality",
    "8-bit weights: about half the memory of FP16",
    "4-bit weights in groups of 32: about 30% of the memory of FP16",
    "4-bit weights, with a small draft model proposing tokens the target verifies in one pass",
};
}  // namespace

ConfigurationSwitch::ConfigurationSwitch(QWidget* parent) : QWidget(parent), group_(new QButtonGroup(this)) {
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    for (Configuration c : kAll) {
        auto* b = new QToolButton(this);
        b->setText(configurationName(c));
        b->setToolTip(tr(kTips[static_cast<int>(c)]));
        b->setCheckable(true);
        b->setAutoRaise(false);
        b->setObjectName("configuration-" + configurationName(c));
        group_->addButton(b, static_cast<int>(c));
        layout->addWidget(b);
    }
    group_->setExclusive(true);
    group_->button(0)->setChecked(true);
    connect(group_, &QButtonGroup::idClicked, this, [this](int id) {
        const auto c = static_cast<Configuration>(id);
        if (c == current_) return;
        emit chosen(c);
    });
}

QToolButton* ConfigurationSwitch::button(Configuration c) const {
    return static_cast<QToolButton*>(group_->button(static_cast<int>(c)));
}

void ConfigurationSwitch::setCurrent(Configuration c) {
    current_ = c;
    button(c)->setChecked(true);
}

void ConfigurationSwitch::setUnavailable(Configuration c, const QString& reason) {
    QToolButton* b = button(c);
    b->setEnabled(reason.isEmpty());
    b->setToolTip(reason.isEmpty() ? tr(kTips[static_cast<int>(c)]) : reason);
}

}  // namespace q8ui
