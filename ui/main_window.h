#pragma once
// The chat window: transcript, prompt box, Send and Stop. Generation runs on a worker thread.
#include <QLabel>
#include <QMainWindow>
#include <QThread>

class QPlainTextEdit;
class QPushButton;

namespace q8ui {

class GenerationWorker;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // An empty path reopens the model used last time (QSettings), if any.
    explicit MainWindow(const QString& modelPath, QWidget* parent = nullptr);
    ~MainWindow() override;

    void openModel(const QString& path);

    QLabel* statusLabel() const { return status_; }
    // Which kernel path and AMX state this process runs with, always shown in the status bar.
    const QLabel* kernelLabel() const { return &kernels_; }
    // For tests: the widgets a user acts on.
    QPlainTextEdit* transcript() const { return transcript_; }
    QPlainTextEdit* promptBox() const { return prompt_; }
    QPushButton* sendButton() const { return send_; }
    QPushButton* stopButton() const { return stop_; }

signals:
    void generateRequested(const QString& prompt, int maxTokens);
    void loadRequested(const QString& path);

private:
    void send();
    void setBusy(bool busy);

    QThread workerThread_;
    GenerationWorker* worker_;  // lives on workerThread_, deleted when it finishes
    QPlainTextEdit* transcript_;
    QPlainTextEdit* prompt_;
    QPushButton* send_;
    QPushButton* stop_;
    QLabel* status_;
    // A member, not heap-allocated: destroyed (and so removed from the status bar) before the
    // window's own children are.
    QLabel kernels_;
};

}  // namespace q8ui
