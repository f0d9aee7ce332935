#pragma once
// The prompt box: Ctrl+Enter sends (and Enter too when the user chose so), Ctrl+Shift+Enter fills
// in the middle at the cursor, Shift+Enter is a new line, Esc stops the answer being written.
#include <QPlainTextEdit>

namespace q8ui {

class PromptBox : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit PromptBox(QWidget* parent = nullptr);
    void setEnterSends(bool on) { enterSends_ = on; }
    bool enterSends() const { return enterSends_; }

signals:
    void sendRequested();
    void fillRequested();
    void stopRequested();

protected:
    void keyPressEvent(QKeyEvent* e) override;

private:
    bool enterSends_ = false;
};

}  // namespace q8ui
