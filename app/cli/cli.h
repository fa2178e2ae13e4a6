#pragma once

#include <QCommandLineParser>
#include <QString>
#include <QStringList>

#include <cstdio>
#include <functional>

namespace tantra {
class JobContext;
}

namespace tantra::cli {

// Exit status: 0 success, 1 the operation found a problem (an invalid file, a failed check),
// 2 wrong usage or an unusable environment.
enum ExitCode { ExitOk = 0, ExitProblem = 1, ExitUsage = 2 };

// What every command gets: its parsed arguments and the shared output helpers.
class Context
{
public:
    QCommandLineParser &parser;
    QStringList positional;

    void out(const QString &text) const;     // stdout, text as given
    void outLine(const QString &text) const; // stdout, with a newline
    void err(const QString &text) const;     // stderr, with a newline
    // Prints "what: NN%" on stderr while the job runs, only when stderr is a terminal.
    void attachProgress(JobContext &job, const QString &what) const;
    void endProgress() const;
    // The workspace root: --root, else $TANTRA_ROOT, else the current folder.
    QString root() const;
};

struct Command
{
    const char *name;
    const char *arguments; // synopsis of the positional arguments
    const char *summary;
    std::function<void(QCommandLineParser &)> addOptions;
    std::function<int(Context &)> run;
};

int run(const QStringList &arguments);

// Registered by the command files.
Command setupCommand();
Command listModelsCommand();
Command listWeightsCommand();
Command configCommand();
Command setActiveCommand();
Command rollbackCommand();
Command backupCommand();
Command restoreCommand();
Command listBackupsCommand();
Command cleanupCommand();
Command validateCommand();
Command importCommand();
Command removeCommand();
Command verifyCommand();
Command doctorCommand();
Command historyCommand();
Command createConfigCommand();
Command inspectCommand();
Command checksumCommand();
Command diffCommand();
Command convertCommand();
Command reshardCommand();
Command remoteCommand();
Command pushCommand();
Command pullCommand();

QString humanBytes(std::uint64_t bytes);

} // namespace tantra::cli
