#include "errortext.h"

#include "weightmanager.h"

#include <QCoreApplication>

namespace tantra {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("ErrorText", text);
}

} // namespace

QString remedyText(Remedy remedy, const QString &subject)
{
    // The menu paths are those WorkspaceController::createMenus builds.
    switch (remedy) {
    case Remedy::None: break;
    case Remedy::NoRepair: break; // the problem says what to do
    case Remedy::RebuildRegistry: return tr("Use Workspace \u203a Repair Workspace\u2026 to rebuild it from the weight files.");
    case Remedy::SetUpWorkspace: return tr("Open the folder with Workspace \u203a Open Workspace\u2026 to set it up.");
    case Remedy::RepairOrChooseVersion:
        return tr("Use Workspace \u203a Repair Workspace\u2026 to tidy the weights folder, or choose another version.");
    case Remedy::ChooseAnotherVersion: return tr("Choose another version.");
    case Remedy::VerifyWeight: return tr("Select %1 and use Weight \u203a Verify Checksums.").arg(subject);
    case Remedy::ImportAsCopy: return tr("Moving it would take the file away from that weight; choose \u201cCopy into the workspace\u201d to register a copy.");
    case Remedy::RestoreAsAnotherVersion: return tr("Restore it again under another version.");
    }
    return QString();
}

QString errorText(const Error &error)
{
    const QString remedy = remedyText(error.remedy, error.subject);
    if (remedy.isEmpty())
        return error.message();
    const QString message = error.message();
    return message + (message.endsWith(QLatin1Char('.')) ? QStringLiteral(" ") : QStringLiteral(". ")) + remedy;
}

QString newVersionProblem(const WeightManager &manager, const RegistryData &known, const QString &type, const QString &version,
                          bool sharded)
{
    const Status usable = manager.checkNewVersion(known, type, version, sharded);
    if (usable)
        return {};
    const Error &error = usable.error();
    const QString free = manager.freeVersion(known, type, version, sharded);
    if (error.remedy == Remedy::ChooseAnotherVersion)
        return QCoreApplication::translate("ErrorText", "%1_%2 already exists; %3 is free.").arg(type, version, free);
    if (error.remedy == Remedy::RepairOrChooseVersion)
        return QCoreApplication::translate("ErrorText", "%1 %2 is free.").arg(error.message(), free);
    return error.message();
}

} // namespace tantra
