#include "prompt_box.h"

#include <QKeyEvent>

namespace q8ui {

PromptBox::PromptBox(QWidget* parent) : QPlainTextEdit(parent) {}

void PromptBox::keyPressEvent(QKeyEvent* e) {
    const bool enter = e->key() == Qt::Key_Return || e->key() == Qt::Key_Enter;
    const Qt::KeyboardModifiers mods = e->modifiers() & ~Qt::KeypadModifier;
    if (enter && mods == Qt::ControlModifier) {
        emit sendRequested();
        return;
    }
    if (enter && mods == (Qt::ControlModifier | Qt::ShiftModifier)) {
        emit fillRequested();
        return;
    }
    if (enter && mods == Qt::NoModifier && enterSends_) {
        emit sendRequested();
        return;
    }
    if (enter && mods == Qt::ShiftModifier) {
        insertPlainText("\n");  // QPlainTextEdit would insert a line separator, not a newline
        return;
    }
    if (e->key() == Qt::Key_Escape && mods == Qt::NoModifier) {
        emit stopRequested();
        return;
    }
    QPlainTextEdit::keyPressEvent(e);
}

}  // namespace q8ui
