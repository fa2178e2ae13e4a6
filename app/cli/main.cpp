#include "cli.h"

#include <QCoreApplication>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("tantra-model-manager"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TANTRA_VERSION));
    return tantra::cli::run(QCoreApplication::arguments());
}
