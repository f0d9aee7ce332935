// The promise of the chat files, tested on the real app: "a killed app loses at most the last 2 s of
// an answer; a chat file is never left half-written". q8chat runs as a child process on the demo
// model with --prompt, is killed with SIGKILL at pseudo-random moments, and is started again on the
// same chats folder, so each run reopens the chat the last one left and adds to it. After every kill
// the folder must load without an unreadable file, nothing saved before must be gone, and a run that
// streamed for more than 2 s must have left its answer on disk.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <optional>

#include "chat_store.h"

namespace {

const QString kTarget = Q8_SOURCE_DIR "/resources/models/demo-target.gguf";
const QString kPrompt = "def fibonacci(n):";
constexpr int kRuns = 12;
constexpr quint32 kSeed = 20261203;
// Kill moments, from the child's start. The model is ready after about 0.5 s, so roughly half the
// runs stream past the first 2 s save and the rest die while loading, sending or streaming.
constexpr qint64 kEarliestKillMs = 300;
constexpr qint64 kLatestKillMs = 6000;
// The window saves every 2 s while an answer streams; the 0.5 s beyond leave room for the first
// token and the write on a busy machine.
constexpr qint64 kSavedByMs = 2500;
// In completion mode each prompt is the whole chat so far and must fit the 2048-token context
// (about 1.7 characters a token on the demo model). A chat longer than this is set aside after its
// run so the next prompt is short enough to be read and answered well inside 2 s.
constexpr qsizetype kSetAsideChars = 800;
constexpr int kQuitMs = 10000;
// MainWindow::onLoaded's status line, which the app logs once the model is ready (it then sends).
const QByteArray kModelReadyLog = "] Model: ";

qsizetype textLength(const q8ui::Chat& chat) {
    qsizetype n = 0;
    for (const q8ui::ChatMessage& m : chat.messages) n += m.text.size();
    return n;
}

// "" when `later` keeps everything `earlier` held: the same messages in order, each text the same
// or, for an answer that went on streaming, longer.
QString whatWasLost(const q8ui::Chat& earlier, const q8ui::Chat& later) {
    if (later.messages.size() < earlier.messages.size()) {
        return QString("chat %1 went from %2 messages to %3")
            .arg(earlier.id)
            .arg(earlier.messages.size())
            .arg(later.messages.size());
    }
    for (qsizetype i = 0; i < earlier.messages.size(); ++i) {
        const q8ui::ChatMessage& a = earlier.messages[i];
        const q8ui::ChatMessage& b = later.messages[i];
        if (a.role != b.role || !b.text.startsWith(a.text)) {
            return QString("chat %1, message %2: %3 characters saved before, now %4 that do not start with them")
                .arg(earlier.id)
                .arg(i)
                .arg(a.text.size())
                .arg(b.text.size());
        }
    }
    return {};
}

// Reads the chat files without loadChats, which would move a bad file aside under the running app.
// A file caught between two saves must still parse: QSaveFile replaces it whole.
QString readWhileRunning(const QString& dir, QHash<QString, q8ui::Chat>* seen) {
    const QDir folder(dir);
    for (const QString& name : folder.entryList({"*.json"}, QDir::Files)) {
        QFile file(folder.filePath(name));
        if (!file.open(QIODevice::ReadOnly)) continue;  // not there yet
        const QByteArray bytes = file.readAll();
        QJsonParseError parse;
        const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parse);
        if (parse.error != QJsonParseError::NoError) {
            return QString("%1 read as %2 bytes that are not JSON: %3")
                .arg(name)
                .arg(bytes.size())
                .arg(parse.errorString());
        }
        QString why;
        q8ui::Chat chat = q8ui::chatFromJson(doc.object(), &why);
        if (!why.isEmpty()) return QString("%1 is not a chat: %2").arg(name, why);
        chat.id = name.chopped(5);
        if (seen->contains(chat.id)) {
            const QString lost = whatWasLost(seen->value(chat.id), chat);
            if (!lost.isEmpty()) return lost;
        }
        seen->insert(chat.id, chat);
    }
    return {};
}

}  // namespace

class TestChatSurvivesKill : public QObject {
    Q_OBJECT
    QTemporaryDir home_;
    QString chatsDir_;
    QString setAsideDir_;
    QProcessEnvironment env_;

private slots:
    void initTestCase() {
        QVERIFY(home_.isValid());
        QVERIFY(QFileInfo::exists(kTarget));
        chatsDir_ = home_.filePath("chats");
        setAsideDir_ = home_.filePath("set-aside");
        QVERIFY(QDir().mkpath(setAsideDir_));
        // The child's QSettings and QStandardPaths live here, not in the user's home. A token limit
        // far beyond the context keeps the answer streaming until the kill.
        QVERIFY(QDir().mkpath(home_.filePath("config/q8chat")));
        QFile conf(home_.filePath("config/q8chat/q8chat.conf"));
        QVERIFY(conf.open(QIODevice::WriteOnly));
        conf.write("[generation]\nmaxTokens=100000\n\n[engine]\ncontextSize=2048\nthreads=1\n");
        conf.close();
        env_ = QProcessEnvironment::systemEnvironment();
        env_.insert("QT_QPA_PLATFORM", "offscreen");
        env_.insert("HOME", home_.path());
        env_.insert("XDG_CONFIG_HOME", home_.filePath("config"));
        env_.insert("XDG_DATA_HOME", home_.filePath("data"));
        env_.insert("XDG_CACHE_HOME", home_.filePath("cache"));
        env_.insert("XDG_RUNTIME_DIR", home_.path());
    }

    void killedAtRandomMomentsLosesNothingSaved() {
        QRandomGenerator rng(kSeed);
        QHash<QString, q8ui::Chat> seen;  // the newest version of each chat read from disk
        int provedSaves = 0;
        for (int run = 0; run < kRuns; ++run) {
            const q8ui::LoadResult before = q8ui::loadChats(chatsDir_);
            const std::optional<q8ui::Chat> opened =
                before.chats.isEmpty() ? std::nullopt : std::optional(before.chats.front());
            const qint64 killAt = qint64(rng.bounded(quint32(kEarliestKillMs), quint32(kLatestKillMs + 1)));

            QProcess app;
            app.setProcessEnvironment(env_);
            app.setProcessChannelMode(QProcess::MergedChannels);
            app.start(Q8CHAT_PATH, {kTarget, "--chats-dir", chatsDir_, "--prompt", kPrompt});
            QVERIFY2(app.waitForStarted(), qPrintable(app.errorString()));
            QElapsedTimer clock;
            clock.start();
            QByteArray log;
            qint64 readyAt = -1;
            // Until the kill: note when the model is ready and read every save the app makes.
            for (qint64 left = killAt; left > 0; left = killAt - clock.elapsed()) {
                app.waitForReadyRead(int(qMin<qint64>(left, 20)));
                log += app.readAll();
                if (readyAt < 0 && log.contains(kModelReadyLog)) readyAt = clock.elapsed();
                const QString bad = readWhileRunning(chatsDir_, &seen);
                QVERIFY2(bad.isEmpty(),
                         qPrintable(QString("run %1 at %2 ms: %3").arg(run).arg(clock.elapsed()).arg(bad)));
                QVERIFY2(app.state() == QProcess::Running, qPrintable("the app ended by itself:\n" + log));
            }
            app.kill();
            QVERIFY(app.waitForFinished(kQuitMs));

            const q8ui::LoadResult after = q8ui::loadChats(chatsDir_);
            for (const q8ui::UnreadableChatFile& f : after.unreadable) {
                QFAIL(
                    qPrintable(QString("run %1: %2 unreadable after the kill: %3").arg(run).arg(f.fileName, f.reason)));
            }
            for (const q8ui::Chat& chat : after.chats) {
                if (seen.contains(chat.id)) {
                    const QString lost = whatWasLost(seen.value(chat.id), chat);
                    QVERIFY2(lost.isEmpty(), qPrintable(QString("run %1: %2").arg(run).arg(lost)));
                }
                seen.insert(chat.id, chat);
            }
            for (auto it = seen.cbegin(); it != seen.cend(); ++it) {
                const bool kept = std::any_of(after.chats.cbegin(), after.chats.cend(),
                                              [&](const q8ui::Chat& c) { return c.id == it.key(); });
                QVERIFY2(kept, qPrintable(QString("run %1: chat %2 is gone").arg(run).arg(it.key())));
            }

            const bool streamedPastSave = readyAt >= 0 && killAt - readyAt >= kSavedByMs;
            const q8ui::Chat* newest = after.chats.isEmpty() ? nullptr : &after.chats.front();
            qInfo("run %d: killed at %lld ms, model ready at %lld ms; %s", run, killAt, readyAt,
                  newest ? qPrintable(QString("chat %1: %2 messages, %3 characters")
                                          .arg(newest->id)
                                          .arg(newest->messages.size())
                                          .arg(textLength(*newest)))
                         : "no chat yet");
            if (streamedPastSave) {
                ++provedSaves;
                QVERIFY2(newest, "an answer streamed for more than 2 s and no chat was saved");
                // The chat the app reopened (or a new one) with this run's prompt and answer after it.
                if (opened) QCOMPARE(newest->id, opened->id);
                const qsizetype expected = (opened ? opened->messages.size() : 0) + 2;
                QCOMPARE(newest->messages.size(), expected);
                const q8ui::ChatMessage& prompt = newest->messages[expected - 2];
                const q8ui::ChatMessage& answer = newest->messages[expected - 1];
                QCOMPARE(prompt.role, q8ui::Role::User);
                QCOMPARE(prompt.text, kPrompt);
                QCOMPARE(answer.role, q8ui::Role::Assistant);
                QVERIFY2(!answer.text.isEmpty(),
                         qPrintable(QString("run %1: the answer streamed for %2 ms but none of it was saved")
                                        .arg(run)
                                        .arg(killAt - readyAt)));
            }
            if (newest && textLength(*newest) > kSetAsideChars) {
                QVERIFY(QFile::rename(q8ui::chatFilePath(chatsDir_, newest->id),
                                      q8ui::chatFilePath(setAsideDir_, newest->id)));
                seen.remove(newest->id);
            }
        }
        // The seed must give the saves something to prove, or the test passes on kills alone.
        QVERIFY2(provedSaves >= 3, qPrintable(QString("only %1 runs streamed past a save").arg(provedSaves)));
    }
};

QTEST_GUILESS_MAIN(TestChatSurvivesKill)
#include "test_chat_survives_kill.moc"
