#pragma once
// A chat's messages as the user reads them: who wrote each, answers rendered from Markdown with
// Copy on their code blocks, and under each finished answer the figures that describe it.
//
// One QTextBrowser holds the whole transcript so text selects across messages. Each message (in
// completion mode, each prompt with its continuation) is a frame; only the last frame is ever
// re-rendered, so streaming costs the length of the answer being written, not of the chat.
#include <functional>

#include <QPointer>
#include <QTimer>
#include <QWidget>

#include "chat_types.h"

class QTextBrowser;
class QTextCursor;
class QTextFrame;
class QUrl;

namespace q8ui {

class TranscriptView : public QWidget {
    Q_OBJECT
public:
    explicit TranscriptView(QWidget* parent = nullptr);

    void setChat(const Chat& chat);
    void clear();
    void appendMessage(const ChatMessage& message);
    // Streaming: cheap to call for every token; the text is drawn at most about 30 times a second.
    // draftSpans: the parts of `text` the draft model wrote (positions within `text`).
    void appendToLastMessage(const QString& text, const QVector<TextSpan>& draftSpans = {});
    void finishLastMessage(MessageState state, const QString& note, const MessageFigures& figures);

    // Tints the text of answers that came from the draft model (Q4+spec). Such answers are then
    // shown as plain text: Markdown rendering would move text around the tinted spans.
    void setHighlightDraft(bool on);
    bool highlightDraft() const { return highlightDraft_; }

    // What is shown, texts as appended so far.
    const Chat& chat() const { return chat_; }
    // For tests: the widget a user reads, scrolls and clicks links in.
    QTextBrowser* browser() const { return browser_; }

signals:
    // From the "Regenerate" link under the last finished answer.
    void regenerateRequested();
    // From the "Edit" link on a user message.
    void editRequested(int messageIndex);

protected:
    void changeEvent(QEvent* event) override;

private:
    void rebuild();
    void appendGroup(int first, int last);
    void renderTail();
    void renderStreamingTail();
    // Replaces everything from the cursor to the end of the last frame.
    void replaceToEndOfTail(QTextCursor& cursor, const QString& html);
    QString groupHtml(int first, int last) const;
    bool continuesPrevious(int index) const;
    // Runs one change to the document, keeping the scroll position or the bottom in view.
    void editDocument(const std::function<void(QTextCursor&)>& change);
    void openAnchor(const QUrl& url);
    void keepBottomInView();

    QTextBrowser* browser_;
    Chat chat_;
    // The last frame and the messages it shows: the only part of the document that changes.
    QPointer<QTextFrame> tail_;
    int tailFirst_ = 0;
    int tailLast_ = 0;
    // While the last answer streams: where its re-rendered part starts in the document (-1 until its
    // first render), and how much of its text and how many code blocks precede that.
    int streamedPosition_ = -1;
    qsizetype streamedLength_ = 0;
    int streamedCodeBlocks_ = 0;
    // Streamed text waits here while the last render is younger than the throttle interval.
    QTimer throttle_;
    bool tailDirty_ = false;
    // Follows new text while the user is at the bottom; scrolling up stops it, scrolling back down
    // resumes it.
    bool following_ = true;
    bool editing_ = false;
    bool highlightDraft_ = false;
};

}  // namespace q8ui
