#pragma once
// The kiosk's headline, across the top of the screen in type meant to be read from a few metres:
// the configuration running, its decode speed-up over FP16's last run, its weight memory against
// FP16's and its tokens/s, then a line saying what the demo is doing. An error takes that line's
// place, in red, for a few seconds and then goes by itself.
#include <QTimer>
#include <QWidget>

#include "chat_types.h"

class QLabel;

namespace q8ui {

// "2.9×"; "–" when unknown (0 or less).
QString speedupText(double speedup);
// Weights as a fraction of FP16's: 0.28 → "−72%", 1 → "±0%", 1.05 → "+5%"; "–" when unknown.
QString weightChangeText(double fraction);

class KioskHeadline : public QWidget {
    Q_OBJECT
public:
    struct Figures {
        Configuration configuration = Configuration::Fp16;
        bool running = false;        // the tokens/s are live, not the last run's
        double tokensPerSecond = 0;  // decode; 0: none yet
        double speedup = 0;          // over FP16's last run; 0: unknown
        double weightFraction = 0;   // weights ÷ FP16's; 0: unknown
        double weightMiB = 0;        // weights of the configuration
    };

    explicit KioskHeadline(QWidget* parent = nullptr);

    // Pixel height of the large figures; everything else scales from it.
    void setTypeSize(int pixels);
    void showFigures(const Figures& f);
    void setCaption(const QString& text);
    void showError(const QString& message, int milliseconds);

    QString configurationText() const;
    QString speedupShown() const;
    QString weightChangeShown() const;
    QString tokensPerSecondShown() const;
    QString caption() const;
    bool errorShown() const;
    QString errorText() const;

private:
    struct Tile {
        QLabel* value;
        QLabel* label;
    };
    Tile addTile(const QString& label);
    void restyle();

    int typePixels_ = 48;
    Configuration shown_ = Configuration::Fp16;
    QList<Tile> tiles_;
    Tile configuration_, speedup_, weights_, rate_;
    QLabel* caption_;
    QLabel* error_;
    QTimer errorTimer_;
};

}  // namespace q8ui
