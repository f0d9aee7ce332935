#include "main_window.h"

#include <spdlog/spdlog.h>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLineEdit>
#include <QListView>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStorageInfo>
#include <QToolBar>
#include <QVBoxLayout>

#include <q8/system.h>

#include "chat_list_model.h"
#include "chat_store.h"
#include "compare_window.h"
#include "configuration_switch.h"
#include "log_dock.h"
#include "performance_dock.h"
#include "prompt_box.h"
#include "scaled_demo.h"
#include "settings_dialog.h"
#include "transcript_view.h"

namespace q8ui {

namespace {

constexpr int kSaveWhileStreamingMs = 2000;
constexpr int kMaxRecent = 8;
constexpr double kMiB = 1024.0 * 1024.0;

QString defaultChatsDir() { return QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/chats"; }

QString quantCacheDir() { return QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + "/quantized"; }

}  // namespace

MainWindow::MainWindow(const QString& modelPath, QWidget* parent, const QString& chatsDir)
    : QMainWindow(parent),
      chatsDir_(chatsDir.isEmpty() ? defaultChatsDir() : chatsDir),
      settings_(AppSettings::load()),
      worker_(new ChatWorker),
      chats_(new ChatListModel(this)),
      chatSearch_(newChatSearchModel(chats_, this)) {
    setWindowTitle(tr("q8chat"));
    setAcceptDrops(true);
    buildMenus();
    buildToolbar();
    refreshRecentMenu();
    buildCentralArea();
    buildStatusBar();
    log_ = new LogDock(this);
    addDockWidget(Qt::BottomDockWidgetArea, log_);
    log_->hide();
    performance_ = new PerformanceDock(this);
    addDockWidget(Qt::RightDockWidgetArea, performance_);
    performance_->setVisible(QSettings().value("view/performanceVisible", true).toBool());
    performance_->setMinimumWidth(440);  // below that its charts' axes crowd out the plots
    // Room for the chat and the dock side by side, but never larger than the screen: on a laptop
    // the window opens whole, its right edge (the dock, the status bar's figures) in view.
    resize(QSize(1440, 860).boundedTo(screen()->availableGeometry().size()).expandedTo(minimumSizeHint()));

    worker_->moveToThread(&workerThread_);
    connectWorker();
    workerThread_.start();

    const LoadResult saved = loadChats(chatsDir_);
    chats_->setChats(saved.chats);
    if (!saved.unreadable.isEmpty()) reportUnreadable(saved.unreadable);
    if (!saved.chats.isEmpty()) {
        showChat(saved.chats.front().id);
    } else {
        newChat();
    }
    applySettings();

    saveTimer_.setInterval(kSaveWhileStreamingMs);
    connect(&saveTimer_, &QTimer::timeout, this, &MainWindow::saveChat);
    memoryTimer_.setInterval(1000);
    connect(&memoryTimer_, &QTimer::timeout, this, &MainWindow::updateMemoryLabel);
    memoryTimer_.start();
    updateMemoryLabel();
    // Memory for the live chart, a few times a second while an answer is written.
    runMemoryTimer_.setInterval(250);
    connect(&runMemoryTimer_, &QTimer::timeout, this, &MainWindow::sampleRunMemory);

    const QString path = modelPath.isEmpty() ? QSettings().value("model/lastPath").toString() : modelPath;
    const QString savedDraft = QSettings().value("model/draftPath").toString();
    if (!savedDraft.isEmpty() && QFileInfo::exists(savedDraft)) setDraftModel(savedDraft);
    if (path.isEmpty()) {
        setGenerating(false);
        send_->setEnabled(false);
        showStatus(tr("No model loaded: choose one with File → Open model."));
    } else {
        openModel(path);
    }
}

MainWindow::~MainWindow() {
    worker_->requestStop();
    worker_->requestCancelLoad();
    workerThread_.quit();
    workerThread_.wait();
    if (!chat_.messages.isEmpty()) saveChat();
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open model…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a GGUF model"), QString(),
                                                          tr("GGUF models (*.gguf);;All files (*)"));
        if (!path.isEmpty()) openModel(path);
    });
    open->setShortcut(QKeySequence::Open);
    file->addAction(tr("Open &Hugging Face folder…"), this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(
            this, tr("Open a Hugging Face model folder (config.json, tokenizer.json, *.safetensors)"));
        if (!dir.isEmpty()) openModel(dir);
    });
    file->addAction(tr("Open &draft model…"), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a draft model"), QString(),
                                                          tr("GGUF models (*.gguf);;All files (*)"));
        if (!path.isEmpty()) setDraftModel(path);
    });
    recentMenu_ = file->addMenu(tr("&Recent models"));
    scaledDemoAction_ = file->addAction(tr("Sc&aled demo (real-sized weights)…"), this, &MainWindow::openScaledDemo);
    scaledDemoAction_->setToolTip(
        tr("The built-in model embedded in a 1.1B-parameter shape: same text, real-sized "
           "weights, so Q4 and Q4+spec show what they buy"));
    scaledDemoAction_->setEnabled(false);
    file->addSeparator();
    file->addAction(tr("Export chat as &Markdown…"), this, [this] { exportChat(true); });
    file->addAction(tr("Export chat as &JSON…"), this, [this] { exportChat(false); });
    file->addSeparator();
    file->addAction(tr("&Settings…"), this, &MainWindow::editSettings);
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* chat = menuBar()->addMenu(tr("&Chat"));
    chat->addAction(tr("&New chat"), QKeySequence::New, this, &MainWindow::newChat);
    chat->addAction(tr("&Rename…"), this, &MainWindow::renameChat);
    chat->addAction(tr("&Delete"), this, &MainWindow::deleteChat);
    chat->addAction(tr("&Undo delete"), this, [this] {
        if (deleted_.isEmpty()) return;
        const Chat c = deleted_.takeLast();
        QString error;
        if (!q8ui::saveChat(chatsDir_, c, &error)) showStatus(tr("Could not restore the chat: %1").arg(error));
        chats_->upsert(c);
        showChat(c.id);
    });
    chat->addSeparator();
    chat->addAction(tr("Re&generate answer"), this, &MainWindow::regenerate);
    completionAction_ = chat->addAction(tr("&Completion mode (continue the text)"));
    completionAction_->setCheckable(true);
    completionAction_->setToolTip(tr("Models without a chat template (like the built-in code model) continue text"));
    connect(completionAction_, &QAction::triggered, this, [this](bool on) { setCompletionMode(on); });
    // Ctrl+Shift+Enter in the prompt box does the same (PromptBox::fillRequested).
    fillAction_ = chat->addAction(tr("&Fill in the middle at the cursor"), this, &MainWindow::fillInTheMiddle);
    fillAction_->setToolTip(
        tr("Completion mode, code models with fill-in-the-middle tokens: the model writes what "
           "belongs between the text before and after the cursor"));

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Log"), this, [this] { log_->setVisible(!log_->isVisible()); });
    highlightDraftAction_ = view->addAction(tr("&Highlight drafted tokens"));
    highlightDraftAction_->setCheckable(true);
    highlightDraftAction_->setToolTip(
        tr("Q4+spec: tint the text the draft model wrote and the target accepted (shown as plain text)"));
    highlightDraftAction_->setChecked(QSettings().value("view/highlightDraft", false).toBool());
    connect(highlightDraftAction_, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue("view/highlightDraft", on);
        transcript_->setHighlightDraft(on);
    });
    view->addAction(tr("&Performance"), this, [this] {
        performance_->setVisible(!performance_->isVisible());
        QSettings().setValue("view/performanceVisible", performance_->isVisible());
    });
}

void MainWindow::buildToolbar() {
    QToolBar* bar = addToolBar(tr("Model"));
    bar->setObjectName("model-toolbar");
    bar->setMovable(false);
    bar->addWidget(new QLabel(tr(" Model: ")));
    modelPicker_ = new QComboBox;
    modelPicker_->setMinimumContentsLength(18);
    modelPicker_->setToolTip(
        tr("Recently opened models; File → Open model adds one, or drop a .gguf file or a Hugging Face "
           "folder here"));
    connect(modelPicker_, &QComboBox::activated, this, [this](int i) {
        const QString path = modelPicker_->itemData(i).toString();
        if (!path.isEmpty() && path != loaded_.path) openModel(path);
    });
    bar->addWidget(modelPicker_);
    bar->addWidget(new QLabel(tr("  Draft: ")));
    draftPicker_ = new QComboBox;
    draftPicker_->setMinimumContentsLength(14);
    draftPicker_->setToolTip(tr("The small model that proposes tokens for Q4+spec (same vocabulary as the model)"));
    bar->addWidget(draftPicker_);
    bar->addSeparator();
    bar->addWidget(new QLabel(tr(" Threads: ")));
    threads_ = new QSpinBox;
    threads_->setRange(0, QThread::idealThreadCount());
    threads_->setSpecialValueText(tr("all"));
    threads_->setToolTip(tr("Threads the engine uses (takes effect at once, by reloading the model)"));
    connect(threads_, &QSpinBox::editingFinished, this, [this] {
        if (threads_->value() == settings_.threads) return;
        settings_.threads = threads_->value();
        settings_.save();
        if (!modelPath_.isEmpty() && !generating_ && !loading_) requestLoad(loaded_.configuration);
    });
    bar->addWidget(threads_);
    bar->addSeparator();
    switch_ = new ConfigurationSwitch;
    connect(switch_, &ConfigurationSwitch::chosen, this, &MainWindow::chooseConfiguration);
    bar->addWidget(switch_);
    bar->addSeparator();
    compareAction_ = bar->addAction(tr("Compare"), this, &MainWindow::compare);
    compareAction_->setToolTip(tr("Run the prompt through FP16, Q8, Q4 and Q4+spec side by side"));
}

void MainWindow::buildCentralArea() {
    auto* side = new QWidget;
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(4, 4, 4, 4);
    auto* newChatButton = new QPushButton(tr("+ New chat"));
    connect(newChatButton, &QPushButton::clicked, this, &MainWindow::newChat);
    chatSearchEdit_ = new QLineEdit;
    chatSearchEdit_->setPlaceholderText(tr("Search chats"));
    chatSearchEdit_->setClearButtonEnabled(true);
    connect(chatSearchEdit_, &QLineEdit::textChanged, chatSearch_, &QSortFilterProxyModel::setFilterFixedString);
    chatList_ = new QListView;
    chatList_->setModel(chatSearch_);
    chatList_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    connect(chatList_, &QListView::activated, this,
            [this](const QModelIndex& i) { showChat(i.data(ChatListModel::IdRole).toString()); });
    connect(chatList_, &QListView::clicked, this,
            [this](const QModelIndex& i) { showChat(i.data(ChatListModel::IdRole).toString()); });
    sideLayout->addWidget(newChatButton);
    sideLayout->addWidget(chatSearchEdit_);
    sideLayout->addWidget(chatList_, 1);

    transcript_ = new TranscriptView;
    transcript_->setHighlightDraft(highlightDraftAction_->isChecked());
    connect(transcript_, &TranscriptView::regenerateRequested, this, &MainWindow::regenerate);
    connect(transcript_, &TranscriptView::editRequested, this, &MainWindow::editMessage);
    prompt_ = new PromptBox;
    prompt_->setMaximumHeight(120);
    connect(prompt_, &PromptBox::sendRequested, this, &MainWindow::send);
    connect(prompt_, &PromptBox::fillRequested, this, &MainWindow::fillInTheMiddle);
    connect(prompt_, &PromptBox::stopRequested, this, [this] { worker_->requestStop(); });
    modeLabel_ = new QLabel;
    contextGauge_ = new QLabel;
    contextGauge_->setToolTip(tr("Tokens of this chat in the model's context / the context size"));
    send_ = new QPushButton(tr("Send"));
    stop_ = new QPushButton(tr("Stop"));
    fill_ = new QPushButton(tr("Fill"));
    fill_->setToolTip(
        tr("Fill in the middle: the model writes the code that belongs at the cursor (Ctrl+Shift+Enter)"));
    connect(send_, &QPushButton::clicked, this, &MainWindow::send);
    connect(stop_, &QPushButton::clicked, this, [this] { worker_->requestStop(); });
    connect(fill_, &QPushButton::clicked, this, &MainWindow::fillInTheMiddle);
    auto* promptRow = new QHBoxLayout;
    promptRow->addWidget(prompt_, 1);
    auto* buttons = new QVBoxLayout;
    buttons->addWidget(modeLabel_);
    buttons->addWidget(contextGauge_);
    buttons->addWidget(send_);
    buttons->addWidget(fill_);
    buttons->addWidget(stop_);
    buttons->addStretch();
    promptRow->addLayout(buttons);
    auto* main = new QWidget;
    auto* mainLayout = new QVBoxLayout(main);
    mainLayout->setContentsMargins(4, 4, 4, 4);
    mainLayout->addWidget(transcript_, 1);
    mainLayout->addLayout(promptRow);

    auto* splitter = new QSplitter;
    splitter->addWidget(side);
    splitter->addWidget(main);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({220, 880});
    setCentralWidget(splitter);
}

void MainWindow::buildStatusBar() {
    status_ = new QLabel;
    progress_ = new QProgressBar;
    progress_->setRange(0, 100);
    progress_->setMaximumWidth(160);
    progress_->hide();
    cancelLoad_ = new QPushButton(tr("Cancel"));
    cancelLoad_->hide();
    connect(cancelLoad_, &QPushButton::clicked, this, [this] { worker_->requestCancelLoad(); });
    modelLabel_ = new QLabel;
    memoryLabel_ = new QLabel;
    memoryLabel_->setToolTip(tr("Resident memory of this process (VmRSS)"));
    statusBar()->addWidget(status_, 1);
    statusBar()->addWidget(progress_);
    statusBar()->addWidget(cancelLoad_);
    statusBar()->addPermanentWidget(modelLabel_);
    const q8::CpuInfo cpu = q8::cpu_info();
    kernels_.setText(
        tr("Kernels: %1 · AMX: %2").arg(QString::fromStdString(cpu.kernel_path), QString::fromStdString(cpu.amx)));
    kernels_.setToolTip(tr("CPU features: %1").arg(QString::fromStdString(cpu.features)));
    statusBar()->addPermanentWidget(&kernels_);
    statusBar()->addPermanentWidget(memoryLabel_);
}

void MainWindow::connectWorker() {
    connect(&workerThread_, &QThread::finished, worker_, &QObject::deleteLater);
    connect(this, &MainWindow::loadRequested, worker_, &ChatWorker::load);
    connect(this, &MainWindow::answerRequested, worker_, &ChatWorker::answer);
    connect(worker_, &ChatWorker::loadPlanned, this, [this](qint64 need, qint64 available) {
        plannedBytes_ = need;
        QString text = tr("Loading %1 as %2: needs about %3 MiB")
                           .arg(QFileInfo(modelPath_).fileName(), configurationName(requested_))
                           .arg(double(need) / kMiB, 0, 'f', 0);
        if (available > 0) text += tr(" of %1 MiB available").arg(double(available) / kMiB, 0, 'f', 0);
        showStatus(text + " …");
    });
    connect(worker_, &ChatWorker::loadProgress, this, [this](double f) { progress_->setValue(int(100 * f)); });
    connect(worker_, &ChatWorker::loaded, this, &MainWindow::onLoaded);
    connect(worker_, &ChatWorker::loadFailed, this, &MainWindow::onLoadFailed);
    connect(worker_, &ChatWorker::replyText, this, &MainWindow::onReplyText);
    connect(worker_, &ChatWorker::replyProgress, this, &MainWindow::onReplyProgress);
    connect(worker_, &ChatWorker::replyFinished, this, &MainWindow::onReplyFinished);
    connect(worker_, &ChatWorker::replyRefused, this, &MainWindow::onReplyRefused);
    connect(this, &MainWindow::compareRequested, worker_, &ChatWorker::compare);
    connect(this, &MainWindow::scaledModelRequested, worker_, &ChatWorker::buildScaledModel);
    connect(worker_, &ChatWorker::scaledModelBuilt, this, [this](const QString& path) {
        setLoading(false);
        setDraftModel(builtinDraft_);
        openModel(path);
    });
    // A comparison's runs feed the performance dock like answers do, one configuration at a time.
    connect(worker_, &ChatWorker::compareLoaded, this, [this](int config, qint64 weightBytes, qint64 kvCacheBytes) {
        performance_->beginRun(static_cast<Configuration>(config), 0);
        runWeightBytes_ = weightBytes;
        runKvCacheBytes_ = kvCacheBytes;
        runClock_.start();
        sampleRunMemory();
    });
    connect(worker_, &ChatWorker::compareProgress, this,
            [this](int, const LiveSample& sample) { onReplyProgress(sample); });
    connect(worker_, &ChatWorker::compareRow, this, [this](const CompareRowSummary& row) {
        if (!row.ran) return;
        performance_->promptDone(row.figures.timeToFirstTokenSeconds, row.figures.promptTokensPerSecond);
        sampleRunMemory();
        performance_->endRun(row.figures);
    });
}

// ---- models and configurations

void MainWindow::dragEnterEvent(QDragEnterEvent* e) {
    const QList<QUrl> urls = e->mimeData()->urls();
    // A GGUF file, or a Hugging Face folder (it has a config.json).
    const QString path = urls.size() == 1 && urls.front().isLocalFile() ? urls.front().toLocalFile() : QString();
    if (path.endsWith(".gguf") || (QFileInfo(path).isDir() && QFileInfo::exists(QDir(path).filePath("config.json")))) {
        e->acceptProposedAction();
    }
}

void MainWindow::dropEvent(QDropEvent* e) { openModel(e->mimeData()->urls().front().toLocalFile()); }

void MainWindow::openModel(const QString& path) {
    if (generating_) {
        showStatus(tr("Stop the answer before opening another model."));
        return;
    }
    modelPath_ = path;
    QSettings().setValue("model/lastPath", path);
    rememberRecent(path);
    // The built-in pair: the demo target's own draft sits beside it.
    const QString sibling = QFileInfo(path).dir().filePath("demo-draft.gguf");
    if (draftPath_.isEmpty() && QFileInfo(path).fileName() == "demo-target.gguf" && QFileInfo::exists(sibling)) {
        setDraftModel(sibling);
    }
    requestLoad(loaded_.path == path ? switch_->current() : Configuration::Fp16);
}

void MainWindow::setBuiltinPair(const QString& target, const QString& draft) {
    builtinTarget_ = target;
    builtinDraft_ = draft;
    scaledDemoAction_->setEnabled(!target.isEmpty() && !draft.isEmpty());
}

void MainWindow::openScaledDemo() {
    if (generating_ || loading_) {
        showStatus(tr("Wait for the current answer or load."));
        return;
    }
    const QString shape = scaledDemoShape();
    const QString path = scaledDemoPath(shape);
    if (QFileInfo::exists(path)) {
        setDraftModel(builtinDraft_);
        openModel(path);
        return;
    }
    qint64 bytes = 0;
    try {
        bytes = qint64(q8::scaled_model_bytes(builtinTarget_.toStdString(), shape.toStdString()));
    } catch (const std::exception& e) {
        showStatus(tr("Error: %1").arg(QString::fromStdString(e.what())));
        return;
    }
    const QString folder = QFileInfo(path).absolutePath();
    QDir().mkpath(folder);
    const QString question = scaledDemoQuestion(shape, bytes, folder, QStorageInfo(folder).bytesAvailable());
    if (QMessageBox::question(this, tr("Build the scaled demo?"), question) == QMessageBox::Yes) buildScaledDemo();
}

void MainWindow::buildScaledDemo() {
    if (generating_ || loading_ || builtinTarget_.isEmpty()) return;
    const QString shape = scaledDemoShape();
    const QString path = scaledDemoPath(shape);
    QDir().mkpath(QFileInfo(path).absolutePath());
    setLoading(true);
    showStatus(tr("Building the scaled demo (%1) …").arg(shape));
    worker_->armForLoad();
    emit scaledModelRequested(ScaledModelJob{builtinTarget_, path, shape});
}

void MainWindow::setDraftModel(const QString& path) {
    draftPath_ = path;
    QSettings().setValue("model/draftPath", path);
    draftPicker_->clear();
    draftPicker_->addItem(QFileInfo(path).completeBaseName(), path);
    switch_->setUnavailable(Configuration::Q4Spec, QString());
}

void MainWindow::requestLoad(Configuration c) {
    LoadRequest r;
    r.modelPath = modelPath_;
    r.draftPath = draftPath_;
    r.configuration = c;
    r.threads = settings_.threads;
    r.contextSize = settings_.contextSize;
    r.draftK = settings_.draftK;
    r.draftLookup = settings_.draftLookup;
    r.cacheDir = quantCacheDir();
    requested_ = c;
    setLoading(true);
    showStatus(tr("Loading %1 as %2 …").arg(QFileInfo(modelPath_).fileName(), configurationName(c)));
    worker_->armForLoad();
    emit loadRequested(r);
}

void MainWindow::chooseConfiguration(Configuration c) {
    if (generating_ || loading_) {
        switch_->setCurrent(loaded_.configuration);
        showStatus(
            tr("The configuration changes when the current %1 ends.").arg(generating_ ? tr("answer") : tr("load")));
        return;
    }
    if (modelPath_.isEmpty()) {
        switch_->setCurrent(loaded_.configuration);
        showStatus(tr("Open a model first."));
        return;
    }
    requestLoad(c);
}

void MainWindow::onLoaded(const LoadedModel& m) {
    loaded_ = m;
    setLoading(false);
    switch_->setCurrent(m.configuration);
    if (draftPath_.isEmpty()) {
        switch_->setUnavailable(Configuration::Q4Spec, tr("Q4+spec needs a draft model: File → Open draft model"));
    } else {
        switch_->setUnavailable(Configuration::Q4Spec,
                                m.draftProblem.isEmpty() ? QString() : tr("Q4+spec: %1").arg(m.draftProblem));
    }
    draftPicker_->setEnabled(m.draftProblem.isEmpty());
    draftPicker_->setToolTip(m.draftProblem.isEmpty() ? tr("The small model that proposes tokens for Q4+spec")
                                                      : m.draftProblem);
    updateModelLabel();
    updateMemoryLabel();
    showStatus(tr("Model: %1 (%2, %3 MiB of weights as %4)")
                   .arg(m.name, m.architecture)
                   .arg(double(m.weightBytes) / kMiB, 0, 'f', 0)
                   .arg(m.precision));
    if (chat_.messages.isEmpty()) setCompletionMode(!m.hasChatTemplate);
    updateFillAvailability();
    updateContextGauge(0);
    emit modelReady();
}

void MainWindow::onLoadFailed(const QString& message) {
    setLoading(false);
    switch_->setCurrent(loaded_.configuration);
    showStatus(tr("Error: %1").arg(message));
    if (loaded_.path.isEmpty()) send_->setEnabled(false);
    emit modelFailed(message);
}

// ---- chats

void MainWindow::reportUnreadable(const QVector<UnreadableChatFile>& files) {
    QStringList lines;
    for (const UnreadableChatFile& f : files) {
        lines << tr("%1: %2 — kept as %3").arg(f.fileName, f.reason, f.movedTo.isEmpty() ? f.fileName : f.movedTo);
    }
    // Not modal: the app starts whatever the files hold.
    auto* box = new QMessageBox(
        QMessageBox::Warning, tr("Some chats could not be read"),
        tr("%n chat file(s) could not be read and were set aside in %1; nothing was deleted.", "", int(files.size()))
            .arg(chatsDir_),
        QMessageBox::Ok, this);
    box->setDetailedText(lines.join('\n'));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setObjectName("unreadable-chats");
    box->open();
}

void MainWindow::newChat() {
    if (generating_) return;
    if (!chat_.messages.isEmpty()) saveChat();
    chat_ = Chat{};
    chat_.id = newChatId();
    chat_.title = tr("New chat");
    chat_.created = chat_.updated = QDateTime::currentDateTime();
    chat_.systemPrompt = settings_.systemPrompt;
    setCompletionMode(!loaded_.path.isEmpty() && !loaded_.hasChatTemplate);
    chatList_->clearSelection();
    updateContextGauge(0);
}

void MainWindow::showChat(const QString& id) {
    if (generating_ || id == chat_.id) return;
    const std::optional<Chat> c = chats_->chat(id);
    if (!c) return;
    if (!chat_.messages.isEmpty()) saveChat();
    chat_ = *c;
    // An answer saved while streaming was cut off by the app ending: it is kept, marked as such.
    for (ChatMessage& m : chat_.messages) {
        if (m.state != MessageState::Streaming) continue;
        m.state = MessageState::Stopped;
        m.note = tr("interrupted: the app closed while writing it");
    }
    setCompletionMode(chat_.completionMode);
    const int row = chats_->rowOf(id);
    chatList_->setCurrentIndex(chatSearch_->mapFromSource(chats_->index(row)));
    updateContextGauge(0);
}

void MainWindow::renameChat() {
    bool ok = false;
    const QString title =
        QInputDialog::getText(this, tr("Rename chat"), tr("Title"), QLineEdit::Normal, chat_.title, &ok);
    if (!ok || title.trimmed().isEmpty()) return;
    chat_.title = title.trimmed();
    saveChat();
}

void MainWindow::deleteChat() {
    if (generating_) return;
    if (chats_->rowOf(chat_.id) >= 0) {
        QString error;
        if (!q8ui::deleteChat(chatsDir_, chat_.id, &error)) {
            showStatus(tr("Could not delete the chat: %1").arg(error));
            return;
        }
        chats_->remove(chat_.id);
        deleted_.push_back(chat_);
        showStatus(tr("Deleted “%1” (Chat → Undo delete brings it back).").arg(chat_.title));
    }
    chat_ = Chat{};
    newChat();
}

void MainWindow::saveChat() {
    if (chat_.messages.isEmpty()) return;
    chat_.updated = QDateTime::currentDateTime();
    if (chat_.title.isEmpty() || chat_.title == tr("New chat")) chat_.title = defaultTitle(chat_);
    QString error;
    if (!q8ui::saveChat(chatsDir_, chat_, &error)) {
        spdlog::error("saving chat {} failed: {}", chat_.id.toStdString(), error.toStdString());
        const QString message = tr("Could not save the chat: %1").arg(error);
        showStatus(message);
        emit saveFailed(message);
    }
    chats_->upsert(chat_);
}

void MainWindow::pruneChats(int keep) {
    // The list is kept newest first.
    for (int row = chats_->rowCount() - 1; row >= 0 && chats_->rowCount() > keep; --row) {
        const QString id = chats_->index(row).data(ChatListModel::IdRole).toString();
        if (id == chat_.id) continue;
        QString error;
        if (!q8ui::deleteChat(chatsDir_, id, &error)) {
            spdlog::warn("could not delete old chat {}: {}", id.toStdString(), error.toStdString());
            continue;
        }
        chats_->remove(id);
    }
}

void MainWindow::exportChat(bool markdown) {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export chat"), chat_.title + (markdown ? ".md" : ".json"),
                                     markdown ? tr("Markdown (*.md)") : tr("JSON (*.json)"));
    if (path.isEmpty()) return;
    QString error;
    if (!q8ui::exportChat(chat_, path, markdown ? ExportFormat::Markdown : ExportFormat::Json, &error)) {
        showStatus(tr("Export failed: %1").arg(error));
    } else {
        showStatus(tr("Exported to %1").arg(path));
    }
}

void MainWindow::setCompletionMode(bool on) {
    chat_.completionMode = on;
    completionAction_->setChecked(on);
    modeLabel_->setText(on ? tr("Completion") : tr("Chat"));
    modeLabel_->setToolTip(on ? tr("The model continues your text in place (Chat → Completion mode)")
                              : tr("Turns with roles, laid out by the template: %1; old turns leave the context "
                                   "when it fills")
                                    .arg(loaded_.chatTemplate.isEmpty() ? tr("none yet") : loaded_.chatTemplate));
    transcript_->setChat(chat_);
    updateFillAvailability();
}

void MainWindow::updateFillAvailability() {
    const bool available = chat_.completionMode && loaded_.hasFim;
    fill_->setVisible(available);
    fillAction_->setEnabled(available);
}

// ---- answering

void MainWindow::send() {
    const QString text = prompt_->toPlainText();
    if (text.trimmed().isEmpty()) {
        showStatus(tr("The prompt is empty: type something to send."));
        return;
    }
    if (generating_ || loading_ || loaded_.path.isEmpty()) {
        showStatus(loaded_.path.isEmpty() ? tr("No model is loaded.") : tr("Wait for the current answer or load."));
        return;
    }
    prompt_->clear();
    sendText(text, chat_.messages);
}

void MainWindow::sendText(const QString& text, QVector<ChatMessage> history) {
    ChatRequest r;
    r.chatId = chat_.id;
    r.systemPrompt = chat_.systemPrompt;
    r.history = history;
    r.completion = chat_.completionMode;
    r.settings = settings_.generation;
    ChatMessage user{Role::User, text, MessageState::Complete, {}, {}, {}};
    ChatMessage answer{Role::Assistant, {}, MessageState::Streaming, {}, {}, {}};
    answer.figures.configuration = configurationName(loaded_.configuration);
    chat_.messages = history;
    chat_.messages.push_back(user);
    chat_.messages.push_back(answer);
    // Completion mode continues the whole text so far: the earlier prompts and answers, then this.
    if (r.completion) {
        QString document;
        for (const ChatMessage& m : history) document += m.text;
        r.text = document + text;
    } else {
        r.text = text;
    }
    transcript_->setChat(chat_);
    saveChat();
    startRun(r);
}

void MainWindow::startRun(const ChatRequest& r) {
    setGenerating(true);
    performance_->beginRun(loaded_.configuration, double(plannedBytes_) / kMiB);
    runWeightBytes_ = loaded_.weightBytes;
    runKvCacheBytes_ = loaded_.kvCacheBytes;
    runClock_.start();
    sampleRunMemory();
    worker_->armForRequest();
    emit answerRequested(r);
}

void MainWindow::fillInTheMiddle() {
    if (generating_ || loading_ || loaded_.path.isEmpty()) {
        showStatus(loaded_.path.isEmpty() ? tr("No model is loaded.") : tr("Wait for the current answer or load."));
        return;
    }
    if (!chat_.completionMode || !loaded_.hasFim) {
        showStatus(tr("Fill in the middle needs completion mode and a model with fill-in-the-middle tokens."));
        return;
    }
    QTextCursor cursor = prompt_->textCursor();
    cursor.clearSelection();
    const QString text = prompt_->toPlainText();
    if (text.trimmed().isEmpty()) {
        showStatus(tr("Type code before and after the cursor; the model fills in what goes between."));
        return;
    }
    ChatRequest r;
    r.chatId = chat_.id;
    r.fillInTheMiddle = true;
    r.text = text.left(cursor.position());
    r.suffix = text.mid(cursor.position());
    r.settings = settings_.generation;
    fillCursor_ = cursor;
    filling_ = true;
    prompt_->setReadOnly(true);
    showStatus(tr("Filling in at the cursor …"));
    startRun(r);
}

void MainWindow::endFill(const QString& status, const MessageFigures& figures) {
    filling_ = false;
    prompt_->setReadOnly(false);
    showStatus(status);
    endRun(figures);
}

void MainWindow::regenerate() {
    if (generating_ || loading_) return;
    // The last user turn is sent again with the history before it.
    int last = int(chat_.messages.size()) - 1;
    while (last >= 0 && chat_.messages[last].role != Role::User) --last;
    if (last < 0) {
        showStatus(tr("There is no answer to regenerate."));
        return;
    }
    const QString text = chat_.messages[last].text;
    sendText(text, chat_.messages.mid(0, last));
}

void MainWindow::editMessage(int index) {
    if (generating_ || index < 0 || index >= chat_.messages.size() || chat_.messages[index].role != Role::User) return;
    bool ok = false;
    const QString text =
        QInputDialog::getMultiLineText(this, tr("Edit and resend"), tr("Message"), chat_.messages[index].text, &ok);
    if (!ok || text.trimmed().isEmpty()) return;
    sendText(text, chat_.messages.mid(0, index));
}

void MainWindow::onReplyText(const ReplyChunk& chunk) {
    if (filling_) {
        fillCursor_.insertText(chunk.text);  // the cursor moves past what it inserts
        return;
    }
    if (chat_.messages.isEmpty()) return;
    ChatMessage& answer = chat_.messages.last();
    const int offset = int(answer.text.size());
    answer.text += chunk.text;
    for (const TextSpan& s : chunk.draftSpans) appendSpan(answer.draftSpans, offset + s.start, s.length);
    transcript_->appendToLastMessage(chunk.text, chunk.draftSpans);
}

void MainWindow::onReplyProgress(const LiveSample& sample) {
    if (sample.contextTokens > 0) updateContextGauge(sample.contextTokens);  // counts as the answer streams
    performance_->addTokens(sample.elapsedSeconds, sample.tokens, sample.fromDraft);
    for (const LiveSample::Step& s : sample.steps) {
        performance_->addStep(sample.elapsedSeconds, s.k, s.drafted, s.accepted, s.lookedUp);
    }
}

void MainWindow::sampleRunMemory() {
    if (!generating_) return;
    performance_->addMemorySample(double(runClock_.elapsed()) / 1000.0, double(q8::resident_memory_bytes()) / kMiB,
                                  double(runWeightBytes_) / kMiB, double(runKvCacheBytes_) / kMiB);
}

void MainWindow::onReplyFinished(const ReplyDone& done) {
    if (filling_) {
        if (done.figures.generatedTokens > 0) {
            performance_->promptDone(done.figures.timeToFirstTokenSeconds, done.figures.promptTokensPerSecond);
        }
        endFill(done.state == MessageState::Stopped
                    ? tr("Stopped; what was written stays at the cursor.")
                    : tr("Filled in %n token(s) at the cursor (%1).", "", done.figures.generatedTokens).arg(done.note),
                done.figures);
        return;
    }
    ChatMessage& answer = chat_.messages.last();
    answer.state = done.state;
    answer.note = done.state == MessageState::Stopped ? tr("stopped") : done.note;
    answer.figures = done.figures;
    if (done.figures.generatedTokens > 0) {
        performance_->promptDone(done.figures.timeToFirstTokenSeconds, done.figures.promptTokensPerSecond);
    }
    transcript_->finishLastMessage(answer.state, answer.note, answer.figures);
    if (done.droppedTurns > 0) {
        showStatus(tr("%n old turn(s) left the context to make room; the system prompt stays.", "", done.droppedTurns));
    } else {
        showStatus(done.state == MessageState::Stopped ? tr("Stopped.") : done.note);
    }
    updateContextGauge(done.contextTokens);
    endAnswer();
}

void MainWindow::onReplyRefused(const QString& message) {
    if (filling_) {
        endFill(tr("Error: %1").arg(message), {});
        return;
    }
    ChatMessage& answer = chat_.messages.last();
    answer.state = MessageState::Failed;
    answer.note = message;
    transcript_->finishLastMessage(answer.state, answer.note, answer.figures);
    showStatus(tr("Error: %1").arg(message));
    endAnswer();
}

void MainWindow::endAnswer() {
    saveChat();
    endRun(chat_.messages.last().figures);
}

void MainWindow::endRun(const MessageFigures& figures) {
    sampleRunMemory();  // short answers end before the timer's first tick
    performance_->endRun(figures);
    updateMemoryLabel();
    setGenerating(false);
    emit answerEnded();
}

// ---- compare mode

void MainWindow::compare() {
    QString prompt = prompt_->toPlainText();
    for (int i = int(chat_.messages.size()) - 1; prompt.trimmed().isEmpty() && i >= 0; --i) {
        if (chat_.messages[i].role == Role::User) prompt = chat_.messages[i].text;
    }
    if (prompt.trimmed().isEmpty()) {
        showStatus(tr("Type a prompt to compare the configurations on."));
        return;
    }
    if (generating_ || loading_ || loaded_.path.isEmpty()) {
        showStatus(loaded_.path.isEmpty() ? tr("No model is loaded.") : tr("Wait for the current answer or load."));
        return;
    }
    if (compareWindow_ == nullptr) {
        compareWindow_ = new CompareWindow(this);
        connect(compareWindow_, &CompareWindow::stopRequested, this, [this] { worker_->requestStop(); });
        connect(worker_, &ChatWorker::compareStarted, compareWindow_, &CompareWindow::startConfiguration);
        connect(worker_, &ChatWorker::compareText, compareWindow_, &CompareWindow::appendText);
        connect(worker_, &ChatWorker::compareRow, compareWindow_, &CompareWindow::addRow);
        connect(worker_, &ChatWorker::compareFinished, this, [this](const QString& reportJson) {
            compareWindow_->finish(reportJson);
            setGenerating(false);
            showStatus(tr("Comparison done."));
            emit compareEnded();
        });
    }
    const int maxTokens = std::min(settings_.generation.maxTokens, 256);
    compareWindow_->begin(prompt, maxTokens);
    compareWindow_->show();
    compareWindow_->raise();
    setGenerating(true);
    worker_->armForRequest();
    emit compareRequested(CompareJob{prompt, maxTokens});
}

// ---- settings and status

void MainWindow::editSettings() {
    SettingsDialog d(settings_, this);
    if (d.exec() != QDialog::Accepted) return;
    const AppSettings before = settings_;
    settings_ = d.settings();
    settings_.save();
    applySettings();
    const bool reload = settings_.threads != before.threads || settings_.contextSize != before.contextSize ||
                        settings_.draftK != before.draftK || settings_.draftLookup != before.draftLookup;
    if (reload && !modelPath_.isEmpty() && !generating_) requestLoad(loaded_.configuration);
}

void MainWindow::applySettings() {
    threads_->setValue(settings_.threads);
    prompt_->setEnterSends(settings_.enterSends);
    prompt_->setPlaceholderText(settings_.enterSends
                                    ? tr("Type a prompt… (Enter sends, Shift+Enter new line, Esc stops)")
                                    : tr("Type a prompt… (Ctrl+Enter sends, Esc stops)"));
    if (settings_.fontPointSize > 0) {
        QFont f = font();
        f.setPointSize(settings_.fontPointSize);
        transcript_->setFont(f);
        prompt_->setFont(f);
    }
}

void MainWindow::updateContextGauge(qint64 used) {
    contextGauge_->setText(tr("ctx %1/%2").arg(used).arg(loaded_.contextSize));
}

void MainWindow::updateMemoryLabel() {
    memoryLabel_->setText(tr("RSS %1 MiB").arg(double(q8::resident_memory_bytes()) / kMiB, 0, 'f', 0));
}

void MainWindow::updateModelLabel() {
    QString text =
        tr("%1 · %2 · %n thread(s)", "", loaded_.threads).arg(loaded_.name, configurationName(loaded_.configuration));
    if (!loaded_.draftName.isEmpty()) text += tr(" · draft %1").arg(loaded_.draftName);
    text += tr(" · template: %1").arg(loaded_.chatTemplate);
    modelLabel_->setText(text);
    modelLabel_->setToolTip(tr("Weights run as %1; KV cache %2 MiB for %3 tokens")
                                .arg(loaded_.precision)
                                .arg(double(loaded_.kvCacheBytes) / kMiB, 0, 'f', 0)
                                .arg(loaded_.contextSize));
}

void MainWindow::setLoading(bool loading) {
    loading_ = loading;
    progress_->setVisible(loading);
    progress_->setValue(0);
    cancelLoad_->setVisible(loading);
    send_->setEnabled(!loading && !generating_);
    stop_->setEnabled(generating_);
}

void MainWindow::setGenerating(bool generating) {
    generating_ = generating;
    send_->setEnabled(!generating && !loading_);
    stop_->setEnabled(generating);
    if (generating) {
        saveTimer_.start();
        runMemoryTimer_.start();
    } else {
        saveTimer_.stop();
        runMemoryTimer_.stop();
    }
}

void MainWindow::showStatus(const QString& text) {
    status_->setText(text);
    if (!text.isEmpty()) spdlog::info("{}", text.toStdString());
}

void MainWindow::rememberRecent(const QString& path) {
    QStringList recent = QSettings().value("model/recent").toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > kMaxRecent) recent.removeLast();
    QSettings().setValue("model/recent", recent);
    refreshRecentMenu();
}

void MainWindow::refreshRecentMenu() {
    const QStringList recent = QSettings().value("model/recent").toStringList();
    recentMenu_->clear();
    if (modelPicker_ != nullptr) modelPicker_->clear();
    for (const QString& path : recent) {
        recentMenu_->addAction(path, this, [this, path] { openModel(path); });
        if (modelPicker_ != nullptr) modelPicker_->addItem(QFileInfo(path).completeBaseName(), path);
    }
    recentMenu_->setEnabled(!recent.isEmpty());
}

}  // namespace q8ui
