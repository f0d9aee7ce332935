#include "kiosk_controller.h"

#include <spdlog/spdlog.h>
#include <QApplication>
#include <QEvent>
#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QShortcut>
#include <QToolButton>

#include "configuration_switch.h"
#include "kiosk_headline.h"
#include "kiosk_layout.h"
#include "kiosk_pin_dialog.h"
#include "main_window.h"
#include "performance_dock.h"
#include "prompt_box.h"

namespace q8ui {

namespace {

constexpr Configuration kCycle[] = {Configuration::Fp16, Configuration::Q8, Configuration::Q4, Configuration::Q4Spec};
constexpr int kCycleLength = 4;
constexpr double kMiB = 1024.0 * 1024.0;

bool isInput(QEvent::Type t) {
    return t == QEvent::KeyPress || t == QEvent::MouseButtonPress || t == QEvent::Wheel || t == QEvent::TouchBegin;
}

}  // namespace

KioskController::KioskController(MainWindow& window, QVector<KioskPrompt> prompts, KioskModelPaths models,
                                 KioskSettings settings, KioskPacing pacing, QObject* parent)
    : QObject(parent),
      window_(window),
      prompts_(std::move(prompts)),
      models_(std::move(models)),
      settings_(std::move(settings)),
      pacing_(pacing),
      headline_(new KioskHeadline(&window)) {
    next_.setSingleShot(true);
    connect(&next_, &QTimer::timeout, this, [this] {
        advance();
        step();
    });
    idle_.setSingleShot(true);
    idle_.setInterval(pacing_.idleResumeMs);
    connect(&idle_, &QTimer::timeout, this, &KioskController::resume);
    refresh_.setInterval(pacing_.refreshMs);
    connect(&refresh_, &QTimer::timeout, this, &KioskController::refreshHeadline);
}

KioskPinDialog* KioskController::pinDialog() const { return pin_; }

void KioskController::start() {
    chartPixels_ = applyKioskLayout(window_, headline_).chart;
    if (!models_.draft.isEmpty()) window_.setDraftModel(models_.draft);
    GenerationSettings demo;
    demo.maxTokens = pacing_.answerTokens;
    demo.temperature = 0;
    // Greedy alone sends the small built-in model into loops ("b, b, b, …").
    demo.repeatPenalty = 1.3;
    window_.useGenerationSettings(demo);

    connect(&window_, &MainWindow::modelReady, this, &KioskController::onModelReady);
    connect(&window_, &MainWindow::modelFailed, this, &KioskController::onModelFailed);
    connect(&window_, &MainWindow::answerEnded, this, &KioskController::onAnswerEnded);
    connect(&window_, &MainWindow::saveFailed, this, &KioskController::showError);
    auto* exit = new QShortcut(KioskSettings::exitShortcut(), &window_);
    exit->setContext(Qt::ApplicationShortcut);
    connect(exit, &QShortcut::activated, this, &KioskController::requestExit);
    qApp->installEventFilter(this);
    window_.promptBox()->setFocus();
    refresh_.start();
    if (window_.loadedModel().configuration == Configuration::Fp16)
        fp16WeightBytes_ = window_.loadedModel().weightBytes;
    setState(State::Loading);
    step();
}

void KioskController::setState(State s) {
    state_ = s;
    if (s == State::Visitor) {
        headline_->setCaption(tr("Your turn: type a prompt and press Enter. The demo resumes after %n s without input.",
                                 "", pacing_.idleResumeMs / 1000));
    } else if (s != State::Error) {
        const KioskPrompt& p = prompts_[prompt_];
        headline_->setCaption(tr("Demo %1 of %2: %3 (%4) · type your own prompt at any time")
                                  .arg(prompt_ + 1)
                                  .arg(prompts_.size())
                                  .arg(p.title, p.kind));
    }
}

void KioskController::step() {
    if (state_ == State::Visitor) return;
    setState(State::Loading);
    // A load in flight ends in modelReady or modelFailed, and an answer in answerEnded: each comes
    // back here.
    if (window_.isBusy()) return;
    if (window_.loadedModel().path != models_.target) {
        window_.openModel(models_.target);
        if (!window_.isBusy()) fail(window_.statusLabel()->text());
        return;
    }
    const Configuration want = kCycle[config_];
    if (window_.loadedModel().configuration != want) {
        QToolButton* button = window_.configurationSwitch()->button(want);
        if (!button->isEnabled()) {
            fail(tr("Skipped: %1").arg(button->toolTip()));
            return;
        }
        button->click();
        if (!window_.isBusy()) fail(window_.statusLabel()->text());
        return;
    }
    send();
}

void KioskController::send() {
    window_.newChat();
    window_.promptBox()->setPlainText(prompts_[prompt_].text);
    window_.sendButton()->click();
    if (!window_.isBusy()) {
        fail(window_.statusLabel()->text());
        return;
    }
    demoChatShown_ = true;
    setState(State::Answering);
    emit stepStarted(prompt_, kCycle[config_]);
}

void KioskController::advance() {
    if (++config_ < kCycleLength) return;
    config_ = 0;
    prompt_ = (prompt_ + 1) % int(prompts_.size());
}

void KioskController::showError(const QString& message) {
    spdlog::warn("kiosk: {}", message.toStdString());
    headline_->showError(message, pacing_.errorShowMs);
    emit errorShown(message);
}

void KioskController::fail(const QString& message) {
    showError(message);
    setState(State::Error);
    next_.start(pacing_.errorShowMs);
}

void KioskController::onModelReady() {
    const LoadedModel& m = window_.loadedModel();
    if (m.path == models_.target && m.configuration == Configuration::Fp16) fp16WeightBytes_ = m.weightBytes;
    if (state_ == State::Loading) step();
}

void KioskController::onModelFailed(const QString& message) {
    if (state_ == State::Loading) {
        fail(message);
    } else {
        showError(message);  // a visitor's switch; the previous configuration stays
    }
}

void KioskController::onAnswerEnded() {
    const ChatMessage& answer = window_.currentChat().messages.last();
    switch (state_) {
    case State::Answering:
        if (answer.state == MessageState::Failed) {
            fail(answer.note);
            return;
        }
        if (answer.figures.generatedTokens > 0) emit runFinished(prompt_, kCycle[config_], answer.figures);
        // The dock's summary bars are new after a configuration's first run.
        setChartTypeSize(*window_.performanceDock(), chartPixels_);
        window_.pruneChats(kKeptChats);
        setState(State::Showing);
        next_.start(pacing_.showMs);
        return;
    case State::Visitor:
        if (demoChatShown_) {
            // The demo's answer, stopped by the visitor's arrival.
            if (typed_) {
                window_.newChat();
                demoChatShown_ = false;
            }
        } else {
            if (answer.state == MessageState::Failed) showError(answer.note);
            window_.pruneChats(kKeptChats);
        }
        idle_.start();
        return;
    case State::Loading: step(); return;
    case State::Showing:
    case State::Error: return;
    }
}

bool KioskController::eventFilter(QObject* watched, QEvent* event) {
    if (watched == &window_ && event->type() == QEvent::Close && !exitGranted_) {
        event->ignore();
        return true;
    }
    if (!isInput(event->type())) return false;
    auto* widget = qobject_cast<QWidget*>(watched);
    if (widget == nullptr || widget->window() != &window_) return false;
    const bool key = event->type() == QEvent::KeyPress;
    visitorActivity(key);
    // Whatever has the focus (the transcript after a click, say), typing goes to the prompt: a
    // visitor's first keys must not vanish.
    PromptBox* prompt = window_.promptBox();
    const QString text = key ? static_cast<QKeyEvent*>(event)->text() : QString();
    if (!redirecting_ && widget != prompt && !prompt->isAncestorOf(widget) && !text.isEmpty() && text.at(0).isPrint()) {
        prompt->setFocus();
        redirecting_ = true;  // the prompt passes on keys it ignores to its parents, which land here
        QCoreApplication::sendEvent(prompt, event);
        redirecting_ = false;
        return true;
    }
    return false;
}

void KioskController::visitorActivity(bool typing) {
    idle_.start();
    if (state_ != State::Visitor) {
        const bool demoStreaming = state_ == State::Answering;
        next_.stop();
        setState(State::Visitor);
        if (demoStreaming) window_.stopButton()->click();
    }
    if (typing && !typed_) {
        typed_ = true;
        // Their prompt must not continue the demo's text; a streaming demo answer ends first
        // (onAnswerEnded starts the new chat then).
        if (demoChatShown_ && !window_.stopButton()->isEnabled()) {
            window_.newChat();
            demoChatShown_ = false;
        }
    }
}

void KioskController::resume() {
    if (window_.isBusy()) {  // the visitor's answer or switch is still running
        idle_.start();
        return;
    }
    typed_ = false;
    config_ = kCycleLength - 1;  // advance() moves on to the next prompt, from FP16
    setState(State::Loading);
    advance();
    step();
}

void KioskController::requestExit() {
    if (!settings_.requiresPin()) {
        grantExit();
        return;
    }
    if (pin_ != nullptr) {
        pin_->raise();
        return;
    }
    pin_ = new KioskPinDialog(settings_, pacing_.pinIdleMs, &window_);
    pin_->setAttribute(Qt::WA_DeleteOnClose);
    pin_->setFont(window_.font());
    connect(pin_, &QDialog::accepted, this, &KioskController::grantExit);
    connect(pin_, &QDialog::rejected, &window_, [this] { window_.activateWindow(); });
    pin_->open();
}

void KioskController::grantExit() {
    exitGranted_ = true;
    spdlog::info("kiosk: leaving through the exit shortcut");
    emit exitGranted();
}

void KioskController::refreshHeadline() {
    const LoadedModel& m = window_.loadedModel();
    const PerformanceData& data = window_.performanceDock()->data();
    KioskHeadline::Figures f;
    f.configuration = m.path.isEmpty() ? kCycle[config_] : m.configuration;
    f.running = data.running() && data.configuration() == f.configuration;
    const QList<QPointF>& live = data.decodeRate(f.configuration).points();
    const QMap<Configuration, MessageFigures>& last = data.summaries();
    if (f.running && !live.isEmpty()) {
        f.tokensPerSecond = live.last().y();
    } else if (last.contains(f.configuration)) {
        f.tokensPerSecond = last[f.configuration].decodeTokensPerSecond;
    }
    const double fp16 = last.value(Configuration::Fp16).decodeTokensPerSecond;
    if (fp16 > 0 && f.tokensPerSecond > 0) f.speedup = f.tokensPerSecond / fp16;
    if (fp16WeightBytes_ > 0 && m.weightBytes > 0) f.weightFraction = double(m.weightBytes) / double(fp16WeightBytes_);
    f.weightMiB = double(m.weightBytes) / kMiB;
    headline_->showFigures(f);
}

}  // namespace q8ui
