#include "main_window.h"

#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QVBoxLayout>

#include <q8/system.h>

#include "generation_worker.h"

namespace q8ui {

MainWindow::MainWindow(const QString& modelPath, QWidget* parent)
    : QMainWindow(parent),
      worker_(new GenerationWorker),
      transcript_(new QPlainTextEdit),
      prompt_(new QPlainTextEdit),
      send_(new QPushButton(tr("Send"))),
      stop_(new QPushButton(tr("Stop"))),
      status_(new QLabel) {
    setWindowTitle(tr("q8chat"));
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open model…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a GGUF model"), QString(),
                                                          tr("GGUF models (*.gguf);;All files (*)"));
        if (!path.isEmpty()) openModel(path);
    });
    open->setShortcut(QKeySequence::Open);
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    transcript_->setReadOnly(true);
    prompt_->setPlaceholderText(tr("Type a prompt; Send continues it."));
    prompt_->setMaximumHeight(120);

    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(stop_);
    buttons->addWidget(send_);
    auto* layout = new QVBoxLayout;
    layout->addWidget(transcript_, 1);
    layout->addWidget(prompt_);
    layout->addLayout(buttons);
    auto* central = new QWidget;
    central->setLayout(layout);
    setCentralWidget(central);
    statusBar()->addWidget(status_, 1);
    const q8::CpuInfo cpu = q8::cpu_info();
    kernels_.setText(
        tr("Kernels: %1 · AMX: %2").arg(QString::fromStdString(cpu.kernel_path), QString::fromStdString(cpu.amx)));
    kernels_.setToolTip(tr("CPU features: %1").arg(QString::fromStdString(cpu.features)));
    statusBar()->addPermanentWidget(&kernels_);
    resize(900, 650);

    worker_->moveToThread(&workerThread_);
    connect(&workerThread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(this, &MainWindow::loadRequested, worker_, &GenerationWorker::loadModel);
    connect(this, &MainWindow::generateRequested, worker_, &GenerationWorker::generate);
    connect(worker_, &GenerationWorker::modelLoaded, this, [this](const QString& d) {
        status_->setText(tr("Model: %1").arg(d));
        setBusy(false);
    });
    connect(worker_, &GenerationWorker::tokenReady, this, [this](const QString& t) {
        transcript_->moveCursor(QTextCursor::End);
        transcript_->insertPlainText(t);
    });
    connect(worker_, &GenerationWorker::finished, this, [this](const QString& why, double tps, double mib) {
        status_->setText(tr("%1 · %2 tokens/s · %3 MiB resident").arg(why).arg(tps, 0, 'f', 1).arg(mib, 0, 'f', 0));
        setBusy(false);
    });
    connect(worker_, &GenerationWorker::failed, this, [this](const QString& msg) {
        status_->setText(tr("Error: %1").arg(msg));
        setBusy(false);
    });
    connect(send_, &QPushButton::clicked, this, &MainWindow::send);
    connect(stop_, &QPushButton::clicked, this, [this] { worker_->requestStop(); });
    workerThread_.start();

    const QString path = modelPath.isEmpty() ? QSettings().value("model/lastPath").toString() : modelPath;
    if (path.isEmpty()) {
        setBusy(false);
        send_->setEnabled(false);
        status_->setText(tr("No model loaded: choose one with File → Open model."));
    } else {
        openModel(path);
    }
}

void MainWindow::openModel(const QString& path) {
    setBusy(true);
    status_->setText(tr("Loading %1 …").arg(path));
    QSettings().setValue("model/lastPath", path);
    emit loadRequested(path);
}

MainWindow::~MainWindow() {
    worker_->requestStop();
    workerThread_.quit();
    workerThread_.wait();
}

void MainWindow::send() {
    const QString prompt = prompt_->toPlainText();
    if (prompt.isEmpty()) {
        status_->setText(tr("The prompt is empty."));
        return;
    }
    transcript_->moveCursor(QTextCursor::End);
    transcript_->insertPlainText((transcript_->document()->isEmpty() ? "" : "\n\n") + prompt);
    setBusy(true);
    worker_->armForRequest();
    emit generateRequested(prompt, 256);
}

void MainWindow::setBusy(bool busy) {
    send_->setEnabled(!busy);
    stop_->setEnabled(busy);
}

}  // namespace q8ui
