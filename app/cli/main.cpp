#include "cli.h"

#include <QCoreApplication>

#include <csignal>

int main(int argc, char **argv)
{
    // A write beyond the file size limit (ulimit -f) raises SIGXFSZ, which kills the process
    // (exit 153) midway through an import or a registry save. Ignored, the write fails with
    // EFBIG and takes the path a full disk takes: the partial file is removed, the registry
    // is left as it was, and the message names the file.
    std::signal(SIGXFSZ, SIG_IGN);
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("tantra-model-manager"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TANTRA_VERSION));
    return tantra::cli::run(QCoreApplication::arguments());
}
