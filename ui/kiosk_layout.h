#pragma once
// Turns the chat window into the kiosk's screen, through its public widgets: full screen, no menus
// or chat list, the headline on top, only the configuration switch left in the toolbar, type sized
// from the screen's height so it reads from a few metres, and the performance dock fixed in view.
#include <QFont>

namespace q8ui {

class KioskHeadline;
class MainWindow;
class PerformanceDock;

struct KioskTypeSizes {
    int headline;  // the headline's large figures
    int body;      // transcript, prompt, switch, status bar
    int chart;     // chart titles, axes and legends
};

// For a screen `screenHeight` pixels tall: 1080 gives 72, 30 and 16.
KioskTypeSizes kioskTypeSizes(int screenHeight);

// Takes `headline` into the window (the window owns it from then on) and shows it full screen.
// Returns the type sizes it chose for the screen.
KioskTypeSizes applyKioskLayout(MainWindow& window, KioskHeadline* headline);

// Chart text at `pixels`; again after a run, since bars added since then start at Qt's default.
void setChartTypeSize(PerformanceDock& dock, int pixels);

}  // namespace q8ui
