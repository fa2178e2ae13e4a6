// tantra-weights [FILE|FOLDER]: the desktop app. Everything it shows lives in tantra_ui.
#include "icons.h"
#include "mainwindow.h"
#include "systemappearance.h"

#include <QApplication>
#include <QCommandLineParser>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Tantra"));
    QApplication::setApplicationName(QStringLiteral("tantra-weights"));
    QApplication::setApplicationDisplayName(QStringLiteral("Tantra Weight Manager"));
    QApplication::setApplicationVersion(QStringLiteral(TANTRA_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("tantra-weights"));
    QApplication::setWindowIcon(tantra::Icons::app());
    tantra::SystemAppearance::apply(app);

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main", "Manage, validate and inspect safetensors model weights."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("path"),
                                 QApplication::translate("main", "A .safetensors file, a *.safetensors.index.json or a shard folder to open."),
                                 QStringLiteral("[FILE|FOLDER]"));
    parser.process(app);

    tantra::MainWindow window;
    window.show();
    for (const QString &path : parser.positionalArguments())
        window.openPath(path);
    return app.exec();
}
