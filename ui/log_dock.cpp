#include "log_dock.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>
#include <QComboBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QVBoxLayout>
#include <mutex>

namespace q8ui {

namespace {

constexpr int kKeep = 2000;

// Formats on the logging thread, shows on the GUI thread.
class DockSink : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit DockSink(LogDock* dock) : dock_(dock) {}
    void detach() {
        std::lock_guard<std::mutex> lock(mutex_);
        dock_ = nullptr;
    }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        if (dock_ == nullptr) return;
        spdlog::memory_buf_t buf;
        formatter_->format(msg, buf);
        QString line = QString::fromUtf8(buf.data(), static_cast<int>(buf.size())).trimmed();
        QMetaObject::invokeMethod(dock_, "append", Qt::QueuedConnection, Q_ARG(int, static_cast<int>(msg.level)),
                                  Q_ARG(QString, line));
    }
    void flush_() override {}

private:
    QPointer<LogDock> dock_;
};

}  // namespace

LogDock::LogDock(QWidget* parent) : QDockWidget(tr("Log"), parent), level_(new QComboBox), view_(new QPlainTextEdit) {
    setObjectName("log-dock");
    view_->setReadOnly(true);
    view_->setMaximumBlockCount(kKeep);
    for (const char* name : {"debug", "info", "warning", "error"}) level_->addItem(tr(name));
    level_->setCurrentIndex(1);
    connect(level_, &QComboBox::currentIndexChanged, this, &LogDock::refilter);
    auto* box = new QWidget;
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(2, 2, 2, 2);
    layout->addWidget(level_);
    layout->addWidget(view_);
    setWidget(box);

    auto sink = std::make_shared<DockSink>(this);
    sink->set_pattern("%H:%M:%S.%e %l %v");
    spdlog::default_logger()->sinks().push_back(sink);
    sink_ = sink;
}

LogDock::~LogDock() {
    auto sink = std::static_pointer_cast<DockSink>(sink_);
    sink->detach();
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), std::static_pointer_cast<spdlog::sinks::sink>(sink)),
                sinks.end());
}

namespace {
// The combo's rows are debug, info, warning, error; spdlog numbers them 1, 2, 3, 4.
int minimumLevel(const QComboBox* c) { return c->currentIndex() + spdlog::level::debug; }
}  // namespace

void LogDock::append(int level, const QString& line) {
    entries_.push_back(Entry{level, line});
    if (entries_.size() > kKeep) entries_.remove(0, entries_.size() - kKeep);
    if (level >= minimumLevel(level_)) view_->appendPlainText(line);
}

void LogDock::refilter() {
    view_->clear();
    const int min = minimumLevel(level_);
    for (const Entry& e : entries_) {
        if (e.level >= min) view_->appendPlainText(e.line);
    }
}

}  // namespace q8ui
