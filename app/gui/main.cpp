// tantra-weights [FILE|FOLDER|WORKSPACE…]: the desktop app. Everything it shows lives in tantra_ui.
#include "icons.h"
#include "mainwindow.h"
#include "systemappearance.h"
#include "workspacecontroller.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Tantra"));
    QApplication::setApplicationName(QStringLiteral("tantra-weights"));
    QApplication::setApplicationDisplayName(QStringLiteral("Tantra Weight Manager"));
    QApplication::setApplicationVersion(QStringLiteral(TANTRA_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("org.tantra.WeightManager"));
    QApplication::setWindowIcon(tantra::Icons::app());
    tantra::SystemAppearance::apply(app);

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main", "Manage, validate and inspect safetensors model weights."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demo(QStringLiteral("demo"),
                                  QApplication::translate("main", "Open the demo workspace, creating it (with sample weights) if needed."));
    const QCommandLineOption workspace(QStringLiteral("workspace"), QApplication::translate("main", "Open the workspace DIR."),
                                       QStringLiteral("DIR"));
    // For packaging checks: start, show the window, and quit cleanly after a moment.
    const QCommandLineOption smoke(QStringLiteral("smoke-test"), QApplication::translate("main", "Start, then quit after two seconds."));
    parser.addOption(demo);
    parser.addOption(workspace);
    parser.addOption(smoke);
    parser.addPositionalArgument(QStringLiteral("path"),
                                 QApplication::translate("main", "A .safetensors file, a *.safetensors.index.json, a shard folder "
                                                                 "or a workspace folder to open."),
                                 QStringLiteral("[PATH…]"));
    parser.process(app);

    tantra::MainWindow window;
    tantra::WorkspaceController controller(&window);
    window.show();

    if (parser.isSet(demo))
        controller.openDemo();
    else if (parser.isSet(workspace))
        controller.openWorkspace(parser.value(workspace));
    for (const QString &path : parser.positionalArguments())
        controller.openCommandLinePath(path);
    const bool nothingAsked = !parser.isSet(demo) && !parser.isSet(workspace) && parser.positionalArguments().isEmpty();
    if (parser.isSet(smoke)) {
        QTimer::singleShot(2000, &window, &QWidget::close);
    } else if (nothingAsked) {
        // After the window is up, so a first-run question appears over it.
        QTimer::singleShot(0, &controller, &tantra::WorkspaceController::restoreLastOrOfferDemo);
    }
    return app.exec();
}
