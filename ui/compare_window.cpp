#include "compare_window.h"

#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace q8ui {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
const QStringList kColumns = {"configuration", "first token s", "prompt tok/s", "decode tok/s",       "peak MiB",
                              "weights MiB",   "acceptance",    "speed-up",     "agreement with FP16"};

QString number(double v, int decimals) { return QString::number(v, 'f', decimals); }

}  // namespace

CompareWindow::CompareWindow(QWidget* parent)
    : QWidget(parent, Qt::Window),
      table_(new QTableWidget(4, int(kColumns.size()))),
      status_(new QLabel),
      stop_(new QPushButton(tr("Stop"))) {
    setWindowTitle(tr("q8chat · compare"));
    auto* panes = new QGridLayout;
    for (int c = 0; c < 4; ++c) {
        auto* title = new QLabel(QString("<b>%1</b>").arg(configurationName(static_cast<Configuration>(c))));
        auto* pane = new QPlainTextEdit;
        pane->setReadOnly(true);
        pane->setObjectName("compare-" + configurationName(static_cast<Configuration>(c)));
        panes->addWidget(title, 0, c);
        panes->addWidget(pane, 1, c);
        panes_.push_back(pane);
    }
    table_->setHorizontalHeaderLabels(kColumns);
    table_->verticalHeader()->hide();
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->horizontalHeaderItem(6)->setToolTip(tr("acceptance = accepted ÷ drafted"));
    table_->horizontalHeaderItem(7)->setToolTip(tr("decode tokens/s ÷ FP16's"));
    connect(stop_, &QPushButton::clicked, this, &CompareWindow::stopRequested);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(status_, 1);
    bottom->addWidget(stop_);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(panes, 3);
    layout->addWidget(table_, 1);
    layout->addLayout(bottom);
    resize(1300, 700);
}

void CompareWindow::begin(const QString& prompt, int maxTokens) {
    for (QPlainTextEdit* p : panes_) p->setPlainText(prompt);
    table_->clearContents();
    status_->setText(tr("Greedy, fixed seed, %1 new tokens each: the runs differ only in their weights and the draft.")
                         .arg(maxTokens));
    stop_->setEnabled(true);
}

void CompareWindow::startConfiguration(int config) {
    status_->setText(tr("Running %1 …").arg(configurationName(static_cast<Configuration>(config))));
}

void CompareWindow::appendText(int config, const QString& text) {
    QPlainTextEdit* p = panes_.at(config);
    p->moveCursor(QTextCursor::End);
    p->insertPlainText(text);
}

void CompareWindow::addRow(const CompareRowSummary& row) {
    QStringList cells{configurationName(static_cast<Configuration>(row.config))};
    if (!row.ran) {
        cells << row.reason;
    } else {
        const MessageFigures& f = row.figures;
        cells << number(f.timeToFirstTokenSeconds, 3) << number(f.promptTokensPerSecond, 0)
              << number(f.decodeTokensPerSecond, 1) << number(double(f.peakResidentBytes) / kMiB, 0)
              << number(double(row.weightBytes) / kMiB, 1)
              << (f.speculative()
                      ? QString("%1% (%2/%3)").arg(100.0 * f.acceptanceRate(), 0, 'f', 0).arg(f.accepted).arg(f.drafted)
                      : QString("—"))
              << (row.speedup > 0 ? QString("%1x").arg(row.speedup, 0, 'f', 2) : QString("—")) << row.agreement;
    }
    for (int col = 0; col < cells.size(); ++col) table_->setItem(row.config, col, new QTableWidgetItem(cells[col]));
    if (!row.ran) table_->setSpan(row.config, 1, 1, int(kColumns.size()) - 1);
}

void CompareWindow::finish() {
    stop_->setEnabled(false);
    status_->setText(tr("Done. Hover the column headers for the definitions (docs/metrics.md)."));
}

}  // namespace q8ui
