// tantra-weights [FILE|FOLDER|WORKSPACE…]: the desktop app. Everything it shows lives in tantra_ui.
#include "englishplurals.h"
#include "icons.h"
#include "mainwindow.h"
#include "systemappearance.h"
#include "workspacecontroller.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <csignal>

namespace {

struct Options
{
    QCommandLineOption demo{QStringLiteral("demo"),
                            QApplication::translate("main", "Open the demo workspace, creating it (with sample weights) if needed.")};
    QCommandLineOption workspace{QStringLiteral("workspace"), QApplication::translate("main", "Open the workspace DIR."), QStringLiteral("DIR")};
    // For packaging checks: start, show the window, and quit cleanly after a moment.
    QCommandLineOption smoke{QStringLiteral("smoke-test"), QApplication::translate("main", "Start, then quit after two seconds.")};
};

void describe(QCommandLineParser &parser, const Options &options)
{
    parser.setApplicationDescription(QApplication::translate("main", "Manage, validate and inspect safetensors model weights."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(options.demo);
    parser.addOption(options.workspace);
    parser.addOption(options.smoke);
    parser.addPositionalArgument(QStringLiteral("path"),
                                 QApplication::translate("main", "A .safetensors file, a *.safetensors.index.json, a shard folder "
                                                                 "or a workspace folder to open."),
                                 QStringLiteral("[PATH…]"));
}

void nameApplication()
{
    QCoreApplication::setOrganizationName(QStringLiteral("Tantra"));
    QCoreApplication::setApplicationName(QStringLiteral("tantra-weights"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TANTRA_VERSION));
}

// --version and --help must work without a display (over ssh, in scripts, in packaging
// checks): answer them before a QApplication, which needs a windowing system, exists.
bool onlyAsksForInformation(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--version" || arg == "-v" || arg == "--help" || arg == "-h" || arg == "--help-all")
            return true;
    }
    return false;
}

} // namespace

int main(int argc, char **argv)
{
    // Beyond the file size limit (ulimit -f) a write raises SIGXFSZ and the app would vanish
    // mid-save; ignored, the write fails with EFBIG and is reported like a full disk.
    std::signal(SIGXFSZ, SIG_IGN);
    if (onlyAsksForInformation(argc, argv)) {
        QCoreApplication core(argc, argv);
        nameApplication();
        Options options;
        QCommandLineParser parser;
        describe(parser, options);
        parser.process(core); // prints and exits
        return 0;
    }

    QApplication app(argc, argv);
    tantra::installEnglishPlurals(&app);
    nameApplication();
    QApplication::setApplicationDisplayName(QStringLiteral("Tantra Weight Manager"));
    QApplication::setDesktopFileName(QStringLiteral("org.tantra.WeightManager"));
    QApplication::setWindowIcon(tantra::Icons::app());
    tantra::SystemAppearance::apply(app);

    Options options;
    QCommandLineParser parser;
    describe(parser, options);
    parser.process(app);

    tantra::MainWindow window;
    tantra::WorkspaceController controller(&window);
    window.show();

    if (parser.isSet(options.demo))
        controller.openDemo();
    else if (parser.isSet(options.workspace))
        controller.openWorkspace(parser.value(options.workspace));
    for (const QString &path : parser.positionalArguments())
        controller.openCommandLinePath(path);
    const bool nothingAsked = !parser.isSet(options.demo) && !parser.isSet(options.workspace) && parser.positionalArguments().isEmpty();
    if (parser.isSet(options.smoke)) {
        QTimer::singleShot(2000, &window, &QWidget::close);
    } else if (nothingAsked) {
        // After the window is up, so a first-run question appears over it.
        QTimer::singleShot(0, &controller, &tantra::WorkspaceController::restoreLastOrOfferDemo);
    }
    return app.exec();
}
