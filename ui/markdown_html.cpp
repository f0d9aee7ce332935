#include "markdown_html.h"

#include <QRegularExpression>
#include <QVector>

#include <optional>
#include <utility>

namespace q8ui {

namespace {

// The text alternates between prose and fenced code; both markdownToHtml and codeBlocks walk the
// same split, so the N of a Copy link and the N-th entry of codeBlocks() always agree.
struct Segment {
    bool code = false;
    QStringList lines;  // prose lines, or the code's lines with the fence's indentation removed
    QString language;
    qsizetype start = 0;  // offset of the segment's first line in the text
};

int indentation(QStringView line) {
    int width = 0;
    for (QChar c : line) {
        if (c == u' ')
            ++width;
        else if (c == u'\t')
            width += 4;
        else
            break;
    }
    return width;
}

int leadingWhitespace(QStringView line) {
    int i = 0;
    while (i < line.size() && (line[i] == u' ' || line[i] == u'\t')) ++i;
    return i;
}

int runLength(QStringView s, int from, QChar c) {
    int end = from;
    while (end < s.size() && s[end] == c) ++end;
    return end - from;
}

struct Fence {
    QChar marker;
    int length = 0;
    int indent = 0;  // models indent fences inside list items; their code lines carry the same indent
    QString language;
};

std::optional<Fence> fenceOpening(QStringView line) {
    const int start = leadingWhitespace(line);
    if (start == line.size()) return std::nullopt;
    const QChar marker = line[start];
    if (marker != u'`' && marker != u'~') return std::nullopt;
    const int length = runLength(line, start, marker);
    if (length < 3) return std::nullopt;
    const QStringView info = line.mid(start + length).trimmed();
    // "```x```" at the start of a line is inline code, not a fence (CommonMark).
    if (marker == u'`' && info.contains(u'`')) return std::nullopt;
    return Fence{marker, length, indentation(line), info.split(u' ').front().toString()};
}

bool closesFence(QStringView line, const Fence& fence) {
    const QStringView t = line.trimmed();
    return t.size() >= fence.length && runLength(t, 0, fence.marker) == t.size();
}

QString withoutIndent(const QString& line, int indent) {
    int i = 0, width = 0;
    while (i < line.size() && width < indent && (line[i] == u' ' || line[i] == u'\t')) {
        width += line[i] == u'\t' ? 4 : 1;
        ++i;
    }
    return line.mid(i);
}

QVector<Segment> segments(const QString& markdown) {
    QVector<Segment> out;
    std::optional<Fence> fence;
    qsizetype offset = 0;
    for (QString line : markdown.split(u'\n')) {
        const qsizetype lineStart = std::exchange(offset, offset + line.size() + 1);
        if (line.endsWith(u'\r')) line.chop(1);
        if (fence) {
            if (closesFence(line, *fence))
                fence.reset();
            else
                out.back().lines << withoutIndent(line, fence->indent);
            continue;
        }
        if ((fence = fenceOpening(line))) {
            out.append(Segment{true, {}, fence->language, lineStart});
            continue;
        }
        if (out.isEmpty() || out.back().code) out.append(Segment{false, {}, {}, lineStart});
        out.back().lines << line;
    }
    return out;
}

void appendEscaped(QString& out, QStringView text) {
    for (QChar c : text) {
        switch (c.unicode()) {
        case u'<': out += QLatin1String("&lt;"); break;
        case u'>': out += QLatin1String("&gt;"); break;
        case u'&': out += QLatin1String("&amp;"); break;
        case u'"': out += QLatin1String("&quot;"); break;
        case u'\n': out += QLatin1String("<br>"); break;  // chat text means its line breaks
        default: out += c;
        }
    }
}

bool isAsciiPunctuation(QChar c) { return c.unicode() < 128 && c.isPunct(); }
bool isSpaceAt(QStringView s, int i) { return i < 0 || i >= s.size() || s[i].isSpace(); }
bool isWordAt(QStringView s, int i) { return i >= 0 && i < s.size() && s[i].isLetterOrNumber(); }

// Where the code span closing a run of `length` backticks starts, or -1.
int codeSpanEnd(QStringView s, int from, int length) {
    for (int i = from; i < s.size();) {
        const int run = runLength(s, i, u'`');
        if (run == length) return i;
        i += run > 0 ? run : 1;
    }
    return -1;
}

// Inline Markdown: code spans, emphasis, links (as their text); everything else escaped.
class InlineRenderer {
public:
    InlineRenderer(QStringView text, const MarkdownOptions& options) : s_(text), options_(options) {}

    QString render() {
        QString out;
        for (int i = 0; i < s_.size();) i = renderAt(out, i);
        return out;
    }

private:
    // Renders the construct starting at i and returns where the next one starts.
    int renderAt(QString& out, int i) {
        const QChar c = s_[i];
        if (c == u'\\' && i + 1 < s_.size() && isAsciiPunctuation(s_[i + 1])) {
            appendEscaped(out, s_.mid(i + 1, 1));
            return i + 2;
        }
        if (c == u'`') return renderCode(out, i);
        if (c == u'*' || c == u'_') return renderEmphasis(out, i);
        if (c == u'[') {
            if (const int end = renderLink(out, i); end > i) return end;
        }
        appendEscaped(out, s_.mid(i, 1));
        return i + 1;
    }

    int renderCode(QString& out, int i) {
        const int run = runLength(s_, i, u'`');
        const int close = codeSpanEnd(s_, i + run, run);
        if (close < 0) {
            out += QString(run, u'`');
            return i + run;
        }
        QString code = s_.mid(i + run, close - i - run).toString().replace(u'\n', u' ');
        if (code.size() > 2 && code.startsWith(u' ') && code.endsWith(u' ')) code = code.mid(1, code.size() - 2);
        out += QStringLiteral("<code style=\"background-color:%1; color:%2\">")
                   .arg(options_.codeBackground.name(), options_.codeForeground.name());
        appendEscaped(out, code);
        out += QLatin1String("</code>");
        return close + run;
    }

    int renderEmphasis(QString& out, int i) {
        const QChar c = s_[i];
        const int run = runLength(s_, i, c);
        const int length = run >= 2 ? 2 : 1;
        // An opener touches the text it starts; '_' inside a word (snake_case) is not emphasis.
        const bool opens = !isSpaceAt(s_, i + run) && !(c == u'_' && isWordAt(s_, i - 1));
        const int close = opens ? closer(i + length, c, length) : -1;
        if (close <= i + length) {
            out += QString(run, c);
            return i + run;
        }
        const char* tag = length == 2 ? "b" : "i";
        out += QStringLiteral("<%1>").arg(QLatin1String(tag));
        out += InlineRenderer(s_.mid(i + length, close - i - length), options_).render();
        out += QStringLiteral("</%1>").arg(QLatin1String(tag));
        return close + length;
    }

    // The position of the delimiter run of `length` c's that closes emphasis opened before `from`.
    int closer(int from, QChar c, int length) const {
        for (int j = from; j < s_.size();) {
            if (s_[j] == u'\\') {
                j += 2;
                continue;
            }
            if (s_[j] == u'`') {
                const int run = runLength(s_, j, u'`');
                const int end = codeSpanEnd(s_, j + run, run);
                j = end < 0 ? j + run : end + run;
                continue;
            }
            if (s_[j] != c) {
                ++j;
                continue;
            }
            const int run = runLength(s_, j, c);
            const bool closes = !isSpaceAt(s_, j - 1) && !(c == u'_' && isWordAt(s_, j + run));
            // "**" closes bold; a single delimiter closes only a single one (a pair inside is nested
            // bold). The closer takes the run's last characters, so "***x***" nests both.
            if (closes && (length == 2 ? run >= 2 : run == 1)) return j + run - length;
            j += run;
        }
        return -1;
    }

    // [text](url) shows its text: a model's links are not followed from the transcript.
    int renderLink(QString& out, int i) {
        const int textEnd = s_.indexOf(u']', i + 1);
        if (textEnd < 0 || textEnd + 1 >= s_.size() || s_[textEnd + 1] != u'(') return i;
        const int urlEnd = s_.indexOf(u')', textEnd + 2);
        if (urlEnd < 0) return i;
        out += QLatin1String("<span title=\"");
        appendEscaped(out, s_.mid(textEnd + 2, urlEnd - textEnd - 2));
        out += QLatin1String("\">");
        out += InlineRenderer(s_.mid(i + 1, textEnd - i - 1), options_).render();
        out += QLatin1String("</span>");
        return urlEnd + 1;
    }

    QStringView s_;
    const MarkdownOptions& options_;
};

const QRegularExpression kHeading(QStringLiteral("^ {0,3}(#{1,6})\\s+(.*?)(\\s+#+)?\\s*$"));
const QRegularExpression kRule(QStringLiteral("^ {0,3}([-*_])(\\s*\\1){2,}\\s*$"));
const QRegularExpression kListItem(QStringLiteral("^(\\s*)(?:([-*+])|(\\d{1,9})[.)])\\s+(.*)$"));

// Prose lines as HTML blocks: headings, rules, nested lists, paragraphs.
class ProseRenderer {
public:
    explicit ProseRenderer(const MarkdownOptions& options) : options_(options) {}

    QString render(const QStringList& lines) {
        for (const QString& line : lines) renderLine(line);
        flushParagraph();
        closeLists(0);
        return html_;
    }

private:
    struct List {
        bool ordered;
        int indent;
    };

    void renderLine(const QString& line) {
        if (line.trimmed().isEmpty()) {
            flushParagraph();
            previousBlank_ = true;
            return;
        }
        const bool afterBlank = std::exchange(previousBlank_, false);
        if (const auto m = kHeading.match(line); m.hasMatch()) {
            flushParagraph();
            closeLists(0);
            html_ += QStringLiteral("<h%1>%2</h%1>").arg(m.capturedLength(1)).arg(inlineHtml(m.captured(2)));
            return;
        }
        if (kRule.match(line).hasMatch()) {
            flushParagraph();
            closeLists(0);
            html_ += QLatin1String("<hr>");
            return;
        }
        if (const auto m = kListItem.match(line); m.hasMatch()) {
            flushParagraph();
            openItem(indentation(m.capturedView(1)), m.capturedLength(3) > 0, m.captured(3).toInt());
            paragraph_ << m.captured(4);
            return;
        }
        // An unindented line after a blank one ends the lists; otherwise it continues the item.
        if (!lists_.isEmpty() && afterBlank && indentation(line) == 0) closeLists(0);
        paragraph_ << line.trimmed();
    }

    void openItem(int indent, bool ordered, int number) {
        while (!lists_.isEmpty() && lists_.back().indent > indent) closeList();
        if (!lists_.isEmpty() && lists_.back().indent == indent && lists_.back().ordered != ordered) closeList();
        if (!lists_.isEmpty() && lists_.back().indent == indent) {
            html_ += QLatin1String("</li><li>");
            return;
        }
        // A list resumed after a code block keeps the numbers the model wrote.
        if (ordered)
            html_ += QStringLiteral("<ol start=\"%1\"><li>").arg(number);
        else
            html_ += QLatin1String("<ul><li>");
        lists_.append({ordered, indent});
    }

    void closeList() { html_ += lists_.takeLast().ordered ? QLatin1String("</li></ol>") : QLatin1String("</li></ul>"); }
    void closeLists(int depth) {
        while (lists_.size() > depth) closeList();
    }

    void flushParagraph() {
        if (paragraph_.isEmpty()) return;
        const QString text = inlineHtml(paragraph_.join(u'\n'));
        paragraph_.clear();
        if (lists_.isEmpty())
            html_ += QStringLiteral("<p>%1</p>").arg(text);
        else
            html_ += text;
    }

    QString inlineHtml(QStringView text) const { return InlineRenderer(text, options_).render(); }

    const MarkdownOptions& options_;
    QString html_;
    QStringList paragraph_;
    QVector<List> lists_;
    bool previousBlank_ = false;
};

QString codeBlockHtml(const Segment& code, int index, const MarkdownOptions& options) {
    QString html = QStringLiteral(
                       "<table width=\"100%\" border=\"0\" cellspacing=\"0\" cellpadding=\"6\" bgcolor=\"%1\" "
                       "style=\"margin-top:4px; margin-bottom:8px\"><tr><td><span style=\"color:#6a737d\">")
                       .arg(options.codeBackground.name());
    appendEscaped(html, code.language);
    html += QStringLiteral("</span></td><td align=\"right\"><a href=\"%1%2\">Copy</a></td></tr>")
                .arg(options.copyAnchorPrefix)
                .arg(index);
    html += QStringLiteral("<tr><td colspan=\"2\"><pre style=\"font-family:monospace; color:%1\">")
                .arg(options.codeForeground.name());
    for (qsizetype i = 0; i < code.lines.size(); ++i) {
        if (i > 0) html += u'\n';
        appendEscaped(html, code.lines[i]);
    }
    html += QLatin1String("</pre></td></tr></table>");
    return html;
}

}  // namespace

QString markdownToHtml(const QString& markdown, const MarkdownOptions& options) {
    QString html;
    int codeIndex = options.firstCodeBlock;
    for (const Segment& segment : segments(markdown)) {
        if (segment.code)
            html += codeBlockHtml(segment, codeIndex++, options);
        else
            html += ProseRenderer(options).render(segment.lines);
    }
    return html;
}

qsizetype markdownStableLength(const QString& markdown) {
    const qsizetype lastLineStart = markdown.lastIndexOf(u'\n') + 1;
    const QVector<Segment> parts = segments(markdown);
    auto last = parts.crbegin();
    // A fence on the last line may still turn out not to be one ("```x`" is inline code); a segment
    // after a closing fence starts once that fence's line is complete.
    while (last != parts.crend() && last->code && last->start >= lastLineStart) ++last;
    if (last == parts.crend()) return 0;
    qsizetype stable = last->start;
    if (last->code) return stable;
    // In prose, an unindented line other than a list item after a blank line starts afresh: no list
    // or paragraph continues across it. Only complete lines count ("1" may become "1. item").
    bool blank = false;
    for (qsizetype at = stable; at < lastLineStart;) {
        const qsizetype end = markdown.indexOf(u'\n', at);
        const QStringView line = QStringView(markdown).mid(at, end - at);
        if (blank && !line.trimmed().isEmpty() && indentation(line) == 0 && !kListItem.match(line).hasMatch()) {
            stable = at;
        }
        blank = line.trimmed().isEmpty();
        at = end + 1;
    }
    return stable;
}

QStringList codeBlocks(const QString& markdown) {
    QStringList blocks;
    for (const Segment& segment : segments(markdown)) {
        if (segment.code) blocks << segment.lines.join(u'\n');
    }
    return blocks;
}

}  // namespace q8ui
