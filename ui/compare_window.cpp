#include "compare_window.h"

#include <QFileDialog>
#include <QGridLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

#include "file_export.h"

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
      stop_(new QPushButton(tr("Stop"))),
      export_(new QToolButton) {
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
    export_->setText(tr("Export"));
    export_->setPopupMode(QToolButton::InstantPopup);
    export_->setEnabled(false);
    auto* menu = new QMenu(export_);
    export_->setMenu(menu);
    auto offer = [this, menu](const QString& label, const QString& filter, auto write) {
        connect(menu->addAction(label), &QAction::triggered, this, [this, filter, write] {
            const QString path = QFileDialog::getSaveFileName(this, tr("Export comparison"), {}, filter);
            if (path.isEmpty()) return;
            QString error;
            if (!(this->*write)(path, &error)) status_->setText(error);
        });
    };
    offer(tr("Comparison as JSON…"), tr("JSON (*.json)"), &CompareWindow::exportJson);
    offer(tr("Table as CSV…"), tr("CSV (*.csv)"), &CompareWindow::exportCsv);
    offer(tr("Window as PNG…"), tr("PNG image (*.png)"), &CompareWindow::exportPng);
    offer(tr("Window as SVG…"), tr("SVG image (*.svg)"), &CompareWindow::exportSvg);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(status_, 1);
    bottom->addWidget(export_);
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
    table_->clearSpans();
    reportJson_.clear();
    export_->setEnabled(false);
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

void CompareWindow::finish(const QString& reportJson) {
    stop_->setEnabled(false);
    reportJson_ = reportJson;
    export_->setEnabled(!reportJson_.isEmpty());
    status_->setText(reportJson_.isEmpty()
                         ? tr("The comparison failed; the log says why.")
                         : tr("Done. Hover the column headers for the definitions (docs/metrics.md)."));
}

bool CompareWindow::exportJson(const QString& path, QString* error) const {
    return saveBytes(path, reportJson_.toUtf8(), error);
}

// The table as shown, one line per configuration; a configuration that did not run has its
// reason in the second column.
bool CompareWindow::exportCsv(const QString& path, QString* error) const {
    QString csv;
    QStringList header;
    for (const QString& c : kColumns) header << csvField(c);
    csv += header.join(',') + '\n';
    for (int row = 0; row < table_->rowCount(); ++row) {
        QStringList cells;
        for (int col = 0; col < table_->columnCount(); ++col) {
            const QTableWidgetItem* item = table_->item(row, col);
            cells << csvField(item != nullptr ? item->text() : QString());
        }
        csv += cells.join(',') + '\n';
    }
    return saveBytes(path, csv.toUtf8(), error);
}

bool CompareWindow::exportPng(const QString& path, QString* error) { return saveWidgetPng(*this, path, error); }

bool CompareWindow::exportSvg(const QString& path, QString* error) {
    return saveWidgetSvg(*this, path, windowTitle(), error);
}

}  // namespace q8ui
