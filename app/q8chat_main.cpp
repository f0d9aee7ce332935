// q8chat: the desktop app. Opens the model named on the command line.
#include <QApplication>
#include <QCommandLineParser>

#include "main_window.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setApplicationName("q8chat");
    QApplication::setOrganizationName("q8chat");
    QCommandLineParser parser;
    parser.setApplicationDescription("Chat with a GGUF model on the CPU");
    parser.addHelpOption();
    parser.addPositionalArgument("model", "GGUF model file (default: the one opened last)");
    parser.process(app);
    const QStringList args = parser.positionalArguments();
    q8ui::MainWindow window(args.value(0));
    window.show();
    return QApplication::exec();
}
