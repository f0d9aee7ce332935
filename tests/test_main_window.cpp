// The window as a user drives it (offscreen): load a model, send a prompt, watch tokens stream in
// while the GUI thread stays responsive, stop, and get a clear message for an empty prompt or a
// bad model file; the status bar always says which kernel path runs.
#include <spdlog/spdlog.h>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QtTest>

#include "cpu_features.h"
#include "main_window.h"
#include "reference_scripts.h"

class TestMainWindow : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;
    QString model_;

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        QCoreApplication::setOrganizationName("q8chat-tests");
        QSettings().clear();
        const QString err = q8test::make_reference_case(
            dir_.filePath("m"), {"--arch", "qwen2", "--seed", "5", "--layers", "4", "--ctx", "2048"});
        QVERIFY2(err.isEmpty(), qPrintable(err));
        model_ = dir_.filePath("m/model.gguf");
    }

    void send_streams_and_stop_stops() {
        q8ui::MainWindow w(model_);
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(w.sendButton()->isEnabled(), 10000);
        QVERIFY(w.statusLabel()->text().contains("Model:"));
        w.promptBox()->setPlainText("def main():");
        QTest::mouseClick(w.sendButton(), Qt::LeftButton);
        QVERIFY(w.stopButton()->isEnabled());
        const int before = w.transcript()->toPlainText().size();
        QTRY_VERIFY_WITH_TIMEOUT(w.transcript()->toPlainText().size() > before + 5, 10000);
        QElapsedTimer t;
        t.start();
        QTest::mouseClick(w.stopButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(w.sendButton()->isEnabled(), 2000);
        QVERIFY2(t.elapsed() < 1000, "Stop should end generation promptly");
        QVERIFY(w.transcript()->toPlainText().startsWith("def main():"));
        QVERIFY(w.promptBox()->toPlainText() == "def main():");  // what the user typed is kept
    }

    void status_bar_names_the_kernel_path() {
        q8ui::MainWindow w(model_);
        w.show();
        QVERIFY(w.statusBar()->isAncestorOf(w.kernelLabel()));
        QVERIFY(w.kernelLabel()->isVisible());
        const QString text = w.kernelLabel()->text();
        QVERIFY2(text.contains(QString::fromStdString(q8::kernel_path_description())), qPrintable(text));
        QVERIFY2(text.contains(QString::fromStdString(q8::amx_description())), qPrintable(text));
        QTRY_VERIFY_WITH_TIMEOUT(w.sendButton()->isEnabled(), 10000);
    }

    void empty_prompt_is_explained() {
        q8ui::MainWindow w(model_);
        QTRY_VERIFY_WITH_TIMEOUT(w.sendButton()->isEnabled(), 10000);
        w.promptBox()->clear();
        QTest::mouseClick(w.sendButton(), Qt::LeftButton);
        QVERIFY(w.statusLabel()->text().contains("empty"));
        QVERIFY(w.sendButton()->isEnabled());
    }

    void bad_model_is_explained() {
        const QString bad = dir_.filePath("bad.gguf");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a model at all");
        f.close();
        q8ui::MainWindow w(bad);
        QTRY_VERIFY_WITH_TIMEOUT(w.statusLabel()->text().contains("Error"), 10000);
        QVERIFY(w.statusLabel()->text().contains("bad magic"));
    }

    void reopens_the_last_model() {
        q8ui::MainWindow first(model_);
        QTRY_VERIFY_WITH_TIMEOUT(first.sendButton()->isEnabled(), 10000);
        q8ui::MainWindow again{QString()};
        QTRY_VERIFY_WITH_TIMEOUT(again.statusLabel()->text().contains("Model:"), 10000);
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
