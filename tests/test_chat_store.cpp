// Saved chats: every field survives a save and a load, an unreadable file is moved aside (its bytes
// kept) while the rest still load, saves replace atomically, deletes remove, the Markdown export
// carries the figures and the text verbatim, and the chat list keeps newest first with a title
// search.
#include <spdlog/spdlog.h>
#include <QAbstractItemModelTester>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

#include "chat_list_model.h"
#include "chat_store.h"
#include "file_size_limit.h"

using namespace q8ui;

namespace {

const QString kCode =
    "```python\ndef fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + "
    "fibonacci(n - 2)\n```";

QDateTime at(int minute) { return QDateTime(QDate(2026, 12, 2), QTime(15, minute, 12, 345)); }

// A chat that sets every field, with text a careless writer would mangle.
Chat fullChat() {
    Chat chat;
    chat.id = "20261202-153012-4f2a";
    chat.title = "Fibonacci — «naïve» 数列 🚀";
    chat.created = at(30);
    chat.updated = at(31);
    chat.systemPrompt = "You write Python.\nAnswer with code only.\t\"quoted\" \\ back\\slash";
    chat.completionMode = true;

    ChatMessage system{Role::System, "Be brief.", MessageState::Complete, QString(), {}, {}};
    ChatMessage user{Role::User,
                     "def fibonacci(n):\r\n  \"\"\"Ünïcödé, emoji 🐍, NUL-free\"\"\"\n",
                     MessageState::Complete,
                     QString(),
                     {},
                     {}};
    ChatMessage answer{
        Role::Assistant, "Here it is:\n\n" + kCode + "\n", MessageState::Stopped, "context full", {}, {}};
    answer.figures.decodeTokensPerSecond = 52.123456789;
    answer.figures.promptTokensPerSecond = 850.0000001;
    answer.figures.timeToFirstTokenSeconds = 0.1149;
    answer.figures.promptTokens = 12;
    answer.figures.generatedTokens = 256;
    answer.figures.configuration = "Q4+spec";
    answer.figures.peakResidentBytes = 720LL * 1024 * 1024 + 123;
    answer.figures.drafted = 120;
    answer.figures.accepted = 111;
    answer.figures.sampling = "temp 0.8, top-k 40, top-p 0.95, min-p 0.05, seed 0";
    answer.draftSpans = {{0, 4}, {9, 3}};
    answer.figures.record =
        QJsonObject{{"cpu_model", "AMD EPYC"},
                    {"threads", 2},
                    {"amx", false},
                    {"model", QJsonObject{{"name", "demo-target.gguf"}, {"xxh3", "f292130dd2a9e334"}}},
                    {"draft", QJsonValue::Null}};
    ChatMessage failed{Role::Assistant, "", MessageState::Failed, "out of memory", {}, {}};
    failed.figures.configuration = "FP16";
    failed.figures.sampling = "greedy";
    ChatMessage streaming{Role::Assistant, "partial", MessageState::Streaming, QString(), {}, {}};
    chat.messages = {system, user, answer, failed, streaming};
    return chat;
}

Chat simpleChat(const QString& id, const QString& title, const QDateTime& updated) {
    Chat chat;
    chat.id = id;
    chat.title = title;
    chat.created = updated.addSecs(-60);
    chat.updated = updated;
    chat.messages = {ChatMessage{Role::User, "hello " + title, MessageState::Complete, QString(), {}, {}}};
    return chat;
}

void compareChats(const Chat& a, const Chat& b) {
    QCOMPARE(a.id, b.id);
    QCOMPARE(a.title, b.title);
    QCOMPARE(a.created, b.created);
    QCOMPARE(a.updated, b.updated);
    QCOMPARE(a.created.toMSecsSinceEpoch(), b.created.toMSecsSinceEpoch());
    QCOMPARE(a.systemPrompt, b.systemPrompt);
    QCOMPARE(a.completionMode, b.completionMode);
    QCOMPARE(a.messages.size(), b.messages.size());
    for (qsizetype i = 0; i < a.messages.size(); ++i) {
        const ChatMessage& x = a.messages[i];
        const ChatMessage& y = b.messages[i];
        QCOMPARE(x.role, y.role);
        QCOMPARE(x.text, y.text);
        QCOMPARE(x.state, y.state);
        QCOMPARE(x.note, y.note);
        QCOMPARE(x.figures.decodeTokensPerSecond, y.figures.decodeTokensPerSecond);
        QCOMPARE(x.figures.promptTokensPerSecond, y.figures.promptTokensPerSecond);
        QCOMPARE(x.figures.timeToFirstTokenSeconds, y.figures.timeToFirstTokenSeconds);
        QCOMPARE(x.figures.promptTokens, y.figures.promptTokens);
        QCOMPARE(x.figures.generatedTokens, y.figures.generatedTokens);
        QCOMPARE(x.figures.configuration, y.figures.configuration);
        QCOMPARE(x.figures.peakResidentBytes, y.figures.peakResidentBytes);
        QCOMPARE(x.figures.drafted, y.figures.drafted);
        QCOMPARE(x.figures.accepted, y.figures.accepted);
        QCOMPARE(x.figures.sampling, y.figures.sampling);
        QCOMPARE(x.figures.record, y.figures.record);
        QCOMPARE(x.draftSpans, y.draftSpans);
    }
}

QByteArray readBytes(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeBytes(const QString& path, const QByteArray& bytes) {
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(bytes), bytes.size());
}

QStringList filesIn(const QString& dir) { return QDir(dir).entryList(QDir::Files, QDir::Name); }

QStringList titlesOf(const QAbstractItemModel& model) {
    QStringList titles;
    for (int row = 0; row < model.rowCount(); ++row) titles << model.index(row, 0).data().toString();
    return titles;
}

}  // namespace

class TestChatStore : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { spdlog::set_level(spdlog::level::err); }

    void json_round_trip_keeps_every_field() {
        const Chat chat = fullChat();
        QString error;
        const Chat back = chatFromJson(chatToJson(chat), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        compareChats(back, chat);
    }

    // Drafted spans are derived data: ones that overlap or leave the text are dropped, and the
    // chat still loads.
    void draft_spans_that_do_not_fit_the_text_are_dropped() {
        QJsonObject json = chatToJson(fullChat());
        QJsonArray messages = json["messages"].toArray();
        QJsonObject answer = messages[2].toObject();
        const int size = int(answer["text"].toString().size());
        answer["draft_spans"] = QJsonArray{QJsonArray{0, 4},        QJsonArray{2, 3},   QJsonArray{5, 0},
                                           QJsonArray{size - 1, 2}, QJsonArray{"x", 1}, QJsonArray{6, 2}};
        messages[2] = answer;
        json["messages"] = messages;
        QString error;
        const Chat back = chatFromJson(json, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(back.messages[2].draftSpans, (QVector<TextSpan>{{0, 4}, {6, 2}}));
    }

    void save_and_load_keep_every_field() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("chats");  // saveChat creates it
        const Chat chat = fullChat();
        QString error;
        QVERIFY2(saveChat(dir, chat, &error), qPrintable(error));
        QCOMPARE(filesIn(dir), QStringList{chat.id + ".json"});

        const QJsonObject json = QJsonDocument::fromJson(readBytes(chatFilePath(dir, chat.id))).object();
        QCOMPARE(json.value("format").toString(), QString(kChatFormatName));
        QCOMPARE(json.value("version").toInt(), kChatFormatVersion);
        const QRegularExpression isoUtc(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");
        QVERIFY(isoUtc.match(json.value("created").toString()).hasMatch());
        QVERIFY(isoUtc.match(json.value("updated").toString()).hasMatch());
        QCOMPARE(QDateTime::fromString(json.value("created").toString(), Qt::ISODateWithMs), chat.created);

        const LoadResult loaded = loadChats(dir);
        QVERIFY(loaded.unreadable.isEmpty());
        QCOMPARE(loaded.chats.size(), 1);
        compareChats(loaded.chats[0], chat);
        QCOMPARE(loaded.chats[0].created.timeSpec(), Qt::LocalTime);
    }

    void missing_folder_holds_no_chats() {
        QTemporaryDir tmp;
        const LoadResult loaded = loadChats(tmp.filePath("absent"));
        QVERIFY(loaded.chats.isEmpty());
        QVERIFY(loaded.unreadable.isEmpty());
    }

    void unreadable_files_are_moved_aside_and_the_rest_load() {
        QTemporaryDir tmp;
        const QString dir = tmp.path();
        static const char kGarbage[] = "\x00\xff\xfe{ not json at all \x01";
        QVERIFY(saveChat(dir, simpleChat("good-1", "Good one", at(1)), nullptr));
        QVERIFY(saveChat(dir, simpleChat("good-2", "Good two", at(2)), nullptr));

        QJsonObject newer = chatToJson(simpleChat("newer", "From the future", at(3)));
        newer.insert("version", kChatFormatVersion + 98);
        QJsonObject noMessages = chatToJson(simpleChat("no-messages", "x", at(4)));
        noMessages.remove("messages");
        QJsonObject badRole = chatToJson(simpleChat("bad-role", "x", at(5)));
        badRole.insert("messages", QJsonArray{QJsonObject{{"role", "wizard"}, {"text", "hi"}}});
        const QMap<QString, QByteArray> bad{
            {"garbage.json", QByteArray(kGarbage, sizeof kGarbage - 1)},
            {"empty.json", QByteArray()},
            {"array.json", "[1, 2, 3]"},
            {"other-format.json", R"({"format": "someone-else", "version": 1, "id": "x"})"},
            {"newer.json", QJsonDocument(newer).toJson()},
            {"no-messages.json", QJsonDocument(noMessages).toJson()},
            {"bad-role.json", QJsonDocument(badRole).toJson()},
        };
        for (auto it = bad.begin(); it != bad.end(); ++it) writeBytes(QDir(dir).filePath(it.key()), it.value());

        const LoadResult loaded = loadChats(dir);
        QCOMPARE(loaded.chats.size(), 2);
        QCOMPARE(loaded.chats[0].id, QString("good-2"));  // newest first
        QCOMPARE(loaded.chats[1].id, QString("good-1"));
        QCOMPARE(loaded.unreadable.size(), bad.size());

        const QRegularExpression asideName(R"(^(.+\.json)\.unreadable-\d{8}-\d{6}$)");
        for (const UnreadableChatFile& u : loaded.unreadable) {
            QVERIFY2(bad.contains(u.fileName), qPrintable(u.fileName));
            QVERIFY2(!u.reason.isEmpty(), qPrintable(u.fileName));
            const QRegularExpressionMatch m = asideName.match(u.movedTo);
            QVERIFY2(m.hasMatch(), qPrintable(u.movedTo));
            QCOMPARE(m.captured(1), u.fileName);
            QVERIFY(!QFile::exists(QDir(dir).filePath(u.fileName)));
            QCOMPARE(readBytes(QDir(dir).filePath(u.movedTo)), bad.value(u.fileName));  // never lost
        }
        const auto reasonOf = [&](const QString& name) {
            for (const UnreadableChatFile& u : loaded.unreadable)
                if (u.fileName == name) return u.reason;
            return QString();
        };
        QVERIFY2(reasonOf("garbage.json").contains("not JSON"), qPrintable(reasonOf("garbage.json")));
        QVERIFY2(reasonOf("array.json").contains("not a JSON object"), qPrintable(reasonOf("array.json")));
        QVERIFY2(reasonOf("other-format.json").contains("someone-else"), qPrintable(reasonOf("other-format.json")));
        QVERIFY2(reasonOf("newer.json").contains("version"), qPrintable(reasonOf("newer.json")));
        QVERIFY2(reasonOf("no-messages.json").contains("messages: missing"), qPrintable(reasonOf("no-messages.json")));
        QVERIFY2(reasonOf("bad-role.json").contains("messages[0].role"), qPrintable(reasonOf("bad-role.json")));

        // The files moved aside are not chats any more: the next start loads quietly.
        const LoadResult again = loadChats(dir);
        QCOMPARE(again.chats.size(), 2);
        QVERIFY(again.unreadable.isEmpty());
    }

    void a_second_unreadable_file_in_the_same_second_gets_its_own_name() {
        QTemporaryDir tmp;
        const QString path = QDir(tmp.path()).filePath("bad.json");
        writeBytes(path, "first");
        const LoadResult one = loadChats(tmp.path());
        writeBytes(path, "second");
        const LoadResult two = loadChats(tmp.path());
        QCOMPARE(one.unreadable.size(), 1);
        QCOMPARE(two.unreadable.size(), 1);
        QVERIFY(one.unreadable[0].movedTo != two.unreadable[0].movedTo);
        QCOMPARE(readBytes(QDir(tmp.path()).filePath(one.unreadable[0].movedTo)), QByteArray("first"));
        QCOMPARE(readBytes(QDir(tmp.path()).filePath(two.unreadable[0].movedTo)), QByteArray("second"));
    }

    void saving_again_replaces_the_chat() {
        QTemporaryDir tmp;
        Chat chat = simpleChat("c", "Before", at(1));
        QVERIFY(saveChat(tmp.path(), chat, nullptr));
        chat.title = "After";
        chat.updated = at(2);
        chat.messages.append(ChatMessage{Role::Assistant, "an answer", MessageState::Complete, QString(), {}, {}});
        QVERIFY(saveChat(tmp.path(), chat, nullptr));

        QCOMPARE(filesIn(tmp.path()), QStringList{"c.json"});  // no temporary file left behind
        const LoadResult loaded = loadChats(tmp.path());
        QCOMPARE(loaded.chats.size(), 1);
        compareChats(loaded.chats[0], chat);
    }

    void save_refuses_what_it_could_not_load_back() {
        QTemporaryDir tmp;
        QString error;
        for (const QString& id : {QString(), QString("../escape"), QString(".hidden"), QString("a/b")}) {
            QVERIFY2(!saveChat(tmp.path(), simpleChat(id, "x", at(1)), &error), qPrintable(id));
            QVERIFY(!error.isEmpty());
        }
        Chat undated = simpleChat("undated", "x", at(1));
        undated.updated = QDateTime();
        error.clear();
        QVERIFY(!saveChat(tmp.path(), undated, &error));
        QVERIFY2(error.contains("updated"), qPrintable(error));
        QVERIFY(filesIn(tmp.path()).isEmpty());
        QVERIFY(QDir(tmp.path()).entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty());
    }

    void a_copied_file_is_known_by_its_file_name() {
        QTemporaryDir tmp;
        QVERIFY(saveChat(tmp.path(), simpleChat("original", "x", at(1)), nullptr));
        QVERIFY(QFile::copy(chatFilePath(tmp.path(), "original"), chatFilePath(tmp.path(), "copy")));
        const LoadResult loaded = loadChats(tmp.path());
        QCOMPARE(loaded.chats.size(), 2);
        QStringList ids{loaded.chats[0].id, loaded.chats[1].id};
        ids.sort();
        QCOMPARE(ids, (QStringList{"copy", "original"}));
    }

    void deleting_removes_the_file() {
        QTemporaryDir tmp;
        const Chat keep = simpleChat("keep", "Keep", at(1));
        const Chat gone = simpleChat("gone", "Gone", at(2));
        QVERIFY(saveChat(tmp.path(), keep, nullptr));
        QVERIFY(saveChat(tmp.path(), gone, nullptr));
        QVERIFY(deleteChat(tmp.path(), gone.id));
        QVERIFY(!QFile::exists(chatFilePath(tmp.path(), gone.id)));
        const LoadResult loaded = loadChats(tmp.path());
        QCOMPARE(loaded.chats.size(), 1);
        QCOMPARE(loaded.chats[0].id, keep.id);

        QVERIFY(deleteChat(tmp.path(), gone.id));  // already gone
        QString error;
        QVERIFY(!deleteChat(tmp.path(), "../keep", &error));
        QVERIFY(!error.isEmpty());

        // Undo re-saves the Chat the window kept in memory.
        QVERIFY(saveChat(tmp.path(), gone, nullptr));
        QCOMPARE(loadChats(tmp.path()).chats.size(), 2);
    }

    void markdown_carries_the_figures_and_the_text_verbatim() {
        const QString md = chatToMarkdown(fullChat());
        QVERIFY(md.startsWith("# Fibonacci — «naïve» 数列 🚀\n"));
        for (const QString& expected : {
                 QString("Answer with code only."),
                 QString("## System"),
                 QString("## User"),
                 QString("## Assistant"),
                 kCode,
                 QString("Q4+spec"),
                 QString("52.1 tok/s decode"),
                 QString("prompt 850.0 tok/s"),
                 QString("TTFT 0.11 s"),
                 QString("256 tokens generated, 12 prompt tokens"),
                 QString("peak 720 MiB"),
                 QString("accepted 111/120 drafted (92.5%)"),
                 QString("sampling: temp 0.8, top-k 40, top-p 0.95, min-p 0.05, seed 0"),
                 QString("Stopped: context full"),
                 QString("Failed: out of memory"),
                 QString("completion mode"),
             }) {
            QVERIFY2(md.contains(expected), qPrintable("missing: " + expected + "\n---\n" + md));
        }
        // The failed answer names its configuration but says nothing about acceptance.
        QCOMPARE(md.count("accepted"), 1);
    }

    void markdown_closes_a_code_fence_a_stopped_answer_left_open() {
        Chat chat = simpleChat("c", "Open fence", at(1));
        chat.messages.append(
            ChatMessage{Role::Assistant, "```python\nwhile True:\n    pass", MessageState::Stopped, QString(), {}, {}});
        chat.messages.append(ChatMessage{Role::User, "next", MessageState::Complete, QString(), {}, {}});
        const QString md = chatToMarkdown(chat);
        QVERIFY2(md.contains("    pass\n```\n\n*Stopped*\n\n## User\n\nnext"), qPrintable(md));
    }

    void export_writes_markdown_and_json() {
        QTemporaryDir tmp;
        const Chat chat = fullChat();
        QString error;
        const QString md = tmp.filePath("out/chat.md");
        QVERIFY(!exportChat(chat, md, ExportFormat::Markdown, &error));  // no such folder: said, not crashed
        QVERIFY(!error.isEmpty());
        QVERIFY(QDir(tmp.path()).mkpath("out"));
        QVERIFY2(exportChat(chat, md, ExportFormat::Markdown, &error), qPrintable(error));
        QCOMPARE(QString::fromUtf8(readBytes(md)), chatToMarkdown(chat));

        const QString json = tmp.filePath("out/chat.json");
        QVERIFY2(exportChat(chat, json, ExportFormat::Json, &error), qPrintable(error));
        error.clear();
        compareChats(chatFromJson(QJsonDocument::fromJson(readBytes(json)).object(), &error), chat);
        QVERIFY2(error.isEmpty(), qPrintable(error));
    }

    // A disk that fills up while the autosave or an export writes: the write is refused with a
    // reason, the previous file stays whole and no partial file is left beside it.
    void full_disk_keeps_the_previous_file_whole() {
        QTemporaryDir tmp;
        const QString dir = tmp.filePath("chats");
        Chat chat = fullChat();
        QString error;
        QVERIFY2(saveChat(dir, chat, &error), qPrintable(error));
        const QString md = tmp.filePath("chat.md");
        QVERIFY2(exportChat(chat, md, ExportFormat::Markdown, &error), qPrintable(error));
        const QByteArray savedBefore = readBytes(chatFilePath(dir, chat.id));
        const QByteArray exportedBefore = readBytes(md);

        chat.messages[0].text += QString(64 * 1024, QLatin1Char('x'));  // larger than the room left
        {
            const q8test::FileSizeLimit full(16 * 1024);
            QVERIFY(full.ok());
            error.clear();
            QVERIFY(!saveChat(dir, chat, &error));
            QVERIFY(!error.isEmpty());
            error.clear();
            QVERIFY(!exportChat(chat, md, ExportFormat::Markdown, &error));
            QVERIFY(!error.isEmpty());
        }
        QCOMPARE(readBytes(chatFilePath(dir, chat.id)), savedBefore);
        QCOMPARE(readBytes(md), exportedBefore);
        QCOMPARE(filesIn(dir), QStringList{chat.id + ".json"});
        QCOMPARE(QDir(tmp.path()).entryList(QDir::Files | QDir::Hidden), QStringList{"chat.md"});
    }

    void new_ids_are_time_based_and_file_name_safe() {
        const QRegularExpression form(R"(^\d{8}-\d{6}-[0-9a-f]{4}$)");
        QSet<QString> ids;
        for (int i = 0; i < 20; ++i) {
            const QString id = newChatId();
            QVERIFY2(form.match(id).hasMatch(), qPrintable(id));
            ids.insert(id);
        }
        QVERIFY(ids.size() > 1);
        QVERIFY(newChatId().startsWith(QDate::currentDate().toString("yyyyMMdd")));
    }

    void default_title_is_the_first_words() {
        Chat chat;
        QCOMPARE(defaultTitle(chat), QString("New chat"));
        chat.messages.append(ChatMessage{Role::System, "system text", MessageState::Complete, QString(), {}, {}});
        chat.messages.append(ChatMessage{Role::User, "  \n ", MessageState::Complete, QString(), {}, {}});
        QCOMPARE(defaultTitle(chat), QString("New chat"));
        chat.messages.append(
            ChatMessage{Role::User, "  def\n  fibonacci(n):  ", MessageState::Complete, QString(), {}, {}});
        QCOMPARE(defaultTitle(chat), QString("def fibonacci(n):"));

        chat.messages.last().text = "Write a function that returns the n-th Fibonacci number quickly";
        const QString title = defaultTitle(chat);
        QCOMPARE(title, QString("Write a function that returns the n-th…"));
        QVERIFY(title.size() <= 40);

        chat.messages.last().text = QString(100, 'x');
        QCOMPARE(defaultTitle(chat), QString(39, 'x') + QChar(0x2026));
        chat.messages.last().text = QString("🐍").repeated(30);  // never cut inside a surrogate pair
        const QString snakes = defaultTitle(chat);
        QVERIFY(!snakes.chopped(1).back().isHighSurrogate());
        QCOMPARE(snakes, QString("🐍").repeated(19) + QChar(0x2026));
    }

    void list_model_sorts_newest_first_and_resorts_on_update() {
        ChatListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setChats(
            {simpleChat("b", "Bravo", at(2)), simpleChat("a", "Alpha", at(1)), simpleChat("c", "Charlie", at(3))});
        QCOMPARE(titlesOf(model), (QStringList{"Charlie", "Bravo", "Alpha"}));
        QCOMPARE(model.index(0).data(ChatListModel::IdRole).toString(), QString("c"));
        QCOMPARE(model.index(0).data(ChatListModel::UpdatedRole).toDateTime(), at(3));
        QVERIFY(model.index(0).data(Qt::ToolTipRole).toString().contains("2026"));
        QVERIFY(model.roleNames().contains(ChatListModel::IdRole));

        QSignalSpy moved(&model, &QAbstractItemModel::rowsMoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);

        Chat alpha = *model.chat("a");
        alpha.updated = at(10);
        alpha.title = "Alpha, updated";
        model.upsert(alpha);  // last to first
        QCOMPARE(titlesOf(model), (QStringList{"Alpha, updated", "Charlie", "Bravo"}));
        QCOMPARE(moved.size(), 1);
        QCOMPARE(changed.size(), 1);

        Chat bravo = *model.chat("b");
        bravo.title = "Bravo, renamed";
        model.upsert(bravo);  // same time: stays where it is
        QCOMPARE(titlesOf(model), (QStringList{"Alpha, updated", "Charlie", "Bravo, renamed"}));
        QCOMPARE(moved.size(), 1);
        QCOMPARE(changed.size(), 2);

        Chat charlie = *model.chat("c");
        charlie.updated = at(0);
        model.upsert(charlie);  // middle to last
        QCOMPARE(titlesOf(model), (QStringList{"Alpha, updated", "Bravo, renamed", "Charlie"}));
        QCOMPARE(moved.size(), 2);

        model.upsert(simpleChat("d", "Delta", at(1)));
        QCOMPARE(titlesOf(model), (QStringList{"Alpha, updated", "Bravo, renamed", "Delta", "Charlie"}));
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(model.rowOf("d"), 2);

        QVERIFY(model.remove("b"));
        QVERIFY(!model.remove("b"));
        QVERIFY(!model.chat("b").has_value());
        QCOMPARE(model.chat("d")->title, QString("Delta"));
        QCOMPARE(titlesOf(model), (QStringList{"Alpha, updated", "Delta", "Charlie"}));
    }

    void an_untitled_chat_shows_its_first_words() {
        ChatListModel model;
        model.upsert(simpleChat("u", QString(), at(1)));
        QCOMPARE(model.index(0).data().toString(), QString("hello"));
    }

    void search_finds_titles_case_insensitively() {
        ChatListModel model;
        QSortFilterProxyModel* search = newChatSearchModel(&model, &model);
        QAbstractItemModelTester tester(search, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setChats({simpleChat("1", "Fibonacci numbers", at(1)), simpleChat("2", "Sorting a list", at(2)),
                        simpleChat("3", "more fib", at(3))});
        search->setFilterFixedString("FIB");
        QCOMPARE(titlesOf(*search), (QStringList{"more fib", "Fibonacci numbers"}));  // the list's order

        Chat sorting = *model.chat("2");
        sorting.title = "fIbonacci sort";
        sorting.updated = at(9);
        model.upsert(sorting);
        QCOMPARE(titlesOf(*search), (QStringList{"fIbonacci sort", "more fib", "Fibonacci numbers"}));

        search->setFilterFixedString("nothing like it");
        QCOMPARE(search->rowCount(), 0);
        search->setFilterFixedString(QString());
        QCOMPARE(search->rowCount(), 3);
    }
};

QTEST_MAIN(TestChatStore)
#include "test_chat_store.moc"
