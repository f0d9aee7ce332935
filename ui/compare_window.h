#pragma once
// Compare mode: one prompt through FP16, Q8, Q4 and Q4+spec in turn (q8/compare.h, run by the
// worker), each streamed into its own pane side by side, then a table of their figures, the
// speed-up over FP16 and the agreement with FP16. Stop ends the whole comparison. Export writes
// the comparison as `q8bench compare --json` prints it (the same function makes both), the table
// as CSV, and the window as PNG or SVG.
#include <QWidget>

#include "chat_worker.h"

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;
class QToolButton;

namespace q8ui {

class CompareWindow : public QWidget {
    Q_OBJECT
public:
    explicit CompareWindow(QWidget* parent = nullptr);

    void begin(const QString& prompt, int maxTokens);
    QPlainTextEdit* pane(int config) const { return panes_.at(config); }
    QTableWidget* table() const { return table_; }
    QPushButton* stopButton() const { return stop_; }
    QToolButton* exportButton() const { return export_; }

    // False with *error set when the file cannot be written.
    bool exportJson(const QString& path, QString* error = nullptr) const;
    bool exportCsv(const QString& path, QString* error = nullptr) const;
    bool exportPng(const QString& path, QString* error = nullptr);
    bool exportSvg(const QString& path, QString* error = nullptr);

public slots:
    void startConfiguration(int config);
    void appendText(int config, const QString& text);
    void addRow(const q8ui::CompareRowSummary& row);
    // reportJson: the comparison as q8::compare_json wrote it; empty when it failed.
    void finish(const QString& reportJson);

signals:
    void stopRequested();

private:
    QVector<QPlainTextEdit*> panes_;
    QTableWidget* table_;
    QLabel* status_;
    QPushButton* stop_;
    QToolButton* export_;
    QString reportJson_;
};

}  // namespace q8ui
