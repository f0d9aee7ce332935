// Arbitrary bytes as a saved chat file, read by the loader the app runs at start. The loader must
// either load the chat or move the file aside; a chat it loads must save and load back unchanged
// (otherwise the next autosave would write a file the next start moves aside) and export.
#include <cstddef>
#include <cstdint>

#include <spdlog/spdlog.h>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>

#include "chat_store.h"

namespace {

QTemporaryDir& workDir() {
    static QTemporaryDir dir;
    return dir;
}

void emptyFolder(const QString& path) {
    QDir folder(path);
    for (const QString& name : folder.entryList(QDir::Files | QDir::Hidden)) folder.remove(name);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    spdlog::set_level(spdlog::level::off);
    if (!workDir().isValid()) __builtin_trap();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const QString loadDir = workDir().filePath("load");
    const QString saveDir = workDir().filePath("save");
    QDir().mkpath(loadDir);
    {
        QFile file(QDir(loadDir).filePath("20261203-120000-abcd.json"));
        if (!file.open(QIODevice::WriteOnly)) __builtin_trap();
        file.write(reinterpret_cast<const char*>(data), static_cast<qint64>(size));
    }
    const q8ui::LoadResult loaded = q8ui::loadChats(loadDir);
    if (loaded.chats.size() + loaded.unreadable.size() != 1) __builtin_trap();
    for (const q8ui::Chat& chat : loaded.chats) {
        QString why;
        if (!q8ui::saveChat(saveDir, chat, &why)) __builtin_trap();
        const q8ui::LoadResult again = q8ui::loadChats(saveDir);
        if (again.chats.size() != 1) __builtin_trap();
        if (q8ui::chatToJson(again.chats.front()) != q8ui::chatToJson(chat)) __builtin_trap();
        (void)q8ui::chatToMarkdown(chat);
    }
    emptyFolder(loadDir);
    emptyFolder(saveDir);
    return 0;
}
