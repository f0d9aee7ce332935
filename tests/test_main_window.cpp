// The window as a user drives it (offscreen, real widgets): type a prompt and press Ctrl+Enter,
// watch the answer stream in with its figures, stop it with the button or Esc, switch the
// configuration, open a bad model and keep the good one, and find the chat again after a restart;
// a chat file that cannot be read is set aside, never lost.
#include <spdlog/spdlog.h>
#include <QCheckBox>
#include <QDir>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QListView>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextCursor>
#include <QTextDocument>
#include <QToolButton>
#include <QtTest>

#include <q8/system.h>

#include "child_process.h"
#include "compare_window.h"
#include "configuration_switch.h"
#include "main_window.h"
#include "performance_dock.h"
#include "prompt_box.h"
#include "reference_scripts.h"
#include "scaled_demo.h"
#include "settings_dialog.h"
#include "transcript_view.h"
#include "wait_scale.h"

namespace {

const QString kTarget = Q8_SOURCE_DIR "/resources/models/demo-target.gguf";
const QString kDraft = Q8_SOURCE_DIR "/resources/models/demo-draft.gguf";
const int kLoadMs = scaledMs(20000);

void typeAndSend(q8ui::MainWindow& w, const QString& text) {
    w.promptBox()->setFocus();
    QTest::keyClicks(w.promptBox(), text);
    QTest::keyClick(w.promptBox(), Qt::Key_Return, Qt::ControlModifier);
}

QString transcriptText(const q8ui::MainWindow& w) { return w.transcript()->browser()->toPlainText(); }

}  // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

    QString chatsDir() const { return dir_.filePath("chats"); }

    static QByteArray readFile(const QString& path) {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }
    // Every character drawn on a background of its own, in document order, line breaks left out.
    static QString tintedText(const QTextDocument* doc) {
        QString out;
        for (QTextBlock b = doc->begin(); b.isValid(); b = b.next())
            for (auto it = b.begin(); !it.atEnd(); ++it)
                if (it.fragment().charFormat().hasProperty(QTextFormat::BackgroundBrush)) out += it.fragment().text();
        return out.remove(QChar::LineSeparator).remove('\n');
    }

    static QJsonObject readJson(const QString& path) { return QJsonDocument::fromJson(readFile(path)).object(); }

    // What `q8bench compare --json` prints for the same prompt on the built-in pair.
    static QJsonObject cliCompare(const QString& prompt, int tokens) {
        const q8test::ChildResult r = q8test::run_child(
            Q8BENCH_PATH, {"compare", "-p", prompt, "-n", QString::number(tokens), "-t", "1", "--json"}, 120000);
        if (!r.finished || r.exit_code != 0) return {};
        return QJsonDocument::fromJson(r.out).object();
    }

    static void waitReady(q8ui::MainWindow& w) {
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy() && w.sendButton()->isEnabled(), kLoadMs);
    }

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        QStandardPaths::setTestModeEnabled(true);  // the quantize-at-load cache is the tests' own
        QCoreApplication::setOrganizationName("q8chat-tests");
        QSettings().clear();
        // Long answers, so that Stop always lands before the answer could end by itself.
        QSettings().setValue("generation/maxTokens", 1500);
        QSettings().setValue("engine/contextSize", 2048);
        // One engine thread: ctest runs two suites at once on two cores.
        QSettings().setValue("engine/threads", 1);
    }

    void ctrl_enter_streams_an_answer_with_its_figures() {
        QSettings().setValue("generation/maxTokens", 24);
        q8ui::MainWindow w(kTarget, nullptr, chatsDir());
        QSettings().setValue("generation/maxTokens", 1500);
        w.show();
        waitReady(w);
        QSignalSpy ended(&w, &q8ui::MainWindow::answerEnded);
        typeAndSend(w, "def fibonacci(n):");
        QVERIFY(w.stopButton()->isEnabled());
        QVERIFY(w.promptBox()->toPlainText().isEmpty());  // sent: the text is in the transcript now
        QVERIFY(ended.wait(scaledMs(20000)));
        const q8ui::ChatMessage& answer = w.currentChat().messages.last();
        QCOMPARE(answer.role, q8ui::Role::Assistant);
        QVERIFY(!answer.text.isEmpty());
        QCOMPARE(answer.figures.configuration, QString("FP16"));
        QVERIFY(answer.figures.decodeTokensPerSecond > 0);
        QVERIFY(answer.figures.generatedTokens > 0);
        const QString shown = transcriptText(w);
        QVERIFY2(shown.contains("def fibonacci(n):"), qPrintable(shown));
        QVERIFY2(shown.contains("tok/s"), qPrintable(shown));
        QVERIFY(w.contextGauge()->text().startsWith("ctx "));
    }

    void stop_and_escape_end_the_answer_within_200ms() {
        q8ui::MainWindow w(kTarget, nullptr, chatsDir());
        w.show();
        waitReady(w);
        for (const bool escape : {false, true}) {
            QSignalSpy ended(&w, &q8ui::MainWindow::answerEnded);
            typeAndSend(w, "class Parser:");
            QTRY_VERIFY_WITH_TIMEOUT(w.currentChat().messages.last().text.size() > 20, scaledMs(20000));
            // The gauge counts the prompt and the answer while it streams, not only at its end.
            const QString gauge = w.contextGauge()->text();
            QVERIFY2(gauge.section(' ', 1).section('/', 0, 0).toInt() > 3, qPrintable(gauge));
            QElapsedTimer t;
            t.start();
            if (escape) {
                QTest::keyClick(w.promptBox(), Qt::Key_Escape);
            } else {
                QTest::mouseClick(w.stopButton(), Qt::LeftButton);
            }
            QVERIFY(ended.wait(2000));
            QVERIFY2(t.elapsed() < 200, qPrintable(QString("stopped after %1 ms").arg(t.elapsed())));
            QCOMPARE(w.currentChat().messages.last().state, q8ui::MessageState::Stopped);
            QVERIFY(transcriptText(w).contains("stopped"));
        }
    }

    void stop_during_prompt_evaluation_acts_within_200ms() {
        q8ui::MainWindow w(kTarget, nullptr, chatsDir());
        waitReady(w);
        // About 1,800 tokens: prompt evaluation alone takes far longer than the bound.
        QString prompt;
        for (int i = 0; i < 120; ++i) prompt += QString("value_%1 = compute(value_%2, %1)\n").arg(i).arg(i + 1);
        w.promptBox()->setPlainText(prompt);
        QSignalSpy ended(&w, &q8ui::MainWindow::answerEnded);
        QTest::keyClick(w.promptBox(), Qt::Key_Return, Qt::ControlModifier);
        QTest::qWait(30);
        QElapsedTimer t;
        t.start();
        QTest::mouseClick(w.stopButton(), Qt::LeftButton);
        QVERIFY(ended.wait(2000));
        QVERIFY2(t.elapsed() < 200, qPrintable(QString("stopped after %1 ms").arg(t.elapsed())));
        const q8ui::ChatMessage& answer = w.currentChat().messages.last();
        QCOMPARE(answer.state, q8ui::MessageState::Stopped);
        QCOMPARE(answer.figures.generatedTokens, qint64(0));  // it never got past the prompt
    }

    void cancel_during_quantize_at_load_keeps_the_previous_model() {
        QDir(QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + "/quantized").removeRecursively();
        QSettings().setValue("generation/maxTokens", 4);
        q8ui::MainWindow w(kTarget, nullptr, chatsDir());
        QSettings().setValue("generation/maxTokens", 1500);
        w.show();
        waitReady(w);
        QSignalSpy failed(&w, &q8ui::MainWindow::modelFailed);
        QTest::mouseClick(w.configurationSwitch()->button(q8ui::Configuration::Q8), Qt::LeftButton);
        QVERIFY(w.cancelLoadButton()->isVisible());
        QTest::mouseClick(w.cancelLoadButton(), Qt::LeftButton);
        QVERIFY(failed.wait(kLoadMs));
        QVERIFY2(failed.front().front().toString().contains("cancel"), qPrintable(failed.front().front().toString()));
        QCOMPARE(w.loadedModel().configuration, q8ui::Configuration::Fp16);
        QCOMPARE(w.configurationSwitch()->current(), q8ui::Configuration::Fp16);
        QVERIFY(w.configurationSwitch()->button(q8ui::Configuration::Fp16)->isChecked());
        // The previous model still answers.
        QSignalSpy ended(&w, &q8ui::MainWindow::answerEnded);
        typeAndSend(w, "x = 1");
        QVERIFY(ended.wait(scaledMs(20000)));
        QCOMPARE(w.currentChat().messages.last().state, q8ui::MessageState::Complete);
    }

    void closing_while_answering_or_loading_exits_promptly() {
        for (const bool loading : {false, true}) {
            auto w = std::make_unique<q8ui::MainWindow>(kTarget, nullptr, chatsDir());
            waitReady(*w);
            if (loading) {
                QDir(QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + "/quantized")
                    .removeRecursively();
                QTest::mouseClick(w->configurationSwitch()->button(q8ui::Configuration::Q4), Qt::LeftButton);
            } else {
                typeAndSend(*w, "def main():");
                QTRY_VERIFY_WITH_TIMEOUT(!w->currentChat().messages.last().text.isEmpty(), scaledMs(20000));
            }
            QVERIFY(w->isBusy());
            QElapsedTimer t;
            t.start();
            w.reset();  // what closing the window does: the worker stops and its thread ends
            QVERIFY2(t.elapsed() < 1000, qPrintable(QString("closing took %1 ms").arg(t.elapsed())));
        }
    }

    void switching_configuration_loads_it_and_is_refused_while_answering() {
        q8ui::MainWindow w(kTarget, nullptr, chatsDir());
        waitReady(w);
        q8ui::ConfigurationSwitch* sw = w.configurationSwitch();
        QTest::mouseClick(sw->button(q8ui::Configuration::Q4), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(w.loadedModel().configuration, q8ui::Configuration::Q4, kLoadMs);
        QVERIFY2(w.loadedModel().precision.startsWith("q4"), qPrintable(w.loadedModel().precision));
        waitReady(w);

        QSignalSpy ended(&w, &q8ui::MainWindow::answerEnded);
        typeAndSend(w, "import os");
        QTRY_VERIFY_WITH_TIMEOUT(!w.currentChat().messages.last().text.isEmpty(), scaledMs(20000));
        QTest::mouseClick(sw->button(q8ui::Configuration::Q8), Qt::LeftButton);
        QVERIFY2(w.statusLabel()->text().contains("changes when"), qPrintable(w.statusLabel()->text()));
        QCOMPARE(sw->current(), q8ui::Configuration::Q4);
        QVERIFY(sw->button(q8ui::Configuration::Q4)->isChecked());
        QTest::mouseClick(w.stopButton(), Qt::LeftButton);
        QVERIFY(ended.wait(2000));
        QCOMPARE(w.currentChat().messages.last().figures.configuration, QString("Q4"));
    }

    void q4_spec_uses_the_built_in_draft_and_reports_acceptance() {
        QSettings().setValue("generation/maxTokens", 40);
        QSettings().setValue("generation/temperature", 0.0);
        q8ui::MainWindow w(kTarget, nullptr, dir_.filePath("spec"));
        QSettings().setValue("generation/maxTokens", 1500);
        QSettings().remove("generation/temperature");
        waitReady(w);
        QTest::mouseClick(w.configurationSwitch()->button(q8ui::Configuration::Q4Spec), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(w.loadedModel().configuration, q8ui::Configuration::Q4Spec, kLoadMs);
        QVERIFY(!w.loadedModel().draftName.isEmpty());
        waitReady(w);
        QSignalSpy ended(&w, &q8ui::MainWindow::answerEnded);
        typeAndSend(w, "def fibonacci(n):");
        QVERIFY(ended.wait(scaledMs(20000)));
        const q8ui::MessageFigures& f = w.currentChat().messages.last().figures;
        QVERIFY(f.speculative());
        QCOMPARE(f.sampling, QString("greedy"));
        QVERIFY2(transcriptText(w).contains("accepted"), qPrintable(transcriptText(w)));

        // The text the draft wrote is known span by span, in order, inside the answer, and the
        // View menu's toggle tints it in the transcript.
        const q8ui::ChatMessage& answer = w.currentChat().messages.last();
        QVERIFY(!answer.draftSpans.isEmpty());
        int end = 0;
        for (const q8ui::TextSpan& s : answer.draftSpans) {
            QVERIFY(s.start >= end && s.length > 0);
            end = s.start + s.length;
        }
        QVERIFY(end <= answer.text.size());
        QVERIFY(!w.transcript()->highlightDraft());
        w.highlightDraftAction()->trigger();
        QVERIFY(w.transcript()->highlightDraft());
        QString drafted;
        for (const q8ui::TextSpan& s : answer.draftSpans) drafted += answer.text.mid(s.start, s.length);
        drafted.remove('\n');
        QCOMPARE(tintedText(w.transcript()->browser()->document()), drafted);
        w.highlightDraftAction()->trigger();
        QVERIFY(tintedText(w.transcript()->browser()->document()).isEmpty());
        QVERIFY(!w.transcript()->highlightDraft());
    }

    // The settings' lookup switch reaches the engine: with it off, a prompt that repeats itself is
    // drafted by the draft model alone; on (the default), the repetition is looked up and the dock
    // counts the looked-up tokens. The dialog shows the switch as set and returns it as toggled.
    void drafting_by_lookup_follows_the_setting() {
        q8ui::AppSettings off = q8ui::AppSettings::load();
        off.draftLookup = false;
        q8ui::SettingsDialog dialog(off);
        QVERIFY(!dialog.draftLookup()->isChecked());
        QTest::mouseClick(dialog.draftLookup(), Qt::LeftButton);
        QVERIFY(dialog.settings().draftLookup);

        QSettings().setValue("generation/maxTokens", 40);
        QSettings().setValue("generation/temperature", 0.0);
        for (const bool lookup : {false, true}) {
            QSettings().setValue("engine/draftLookup", lookup);
            q8ui::MainWindow w(kTarget, nullptr, dir_.filePath(lookup ? "lookup-on" : "lookup-off"));
            waitReady(w);
            QTest::mouseClick(w.configurationSwitch()->button(q8ui::Configuration::Q4Spec), Qt::LeftButton);
            QTRY_COMPARE_WITH_TIMEOUT(w.loadedModel().configuration, q8ui::Configuration::Q4Spec, kLoadMs);
            waitReady(w);
            QSignalSpy ended(&w, &q8ui::MainWindow::answerEnded);
            typeAndSend(w, "a = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,");
            QVERIFY(ended.wait(scaledMs(20000)));
            QVERIFY(w.currentChat().messages.last().figures.speculative());
            const qint64 lookedUp = w.performanceDock()->data().lookedUpTokens();
            QVERIFY2((lookedUp > 0) == lookup, qPrintable(QString("%1 looked-up tokens").arg(lookedUp)));
        }
        QSettings().remove("engine/draftLookup");
        QSettings().setValue("generation/maxTokens", 1500);
        QSettings().remove("generation/temperature");
    }

    void compare_mode_runs_the_four_configurations_side_by_side() {
        QSettings().setValue("generation/maxTokens", 24);
        q8ui::MainWindow w(kTarget, nullptr, dir_.filePath("compare"));
        QSettings().setValue("generation/maxTokens", 1500);
        w.show();
        waitReady(w);
        QSignalSpy ended(&w, &q8ui::MainWindow::compareEnded);
        QTest::keyClicks(w.promptBox(), "def fibonacci(n):");
        w.compareAction()->trigger();
        QVERIFY(w.isBusy());
        QVERIFY(ended.wait(60000));
        q8ui::CompareWindow* c = w.compareWindow();
        QVERIFY(c->isVisible());
        QTableWidget* t = c->table();
        for (int row = 0; row < 4; ++row) {
            QVERIFY(t->item(row, 0) != nullptr);
            QVERIFY2(t->item(row, 3) != nullptr && t->item(row, 3)->text().toDouble() > 0,
                     qPrintable(t->item(row, 1) ? t->item(row, 1)->text() : QString("no row %1").arg(row)));
        }
        QCOMPARE(t->item(0, 8)->text(), QString("identical"));  // FP16 against itself
        QVERIFY(t->item(3, 6)->text().contains("%"));           // Q4+spec's acceptance
        // Greedy speculative decoding writes exactly what Q4 wrote.
        QCOMPARE(c->pane(3)->toPlainText(), c->pane(2)->toPlainText());
        QVERIFY(c->pane(2)->toPlainText().size() > QString("def fibonacci(n):").size());
        QVERIFY(!w.isBusy());

        // The dock charted every configuration as it ran and shows each one's summary.
        const q8ui::PerformanceData& data = w.performanceDock()->data();
        QCOMPARE(data.summaries().size(), 4);
        QCOMPARE(data.ratedConfigurations().size(), 4);
        QCOMPARE(QString::number(data.summaries()[q8ui::Configuration::Q4Spec].decodeTokensPerSecond, 'f', 1),
                 t->item(3, 3)->text());
        QVERIFY(!data.stepAcceptance().points().isEmpty());

        // Exports: the comparison as JSON with the CLI's fields and the table's figures, the table
        // as CSV, the window as PNG and SVG.
        QVERIFY(c->exportButton()->isEnabled());
        const QString json = dir_.filePath("compare.json");
        QString error;
        QVERIFY2(c->exportJson(json, &error), qPrintable(error));
        const QJsonObject report = readJson(json);
        const QJsonArray rows = report["rows"].toArray();
        QCOMPARE(rows.size(), 4);
        for (int row = 0; row < 4; ++row) {
            const QJsonObject r = rows[row].toObject();
            QCOMPARE(QString::number(r["decode_tokens_per_s"].toDouble(), 'f', 1), t->item(row, 3)->text());
            QCOMPARE(r["record"].toObject()["model"].toObject()["name"].toString(), QString("demo-target.gguf"));
        }
        const QJsonObject cli = cliCompare("def fibonacci(n):", 24);
        QCOMPARE(report.keys(), cli.keys());
        for (int row = 0; row < 4; ++row) {
            const QJsonObject mine = rows[row].toObject();
            const QJsonObject theirs = cli["rows"].toArray()[row].toObject();
            QCOMPARE(mine.keys(), theirs.keys());
            QCOMPARE(mine["record"].toObject().keys(), theirs["record"].toObject().keys());
        }

        const QString csv = dir_.filePath("compare.csv");
        QVERIFY2(c->exportCsv(csv, &error), qPrintable(error));
        const QStringList lines = QString::fromUtf8(readFile(csv)).split('\n', Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 5);
        QVERIFY(lines[1].startsWith("FP16,"));
        QVERIFY(lines[1].contains("," + t->item(0, 3)->text() + ","));

        const QString png = dir_.filePath("compare.png");
        QVERIFY2(c->exportPng(png, &error), qPrintable(error));
        QVERIFY(!QImage(png).isNull());
        const QString svg = dir_.filePath("compare.svg");
        QVERIFY2(c->exportSvg(svg, &error), qPrintable(error));
        QVERIFY(readFile(svg).contains("<svg"));
        // An export that cannot be written says so and leaves nothing half-written.
        QVERIFY(!c->exportJson(dir_.filePath("no-such-folder/compare.json"), &error));
        QVERIFY2(error.contains("no-such-folder"), qPrintable(error));
    }

    // Stop in the comparison's window ends the whole comparison: the running configuration and
    // the ones after it are listed as stopped, and the window is free again.
    void stop_ends_the_whole_comparison() {
        QSettings().setValue("generation/maxTokens", 256);
        q8ui::MainWindow w(kTarget, nullptr, dir_.filePath("compare-stop"));
        QSettings().setValue("generation/maxTokens", 1500);
        w.show();
        waitReady(w);
        QSignalSpy ended(&w, &q8ui::MainWindow::compareEnded);
        QTest::keyClicks(w.promptBox(), "def fibonacci(n):");
        w.compareAction()->trigger();
        q8ui::CompareWindow* c = w.compareWindow();
        // Stopped while FP16 streams.
        QTRY_VERIFY_WITH_TIMEOUT(c->pane(0)->toPlainText().size() > QString("def fibonacci(n):").size() + 4,
                                 scaledMs(20000));
        QElapsedTimer sinceStop;
        sinceStop.start();
        QTest::mouseClick(c->stopButton(), Qt::LeftButton);
        QVERIFY(ended.wait(scaledMs(10000)));
        QVERIFY2(sinceStop.elapsed() < 2000, qPrintable(QString::number(sinceStop.elapsed())));
        QTableWidget* t = c->table();
        for (int row = 1; row < 4; ++row) {
            QVERIFY(t->item(row, 1) != nullptr);
            QCOMPARE(t->item(row, 1)->text(), QString("stopped"));
        }
        QVERIFY(!w.isBusy());
        QVERIFY(w.sendButton()->isEnabled());
    }

    // File → Scaled demo, at a small test shape: built with progress into the cache folder, then
    // opened with the built-in draft; the text is the built-in model's. Cancel leaves no file and
    // keeps the model in use.
    void the_scaled_demo_is_built_and_opened_or_cancelled() {
        QSettings().setValue("scaledDemo/shape", "demo-wide-test");
        const QString path = q8ui::scaledDemoPath("demo-wide-test");
        QFile::remove(path);
        q8ui::MainWindow w(kTarget, nullptr, dir_.filePath("scaled"));
        w.show();
        waitReady(w);
        QVERIFY(!w.scaledDemoAction()->isEnabled());  // no built-in pair known yet
        w.setBuiltinPair(kTarget, kDraft);
        QVERIFY(w.scaledDemoAction()->isEnabled());

        QSignalSpy failed(&w, &q8ui::MainWindow::modelFailed);
        w.buildScaledDemo();
        QVERIFY(w.cancelLoadButton()->isVisible());
        QTest::mouseClick(w.cancelLoadButton(), Qt::LeftButton);
        QVERIFY(failed.wait(kLoadMs));
        QVERIFY2(w.statusLabel()->text().contains("cancelled"), qPrintable(w.statusLabel()->text()));
        QVERIFY(!QFile::exists(path));
        QCOMPARE(w.loadedModel().path, kTarget);

        QSignalSpy ready(&w, &q8ui::MainWindow::modelReady);
        w.buildScaledDemo();
        QVERIFY(ready.wait(kLoadMs));
        QCOMPARE(w.loadedModel().path, path);
        QVERIFY2(w.loadedModel().name.contains("scaled to demo-wide-test"), qPrintable(w.loadedModel().name));
        QVERIFY(w.configurationSwitch()->button(q8ui::Configuration::Q4Spec)->isEnabled());
        QVERIFY(QFile::exists(path));
        // Once built, the menu opens it without building again.
        QSignalSpy again(&w, &q8ui::MainWindow::modelReady);
        w.openScaledDemo();
        QVERIFY(again.wait(kLoadMs));
        QCOMPARE(w.loadedModel().path, path);
        QFile::remove(path);
        QSettings().remove("scaledDemo/shape");
        QSettings().setValue("model/lastPath", kTarget);
    }

    void a_bad_model_is_explained_and_the_good_one_stays() {
        const QString bad = dir_.filePath("bad.gguf");
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not a model at all");
        f.close();
        q8ui::MainWindow w(kTarget, nullptr, chatsDir());
        waitReady(w);
        w.openModel(bad);
        QTRY_VERIFY_WITH_TIMEOUT(w.statusLabel()->text().contains("Error"), kLoadMs);
        QVERIFY(w.statusLabel()->text().contains("bad magic"));
        QCOMPARE(w.loadedModel().path, kTarget);
        QVERIFY(w.sendButton()->isEnabled());
        QSettings().setValue("model/lastPath", kTarget);
    }

    // The built-in code model has no chat template and has FIM tokens: the status bar says the
    // plain layout is in use, and completion mode offers Fill, which writes the model's middle in
    // at the cursor, exactly the middle `q8bench generate --fim-prefix/--fim-suffix` prints.
    void code_models_fill_in_the_middle_at_the_cursor() {
        QSettings().setValue("generation/maxTokens", 8);
        QSettings().setValue("generation/temperature", 0.0);
        q8ui::MainWindow w(kTarget, nullptr, chatsDir());
        QSettings().setValue("generation/maxTokens", 1500);
        QSettings().remove("generation/temperature");
        w.show();
        waitReady(w);
        bool named = false;
        for (const QLabel* l : w.statusBar()->findChildren<QLabel*>()) {
            named = named || l->text().contains("template: plain (no template in the model)");
        }
        QVERIFY(named);
        w.newChat();
        QVERIFY(w.currentChat().completionMode);
        QVERIFY(w.fillButton()->isVisible());

        const QString prefix = "def add(a, b):\n    return ", suffix = "\n\nprint(add(1, 2))\n";
        w.promptBox()->setPlainText(prefix + suffix);
        QTextCursor cursor = w.promptBox()->textCursor();
        cursor.setPosition(int(prefix.size()));
        w.promptBox()->setTextCursor(cursor);
        QSignalSpy ended(&w, &q8ui::MainWindow::answerEnded);
        QTest::mouseClick(w.fillButton(), Qt::LeftButton);
        QVERIFY(w.promptBox()->isReadOnly());  // nothing typed may land inside the middle being written
        QVERIFY(ended.wait(scaledMs(20000)));
        QVERIFY(!w.promptBox()->isReadOnly());
        QVERIFY(w.currentChat().messages.isEmpty());  // the prompt box is the document, not the transcript

        QProcess cli;
        cli.start(Q8BENCH_PATH, {"generate", "--fim-prefix", prefix, "--fim-suffix", suffix, "-n", "8", "--temp", "0",
                                 "-t", "1", "--json"});
        QVERIFY(cli.waitForFinished(120000) && cli.exitCode() == 0);
        const QString middle = QJsonDocument::fromJson(cli.readAllStandardOutput()).object()["text"].toString();
        QCOMPARE(w.promptBox()->toPlainText(), prefix + middle + suffix);

        // Ctrl+Shift+Enter in the prompt box fills in too.
        QTest::keyClick(w.promptBox(), Qt::Key_Return, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(w.promptBox()->isReadOnly());
        QVERIFY(ended.wait(scaledMs(20000)));
        QVERIFY(w.promptBox()->toPlainText().size() >= (prefix + middle + suffix).size());
    }

    // A Hugging Face folder opens like a GGUF file: loaded, named, and switched to another
    // configuration (quantized at load from the safetensors weights).
    void a_hugging_face_folder_opens_like_a_gguf_file() {
        const QString err = q8test::make_reference_case(dir_.filePath("hfcase"),
                                                        {"--arch", "qwen2", "--seed", "21", "--hf-shards", "2"});
        QVERIFY2(err.isEmpty(), qPrintable(err));
        const QString folder = dir_.filePath("hfcase/hf");
        q8ui::MainWindow w(kTarget, nullptr, chatsDir());
        waitReady(w);
        w.openModel(folder);
        QTRY_COMPARE_WITH_TIMEOUT(w.loadedModel().path, folder, kLoadMs);
        waitReady(w);
        QTest::mouseClick(w.configurationSwitch()->button(q8ui::Configuration::Q8), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(w.loadedModel().configuration, q8ui::Configuration::Q8, kLoadMs);
        QCOMPARE(w.loadedModel().path, folder);
        QVERIFY2(w.loadedModel().precision.startsWith("q8"), qPrintable(w.loadedModel().precision));
        QSettings().setValue("model/lastPath", kTarget);
    }

    void empty_prompt_is_explained() {
        q8ui::MainWindow w(kTarget, nullptr, chatsDir());
        waitReady(w);
        QTest::keyClick(w.promptBox(), Qt::Key_Return, Qt::ControlModifier);
        QVERIFY(w.statusLabel()->text().contains("empty"));
        QVERIFY(w.sendButton()->isEnabled());
    }

    void status_bar_names_the_kernel_path() {
        q8ui::MainWindow w(kTarget, nullptr, chatsDir());
        w.show();
        QVERIFY(w.statusBar()->isAncestorOf(w.kernelLabel()));
        QVERIFY(w.kernelLabel()->isVisible());
        const q8::CpuInfo cpu = q8::cpu_info();
        const QString text = w.kernelLabel()->text();
        QVERIFY2(text.contains(QString::fromStdString(cpu.kernel_path)), qPrintable(text));
        QVERIFY2(text.contains(QString::fromStdString(cpu.amx)), qPrintable(text));
        waitReady(w);
    }

    // A 1366 x 768 laptop screen holds the whole window (the switch, the chat and the performance
    // dock), and the window opens no larger than its screen unless its minimum is larger (the
    // offscreen platform's screen is 800 x 600): its right edge is never off screen.
    void the_window_fits_a_laptop_screen() {
        q8ui::MainWindow w(kTarget, nullptr, chatsDir());
        const QSize opened = w.size(), screen = w.screen()->availableGeometry().size();
        const QSize least = w.minimumSizeHint().expandedTo(w.minimumSize());
        QVERIFY2(opened.width() <= std::max(screen.width(), least.width()) &&
                     opened.height() <= std::max(screen.height(), least.height()),
                 qPrintable(QString("%1 x %2 on %3 x %4")
                                .arg(opened.width())
                                .arg(opened.height())
                                .arg(screen.width())
                                .arg(screen.height())));
        w.show();
        waitReady(w);
        const QSize loaded = w.minimumSizeHint().expandedTo(w.minimumSize());
        QVERIFY2(loaded.width() <= 1366 && loaded.height() <= 768 - 40,
                 qPrintable(QString("%1 x %2").arg(loaded.width()).arg(loaded.height())));
    }

    void chats_survive_a_restart_and_the_last_model_reopens() {
        const QString dir = dir_.filePath("restart");
        QString id;
        {
            QSettings().setValue("generation/maxTokens", 8);
            q8ui::MainWindow w(kTarget, nullptr, dir);
            QSettings().setValue("generation/maxTokens", 1500);
            waitReady(w);
            QSignalSpy ended(&w, &q8ui::MainWindow::answerEnded);
            typeAndSend(w, "def square(x):");
            QVERIFY(ended.wait(scaledMs(20000)));
            id = w.currentChat().id;
        }
        q8ui::MainWindow again(QString(), nullptr, dir);
        QTRY_VERIFY_WITH_TIMEOUT(again.loadedModel().path == kTarget, kLoadMs);
        QCOMPARE(again.chatList()->model()->rowCount(), 1);
        QCOMPARE(again.currentChat().id, id);
        QCOMPARE(again.currentChat().messages.size(), 2);
        QVERIFY(again.currentChat().messages.last().figures.generatedTokens > 0);
        QVERIFY(transcriptText(again).contains("def square(x):"));
    }

    void an_unreadable_chat_file_is_set_aside_and_reported() {
        const QString dir = dir_.filePath("corrupt");
        QVERIFY(QDir().mkpath(dir));
        QFile f(dir + "/20260101-000000-abcd.json");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{ this is not json");
        f.close();
        q8ui::MainWindow w(kTarget, nullptr, dir);
        auto* report = w.findChild<QMessageBox*>("unreadable-chats");
        QVERIFY(report != nullptr);
        QVERIFY2(report->text().contains("set aside"), qPrintable(report->text()));
        const QStringList aside = QDir(dir).entryList({"*.unreadable-*"});
        QCOMPARE(aside.size(), 1);
        QFile kept(dir + "/" + aside.front());
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), QByteArray("{ this is not json"));
        waitReady(w);
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
