// q8chat: the desktop app. Opens the model named on the command line, else the one opened last,
// else the built-in demo model. --prompt sends a prompt once the model is loaded, as a user
// would; --screenshot saves the window as a PNG once that answer ends (or once the model is
// loaded) and quits, which is how the README's picture is made (also offscreen).
#include <spdlog/spdlog.h>
#include <QApplication>
#include <QCommandLineParser>
#include <QPushButton>
#include <QSettings>
#include <QTimer>

#include <q8/error.h>

#include "builtin_models.h"
#include "main_window.h"
#include "prompt_box.h"

namespace {

void sendWhenReady(q8ui::MainWindow& window, const QString& prompt) {
    QObject::connect(
        &window, &q8ui::MainWindow::modelReady, &window,
        [&window, prompt] {
            window.promptBox()->setPlainText(prompt);
            window.sendButton()->click();
        },
        Qt::SingleShotConnection);
}

// Saves the window once it has something to show: the answer to `prompt`, or the loaded model.
void screenshotWhenDone(q8ui::MainWindow& window, const QString& file, bool afterAnswer) {
    auto save = [&window, file] {
        // One more turn of the event loop, so the last text and figures are laid out.
        QTimer::singleShot(200, &window, [&window, file] {
            const bool ok = window.grab().save(file, "PNG");
            if (ok) {
                spdlog::info("saved the window to {}", file.toStdString());
            } else {
                spdlog::error("could not write {}", file.toStdString());
            }
            QApplication::exit(ok ? 0 : 1);
        });
    };
    if (afterAnswer) {
        QObject::connect(&window, &q8ui::MainWindow::answerEnded, &window, save, Qt::SingleShotConnection);
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
    const QCommandLineOption chats("chats-dir", "Keep saved chats in DIR instead of the user's data folder.", "DIR");
    parser.addOptions({prompt, screenshot, chats});
    parser.process(app);

    QString model = parser.positionalArguments().value(0);
    if (model.isEmpty() && QSettings().value("model/lastPath").toString().isEmpty()) {
        try {
            model = QString::fromStdString(q8app::builtin_models().target);
        } catch (const q8::EngineError& e) {
            spdlog::warn("{}", e.what());
        }
    }
    q8ui::MainWindow window(model, nullptr, parser.value(chats));
    if (parser.isSet(prompt)) sendWhenReady(window, parser.value(prompt));
    if (parser.isSet(screenshot)) screenshotWhenDone(window, parser.value(screenshot), parser.isSet(prompt));
    window.show();
    return QApplication::exec();
}
