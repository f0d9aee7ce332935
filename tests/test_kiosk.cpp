// Kiosk mode (q8chat --kiosk) as a booth runs it, offscreen with shortened timers: it starts full
// screen with the charts and the configuration switch in view and no menus, cycles the prompts
// through FP16, Q8, Q4 and Q4+spec, shows an error (a chat that cannot be saved, a draft that
// cannot load) and goes on by itself, pauses for a visitor and resumes after the idle time, and
// leaves only through the exit shortcut, asking for the PIN when one is set. The real app's
// --kiosk --soak writes its JSON report and exits 0.
#include <spdlog/spdlog.h>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenuBar>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QToolButton>
#include <QtTest>

#include "chat_store.h"
#include "configuration_switch.h"
#include "kiosk_controller.h"
#include "kiosk_headline.h"
#include "kiosk_pin_dialog.h"
#include "kiosk_prompts.h"
#include "kiosk_settings.h"
#include "main_window.h"
#include "performance_dock.h"
#include "prompt_box.h"
#include "settings_dialog.h"
#include "transcript_view.h"
#include "wait_scale.h"

namespace {

using q8ui::Configuration;
using q8ui::KioskController;

const QString kTarget = Q8_SOURCE_DIR "/resources/models/demo-target.gguf";
const QString kDraft = Q8_SOURCE_DIR "/resources/models/demo-draft.gguf";
const QString kPrompts = Q8_SOURCE_DIR "/resources/kiosk-prompts.json";
const int kLoopMs = scaledMs(90000);  // generous: two suites share two cores

// Short prompts, short answers and short pauses: a round of four configurations in seconds.
QVector<q8ui::KioskPrompt> testPrompts() {
    return {{"first", "code", "def square(x):\n"}, {"second", "prose", "# The parser reads"}};
}

q8ui::KioskPacing fastPacing() {
    q8ui::KioskPacing p;
    p.answerTokens = 12;
    p.showMs = 100;
    p.errorShowMs = 400;
    p.idleResumeMs = 1500;
    p.pinIdleMs = 5000;
    p.refreshMs = 50;
    return p;
}

using Step = QPair<int, Configuration>;

QList<Step> steps(const QSignalSpy& spy) {
    QList<Step> out;
    for (const QList<QVariant>& args : spy) out << Step{args[0].toInt(), args[1].value<Configuration>()};
    return out;
}

QByteArray readFile(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeFile(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(bytes);
}

}  // namespace

class TestKiosk : public QObject {
    Q_OBJECT
    QTemporaryDir dir_;

private slots:
    void initTestCase() {
        spdlog::set_level(spdlog::level::warn);
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("q8chat-kiosk-tests");
        QSettings().clear();
        QSettings().setValue("engine/threads", 1);  // ctest runs two suites at once on two cores
        qRegisterMetaType<Configuration>();
    }

    void the_prompts_file_holds_a_dozen_of_code_and_prose() {
        QString error;
        const QVector<q8ui::KioskPrompt> prompts = q8ui::loadKioskPrompts(kPrompts, &error);
        QVERIFY2(!prompts.isEmpty(), qPrintable(error));
        QCOMPARE(prompts.size(), 12);
        int code = 0;
        for (const q8ui::KioskPrompt& p : prompts) code += p.kind == "code" ? 1 : 0;
        QVERIFY(code > 0 && code < prompts.size());
    }

    void a_bad_prompts_file_is_explained() {
        const QString path = dir_.filePath("prompts.json");
        const QList<QPair<QByteArray, QString>> cases = {
            {"{ not json", "not JSON"},
            {R"({"format": "other", "version": 1, "prompts": []})", "not a q8chat.kiosk-prompts file"},
            {R"({"format": "q8chat.kiosk-prompts", "version": 1, "prompts": []})", "holds no prompts"},
            {R"({"format": "q8chat.kiosk-prompts", "version": 1, "prompts": [{"title": "", "kind": "code", "text": "x"}]})",
             "prompt 1 has no title"},
            {R"({"format": "q8chat.kiosk-prompts", "version": 1, "prompts": [{"title": "t", "kind": "poem", "text": "x"}]})",
             "kind must be"},
        };
        for (const auto& [bytes, why] : cases) {
            writeFile(path, bytes);
            QString error;
            QVERIFY(q8ui::loadKioskPrompts(path, &error).isEmpty());
            QVERIFY2(error.contains(why), qPrintable(error));
        }
        QString error;
        QVERIFY(q8ui::loadKioskPrompts(dir_.filePath("missing.json"), &error).isEmpty());
        QVERIFY2(error.contains("missing.json"), qPrintable(error));
    }

    void the_exit_pin_is_kept_hashed_and_checked() {
        q8ui::KioskSettings k;
        QVERIFY(!k.requiresPin());
        QVERIFY(k.acceptsPin(""));
        for (const char* bad : {"12", "12a4", "1234567890123", " 1234"}) QVERIFY2(!k.setPin(bad), qPrintable(bad));
        QVERIFY(!k.requiresPin());
        QVERIFY(k.setPin("2468"));
        QVERIFY(k.requiresPin());
        QVERIFY(k.acceptsPin("2468"));
        QVERIFY(!k.acceptsPin("2469"));
        QVERIFY(!k.acceptsPin(""));
        QVERIFY(!k.exitPinHash.contains("2468"));
        k.idleResumeSeconds = 42;
        k.save();
        const q8ui::KioskSettings again = q8ui::KioskSettings::load();
        QCOMPARE(again.idleResumeSeconds, 42);
        QVERIFY(again.acceptsPin("2468") && !again.acceptsPin("1111"));
        QVERIFY(k.setPin(""));
        k.save();
        QVERIFY(!q8ui::KioskSettings::load().requiresPin());
        // Out of range or malformed entries fall back to the defaults rather than lock anyone out.
        QSettings().setValue("kiosk/idleResumeSeconds", 0);
        QSettings().setValue("kiosk/exitPin", "garbage");
        QCOMPARE(q8ui::KioskSettings::load().idleResumeSeconds, q8ui::KioskSettings().idleResumeSeconds);
        QVERIFY(!q8ui::KioskSettings::load().requiresPin());
        QSettings().remove("kiosk");
    }

    void settings_set_and_remove_the_pin() {
        q8ui::AppSettings a;
        q8ui::SettingsDialog d(a);
        QTest::keyClicks(d.kioskPinEdit(), "12x");  // digits only
        QCOMPARE(d.kioskPinEdit()->text(), QString("12"));
        QVERIFY(!d.okButton()->isEnabled());  // too short to set, and not dropped silently
        QTest::keyClicks(d.kioskPinEdit(), "34");
        QVERIFY(d.okButton()->isEnabled());
        const q8ui::AppSettings withPin = d.settings();
        QVERIFY(withPin.kiosk.requiresPin() && withPin.kiosk.acceptsPin("1234"));

        q8ui::SettingsDialog again(withPin);
        QVERIFY(again.kioskRemovePin()->isVisibleTo(&again));
        QVERIFY(again.settings().kiosk.acceptsPin("1234") && !again.settings().kiosk.acceptsPin("0000"));  // kept
        again.kioskRemovePin()->setChecked(true);
        QVERIFY(!again.settings().kiosk.requiresPin());
    }

    void the_headline_states_speed_up_and_memory_in_words() {
        QCOMPARE(q8ui::speedupText(2.94), QString("2.9×"));
        QCOMPARE(q8ui::speedupText(0), QString("–"));
        QCOMPARE(q8ui::weightChangeText(0.28), QString("−72%"));
        QCOMPARE(q8ui::weightChangeText(1.0), QString("±0%"));
        QCOMPARE(q8ui::weightChangeText(1.05), QString("+5%"));
        QCOMPARE(q8ui::weightChangeText(0), QString("–"));
        q8ui::KioskHeadline h;
        h.showError("disk full", 100);
        QVERIFY(h.errorShown());
        QTRY_VERIFY_WITH_TIMEOUT(!h.errorShown(), 2000);
    }

    void old_chats_are_pruned_but_the_shown_one_stays() {
        const QString chats = dir_.filePath("prune");
        for (int i = 0; i < 5; ++i) {
            q8ui::Chat c;
            c.id = QString("20260101-00000%1-abcd").arg(i);
            c.title = QString("chat %1").arg(i);
            c.created = c.updated = QDateTime(QDate(2026, 1, 1), QTime(0, 0, i));
            c.messages.push_back({q8ui::Role::User, "x", q8ui::MessageState::Complete, {}, {}, {}});
            QString error;
            QVERIFY2(q8ui::saveChat(chats, c, &error), qPrintable(error));
        }
        q8ui::MainWindow w(kTarget, nullptr, chats);
        const QString shown = w.currentChat().id;
        w.pruneChats(2);
        const QStringList left = QDir(chats).entryList({"*.json"});
        QCOMPARE(left.size(), 2);
        QVERIFY(left.contains(shown + ".json"));
        QCOMPARE(w.chatList()->model()->rowCount(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(!w.isBusy(), kLoopMs);
    }

    void kiosk_starts_full_screen_and_cycles_prompts_and_configurations() {
        q8ui::MainWindow w(kTarget, nullptr, dir_.filePath("cycle"));
        KioskController kiosk(w, testPrompts(), {kTarget, kDraft}, {}, fastPacing());
        QSignalSpy started(&kiosk, &KioskController::stepStarted);
        QSignalSpy finished(&kiosk, &KioskController::runFinished);
        kiosk.start();
        QVERIFY(w.isFullScreen());
        QVERIFY(!w.menuBar()->isVisible());
        QVERIFY(w.performanceDock()->isVisible());
        QCOMPARE(w.performanceDock()->features(), QDockWidget::NoDockWidgetFeatures);
        QVERIFY(w.configurationSwitch()->isVisible());
        QVERIFY(kiosk.headline()->isVisible());
        QVERIFY(!w.chatList()->isVisible());
        QVERIFY(w.promptBox()->isVisible());
        // Large type: the body text is far above a desktop's 13 px or so.
        QVERIFY2(w.transcript()->font().pixelSize() >= 16,
                 qPrintable(QString::number(w.transcript()->font().pixelSize())));

        QTRY_VERIFY_WITH_TIMEOUT(started.size() >= 5, kLoopMs);
        const QList<Step> expected = {{0, Configuration::Fp16},
                                      {0, Configuration::Q8},
                                      {0, Configuration::Q4},
                                      {0, Configuration::Q4Spec},
                                      {1, Configuration::Fp16}};
        QCOMPARE(steps(started).mid(0, 5), expected);
        QVERIFY(finished.size() >= 4);
        for (int i = 0; i < 4; ++i) {
            const auto figures = finished[i][2].value<q8ui::MessageFigures>();
            QCOMPARE(figures.configuration, q8ui::configurationName(expected[i].second));
            QVERIFY(figures.decodeTokensPerSecond > 0);
        }
        QVERIFY(finished[3][2].value<q8ui::MessageFigures>().speculative());
        // The transcript shows the second prompt now, alone: each demo answer has a chat of its own.
        QTRY_VERIFY_WITH_TIMEOUT(w.transcript()->browser()->toPlainText().contains("# The parser reads"), kLoopMs);
        QVERIFY(!w.transcript()->browser()->toPlainText().contains("def square"));
        // The dock charted every configuration.
        QCOMPARE(w.performanceDock()->data().summaries().size(), 4);
        QVERIFY(kiosk.headline()->caption().contains("2 of 2"));
        QCOMPARE(kiosk.headline()->errorShown(), false);
    }

    void the_headline_shows_speed_up_and_memory_against_fp16() {
        q8ui::MainWindow w(kTarget, nullptr, dir_.filePath("headline"));
        q8ui::KioskPacing pacing = fastPacing();
        pacing.showMs = 60000;        // each finished answer stays, so the headline can be read
        pacing.idleResumeMs = 60000;  // and the click on Q4 below pauses the loop for good
        KioskController kiosk(w, testPrompts(), {kTarget, kDraft}, {}, pacing);
        QSignalSpy finished(&kiosk, &KioskController::runFinished);
        kiosk.start();
        QVERIFY(finished.wait(kLoopMs));
        QTRY_COMPARE_WITH_TIMEOUT(kiosk.headline()->speedupShown(), QString("1.0×"), 2000);  // FP16 against itself
        QCOMPARE(kiosk.headline()->weightChangeShown(), QString("±0%"));
        QCOMPARE(kiosk.headline()->configurationText(), QString("FP16"));
        QVERIFY(kiosk.headline()->tokensPerSecondShown().toDouble() > 0);
        // Straight on to Q4 (as a visitor could), then the loop's next step shows it.
        QTest::mouseClick(w.configurationSwitch()->button(Configuration::Q4), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(w.loadedModel().configuration, Configuration::Q4, kLoopMs);
        QTRY_VERIFY_WITH_TIMEOUT(kiosk.headline()->weightChangeShown().startsWith("−"), 2000);
        const int saved = kiosk.headline()->weightChangeShown().mid(1).chopped(1).toInt();
        QVERIFY2(saved >= 50 && saved <= 90, qPrintable(kiosk.headline()->weightChangeShown()));
    }

    void an_error_is_shown_for_a_while_and_the_loop_goes_on() {
        // Every save fails (the chats "folder" is a file: a full or read-only disk looks the same
        // to the app) and the draft is not a model, so Q4+spec cannot load.
        const QString notADir = dir_.filePath("chats-is-a-file");
        writeFile(notADir, "x");
        const QString badDraft = dir_.filePath("bad-draft.gguf");
        writeFile(badDraft, "not a model");
        q8ui::MainWindow w(kTarget, nullptr, notADir);
        KioskController kiosk(w, testPrompts(), {kTarget, badDraft}, {}, fastPacing());
        QSignalSpy started(&kiosk, &KioskController::stepStarted);
        QSignalSpy errors(&kiosk, &KioskController::errorShown);
        kiosk.start();
        QTRY_VERIFY_WITH_TIMEOUT(!errors.isEmpty(), kLoopMs);
        QVERIFY(kiosk.headline()->errorShown());
        QVERIFY2(kiosk.headline()->errorText().contains("save"), qPrintable(kiosk.headline()->errorText()));
        // Q4+spec fails, and with nobody touching anything the next prompt starts from FP16.
        QTRY_VERIFY_WITH_TIMEOUT(steps(started).contains(Step(1, Configuration::Fp16)), kLoopMs);
        QVERIFY(!steps(started).contains(Step(0, Configuration::Q4Spec)));
        bool draftError = false;
        for (const QList<QVariant>& e : errors) draftError |= e[0].toString().contains("Q4+spec");
        QVERIFY2(draftError, qPrintable(errors.last()[0].toString()));
    }

    void a_visitor_pauses_the_loop_and_it_resumes_after_the_idle_time() {
        q8ui::MainWindow w(kTarget, nullptr, dir_.filePath("visitor"));
        q8ui::KioskPacing pacing = fastPacing();
        pacing.answerTokens = 400;  // still streaming when the visitor arrives
        KioskController kiosk(w, testPrompts(), {kTarget, kDraft}, {}, pacing);
        QSignalSpy started(&kiosk, &KioskController::stepStarted);
        kiosk.start();
        QTRY_COMPARE_WITH_TIMEOUT(kiosk.state(), KioskController::State::Answering, kLoopMs);
        QSignalSpy ended(&w, &q8ui::MainWindow::answerEnded);
        // Typed wherever the focus is (here the transcript), the keys reach the prompt.
        QTest::keyClicks(w.transcript()->browser(), "x = 1");
        QCOMPARE(kiosk.state(), KioskController::State::Visitor);
        QVERIFY(ended.wait(5000));  // the demo's answer stopped
        QVERIFY(kiosk.headline()->caption().contains("Your turn"));
        QCOMPARE(w.promptBox()->toPlainText(), QString("x = 1"));  // nothing typed is lost
        QTest::keyClick(w.promptBox(), Qt::Key_Return);            // Enter sends in the kiosk
        QVERIFY(ended.wait(kLoopMs));
        // The visitor's prompt started a chat of its own.
        QCOMPARE(w.currentChat().messages.first().text, QString("x = 1"));
        QCOMPARE(w.currentChat().messages.size(), 2);
        const int before = int(started.size());
        QElapsedTimer quiet;
        quiet.start();
        QTRY_VERIFY_WITH_TIMEOUT(started.size() > before, kLoopMs);
        QVERIFY2(quiet.elapsed() >= fastPacing().idleResumeMs - 200, qPrintable(QString::number(quiet.elapsed())));
        QCOMPARE(steps(started).last(), Step(1, Configuration::Fp16));
    }

    void only_the_exit_shortcut_leaves() {
        q8ui::MainWindow w(kTarget, nullptr, dir_.filePath("exit"));
        KioskController kiosk(w, testPrompts(), {kTarget, kDraft}, {}, fastPacing());
        QSignalSpy granted(&kiosk, &KioskController::exitGranted);
        kiosk.start();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QVERIFY(!w.close());
        QVERIFY(w.isVisible());
        QTest::keyClick(w.promptBox(), Qt::Key_Q, Qt::ControlModifier);  // the hidden menu's Quit
        QVERIFY(w.isVisible());
        QVERIFY(granted.isEmpty());
        QTest::keyClick(w.promptBox(), Qt::Key_Q, Qt::ControlModifier | Qt::AltModifier | Qt::ShiftModifier);
        QCOMPARE(granted.size(), 1);
        QVERIFY(w.close());
    }

    void with_a_pin_set_leaving_asks_for_it() {
        q8ui::KioskSettings settings;
        QVERIFY(settings.setPin("4321"));
        q8ui::MainWindow w(kTarget, nullptr, dir_.filePath("pin"));
        KioskController kiosk(w, testPrompts(), {kTarget, kDraft}, settings, fastPacing());
        QSignalSpy granted(&kiosk, &KioskController::exitGranted);
        kiosk.start();
        QVERIFY(QTest::qWaitForWindowActive(&w));
        QTest::keyClick(w.promptBox(), Qt::Key_Q, Qt::ControlModifier | Qt::AltModifier | Qt::ShiftModifier);
        QVERIFY(granted.isEmpty());
        QPointer<q8ui::KioskPinDialog> pin = kiosk.pinDialog();
        QVERIFY(pin != nullptr && pin->isVisible());
        QTest::keyClicks(pin->pinEdit(), "1111");
        QTest::keyClick(pin->pinEdit(), Qt::Key_Return);
        QVERIFY(granted.isEmpty());
        QVERIFY2(pin->message()->text().contains("Wrong"), qPrintable(pin->message()->text()));
        QVERIFY(!w.close());
        QTest::keyClicks(pin->pinEdit(), "4321");
        QTest::keyClick(pin->pinEdit(), Qt::Key_Return);
        QCOMPARE(granted.size(), 1);
        QTRY_VERIFY(pin == nullptr);  // closed and gone
        QVERIFY(w.close());

        // Three wrong PINs close the prompt, and so does leaving it untouched: the kiosk never
        // waits behind it.
        q8ui::MainWindow w2(kTarget, nullptr, dir_.filePath("pin2"));
        q8ui::KioskPacing pacing = fastPacing();
        pacing.pinIdleMs = 300;
        KioskController kiosk2(w2, testPrompts(), {kTarget, kDraft}, settings, pacing);
        QSignalSpy granted2(&kiosk2, &KioskController::exitGranted);
        kiosk2.start();
        QVERIFY(QTest::qWaitForWindowActive(&w2));
        QTest::keyClick(w2.promptBox(), Qt::Key_Q, Qt::ControlModifier | Qt::AltModifier | Qt::ShiftModifier);
        pin = kiosk2.pinDialog();
        QVERIFY(pin != nullptr);
        for (int i = 0; i < q8ui::KioskPinDialog::kAttempts; ++i) {
            QTest::keyClicks(pin->pinEdit(), "0000");
            QTest::keyClick(pin->pinEdit(), Qt::Key_Return);
        }
        QTRY_VERIFY(pin == nullptr);
        QVERIFY(QTest::qWaitForWindowActive(&w2));  // the kiosk has the keyboard again
        QTest::keyClick(w2.promptBox(), Qt::Key_Q, Qt::ControlModifier | Qt::AltModifier | Qt::ShiftModifier);
        pin = kiosk2.pinDialog();
        QVERIFY(pin != nullptr);
        QTRY_VERIFY_WITH_TIMEOUT(pin == nullptr, 3000);
        QVERIFY(granted2.isEmpty());
        QVERIFY(w2.isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(!w2.isBusy(), kLoopMs);
    }

    void soak_writes_memory_and_tokens_per_second_as_json() {
        QTemporaryDir home;
        QVERIFY(QDir().mkpath(home.filePath("config/q8chat")));
        writeFile(home.filePath("config/q8chat/q8chat.conf"), "[engine]\nthreads=1\n");
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("HOME", home.path());
        env.insert("XDG_CONFIG_HOME", home.filePath("config"));
        env.insert("XDG_CACHE_HOME", home.filePath("cache"));
        env.insert("XDG_DATA_HOME", home.filePath("data"));
        env.insert("QT_QPA_PLATFORM", "offscreen");
        // To stdout, which then holds the report alone (messages go to stderr).
        QProcess app;
        app.setProcessEnvironment(env);
        app.start(Q8CHAT_PATH, {"--kiosk", "--soak", QString::number(12 * waitScale())});
        QVERIFY(app.waitForFinished(kLoopMs));
        QVERIFY2(app.exitStatus() == QProcess::NormalExit && app.exitCode() == 0,
                 app.readAllStandardError().constData());
        QJsonParseError parse;
        const QJsonObject json = QJsonDocument::fromJson(app.readAllStandardOutput(), &parse).object();
        QVERIFY2(parse.error == QJsonParseError::NoError, qPrintable(parse.errorString()));
        QCOMPARE(json["format"].toString(), QString("q8chat.kiosk-soak"));
        const QJsonArray samples = json["samples"].toArray();
        QVERIFY2(samples.size() >= 10, qPrintable(QString::number(samples.size())));
        double fastest = 0;
        for (const QJsonValue& s : samples) {
            QVERIFY(s["resident_mib"].toDouble() > 0);
            fastest = std::max(fastest, s["decode_tokens_per_s"].toDouble());
        }
        QVERIFY(fastest > 0);
        const QJsonArray runs = json["runs"].toArray();
        QVERIFY(!runs.isEmpty());
        QCOMPARE(runs[0]["configuration"].toString(), QString("FP16"));
        QVERIFY(runs[0]["decode_tokens_per_s"].toDouble() > 0);
        QVERIFY(json["summary"]["resident_mib_max"].toDouble() > 0);
        // The demo's chats stay in the cache folder, never among the user's.
        QVERIFY(!QDir(home.filePath("cache/q8chat/q8chat/kiosk-chats")).entryList({"*.json"}).isEmpty());
        QVERIFY(!QDir(home.filePath("data/q8chat/q8chat/chats")).exists());

        // To a file; one that cannot be written is said, with a failing exit code.
        const QString report = home.filePath("soak.json");
        for (const QString& file : {report, home.filePath("no-such-folder/soak.json")}) {
            QProcess toFile;
            toFile.setProcessEnvironment(env);
            toFile.start(Q8CHAT_PATH, {"--kiosk", "--soak", "1", "--soak-output", file});
            QVERIFY(toFile.waitForFinished(kLoopMs));
            if (file == report) {
                QCOMPARE(toFile.exitCode(), 0);
                QVERIFY(QJsonDocument::fromJson(readFile(report))["samples"].toArray().size() >= 1);
            } else {
                QCOMPARE(toFile.exitCode(), 1);
                QVERIFY(toFile.readAllStandardError().contains("no-such-folder"));
            }
        }

        // Bad arguments are explained, not run.
        for (const QStringList& args :
             {QStringList{"--kiosk", "--soak", "soon"}, QStringList{"--soak", "5"}, QStringList{"--kiosk", kTarget}}) {
            QProcess bad;
            bad.setProcessEnvironment(env);
            bad.start(Q8CHAT_PATH, args);
            QVERIFY(bad.waitForFinished(20000));
            QCOMPARE(bad.exitCode(), 2);
            QVERIFY(!bad.readAllStandardError().isEmpty());
        }
    }
};

QTEST_MAIN(TestKiosk)
#include "test_kiosk.moc"
