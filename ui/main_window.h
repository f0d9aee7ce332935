#pragma once
// The chat window: saved chats on the left, the transcript and the prompt box in the middle, the
// model, draft and configuration switch in the toolbar, the kernel path and memory in the status
// bar, the log in a dock. The engine runs on a worker thread (ChatWorker); nothing here blocks.
#include <QElapsedTimer>
#include <QLabel>
#include <QMainWindow>
#include <QTextCursor>
#include <QThread>
#include <QTimer>

#include "app_settings.h"
#include "chat_store.h"
#include "chat_types.h"
#include "chat_worker.h"

class QComboBox;
class QListView;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QSpinBox;

namespace q8ui {

class ChatListModel;
class ConfigurationSwitch;
class CompareWindow;
class LogDock;
class PerformanceDock;
class PromptBox;
class TranscriptView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    // An empty path reopens the model used last time (QSettings), if any. `chatsDir` empty: the
    // user's data location.
    explicit MainWindow(const QString& modelPath, QWidget* parent = nullptr, const QString& chatsDir = {});
    ~MainWindow() override;

    void openModel(const QString& path);
    void setDraftModel(const QString& path);  // the draft Q4+spec uses
    // The built-in demo pair, when the app found it: the scaled demo is built from its target.
    void setBuiltinPair(const QString& target, const QString& draft);
    // File → Scaled demo: opens it, or asks and then builds it first.
    void openScaledDemo();
    // Builds the scaled demo without asking (progress and Cancel as for a load), then opens it.
    void buildScaledDemo();
    void newChat();
    // Answers from now on use `g`, for this window only (nothing is saved): the kiosk's short,
    // greedy answers.
    void useGenerationSettings(const GenerationSettings& g) { settings_.generation = g; }
    // Deletes every saved chat but the `keep` most recent (files and list; never the one shown).
    // For a folder of throwaway chats, like the kiosk's, that must not grow for ever.
    void pruneChats(int keep);

    // For tests and the screenshot mode: the widgets a user acts on.
    QLabel* statusLabel() const { return status_; }
    const QLabel* kernelLabel() const { return &kernels_; }
    TranscriptView* transcript() const { return transcript_; }
    PromptBox* promptBox() const { return prompt_; }
    QPushButton* sendButton() const { return send_; }
    QPushButton* fillButton() const { return fill_; }
    QPushButton* stopButton() const { return stop_; }
    ConfigurationSwitch* configurationSwitch() const { return switch_; }
    QListView* chatList() const { return chatList_; }
    QLabel* contextGauge() const { return contextGauge_; }
    QLabel* modeLabel() const { return modeLabel_; }
    PerformanceDock* performanceDock() const { return performance_; }
    CompareWindow* compareWindow() const { return compareWindow_; }
    QAction* compareAction() const { return compareAction_; }
    QAction* highlightDraftAction() const { return highlightDraftAction_; }
    QAction* scaledDemoAction() const { return scaledDemoAction_; }
    QPushButton* cancelLoadButton() const { return cancelLoad_; }
    const Chat& currentChat() const { return chat_; }
    const LoadedModel& loadedModel() const { return loaded_; }
    bool isBusy() const { return generating_ || loading_; }

signals:
    void loadRequested(const q8ui::LoadRequest& request);
    void answerRequested(const q8ui::ChatRequest& request);
    // Emitted when an answer ends (finished, stopped or refused) and the window is idle again.
    void answerEnded();
    void compareRequested(const q8ui::CompareJob& job);
    void scaledModelRequested(const q8ui::ScaledModelJob& job);
    void compareEnded();
    void modelReady();
    void modelFailed(const QString& message);  // the previous model, if any, stays loaded
    void saveFailed(const QString& message);   // a chat could not be saved (also said in the status bar)

protected:
    void dragEnterEvent(QDragEnterEvent* e) override;  // a .gguf dropped on the window opens it
    void dropEvent(QDropEvent* e) override;

private:
    void buildMenus();
    void buildToolbar();
    void buildCentralArea();
    void buildStatusBar();
    void connectWorker();

    void send();
    void sendText(const QString& text, QVector<ChatMessage> history);
    // The running request's bookkeeping (buttons, performance dock, memory samples), then the request.
    void startRun(const ChatRequest& r);
    // Completion mode, models with FIM tokens: the prompt box's text before and after the cursor
    // are the prefix and suffix, and the model's middle is written in at the cursor.
    void fillInTheMiddle();
    void endFill(const QString& status, const MessageFigures& figures);
    void updateFillAvailability();
    void regenerate();
    void editMessage(int index);
    void requestLoad(Configuration c);
    void chooseConfiguration(Configuration c);
    void showChat(const QString& id);
    void setCompletionMode(bool on);
    void reportUnreadable(const QVector<UnreadableChatFile>& files);
    void renameChat();
    void deleteChat();
    void exportChat(bool markdown);
    void editSettings();
    void compare();
    void applySettings();

    void onLoaded(const LoadedModel& m);
    void onLoadFailed(const QString& message);
    void onReplyText(const q8ui::ReplyChunk& chunk);
    void onReplyProgress(const LiveSample& sample);
    // The running request's memory for the dock; the weights and KV cache are those of the model
    // it runs on (the loaded one, or a comparison's configuration).
    void sampleRunMemory();
    void onReplyFinished(const ReplyDone& done);
    void onReplyRefused(const QString& message);
    void endAnswer();
    void endRun(const MessageFigures& figures);  // the window is idle again

    void saveChat();
    void updateContextGauge(qint64 used);
    void updateMemoryLabel();
    void updateModelLabel();
    void setLoading(bool loading);
    void setGenerating(bool generating);
    void showStatus(const QString& text);
    void rememberRecent(const QString& path);
    void refreshRecentMenu();

    QString chatsDir_;
    AppSettings settings_;
    QThread workerThread_;
    ChatWorker* worker_;  // lives on workerThread_, deleted when it finishes

    ChatListModel* chats_;
    QSortFilterProxyModel* chatSearch_;
    Chat chat_;              // the chat shown (also kept in chats_)
    QVector<Chat> deleted_;  // for Undo delete
    LoadedModel loaded_;
    Configuration requested_ = Configuration::Fp16;  // the configuration being loaded
    QString modelPath_;                              // the model asked for (loaded_ holds the one in use)
    QString draftPath_;
    bool loading_ = false;
    bool generating_ = false;
    bool filling_ = false;    // the answer being written is a middle for the prompt box
    QTextCursor fillCursor_;  // where it goes
    QTimer saveTimer_;        // saves a long answer while it streams

    QComboBox* modelPicker_ = nullptr;
    QComboBox* draftPicker_ = nullptr;
    QSpinBox* threads_ = nullptr;
    ConfigurationSwitch* switch_ = nullptr;
    QMenu* recentMenu_ = nullptr;
    QListView* chatList_ = nullptr;
    QLineEdit* chatSearchEdit_ = nullptr;
    TranscriptView* transcript_ = nullptr;
    PromptBox* prompt_ = nullptr;
    QLabel* contextGauge_ = nullptr;
    QLabel* modeLabel_ = nullptr;
    QAction* completionAction_ = nullptr;
    QAction* highlightDraftAction_ = nullptr;
    QAction* scaledDemoAction_ = nullptr;
    QString builtinTarget_, builtinDraft_;
    QPushButton* send_ = nullptr;
    QPushButton* stop_ = nullptr;
    QPushButton* fill_ = nullptr;
    QAction* fillAction_ = nullptr;
    QLabel* status_ = nullptr;
    QProgressBar* progress_ = nullptr;
    QPushButton* cancelLoad_ = nullptr;
    QLabel* modelLabel_ = nullptr;
    QLabel* memoryLabel_ = nullptr;
    LogDock* log_ = nullptr;
    PerformanceDock* performance_ = nullptr;
    CompareWindow* compareWindow_ = nullptr;  // made on first use
    QAction* compareAction_ = nullptr;
    QElapsedTimer runClock_;  // since the answer being written was requested
    qint64 runWeightBytes_ = 0;
    qint64 runKvCacheBytes_ = 0;
    QTimer runMemoryTimer_;
    qint64 plannedBytes_ = 0;  // what the model in use was estimated to need before loading
    QTimer memoryTimer_;
    // A member, not heap-allocated: destroyed (and so removed from the status bar) before the
    // window's own children are.
    QLabel kernels_;
};

}  // namespace q8ui
