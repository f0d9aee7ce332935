#pragma once
// Engine and app messages in a dock, from an spdlog sink installed on the default logger, with a
// level filter. Messages from any thread arrive through queued calls.
#include <QDockWidget>
#include <QVector>
#include <memory>

class QComboBox;
class QPlainTextEdit;

namespace q8ui {

class LogDock : public QDockWidget {
    Q_OBJECT
public:
    explicit LogDock(QWidget* parent = nullptr);
    ~LogDock() override;

    QPlainTextEdit* view() const { return view_; }
    QComboBox* levelFilter() const { return level_; }

public slots:
    void append(int level, const QString& line);  // level: spdlog::level::level_enum

private:
    void refilter();

    struct Entry {
        int level;
        QString line;
    };
    QVector<Entry> entries_;  // the most recent ones, for refiltering
    QComboBox* level_;
    QPlainTextEdit* view_;
    std::shared_ptr<void> sink_;  // removed from the logger when the dock goes
};

}  // namespace q8ui
