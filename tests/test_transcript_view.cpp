// The transcript as a user reads it (offscreen): Markdown answers with escaped HTML and code blocks
// whose Copy link puts the exact code on the clipboard, figures under each answer, streaming that
// touches only the answer being written, and auto-scroll that yields to a user who scrolled up.
#include <QClipboard>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextDocument>
#include <QTextList>
#include <QTextTable>
#include <QtTest>

#include "markdown_html.h"
#include "transcript_view.h"

using namespace q8ui;

namespace {

const QString kPythonCode = QStringLiteral(
    "def fib(n):\n"
    "    if n < 2:  # a <tag> & more\n"
    "        return n\n"
    "\n"
    "    return fib(n - 1) + fib(n - 2)");

const QString kReply = QStringLiteral(
                           "# Fibonacci\n"
                           "\n"
                           "Two ways:\n"
                           "\n"
                           "- recursion with `fib(n)`\n"
                           "- a *loop*, which is **faster**\n"
                           "\n"
                           "1. first\n"
                           "2. second\n"
                           "\n"
                           "```python\n") +
                       kPythonCode + QStringLiteral("\n```\n\nDone.");

ChatMessage message(Role role, const QString& text) {
    ChatMessage m;
    m.role = role;
    m.text = text;
    return m;
}

MessageFigures figures(bool speculative) {
    MessageFigures f;
    f.decodeTokensPerSecond = 52.0;
    f.promptTokensPerSecond = 850;
    f.timeToFirstTokenSeconds = 0.11;
    f.promptTokens = 412;
    f.generatedTokens = 256;
    f.peakResidentBytes = qint64(720) << 20;
    f.configuration = speculative ? "Q4+spec" : "Q4";
    f.sampling = "greedy";
    if (speculative) {
        f.drafted = 120;
        f.accepted = 111;
    }
    return f;
}

// As drawn: fontconfig does not flag every monospace font as fixed pitch, so measure it.
bool monospace(const QFont& font) {
    const QFontMetricsF metrics(font);
    return metrics.horizontalAdvance("iiii") == metrics.horizontalAdvance("MMMM");
}

QTextDocument* document(const QString& html) {
    auto* doc = new QTextDocument;
    doc->setHtml(html);
    return doc;
}

QTextBlock blockContaining(const QTextDocument* doc, const QString& text) {
    for (QTextBlock b = doc->begin(); b.isValid(); b = b.next()) {
        if (b.text().contains(text)) return b;
    }
    return {};
}

QTextCharFormat formatAt(const QTextDocument* doc, const QString& text) {
    const QTextCursor found = doc->find(text);
    if (found.isNull()) return {};
    QTextCursor c(const_cast<QTextDocument*>(doc));
    c.setPosition(found.selectionStart() + 1);
    return c.charFormat();
}

// Clicks the link as a user would: scroll it into view, press and release on one of its letters.
bool clickLink(TranscriptView& view, const QString& href) {
    QTextBrowser* browser = view.browser();
    for (QTextBlock b = browser->document()->begin(); b.isValid(); b = b.next()) {
        for (auto it = b.begin(); !it.atEnd(); ++it) {
            const QTextFragment fragment = it.fragment();
            if (fragment.charFormat().anchorHref() != href) continue;
            for (int position = fragment.position(); position < fragment.position() + fragment.length(); ++position) {
                QTextCursor cursor(browser->document());
                cursor.setPosition(position);
                browser->setTextCursor(cursor);
                browser->ensureCursorVisible();
                const QPoint point = browser->cursorRect(cursor).center() + QPoint(2, 0);
                if (browser->anchorAt(point) != href) continue;
                QTest::mouseClick(browser->viewport(), Qt::LeftButton, {}, point);
                return true;
            }
        }
    }
    return false;
}

Chat longChat(int turns) {
    Chat chat;
    for (int i = 0; i < turns; ++i) {
        chat.messages << message(Role::User, QStringLiteral("Question %1\nwith a second line").arg(i));
        ChatMessage answer =
            message(Role::Assistant, QStringLiteral("Answer %1 with `code` and a list:\n\n- a\n- b").arg(i));
        answer.figures = figures(i % 2 == 1);
        chat.messages << answer;
    }
    return chat;
}

}  // namespace

class TestTranscriptView : public QObject {
    Q_OBJECT

private slots:
    void markdown_renders_heading_lists_code() {
        std::unique_ptr<QTextDocument> doc(document(markdownToHtml(kReply)));
        const QString text = doc->toPlainText();
        QVERIFY2(text.contains("Fibonacci") && !text.contains("# Fibonacci"), qPrintable(text));
        QCOMPARE(blockContaining(doc.get(), "Fibonacci").blockFormat().headingLevel(), 1);

        const QTextBlock bullet = blockContaining(doc.get(), "recursion with");
        QVERIFY(bullet.textList());
        QCOMPARE(bullet.textList()->format().style(), QTextListFormat::ListDisc);
        QCOMPARE(bullet.textList()->count(), 2);
        const QTextBlock numbered = blockContaining(doc.get(), "second");
        QVERIFY(numbered.textList());
        QCOMPARE(numbered.textList()->format().style(), QTextListFormat::ListDecimal);

        QVERIFY(text.contains("fib(n)") && !text.contains("`"));
        QVERIFY(monospace(formatAt(doc.get(), "fib(n)").font()));
        QVERIFY(formatAt(doc.get(), "loop").fontItalic());
        QCOMPARE(formatAt(doc.get(), "faster").fontWeight(), int(QFont::Bold));
        QVERIFY(!formatAt(doc.get(), "Two ways").fontItalic());

        // The code block: every line as written, monospace, in a tinted box with its language.
        QVERIFY2(text.contains(kPythonCode), qPrintable(text));
        const QTextBlock code = blockContaining(doc.get(), "return fib(n - 1)");
        QTextCursor inCode(code);
        QVERIFY(monospace(code.charFormat().font()));
        QTextTable* box = inCode.currentTable();
        QVERIFY(box);
        QVERIFY(box->format().background().style() != Qt::NoBrush);
        QVERIFY(text.contains("python"));
        QVERIFY(text.contains("Copy"));
        QCOMPARE(codeBlocks(kReply), QStringList{kPythonCode});
        QVERIFY(!monospace(formatAt(doc.get(), "Done").font()));
    }

    void html_in_the_source_shows_literally() {
        const QString md = "<script>alert(1)</script> and <b>not bold</b> & `<i>` &amp;\n\n```\n<b>x</b>\n```";
        std::unique_ptr<QTextDocument> doc(document(markdownToHtml(md)));
        const QString text = doc->toPlainText();
        QVERIFY2(text.contains("<script>alert(1)</script> and <b>not bold</b> & <i> &amp;"), qPrintable(text));
        QVERIFY(text.contains("<b>x</b>"));
        QCOMPARE(formatAt(doc.get(), "not bold").fontWeight(), int(QFont::Normal));
        QCOMPARE(codeBlocks(md), QStringList{"<b>x</b>"});
    }

    void emphasis_leaves_code_talk_alone() {
        const QString md = "snake_case_name and 2 * 3 * 4 and `a*b*c` and ***both*** and _under_";
        std::unique_ptr<QTextDocument> doc(document(markdownToHtml(md)));
        QCOMPARE(doc->toPlainText(), QString("snake_case_name and 2 * 3 * 4 and a*b*c and both and under"));
        QVERIFY(!formatAt(doc.get(), "case").fontItalic());
        QVERIFY(formatAt(doc.get(), "both").fontItalic());
        QCOMPARE(formatAt(doc.get(), "both").fontWeight(), int(QFont::Bold));
        QVERIFY(formatAt(doc.get(), "under").fontItalic());
    }

    void links_show_their_text() {
        std::unique_ptr<QTextDocument> doc(document(markdownToHtml("see [the docs](https://example.org/x) now")));
        QCOMPARE(doc->toPlainText(), QString("see the docs now"));
        QVERIFY(formatAt(doc.get(), "the docs").anchorHref().isEmpty());
        QCOMPARE(formatAt(doc.get(), "the docs").toolTip(), QString("https://example.org/x"));
    }

    void unclosed_fence_is_a_code_block_so_far() {
        const QString streaming = "Here:\n  ```python\n  def f():\n      return 1";
        QCOMPARE(codeBlocks(streaming), QStringList{"def f():\n    return 1"});
        std::unique_ptr<QTextDocument> doc(document(markdownToHtml(streaming)));
        const QTextBlock code = blockContaining(doc.get(), "return 1");
        QVERIFY(QTextCursor(code).currentTable());
        QVERIFY(monospace(code.charFormat().font()));
        QVERIFY(markdownToHtml(streaming).contains("href=\"copy:0\""));
    }

    void stable_prefix_renders_the_same_alone() {
        const QString text = kReply + "\n\nMore:\n\n1. a\n\n   ```sh\n   ls\n   ```\n2. b\n\nEnd *x*\n```";
        for (qsizetype length = 0; length <= text.size(); ++length) {
            const QString prefix = text.left(length);
            const qsizetype stable = markdownStableLength(prefix);
            QVERIFY(stable <= length);
            QCOMPARE(markdownStableLength(text.left(stable)) <= stable, true);
            MarkdownOptions rest;
            rest.firstCodeBlock = int(codeBlocks(prefix.left(stable)).size());
            QCOMPARE(markdownToHtml(prefix.left(stable)) + markdownToHtml(prefix.mid(stable), rest),
                     markdownToHtml(prefix));
            // Final: whatever follows, the stable part still renders alone.
            QCOMPARE(markdownStableLength(text) >= stable, true);
        }
    }

    void copy_link_puts_the_exact_code_on_the_clipboard() {
        TranscriptView view;
        view.resize(700, 500);
        view.show();
        Chat chat;
        chat.messages << message(Role::User, "Two snippets please");
        const QString second = "  indented first line\n\nx = \"<quoted>\"  \ttrailing";
        chat.messages << message(Role::Assistant, "One:\n\n```sh\necho 1\n```\n\nTwo:\n\n```\n" + second + "\n```");
        view.setChat(chat);
        QGuiApplication::clipboard()->clear();

        QVERIFY(clickLink(view, "copy:1:1"));
        QTRY_COMPARE(QGuiApplication::clipboard()->text(), second);
        QVERIFY(clickLink(view, "copy:1:0"));
        QTRY_COMPARE(QGuiApplication::clipboard()->text(), QString("echo 1"));
    }

    void figures_line_under_each_answer() {
        TranscriptView view;
        Chat chat;
        chat.messages << message(Role::User, "Hi");
        ChatMessage plain = message(Role::Assistant, "Hello.");
        plain.figures = figures(false);
        chat.messages << plain << message(Role::User, "Again");
        ChatMessage spec = message(Role::Assistant, "Hello again.");
        spec.figures = figures(true);
        chat.messages << spec;
        view.setChat(chat);
        const QTextDocument* doc = view.browser()->document();
        const QString text = doc->toPlainText();

        const QTextBlock first =
            blockContaining(doc, "52.0 tok/s · prompt 850 tok/s · TTFT 0.11 s · 256 tok · 720 MiB · Q4");
        QVERIFY2(first.isValid(), qPrintable(text));
        QVERIFY(!first.text().contains("accepted"));
        QVERIFY(first.text().contains("Q4") && !first.text().contains("Q4+spec"));
        const QTextBlock second = blockContaining(doc, "720 MiB · Q4+spec · 92% accepted (111/120)");
        QVERIFY2(second.isValid(), qPrintable(text));
        QVERIFY(first < second);
        // Kept with its message: right after that answer's text.
        QCOMPARE(first.previous().text(), QString("Hello."));

        const QString tip = formatAt(doc, "accepted (111").toolTip();
        QVERIFY2(tip.contains("acceptance = accepted ÷ drafted") && tip.contains("greedy"), qPrintable(tip));
        QVERIFY(formatAt(doc, "TTFT").toolTip().contains("greedy"));
        QCOMPARE(text.count("accepted ("), 1);
        QCOMPARE(text.count("Regenerate"), 1);  // only under the last answer
        QVERIFY(second.text().contains("Regenerate"));
    }

    void stopped_and_failed_answers_show_their_note() {
        TranscriptView view;
        view.appendMessage(message(Role::User, "Hi"));
        ChatMessage answer = message(Role::Assistant, "Partial");
        answer.state = MessageState::Streaming;
        view.appendMessage(answer);
        QVERIFY(view.browser()->toPlainText().contains("generating"));
        MessageFigures f = figures(false);
        f.generatedTokens = 12;
        view.finishLastMessage(MessageState::Stopped, "", f);
        QVERIFY(blockContaining(view.browser()->document(), "stopped · 52.0 tok/s").isValid());
        QVERIFY(!view.browser()->toPlainText().contains("generating"));

        view.appendMessage(message(Role::User, "Again"));
        view.appendMessage(message(Role::Assistant, ""));
        view.finishLastMessage(MessageState::Failed, "context full", {});
        QVERIFY(view.browser()->toPlainText().contains("context full"));
        QCOMPARE(view.chat().messages.last().state, MessageState::Failed);
    }

    void user_text_keeps_its_lines_and_links_emit_signals() {
        TranscriptView view;
        view.resize(700, 500);
        view.show();
        view.setChat(longChat(2));
        QVERIFY(view.browser()->toPlainText().contains("Question 1\nwith a second line"));
        QVERIFY(view.browser()->toPlainText().contains("You"));
        QVERIFY(view.browser()->toPlainText().contains("q8chat · Q4+spec"));

        QSignalSpy edits(&view, &TranscriptView::editRequested);
        QSignalSpy regenerations(&view, &TranscriptView::regenerateRequested);
        QVERIFY(clickLink(view, "edit:2"));
        QTRY_COMPARE(edits.count(), 1);
        QCOMPARE(edits.front().front().toInt(), 2);
        QVERIFY(clickLink(view, "regenerate:"));
        QTRY_COMPARE(regenerations.count(), 1);
    }

    void completion_mode_continues_the_prompt() {
        TranscriptView view;
        Chat chat;
        chat.completionMode = true;
        chat.messages << message(Role::User, "def fibonacci(n):\n");
        view.setChat(chat);
        ChatMessage answer = message(Role::Assistant, "");
        answer.state = MessageState::Streaming;
        view.appendMessage(answer);
        view.appendToLastMessage("    if n < 2: **x**");
        view.finishLastMessage(MessageState::Complete, {}, figures(false));
        const QTextDocument* doc = view.browser()->document();
        QVERIFY2(doc->toPlainText().contains("def fibonacci(n):\n    if n < 2: **x**"), qPrintable(doc->toPlainText()));
        // The answer is drawn apart from the prompt it continues.
        QVERIFY(formatAt(doc, "if n").foreground() != formatAt(doc, "fibonacci").foreground());
        QCOMPARE(doc->toPlainText().count("52.0 tok/s"), 1);
    }

    // View → Highlight drafted tokens: the drafted spans get a background, the rest none; off, the
    // answer is Markdown again.
    void drafted_tokens_are_tinted_when_asked() {
        TranscriptView view;
        Chat chat;
        chat.messages << message(Role::User, "Hi");
        ChatMessage answer = message(Role::Assistant, "");
        answer.state = MessageState::Streaming;
        chat.messages << answer;
        view.setChat(chat);
        // Streamed in two chunks, the second with a drafted span that continues the first's.
        view.appendToLastMessage("Hello **there** ", {TextSpan{6, 10}});
        view.appendToLastMessage("and more", {TextSpan{0, 3}});
        QCOMPARE(view.chat().messages.last().draftSpans, (QVector<TextSpan>{{6, 13}}));
        view.finishLastMessage(MessageState::Complete, {}, figures(true));
        const QTextDocument* doc = view.browser()->document();
        QVERIFY(doc->toPlainText().contains("Hello there and more"));  // Markdown while off
        QVERIFY(!formatAt(doc, "there").hasProperty(QTextFormat::BackgroundBrush));

        view.setHighlightDraft(true);
        doc = view.browser()->document();
        QVERIFY2(doc->toPlainText().contains("Hello **there** and more"), qPrintable(doc->toPlainText()));
        QVERIFY(formatAt(doc, "**there** and").hasProperty(QTextFormat::BackgroundBrush));
        QVERIFY(formatAt(doc, " more").hasProperty(QTextFormat::BackgroundBrush) == false);
        QVERIFY(!formatAt(doc, "Hello").hasProperty(QTextFormat::BackgroundBrush));

        view.setHighlightDraft(false);
        QVERIFY(view.browser()->document()->toPlainText().contains("Hello there and more"));
    }

    void streaming_appends_only_to_the_last_answer() {
        TranscriptView view;
        view.resize(700, 500);
        view.show();
        view.setChat(longChat(50));
        view.appendMessage(message(Role::User, "Count"));
        ChatMessage answer = message(Role::Assistant, "");
        answer.state = MessageState::Streaming;
        answer.figures.configuration = "Q8";
        view.appendMessage(answer);
        QTextDocument* doc = view.browser()->document();
        const int tailStart = doc->find("Count").selectionEnd();

        int firstChange = doc->characterCount();
        connect(doc, &QTextDocument::contentsChange, this,
                [&](int from, int, int) { firstChange = std::min(firstChange, from); });
        QString expected;
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < 200; ++i) {
            const QString chunk = QStringLiteral("w%1 ").arg(i) + (i % 20 == 19 ? "\n\n" : "");
            expected += chunk;
            view.appendToLastMessage(chunk);
            QCoreApplication::processEvents();
        }
        qInfo("200 chunks into a 100-message chat: %lld ms", qint64(timer.elapsed()));
        QCOMPARE(view.chat().messages.last().text, expected);
        QTRY_VERIFY(doc->toPlainText().contains("w199"));
        QVERIFY(doc->toPlainText().contains("q8chat · Q8"));
        view.finishLastMessage(MessageState::Complete, {}, figures(false));
        QCOMPARE(view.chat().messages.last().text, expected);
        QVERIFY(doc->toPlainText().simplified().contains(expected.simplified()));
        QVERIFY2(firstChange > tailStart, "streaming re-rendered earlier messages");
    }

    void streamed_answer_reads_as_rendered_at_once() {
        const QString text = kReply + "\n\n1. a\n2. b\n\n```sh\nls\n```\nafter";
        TranscriptView streamed;
        streamed.appendMessage(message(Role::User, "Q"));
        ChatMessage answer = message(Role::Assistant, "");
        answer.state = MessageState::Streaming;
        streamed.appendMessage(answer);
        for (int i = 0; i < text.size(); i += 3) {
            streamed.appendToLastMessage(text.mid(i, 3));
            QTest::qWait(i % 30 == 0 ? 40 : 0);  // some chunks render, some wait for the throttle
        }
        QTRY_COMPARE(streamed.chat().messages.last().text, text);
        TranscriptView atOnce;
        atOnce.setChat(streamed.chat());
        // While streaming, a code block that starts a re-rendered part may sit after an empty block
        // instead of before one; the text is the same.
        const auto lines = [](const TranscriptView& view) {
            return view.browser()->toPlainText().split('\n', Qt::SkipEmptyParts);
        };
        QTRY_COMPARE(lines(streamed), lines(atOnce));
        streamed.finishLastMessage(MessageState::Complete, {}, figures(false));
        atOnce.finishLastMessage(MessageState::Complete, {}, figures(false));
        QCOMPARE(streamed.browser()->toPlainText(), atOnce.browser()->toPlainText());
    }

    void auto_scroll_stops_when_scrolled_up() {
        TranscriptView view;
        view.resize(500, 300);
        view.show();
        view.setChat(longChat(10));
        ChatMessage answer = message(Role::Assistant, "");
        answer.state = MessageState::Streaming;
        view.appendMessage(answer);
        QScrollBar* bar = view.browser()->verticalScrollBar();
        const auto stream = [&view](int lines) {
            for (int i = 0; i < lines; ++i) {
                view.appendToLastMessage(QStringLiteral("line %1\n\n").arg(i));
                QTest::qWait(5);
            }
        };
        stream(20);
        QTRY_VERIFY(bar->maximum() > 0 && bar->value() == bar->maximum());

        bar->triggerAction(QAbstractSlider::SliderPageStepSub);  // the user scrolls up
        const int readingAt = bar->value();
        QVERIFY(readingAt < bar->maximum());
        const int maximumBefore = bar->maximum();
        stream(20);
        QTRY_VERIFY(bar->maximum() > maximumBefore);
        QTest::qWait(100);
        QCOMPARE(bar->value(), readingAt);

        bar->triggerAction(QAbstractSlider::SliderToMaximum);  // back to the bottom: follows again
        const int maximumAtBottom = bar->maximum();
        stream(20);
        QTRY_VERIFY(bar->maximum() > maximumAtBottom);
        QTRY_COMPARE(bar->value(), bar->maximum());
    }
};

QTEST_MAIN(TestTranscriptView)
#include "test_transcript_view.moc"
