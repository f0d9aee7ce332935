#pragma once
// Markdown of one chat message as HTML for QTextDocument: the subset models write (headings, lists,
// emphasis, inline code, links, fenced code blocks). Hand-written rather than QTextDocument's md4c
// import: that one passes raw HTML through and does not give back the code blocks' text for Copy.
#include <QColor>
#include <QString>
#include <QStringList>

namespace q8ui {

struct MarkdownOptions {
    // Each code block gets a "Copy" link to <copyAnchorPrefix><N>, N counting code blocks from 0 in
    // the order codeBlocks() returns them.
    QString copyAnchorPrefix = QStringLiteral("copy:");
    int firstCodeBlock = 0;  // the N of the first code block, when rendering the rest of a text
    QColor codeBackground = QColor(0xf0, 0xf1, 0xf4);
    QColor codeForeground = QColor(0x1f, 0x23, 0x28);
};

// Source HTML is escaped: a reply containing <script> shows it literally. A fence left open (an
// answer still streaming) is a code block up to the end of the text.
QString markdownToHtml(const QString& markdown, const MarkdownOptions& options = {});

// How much of a growing text (a streaming answer) is final: appending never changes how the first
// markdownStableLength() characters render, and rendering them and the rest separately (the rest with
// firstCodeBlock counting on) gives the whole text's HTML. The split falls where a code block begins
// or ends, so streaming re-renders only the part being written.
qsizetype markdownStableLength(const QString& markdown);

// The text of each fenced code block: the lines between the fences, joined by '\n' (no trailing
// newline), with the fence's own indentation removed.
QStringList codeBlocks(const QString& markdown);

}  // namespace q8ui
