// q8chat: the desktop app. Opens the model named on the command line.
#include <spdlog/spdlog.h>
#include <QApplication>
#include <QCommandLineParser>
#include <QSettings>

#include <q8/error.h>

#include "builtin_models.h"

#include "main_window.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("q8chat");
    QApplication::setOrganizationName("q8chat");
    QCommandLineParser parser;
    parser.setApplicationDescription("Chat with a GGUF model on the CPU");
    parser.addHelpOption();
    parser.addPositionalArgument("model",
                                 "GGUF model file (default: the one opened last, else the built-in demo model)");
    parser.process(app);
    // The model named here, else the one opened last, else the built-in demo model.
    QString model = parser.positionalArguments().value(0);
    if (model.isEmpty() && QSettings().value("model/lastPath").toString().isEmpty()) {
        try {
            model = QString::fromStdString(q8app::builtin_models().target);
        } catch (const q8::EngineError& e) {
            spdlog::warn("{}", e.what());
        }
    }
    q8ui::MainWindow window(model);
    window.show();
    return QApplication::exec();
}
