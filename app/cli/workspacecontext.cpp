#include "workspacecontext.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>

namespace tantra::cli {

std::optional<WeightManager> openWorkspace(Context &ctx, bool mustExist)
{
    const Workspace ws(ctx.root());
    // setup may create the workspace folder itself; every other command needs it to exist.
    if (!mustExist && !QFileInfo::exists(ws.root()) && !QDir().mkpath(ws.root())) {
        ctx.err(ws.root() + QStringLiteral(": cannot create the folder"));
        return std::nullopt;
    }
    if (!QFileInfo(ws.root()).isDir()) {
        ctx.err(ws.root() + QStringLiteral(": no such folder (set --root or $TANTRA_ROOT)"));
        return std::nullopt;
    }
    if (mustExist && !ws.hasLayout()) {
        ctx.err(ws.root() + QStringLiteral(": not a Tantra workspace (no Model/weights or Config); run 'tantra-model-manager setup' there first"));
        return std::nullopt;
    }
    return WeightManager(ws);
}

Result<SafetensorsModel> openWeightArgument(Context &ctx, const QString &arg, std::optional<WeightEntry> *entryOut)
{
    if (QFileInfo::exists(arg))
        return SafetensorsModel::open(arg);
    const Workspace ws(ctx.root());
    if (ws.hasLayout()) {
        const WeightManager manager(ws);
        auto data = manager.snapshot();
        if (!data)
            return data.error();
        if (const WeightEntry *entry = data->find(arg)) {
            if (auto usable = manager.checkWeightFiles(*entry); !usable)
                return usable.error();
            if (entryOut)
                *entryOut = *entry;
            return SafetensorsModel::open(ws.absolutePath(entry->path));
        }
        return makeError(arg, QStringLiteral("no such file, and no weight of that name is registered in ") + ws.root());
    }
    return makeError(arg, QStringLiteral("no such file (nor a weight name: %1 is not a Tantra workspace)").arg(ws.root()));
}

void printJson(Context &ctx, const QJsonValue &value)
{
    const QJsonDocument doc = value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject());
    ctx.out(QString::fromUtf8(doc.toJson(QJsonDocument::Indented)));
}

QString remedyText(Remedy remedy, const QString &subject)
{
    switch (remedy) {
    case Remedy::None: break;
    case Remedy::NoRepair: break; // the problem says what to do
    case Remedy::RebuildRegistry: return QStringLiteral("run 'tantra-model-manager doctor --rebuild' to rebuild it from the weight files.");
    case Remedy::SetUpWorkspace: return QStringLiteral("run 'setup' first");
    case Remedy::RepairOrChooseVersion: return QStringLiteral("run 'doctor' or choose another version");
    case Remedy::ChooseAnotherVersion: return QStringLiteral("choose another --version");
    case Remedy::VerifyWeight: return QStringLiteral("run 'verify %1'").arg(subject);
    case Remedy::ImportAsCopy: return QStringLiteral("--move would take the file away from it. Import without --move to register a copy.");
    case Remedy::RestoreAsAnotherVersion: return QStringLiteral("restore under another version with --as VERSION");
    }
    return QString();
}

QString errorText(const Error &error)
{
    const QString remedy = remedyText(error.remedy, error.subject);
    return remedy.isEmpty() ? error.message() : error.message() + QStringLiteral("; ") + remedy;
}

QString checksumStatusName(ChecksumStatus status)
{
    switch (status) {
    case ChecksumStatus::Ok: return QStringLiteral("ok");
    case ChecksumStatus::Changed: return QStringLiteral("changed");
    case ChecksumStatus::Missing: return QStringLiteral("missing");
    case ChecksumStatus::Error: break;
    }
    return QStringLiteral("error");
}

int fail(Context &ctx, const Error &error, int code)
{
    ctx.endProgress();
    ctx.err(errorText(error));
    return code;
}

QJsonObject weightJson(const WeightEntry &w, bool active)
{
    QJsonObject o = Registry::entryToJson(w);
    o[QStringLiteral("name")] = w.name;
    o[QStringLiteral("active")] = active;
    return o;
}

QString formatTable(const QStringList &header, const std::vector<QStringList> &rows, const QList<int> &rightAligned)
{
    std::vector<qsizetype> width(std::size_t(header.size()));
    for (qsizetype c = 0; c < header.size(); ++c)
        width[std::size_t(c)] = header[c].size();
    for (const auto &row : rows)
        for (qsizetype c = 0; c < row.size() && c < header.size(); ++c)
            width[std::size_t(c)] = std::max(width[std::size_t(c)], row[c].size());
    const auto line = [&](const QStringList &cells) -> QString {
        QString text;
        for (qsizetype c = 0; c < cells.size(); ++c) {
            const int w = int(width[std::size_t(c)]);
            const bool last = c + 1 == cells.size();
            text += rightAligned.contains(int(c)) ? cells[c].rightJustified(w) : cells[c].leftJustified(last ? 0 : w);
            if (!last)
                text += QStringLiteral("  ");
        }
        return text + QLatin1Char('\n');
    };
    QString text = line(header);
    for (const auto &row : rows)
        text += line(row);
    return text;
}

} // namespace tantra::cli
