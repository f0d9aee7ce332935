#pragma once
// The kiosk's attract loop (q8chat --kiosk): a state machine that drives the chat window through its
// public widgets and signals, as a person at the keyboard would. Each prompt runs through FP16, Q8,
// Q4 and Q4+spec in turn: switch (a load), send, let the answer stream with the charts running,
// keep it in view for a moment, then the next. A visitor's key, click, wheel or touch pauses the
// loop (stopping the demo's answer) and the visitor's own prompts are answered; once nobody has
// touched anything for the idle time, the loop resumes with the next prompt. Errors (a failed load,
// a chat that cannot be saved, a refused answer) are shown in the headline for a few seconds and the
// loop goes on by itself. Closing the window is refused: only the exit shortcut leaves, after the
// PIN when one is set.
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QVector>

#include "chat_types.h"
#include "kiosk_prompts.h"
#include "kiosk_settings.h"

namespace q8ui {

class KioskHeadline;
class KioskPinDialog;
class MainWindow;

// How long each part of the loop lasts; tests shorten it.
struct KioskPacing {
    // The demo's answers: greedy (with a repetition penalty), so the four configurations write
    // comparable text (Q4+spec exactly Q4's), and short enough for the built-in target's
    // 512-token context.
    int answerTokens = 384;
    int idleResumeMs = 60000;  // after a visitor's last input (KioskSettings::idleResumeSeconds)
    int errorShowMs = 6000;    // an error's time on screen, and the pause before the loop goes on
    int showMs = 3000;         // a finished answer stays in view this long before the next step
    int pinIdleMs = 30000;     // an untouched PIN prompt closes itself
    int refreshMs = 250;       // the headline's live figures
};

struct KioskModelPaths {
    QString target;
    QString draft;  // for Q4+spec
};

class KioskController : public QObject {
    Q_OBJECT
public:
    enum class State {
        Loading,    // switching configuration (or opening the model) for the next step
        Answering,  // the demo's answer streams
        Showing,    // a finished answer stays in view
        Error,      // an error is on screen; the next step follows
        Visitor,    // paused for a visitor until the idle time passes
    };
    // Kiosk chats kept on disk; older ones are deleted after each answer.
    static constexpr int kKeptChats = 20;

    // `prompts` must not be empty. The window should have been created on `models.target`.
    KioskController(MainWindow& window, QVector<KioskPrompt> prompts, KioskModelPaths models, KioskSettings settings,
                    KioskPacing pacing, QObject* parent = nullptr);

    // Lays the window out as the kiosk (full screen) and starts the loop.
    void start();

    State state() const { return state_; }
    KioskHeadline* headline() const { return headline_; }
    KioskPinDialog* pinDialog() const;  // while it asks

signals:
    void stepStarted(int prompt, q8ui::Configuration configuration);
    // A demo answer ended with these figures (not a visitor's).
    void runFinished(int prompt, q8ui::Configuration configuration, const q8ui::MessageFigures& figures);
    void errorShown(const QString& message);
    // The exit shortcut was pressed (and the PIN given when one is set): the window may close now.
    void exitGranted();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void step();     // does what the current step needs next: open, switch, or send
    void advance();  // the next configuration; after Q4+spec, the next prompt from FP16
    void send();
    void fail(const QString& message);  // shows it, then goes on with the next step
    void showError(const QString& message);
    void onModelReady();
    void onModelFailed(const QString& message);
    void onAnswerEnded();
    void visitorActivity(bool typing);
    void resume();
    void requestExit();
    void grantExit();
    void refreshHeadline();
    void setState(State s);

    MainWindow& window_;
    QVector<KioskPrompt> prompts_;
    KioskModelPaths models_;
    KioskSettings settings_;
    KioskPacing pacing_;
    KioskHeadline* headline_;  // a child of the window
    QPointer<KioskPinDialog> pin_;
    State state_ = State::Loading;
    int prompt_ = 0;
    int config_ = 0;  // into FP16, Q8, Q4, Q4+spec
    // The transcript shows a demo chat; a visitor's prompt starts a new one instead of continuing it.
    bool demoChatShown_ = false;
    bool typed_ = false;  // the visitor has typed since the loop paused
    bool exitGranted_ = false;
    bool redirecting_ = false;  // a key typed elsewhere is on its way to the prompt
    qint64 fp16WeightBytes_ = 0;
    int chartPixels_ = 0;  // the kiosk's chart type size
    QTimer next_;          // the pause after an answer or an error, then the next step
    QTimer idle_;          // a visitor's idle time
    QTimer refresh_;       // the headline's live figures
};

}  // namespace q8ui
