#pragma once
// Compare mode: one prompt through FP16, Q8, Q4 and Q4+spec in turn (q8/compare.h, run by the
// worker), each streamed into its own pane side by side, then a table of their figures, the
// speed-up over FP16 and the agreement with FP16. Stop ends the whole comparison.
#include <QWidget>

#include "chat_worker.h"

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;

namespace q8ui {

class CompareWindow : public QWidget {
    Q_OBJECT
public:
    explicit CompareWindow(QWidget* parent = nullptr);

    void begin(const QString& prompt, int maxTokens);
    QPlainTextEdit* pane(int config) const { return panes_.at(config); }
    QTableWidget* table() const { return table_; }
    QPushButton* stopButton() const { return stop_; }

public slots:
    void startConfiguration(int config);
    void appendText(int config, const QString& text);
    void addRow(const q8ui::CompareRowSummary& row);
    void finish();

signals:
    void stopRequested();

private:
    QVector<QPlainTextEdit*> panes_;
    QTableWidget* table_;
    QLabel* status_;
    QPushButton* stop_;
};

}  // namespace q8ui
