#include "cli.h"

#include "jobcontext.h"

#include <QCoreApplication>
#include <QDir>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <unistd.h>
#include <vector>

namespace tantra::cli {

namespace {

// Names, paths and messages come from the workspace, the registry and archives, which anyone
// may write: an escape sequence in a weight's name would move the cursor, recolour or clear
// the terminal, a bidirectional override would reorder what the user reads. Every control
// character but newline and tab, and those format characters, are printed as \uXXXX (which is
// also what they are inside a JSON string).
QString escapeControls(const QString &text)
{
    const auto unsafe = [](char16_t c) {
        return (c < 0x20 && c != u'\n' && c != u'\t') || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e)
            || (c >= 0x2066 && c <= 0x2069);
    };
    if (std::none_of(text.begin(), text.end(), [&](QChar c) { return unsafe(c.unicode()); }))
        return text;
    QString out;
    out.reserve(text.size() + 16);
    for (const QChar c : text) {
        if (unsafe(c.unicode()))
            out += QStringLiteral("\\u%1").arg(int(c.unicode()), 4, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

void writeTo(FILE *stream, const QString &text)
{
    const QByteArray bytes = text.toUtf8();
    std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stream);
}

std::vector<Command> commands()
{
    return {setupCommand(),   listModelsCommand(), listWeightsCommand(), configCommand(),   setActiveCommand(),
            rollbackCommand(), backupCommand(),    restoreCommand(),     listBackupsCommand(), cleanupCommand(),
            validateCommand(), importCommand(),    removeCommand(),      verifyCommand(),   doctorCommand(),
            historyCommand(), createConfigCommand(), inspectCommand(),   checksumCommand(),
            diffCommand(),    convertCommand(),    reshardCommand(),   remoteCommand(),
            pushCommand(),    pullCommand()};
}

QString usage(const std::vector<Command> &all)
{
    QString text = QStringLiteral("Usage: tantra-model-manager [--root DIR] COMMAND [ARGS…]\n\n"
                                  "Manage the safetensors weights of a Tantra workspace.\n\nCommands:\n");
    for (const auto &c : all) {
        const QString head = QString::fromLatin1(c.name) + QLatin1Char(' ') + QString::fromUtf8(c.arguments);
        text += QStringLiteral("  %1  %2\n").arg(head, -44).arg(QString::fromUtf8(c.summary));
    }
    text += QStringLiteral("\nRun 'tantra-model-manager COMMAND --help' for a command's options.\n"
                           "Exit status: 0 success, 1 a problem was found, 2 wrong usage.\n");
    return text;
}

std::mutex progressMutex;

} // namespace

void Context::out(const QString &text) const
{
    writeTo(stdout, escapeControls(text));
}

void Context::outLine(const QString &text) const
{
    writeTo(stdout, escapeControls(text) + QLatin1Char('\n'));
}

void Context::err(const QString &text) const
{
    std::fflush(stdout);
    writeTo(stderr, escapeControls(text) + QLatin1Char('\n'));
}

void Context::attachProgress(JobContext &job, const QString &what) const
{
    if (!::isatty(STDERR_FILENO))
        return;
    job.setProgressCallback([what](int permille, std::uint64_t, std::uint64_t) {
        if (permille % 10 != 0)
            return;
        const std::lock_guard lock(progressMutex);
        writeTo(stderr, QStringLiteral("\r%1: %2%").arg(what).arg(permille / 10));
    });
}

void Context::endProgress() const
{
    if (::isatty(STDERR_FILENO))
        writeTo(stderr, QStringLiteral("\r\033[K"));
}

QString Context::root() const
{
    if (parser.isSet(QStringLiteral("root")))
        return parser.value(QStringLiteral("root"));
    const QString env = qEnvironmentVariable("TANTRA_ROOT");
    return env.isEmpty() ? QDir::currentPath() : env;
}

QString humanBytes(std::uint64_t bytes)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        ++u;
    }
    return u == 0 ? QStringLiteral("%1 B").arg(bytes)
                  : QStringLiteral("%1 %2").arg(v, 0, 'f', v < 10 ? 2 : 1).arg(QString::fromLatin1(units[u]));
}

int run(const QStringList &arguments)
{
    const auto all = commands();
    // The command is the first argument that is neither an option nor --root's value.
    int commandIndex = -1;
    for (int i = 1; i < arguments.size(); ++i) {
        const QString &a = arguments[i];
        if (a == QLatin1String("--root")) {
            ++i;
            continue;
        }
        if (!a.startsWith(QLatin1Char('-'))) {
            commandIndex = i;
            break;
        }
    }
    if (commandIndex < 0) {
        if (arguments.contains(QStringLiteral("--version")) || arguments.contains(QStringLiteral("-v"))) {
            writeTo(stdout, QStringLiteral("tantra-model-manager %1\n").arg(QStringLiteral(TANTRA_VERSION)));
            return ExitOk;
        }
        const bool help = arguments.contains(QStringLiteral("--help")) || arguments.contains(QStringLiteral("-h"));
        writeTo(help ? stdout : stderr, usage(all));
        return help ? ExitOk : ExitUsage;
    }
    const QString name = arguments[commandIndex];
    const auto it = std::find_if(all.begin(), all.end(), [&](const Command &c) { return name == QLatin1String(c.name); });
    if (it == all.end()) {
        writeTo(stderr, QStringLiteral("tantra-model-manager: unknown command '%1'\n\n").arg(escapeControls(name)) + usage(all));
        return ExitUsage;
    }

    QCommandLineParser parser;
    parser.setApplicationDescription(QString::fromUtf8(it->summary));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("root"), QStringLiteral("Workspace root (default: $TANTRA_ROOT, else the current folder)."),
                      QStringLiteral("DIR")});
    if (it->addOptions)
        it->addOptions(parser);
    QStringList rest = arguments;
    rest.removeAt(commandIndex);
    rest[0] = QStringLiteral("tantra-model-manager ") + name;
    if (!parser.parse(rest)) {
        writeTo(stderr, escapeControls(QStringLiteral("tantra-model-manager %1: %2").arg(name, parser.errorText())) + QLatin1Char('\n'));
        return ExitUsage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        QString help = parser.helpText();
        help.replace(QStringLiteral("[options]"), QStringLiteral("[options] ") + QString::fromUtf8(it->arguments));
        writeTo(stdout, help);
        return ExitOk;
    }
    Context context{parser, parser.positionalArguments()};
    return it->run(context);
}

} // namespace tantra::cli
