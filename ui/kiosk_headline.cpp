#include "kiosk_headline.h"

#include <QGridLayout>
#include <QLabel>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "configuration_color.h"

namespace q8ui {

namespace {

constexpr char kBackground[] = "#111820";
constexpr char kCaptionColour[] = "#c8d0da";

}  // namespace

QString speedupText(double speedup) {
    if (!(speedup > 0)) return QStringLiteral("–");
    return QString::number(speedup, 'f', 1) + QStringLiteral("×");
}

QString weightChangeText(double fraction) {
    if (!(fraction > 0)) return QStringLiteral("–");
    const int percent = qRound((fraction - 1.0) * 100.0);
    if (percent == 0) return QStringLiteral("±0%");
    return (percent < 0 ? QStringLiteral("−") : QStringLiteral("+")) + QString::number(std::abs(percent)) + "%";
}

KioskHeadline::KioskHeadline(QWidget* parent) : QWidget(parent), caption_(new QLabel), error_(new QLabel) {
    setObjectName("kiosk-headline");
    setAttribute(Qt::WA_StyledBackground);
    auto* grid = new QGridLayout;
    grid->setHorizontalSpacing(0);
    configuration_ = addTile(tr("configuration"));
    speedup_ = addTile(tr("speed vs FP16"));
    weights_ = addTile(tr("weights vs FP16"));
    rate_ = addTile(tr("tokens/s"));
    for (int i = 0; i < tiles_.size(); ++i) {
        // Four equal columns whatever their text.
        for (QLabel* l : {tiles_[i].value, tiles_[i].label}) {
            l->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
            l->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
        }
        grid->addWidget(tiles_[i].value, 0, i);
        grid->addWidget(tiles_[i].label, 1, i);
        grid->setColumnStretch(i, 1);
    }
    caption_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    caption_->setAlignment(Qt::AlignCenter);
    error_->setWordWrap(true);
    error_->setAlignment(Qt::AlignCenter);
    error_->setObjectName("kiosk-error");
    error_->hide();
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(grid);
    layout->addWidget(caption_);
    layout->addWidget(error_);
    errorTimer_.setSingleShot(true);
    connect(&errorTimer_, &QTimer::timeout, this, [this] {
        error_->hide();
        caption_->show();
    });
    showFigures({});
    restyle();
}

KioskHeadline::Tile KioskHeadline::addTile(const QString& label) {
    Tile t{new QLabel, new QLabel(label)};
    tiles_.push_back(t);
    return t;
}

void KioskHeadline::setTypeSize(int pixels) {
    typePixels_ = pixels;
    restyle();
}

void KioskHeadline::restyle() {
    const int small = std::max(12, typePixels_ * 2 / 5);
    const int medium = std::max(14, typePixels_ / 2);
    setStyleSheet(QString("#kiosk-headline { background: %1; }").arg(kBackground));
    for (const Tile& t : tiles_) {
        t.value->setStyleSheet(QString("color: white; font-weight: bold; font-size: %1px;").arg(typePixels_));
        t.label->setStyleSheet(QString("color: %1; font-size: %2px;").arg(kCaptionColour).arg(small));
    }
    configuration_.value->setStyleSheet(QString("color: %1; font-weight: bold; font-size: %2px;")
                                            .arg(configurationColor(shown_).lighter(150).name())
                                            .arg(typePixels_));
    caption_->setStyleSheet(QString("color: white; font-size: %1px; padding: 4px;").arg(medium));
    error_->setStyleSheet(
        QString("color: white; background: #b00020; font-weight: bold; font-size: %1px; padding: 4px;").arg(medium));
    layout()->setContentsMargins(typePixels_ / 4, typePixels_ / 8, typePixels_ / 4, typePixels_ / 8);
}

void KioskHeadline::showFigures(const Figures& f) {
    const bool recolour = f.configuration != shown_;
    shown_ = f.configuration;
    configuration_.value->setText(configurationName(f.configuration));
    speedup_.value->setText(speedupText(f.speedup));
    weights_.value->setText(weightChangeText(f.weightFraction));
    weights_.label->setText(f.weightMiB > 0 ? tr("weights vs FP16 (%1 MiB)").arg(f.weightMiB, 0, 'f', 0)
                                            : tr("weights vs FP16"));
    rate_.value->setText(f.tokensPerSecond > 0 ? QString::number(f.tokensPerSecond, 'f', 0) : QStringLiteral("–"));
    rate_.label->setText(f.running ? tr("tokens/s now") : tr("tokens/s, last answer"));
    if (recolour) restyle();
}

void KioskHeadline::setCaption(const QString& text) { caption_->setText(text); }

void KioskHeadline::showError(const QString& message, int milliseconds) {
    error_->setText(message);
    error_->show();
    caption_->hide();
    errorTimer_.start(milliseconds);
}

QString KioskHeadline::configurationText() const { return configuration_.value->text(); }
QString KioskHeadline::speedupShown() const { return speedup_.value->text(); }
QString KioskHeadline::weightChangeShown() const { return weights_.value->text(); }
QString KioskHeadline::tokensPerSecondShown() const { return rate_.value->text(); }
QString KioskHeadline::caption() const { return caption_->text(); }
bool KioskHeadline::errorShown() const { return !error_->isHidden(); }
QString KioskHeadline::errorText() const { return error_->text(); }

}  // namespace q8ui
