#include "q8chat_kiosk.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <QApplication>
#include <QStandardPaths>
#include <memory>

#include <q8/error.h>

#include "kiosk_controller.h"
#include "kiosk_models.h"
#include "kiosk_prompts.h"
#include "kiosk_soak.h"
#include "main_window.h"
#include "scaled_demo.h"

namespace q8app {

int runKiosk(const KioskOptions& options) {
    // stdout may carry the soak's report: messages go to stderr (the engine logs from its thread).
    spdlog::set_default_logger(spdlog::stderr_color_mt("q8chat"));
    BuiltinModels models;
    QString promptsFile;
    try {
        models = kiosk_models(q8ui::scaledDemoPath(q8ui::scaledDemoShape()).toStdString());
        promptsFile = QString::fromStdString(kiosk_prompts_file());
    } catch (const q8::EngineError& e) {
        spdlog::error("kiosk: {}", e.what());
        return 1;
    }
    QString error;
    const QVector<q8ui::KioskPrompt> prompts = q8ui::loadKioskPrompts(promptsFile, &error);
    if (prompts.isEmpty()) {
        spdlog::error("kiosk: {}", error.toStdString());
        return 1;
    }
    const q8ui::KioskSettings settings = q8ui::KioskSettings::load();
    q8ui::KioskPacing pacing;
    pacing.idleResumeMs = settings.idleResumeSeconds * 1000;
    // Demo chats are throwaway: kept apart from the user's, in the cache, and pruned as it runs.
    const QString chats = options.chatsDir.isEmpty()
                              ? QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + "/kiosk-chats"
                              : options.chatsDir;
    const q8ui::KioskModelPaths paths{QString::fromStdString(models.target), QString::fromStdString(models.draft)};
    q8ui::MainWindow window(paths.target, nullptr, chats);
    q8ui::KioskController kiosk(window, prompts, paths, settings, pacing);
    QObject::connect(&kiosk, &q8ui::KioskController::exitGranted, qApp, &QApplication::quit);
    kiosk.start();

    std::unique_ptr<q8ui::KioskSoak> soak;
    if (options.soakSeconds > 0) {
        soak = std::make_unique<q8ui::KioskSoak>(kiosk, window, options.soakSeconds);
        QObject::connect(soak.get(), &q8ui::KioskSoak::finished, qApp, [&soak, &options] {
            QString why;
            const bool ok = q8ui::writeSoakReport(soak->report(), options.soakOutput, &why);
            if (!ok) spdlog::error("kiosk soak: {}", why.toStdString());
            QApplication::exit(ok ? 0 : 1);
        });
        soak->start();
    }
    return QApplication::exec();
}

}  // namespace q8app
