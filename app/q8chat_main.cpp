// q8chat: the desktop app. Opens the model named on the command line, else the one opened last,
// else the built-in demo model. --prompt sends a prompt once the model is loaded, as a user
// would (--compare runs it through the four configurations instead); --screenshot saves the
// window as a PNG once that answer or comparison ends (or once the model is loaded) and quits,
// which is how the README's pictures are made (also offscreen). --kiosk runs the unattended
// demo instead (app/q8chat_kiosk.h).
#include <spdlog/spdlog.h>
#include <QAction>
#include <QApplication>
#include <QCommandLineParser>
#include <QPushButton>
#include <QSettings>
#include <QTimer>

#include <q8/error.h>

#include "builtin_models.h"
#include "compare_window.h"
#include "main_window.h"
#include "prompt_box.h"
#include "q8chat_kiosk.h"

namespace {

void sendWhenReady(q8ui::MainWindow& window, const QString& prompt, bool compare) {
    QObject::connect(
        &window, &q8ui::MainWindow::modelReady, &window,
        [&window, prompt, compare] {
            window.promptBox()->setPlainText(prompt);
            if (compare) {
                window.compareAction()->trigger();
            } else {
                window.sendButton()->click();
            }
        },
        Qt::SingleShotConnection);
}

bool savePng(QWidget& widget, const QString& file) {
    const bool ok = widget.grab().save(file, "PNG");
    if (ok) {
        spdlog::info("saved {} to {}", widget.windowTitle().toStdString(), file.toStdString());
    } else {
        spdlog::error("could not write {}", file.toStdString());
    }
    return ok;
}

// Saves the window once it has something to show: the answer to `prompt` (or its comparison, and
// then the comparison's window too, as FILE-compare.png), or the loaded model.
void screenshotWhenDone(q8ui::MainWindow& window, const QString& file, bool afterAnswer, bool compare) {
    auto save = [&window, file, compare] {
        // One more turn of the event loop, so the last text, figures and charts are laid out.
        QTimer::singleShot(400, &window, [&window, file, compare] {
            bool ok = savePng(window, file);
            if (compare && window.compareWindow() != nullptr) {
                QString stem = file;
                if (stem.endsWith(".png")) stem.chop(4);
                ok = savePng(*window.compareWindow(), stem + "-compare.png") && ok;
            }
            QApplication::exit(ok ? 0 : 1);
        });
    };
    if (afterAnswer) {
        QObject::connect(&window, compare ? &q8ui::MainWindow::compareEnded : &q8ui::MainWindow::answerEnded, &window,
                         save, Qt::SingleShotConnection);
    } else {
        QObject::connect(&window, &q8ui::MainWindow::modelReady, &window, save, Qt::SingleShotConnection);
    }
    // A model that cannot load still gives a picture: the window with the reason.
    QObject::connect(&window, &q8ui::MainWindow::modelFailed, &window, save, Qt::SingleShotConnection);
}

}  // namespace

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("q8chat");
    QApplication::setOrganizationName("q8chat");
    QApplication::setApplicationVersion(Q8_VERSION);
    QCommandLineParser parser;
    parser.setApplicationDescription("Chat with a GGUF model on the CPU");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("model",
                                 "GGUF model file (default: the one opened last, else the built-in demo model)");
    const QCommandLineOption prompt("prompt", "Send TEXT once the model is loaded.", "TEXT");
    const QCommandLineOption screenshot(
        "screenshot", "Save the window to FILE (PNG) when the answer to --prompt ends, or once loaded; then quit.",
        "FILE");
    const QCommandLineOption compare("compare", "With --prompt: run it through FP16, Q8, Q4 and Q4+spec instead.");
    const QCommandLineOption chats("chats-dir", "Keep saved chats in DIR instead of the user's data folder.", "DIR");
    const QCommandLineOption kiosk(
        "kiosk",
        "Run the unattended demo full screen: built-in prompts through the four configurations; a "
        "visitor can type at any time. Leave with Ctrl+Alt+Shift+Q (and the PIN set in Settings).");
    const QCommandLineOption soak("soak",
                                  "With --kiosk: run the demo for SECONDS, write memory and tokens/s over time "
                                  "as JSON, and exit.",
                                  "SECONDS");
    const QCommandLineOption soakOutput("soak-output", "With --soak: write the JSON to FILE instead of stdout.",
                                        "FILE");
    parser.addOptions({prompt, compare, screenshot, chats, kiosk, soak, soakOutput});
    parser.process(app);

    if (parser.isSet(kiosk)) {
        if (!parser.positionalArguments().isEmpty() || parser.isSet(prompt) || parser.isSet(compare) ||
            parser.isSet(screenshot)) {
            spdlog::error(
                "--kiosk runs its own models and prompts: it takes no model, --prompt, --compare or "
                "--screenshot");
            return 2;
        }
        q8app::KioskOptions options;
        options.chatsDir = parser.value(chats);
        options.soakOutput = parser.value(soakOutput);
        if (parser.isSet(soak)) {
            bool ok = false;
            options.soakSeconds = parser.value(soak).toDouble(&ok);
            if (!ok || !(options.soakSeconds > 0) || options.soakSeconds > 1e7) {
                spdlog::error("--soak takes a number of seconds above 0, not '{}'", parser.value(soak).toStdString());
                return 2;
            }
        } else if (parser.isSet(soakOutput)) {
            spdlog::error("--soak-output needs --soak SECONDS");
            return 2;
        }
        return q8app::runKiosk(options);
    }
    if (parser.isSet(soak) || parser.isSet(soakOutput)) {
        spdlog::error("--soak and --soak-output need --kiosk");
        return 2;
    }

    QString model = parser.positionalArguments().value(0);
    QString builtinTarget, builtinDraft;
    try {
        const q8app::BuiltinModels builtin = q8app::builtin_models();
        builtinTarget = QString::fromStdString(builtin.target);
        builtinDraft = QString::fromStdString(builtin.draft);
    } catch (const q8::EngineError& e) {
        spdlog::warn("{}", e.what());
    }
    if (model.isEmpty() && QSettings().value("model/lastPath").toString().isEmpty()) model = builtinTarget;
    q8ui::MainWindow window(model, nullptr, parser.value(chats));
    window.setBuiltinPair(builtinTarget, builtinDraft);
    if (parser.isSet(prompt)) sendWhenReady(window, parser.value(prompt), parser.isSet(compare));
    if (parser.isSet(screenshot))
        screenshotWhenDone(window, parser.value(screenshot), parser.isSet(prompt), parser.isSet(compare));
    window.show();
    return QApplication::exec();
}
