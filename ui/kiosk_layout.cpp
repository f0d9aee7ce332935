#include "kiosk_layout.h"

#include <QAbstractAxis>
#include <QBarSeries>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QLegend>
#include <QListView>
#include <QMenuBar>
#include <QScreen>
#include <QStatusBar>
#include <QToolBar>
#include <QToolButton>
#include <algorithm>

#include "configuration_switch.h"
#include "kiosk_headline.h"
#include "main_window.h"
#include "performance_dock.h"
#include "prompt_box.h"
#include "transcript_view.h"

namespace q8ui {

namespace {

QFont pixelFont(QFont f, int pixels, bool bold = false) {
    f.setPixelSize(pixels);
    f.setBold(bold);
    return f;
}

}  // namespace

KioskTypeSizes kioskTypeSizes(int screenHeight) {
    const int h = std::max(screenHeight, 480);
    return {h / 15, h / 36, h / 64};
}

KioskTypeSizes applyKioskLayout(MainWindow& window, KioskHeadline* headline) {
    const QRect screen = window.screen()->geometry();
    const KioskTypeSizes type = kioskTypeSizes(screen.height());

    // A hidden menu bar also takes its actions' shortcuts (Ctrl+Q, Ctrl+O, …) out of play, and no
    // context menu can hide the toolbars or the dock.
    window.menuBar()->hide();
    window.setContextMenuPolicy(Qt::PreventContextMenu);
    window.setAcceptDrops(false);  // a model dropped on the window would replace the demo's
    window.chatList()->parentWidget()->hide();

    auto* top = new QToolBar(QObject::tr("Kiosk"), &window);
    top->setObjectName("kiosk-headline-bar");
    top->setMovable(false);
    top->setFloatable(false);
    headline->setTypeSize(type.headline);
    headline->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    top->addWidget(headline);
    auto* models = window.findChild<QToolBar*>("model-toolbar");
    window.insertToolBar(models, top);
    window.insertToolBarBreak(models);
    // Of the model toolbar only the configuration switch stays: visitors do not open files.
    for (QAction* a : models->actions()) a->setVisible(models->widgetForAction(a) == window.configurationSwitch());
    const QFont body = pixelFont(window.font(), type.body);
    window.setFont(body);
    window.transcript()->setFont(body);
    window.promptBox()->setFont(body);
    window.promptBox()->setMaximumHeight(type.body * 4);
    window.promptBox()->setPlaceholderText(QObject::tr("Type a prompt of your own and press Enter"));
    window.promptBox()->setEnterSends(true);
    for (QToolButton* b : window.configurationSwitch()->findChildren<QToolButton*>()) {
        b->setFont(pixelFont(body, type.body, true));
        b->setMinimumWidth(type.body * 5);
    }
    // Editing a message opens a dialog that would wait for a keyboard.
    QObject::disconnect(window.transcript(), &TranscriptView::editRequested, &window, nullptr);

    PerformanceDock* dock = window.performanceDock();
    dock->setFeatures(QDockWidget::NoDockWidgetFeatures);
    dock->exportButton()->hide();
    // What fits a screen's height in large type: the live tokens/s and the last run of each
    // configuration side by side (memory is in the headline and the peak-memory bars).
    using Chart = PerformanceDock::Chart;
    for (Chart c : {Chart::Memory, Chart::Acceptance, Chart::AcceptedHistogram}) dock->chartView(c)->hide();
    for (Chart c : {Chart::SummaryDecode, Chart::SummaryPrompt, Chart::SummaryFirstToken, Chart::SummaryPeakMemory})
        dock->chartView(c)->setMinimumHeight(type.chart * 12);
    dock->show();
    setChartTypeSize(*dock, type.chart);
    window.statusBar()->setFont(pixelFont(body, type.chart * 5 / 4));
    // The geometry too: without a window manager (a bare X server at a booth) full screen alone
    // leaves the window its old size.
    window.setGeometry(screen);
    window.showFullScreen();
    window.activateWindow();
    window.resizeDocks({dock}, {screen.width() * 2 / 5}, Qt::Horizontal);
    return type;
}

void setChartTypeSize(PerformanceDock& dock, int pixels) {
    for (int c = 0; c <= int(PerformanceDock::Chart::SummaryPeakMemory); ++c) {
        QChart* chart = dock.chartView(static_cast<PerformanceDock::Chart>(c))->chart();
        const QFont base = chart->titleFont();
        chart->setTitleFont(pixelFont(base, pixels * 6 / 5, true));
        chart->legend()->setFont(pixelFont(base, pixels));
        for (QAbstractAxis* axis : chart->axes()) {
            axis->setLabelsFont(pixelFont(base, pixels));
            axis->setTitleFont(pixelFont(base, pixels));
        }
        for (QAbstractSeries* s : chart->series()) {
            if (auto* bars = qobject_cast<QAbstractBarSeries*>(s))
                for (QBarSet* set : bars->barSets()) set->setLabelFont(pixelFont(base, pixels * 7 / 8));
        }
    }
}

}  // namespace q8ui
