#include "transcript_view.h"

#include <QClipboard>
#include <QEvent>
#include <QGuiApplication>
#include <QJsonObject>
#include <QScrollBar>
#include <QTextBrowser>
#include <QTextCursor>
#include <QTextFrame>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "markdown_html.h"

namespace q8ui {

namespace {

// ~30 renders a second keep up with reading while leaving the GUI thread idle between tokens.
constexpr int kThrottleMs = 33;

QColor mixed(const QColor& a, const QColor& b, double t) {
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t),
                            float(a.greenF() + (b.greenF() - a.greenF()) * t),
                            float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

// Colours come from the palette so the transcript follows a dark theme.
struct Colors {
    explicit Colors(const QPalette& p)
        // Not PlaceholderText: it is translucent, and HTML colours here are opaque.
        : muted(mixed(p.color(QPalette::Base), p.color(QPalette::Text), 0.55)),
          userBackground(mixed(p.color(QPalette::Base), p.color(QPalette::Highlight), 0.08)),
          codeBackground(mixed(p.color(QPalette::Base), p.color(QPalette::Text), 0.06)),
          text(p.color(QPalette::Text)),
          answer(p.color(QPalette::Link)),
          error(mixed(p.color(QPalette::Text), Qt::red, 0.7)),
          draft(mixed(p.color(QPalette::Base), QColor(0x2e, 0xa0, 0x43), 0.28)) {}
    QColor muted, userBackground, codeBackground, text, answer, error, draft;
};

QString plainHtml(const QString& text) { return text.toHtmlEscaped(); }

QString paragraph(const QString& innerHtml, const QString& style = {}) {
    return QStringLiteral("<p style=\"white-space:pre-wrap; %1\">%2</p>").arg(style, innerHtml);
}

QString link(const QString& href, const QString& text) {
    return QStringLiteral("<a href=\"%1\" style=\"text-decoration:none\">%2</a>").arg(href, text);
}

QString assistantName(const ChatMessage& m) {
    const QString configuration = m.figures.configuration;
    return configuration.isEmpty() ? QStringLiteral("q8chat") : QStringLiteral("q8chat · ") + plainHtml(configuration);
}

// The run record in a few lines for the figures' tooltip: which machine, build and file.
QString recordInWords(const QJsonObject& r) {
    if (r.isEmpty()) return {};
    const QJsonObject model = r.value("model").toObject();
    QStringList isa;
    for (const char* key : {"avx512", "avx512_vnni", "avx512_bf16", "amx"})
        if (r.value(QLatin1String(key)).toBool()) isa << QLatin1String(key);
    return QStringLiteral("%1 · %2 (%3) · %4 threads · context %5\n%6 · %7 MiB · xxh3 %8\n%9 · engine %10 · %11")
        .arg(r.value("cpu_model").toString(), r.value("kernel_path").toString(),
             isa.isEmpty() ? QStringLiteral("no AVX-512") : isa.join(' '))
        .arg(r.value("threads").toInt())
        .arg(r.value("n_ctx").toInteger())
        .arg(model.value("name").toString())
        .arg(qRound64(model.value("bytes").toDouble() / 1048576.0))
        .arg(model.value("xxh3").toString(), r.value("precision").toString(), r.value("engine_version").toString(),
             r.value("date").toString());
}

// "52.0 tok/s · prompt 850 tok/s · TTFT 0.11 s · 256 tok · 720 MiB · Q4+spec · 92% accepted (111/120)"
QString figuresHtml(const MessageFigures& f) {
    QStringList parts;
    if (f.decodeTokensPerSecond > 0) parts << QString::asprintf("%.1f tok/s", f.decodeTokensPerSecond);
    if (f.promptTokensPerSecond > 0) parts << QString::asprintf("prompt %.0f tok/s", f.promptTokensPerSecond);
    if (f.timeToFirstTokenSeconds > 0) parts << QString::asprintf("TTFT %.2f s", f.timeToFirstTokenSeconds);
    parts << QStringLiteral("%1 tok").arg(f.generatedTokens);
    if (f.peakResidentBytes > 0) parts << QStringLiteral("%1 MiB").arg(qRound64(f.peakResidentBytes / 1048576.0));
    if (!f.configuration.isEmpty()) parts << plainHtml(f.configuration);
    const QString sampling = f.sampling.isEmpty() ? QString() : QStringLiteral("sampling: ") + f.sampling;
    if (f.speculative()) {
        // Rounded down: 100% only when every drafted token was kept.
        const int percent = int(std::floor(f.acceptanceRate() * 100.0));
        const QString formula = QStringLiteral("acceptance = accepted ÷ drafted = %1 ÷ %2 = %3%\n%4")
                                    .arg(f.accepted)
                                    .arg(f.drafted)
                                    .arg(f.acceptanceRate() * 100.0, 0, 'f', 1)
                                    .arg(sampling);
        parts << QStringLiteral("<span title=\"%1\">%2% accepted (%3/%4)</span>")
                     .arg(plainHtml(formula.trimmed()))
                     .arg(percent)
                     .arg(f.accepted)
                     .arg(f.drafted);
    }
    const QString tip = QStringLiteral("prompt: %1 tokens\n%2\n%3")
                            .arg(f.promptTokens)
                            .arg(sampling, recordInWords(f.record))
                            .trimmed();
    return QStringLiteral("<span title=\"%1\">%2</span>").arg(plainHtml(tip), parts.join(QStringLiteral(" · ")));
}

// Under an answer: progress while it streams; then how it ended, its figures, and on the last
// answer the Regenerate link.
QString footerHtml(const ChatMessage& m, bool lastMessage, const Colors& colors) {
    const QString style = QStringLiteral("color:%1; margin-top:2px").arg(colors.muted.name());
    if (m.state == MessageState::Streaming) return paragraph(QStringLiteral("generating…"), style);
    QStringList parts;
    if (m.state == MessageState::Stopped) parts << plainHtml(m.note.isEmpty() ? QStringLiteral("stopped") : m.note);
    if (m.state == MessageState::Failed) {
        parts << QStringLiteral("<span style=\"color:%1\">%2</span>")
                     .arg(colors.error.name(), plainHtml(m.note.isEmpty() ? QStringLiteral("failed") : m.note));
    }
    if (m.figures.generatedTokens > 0) parts << figuresHtml(m.figures);
    if (lastMessage) parts << link(QStringLiteral("regenerate:"), QStringLiteral("↻ Regenerate"));
    return parts.isEmpty() ? QString() : paragraph(parts.join(QStringLiteral(" · ")), style);
}

MarkdownOptions markdownOptions(int index, const Colors& colors) {
    MarkdownOptions options;
    options.copyAnchorPrefix = QStringLiteral("copy:%1:").arg(index);
    options.codeBackground = colors.codeBackground;
    options.codeForeground = colors.text;
    return options;
}

QString headerHtml(const Chat& chat, int first, int last, const Colors& colors) {
    const ChatMessage& head = chat.messages[first];
    const QString edit = link(QStringLiteral("edit:%1").arg(first), QStringLiteral("✎ Edit"));
    const QString muted = QStringLiteral("color:%1").arg(colors.muted.name());
    if (first != last) {
        return paragraph(QStringLiteral("<b>You</b>, continued by <b>%1</b> &nbsp; <span style=\"%2\">%3</span>")
                             .arg(assistantName(chat.messages[last]), muted, edit));
    }
    switch (head.role) {
    case Role::User:
        return paragraph(QStringLiteral("<b>You</b> &nbsp; <span style=\"%1\">%2</span>").arg(muted, edit));
    case Role::System: return paragraph(QStringLiteral("<b>System</b>"), muted);
    case Role::Assistant: return paragraph(QStringLiteral("<b>%1</b>").arg(assistantName(head)));
    }
    return {};
}

bool showsDraft(const ChatMessage& m, bool highlight) { return highlight && !m.draftSpans.isEmpty(); }

// An answer as plain text, its drafted parts tinted when the view highlights them.
QString answerHtml(const ChatMessage& m, bool highlight, const Colors& colors) {
    if (!showsDraft(m, highlight)) return plainHtml(m.text);
    QString html;
    int at = 0;
    const int size = int(m.text.size());
    for (const TextSpan& s : m.draftSpans) {
        const int start = std::clamp(s.start, at, size);
        const int end = std::clamp(s.start + s.length, start, size);
        html += plainHtml(m.text.mid(at, start - at));
        html += QStringLiteral("<span style=\"background-color:%1\">%2</span>")
                    .arg(colors.draft.name(), plainHtml(m.text.mid(start, end - start)));
        at = end;
    }
    return html + plainHtml(m.text.mid(at));
}

}  // namespace

TranscriptView::TranscriptView(QWidget* parent) : QWidget(parent), browser_(new QTextBrowser) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(browser_);

    browser_->setOpenLinks(false);
    connect(browser_, &QTextBrowser::anchorClicked, this, &TranscriptView::openAnchor);
    QTextDocument* doc = browser_->document();
    // Re-rendering the tail would otherwise pile every streamed version onto the undo stack.
    doc->setUndoRedoEnabled(false);
    doc->setDocumentMargin(12);
    doc->setDefaultStyleSheet(
        QStringLiteral("h1 { font-size: x-large; } h2 { font-size: large; } h3, h4, h5, h6 { font-size: medium; }"));

    throttle_.setSingleShot(true);
    throttle_.setInterval(kThrottleMs);
    connect(&throttle_, &QTimer::timeout, this, [this] {
        if (tailDirty_) {
            renderTail();
            throttle_.start();
        }
    });

    QScrollBar* bar = browser_->verticalScrollBar();
    connect(bar, &QScrollBar::valueChanged, this, [this, bar] {
        if (!editing_) following_ = bar->value() >= bar->maximum() - fontMetrics().height() / 2;
    });
    connect(bar, &QScrollBar::rangeChanged, this, [this] {
        if (following_ && !editing_) keepBottomInView();
    });
}

void TranscriptView::setChat(const Chat& chat) {
    chat_ = chat;
    rebuild();
}

void TranscriptView::clear() { setChat(Chat{}); }

void TranscriptView::appendMessage(const ChatMessage& message) {
    chat_.messages.append(message);
    const int index = int(chat_.messages.size()) - 1;
    if (tail_ && continuesPrevious(index)) {
        tailLast_ = index;
        renderTail();
        return;
    }
    renderTail();  // the answer shown there is no longer the last: it loses its Regenerate link
    appendGroup(index, index);
}

void TranscriptView::appendToLastMessage(const QString& text, const QVector<TextSpan>& draftSpans) {
    if (chat_.messages.isEmpty()) return;
    ChatMessage& m = chat_.messages.last();
    const int offset = int(m.text.size());
    m.text += text;
    for (const TextSpan& s : draftSpans) appendSpan(m.draftSpans, offset + s.start, s.length);
    tailDirty_ = true;
    if (throttle_.isActive()) return;
    renderTail();
    throttle_.start();
}

void TranscriptView::finishLastMessage(MessageState state, const QString& note, const MessageFigures& figures) {
    if (chat_.messages.isEmpty()) return;
    ChatMessage& m = chat_.messages.last();
    m.state = state;
    m.note = note;
    m.figures = figures;
    renderTail();
}

void TranscriptView::setHighlightDraft(bool on) {
    if (on == highlightDraft_) return;
    highlightDraft_ = on;
    rebuild();
}

void TranscriptView::changeEvent(QEvent* event) {
    if (event->type() == QEvent::PaletteChange) rebuild();
    QWidget::changeEvent(event);
}

bool TranscriptView::continuesPrevious(int index) const {
    return chat_.completionMode && index > 0 && chat_.messages[index].role == Role::Assistant &&
           chat_.messages[index - 1].role == Role::User;
}

void TranscriptView::rebuild() {
    editDocument([this](QTextCursor& cursor) {
        browser_->document()->clear();
        tail_ = nullptr;
        if (!chat_.systemPrompt.isEmpty()) {
            const Colors colors(palette());
            cursor.insertHtml(paragraph(QStringLiteral("<i>System prompt:</i> ") + plainHtml(chat_.systemPrompt),
                                        QStringLiteral("color:%1").arg(colors.muted.name())));
        }
    });
    following_ = true;
    const int count = int(chat_.messages.size());
    for (int first = 0; first < count;) {
        const int last = first + 1 < count && continuesPrevious(first + 1) ? first + 1 : first;
        appendGroup(first, last);
        first = last + 1;
    }
}

void TranscriptView::appendGroup(int first, int last) {
    const Colors colors(palette());
    QTextFrameFormat format;
    format.setPadding(8);
    format.setBottomMargin(4);
    if (!chat_.completionMode && chat_.messages[first].role == Role::User) format.setBackground(colors.userBackground);
    editDocument([&](QTextCursor& cursor) {
        cursor.movePosition(QTextCursor::End);
        tail_ = cursor.insertFrame(format);
        streamedPosition_ = -1;
        tailFirst_ = first;
        tailLast_ = last;
        cursor.insertHtml(groupHtml(first, last));
    });
}

void TranscriptView::renderTail() {
    tailDirty_ = false;
    if (!tail_) return;
    const ChatMessage& m = chat_.messages[tailLast_];
    if (m.state == MessageState::Streaming && m.role == Role::Assistant && !chat_.completionMode &&
        !showsDraft(m, highlightDraft_)) {
        renderStreamingTail();
        return;
    }
    streamedPosition_ = -1;
    const QString html = groupHtml(tailFirst_, tailLast_);
    editDocument([&](QTextCursor& cursor) {
        cursor.setPosition(tail_->firstPosition());
        replaceToEndOfTail(cursor, html);
    });
}

// Parts of an answer that appending can no longer change (markdownStableLength) are inserted once;
// each render replaces only what follows them.
void TranscriptView::renderStreamingTail() {
    const ChatMessage& m = chat_.messages[tailLast_];
    const Colors colors(palette());
    MarkdownOptions options = markdownOptions(tailLast_, colors);
    editDocument([&](QTextCursor& cursor) {
        if (streamedPosition_ < 0) {
            cursor.setPosition(tail_->firstPosition());
            replaceToEndOfTail(cursor, headerHtml(chat_, tailLast_, tailLast_, colors));
            cursor.insertBlock(QTextBlockFormat(), QTextCharFormat());
            streamedPosition_ = cursor.position();
            streamedLength_ = 0;
            streamedCodeBlocks_ = 0;
        }
        cursor.setPosition(streamedPosition_);
        const qsizetype stable = markdownStableLength(m.text);
        if (stable > streamedLength_) {
            const QString part = m.text.mid(streamedLength_, stable - streamedLength_);
            options.firstCodeBlock = streamedCodeBlocks_;
            replaceToEndOfTail(cursor, markdownToHtml(part, options));
            if (!cursor.atBlockStart()) cursor.insertBlock(QTextBlockFormat(), QTextCharFormat());
            streamedPosition_ = cursor.position();
            streamedLength_ = stable;
            streamedCodeBlocks_ += int(codeBlocks(part).size());
        }
        options.firstCodeBlock = streamedCodeBlocks_;
        replaceToEndOfTail(cursor, markdownToHtml(m.text.mid(streamedLength_), options) + footerHtml(m, true, colors));
    });
}

void TranscriptView::replaceToEndOfTail(QTextCursor& cursor, const QString& html) {
    cursor.setPosition(tail_->lastPosition(), QTextCursor::KeepAnchor);
    cursor.removeSelectedText();
    // What is left is one empty block still formatted as the old content's first block.
    cursor.setBlockFormat(QTextBlockFormat());
    cursor.setCharFormat(QTextCharFormat());
    cursor.insertHtml(html);
}

QString TranscriptView::groupHtml(int first, int last) const {
    const Colors colors(palette());
    const ChatMessage& head = chat_.messages[first];
    const bool lastGroup = last == int(chat_.messages.size()) - 1;
    QString html = headerHtml(chat_, first, last, colors);
    if (first != last) {
        // Completion mode: the answer continues the prompt in the same paragraph, in its own colour.
        const ChatMessage& answer = chat_.messages[last];
        html += paragraph(plainHtml(head.text) +
                          QStringLiteral("<span style=\"color:%1\">%2</span>")
                              .arg(colors.answer.name(), answerHtml(answer, highlightDraft_, colors)));
        return html + footerHtml(answer, lastGroup, colors);
    }
    switch (head.role) {
    case Role::User: return html + paragraph(plainHtml(head.text));
    case Role::System:
        return html + paragraph(plainHtml(head.text), QStringLiteral("color:%1").arg(colors.muted.name()));
    case Role::Assistant:
        if (chat_.completionMode)
            html += paragraph(answerHtml(head, highlightDraft_, colors),
                              QStringLiteral("color:%1").arg(colors.answer.name()));
        else if (showsDraft(head, highlightDraft_))
            html += paragraph(answerHtml(head, highlightDraft_, colors));
        else
            html += markdownToHtml(head.text, markdownOptions(first, colors));
        return html + footerHtml(head, lastGroup, colors);
    }
    return html;
}

void TranscriptView::editDocument(const std::function<void(QTextCursor&)>& change) {
    QScrollBar* bar = browser_->verticalScrollBar();
    const int scrolled = bar->value();
    editing_ = true;
    QTextCursor cursor(browser_->document());
    cursor.beginEditBlock();
    change(cursor);
    cursor.endEditBlock();
    editing_ = false;
    if (following_)
        keepBottomInView();
    else
        bar->setValue(scrolled);
}

void TranscriptView::keepBottomInView() {
    QScrollBar* bar = browser_->verticalScrollBar();
    bar->setValue(bar->maximum());
}

void TranscriptView::openAnchor(const QUrl& url) {
    const QStringList parts = url.toString().split(u':');
    const QString action = parts.value(0);
    if (action == QLatin1String("copy") && parts.size() == 3) {
        const int message = parts[1].toInt();
        if (message < 0 || message >= chat_.messages.size()) return;
        const QStringList blocks = codeBlocks(chat_.messages[message].text);
        const int block = parts[2].toInt();
        if (block >= 0 && block < blocks.size()) QGuiApplication::clipboard()->setText(blocks[block]);
    } else if (action == QLatin1String("edit")) {
        emit editRequested(parts.value(1).toInt());
    } else if (action == QLatin1String("regenerate")) {
        emit regenerateRequested();
    }
}

}  // namespace q8ui
