#include "weighttablemodel.h"

#include "icons.h"

#include <QFileInfo>
#include <QFont>
#include <QHash>
#include <QLocale>

namespace tantra {

namespace {

// Whether a file of `w` is missing or was modified after `since` (a few stat calls).
bool writtenSince(const WorkspaceSession &session, const WeightEntry &w, const QDateTime &since)
{
    const Workspace &ws = session.manager()->workspace();
    QStringList paths;
    if (w.sharded) {
        for (const WeightFile &f : w.files)
            paths << ws.absolutePath(f.path);
    } else {
        paths << ws.absolutePath(w.path);
    }
    for (const QString &p : paths) {
        const QFileInfo info(p);
        if (!info.exists() || info.lastModified() > since)
            return true;
    }
    return paths.isEmpty();
}

} // namespace

WeightTableModel::WeightTableModel(QObject *parent) : QAbstractTableModel(parent)
{
}

void WeightTableModel::setRows(std::vector<Row> rows)
{
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

void WeightTableModel::refresh(const WorkspaceSession &session, const QString &type)
{
    std::vector<Row> rows;
    if (session.isOpen()) {
        const RegistryData &data = session.registry();
        // One stat per type: when its config was last written.
        QHash<QString, QDateTime> configWritten;
        const auto configTime = [&](const QString &t) {
            auto it = configWritten.find(t);
            if (it == configWritten.end())
                it = configWritten.insert(t, QFileInfo(session.manager()->configs().configPath(t)).lastModified());
            return *it;
        };
        for (const auto &[name, w] : data.weights) {
            if (!type.isEmpty() && w.modelType != type)
                continue;
            // A passed deep validation re-hashed the file against the registry: that counts.
            ChecksumState checksum = session.checksumState(name);
            if (checksum == ChecksumState::NotChecked && w.validation.deep && w.validation.status == ValidationStatus::Passed)
                checksum = ChecksumState::Verified;
            // A verification recorded in the registry (an earlier session's), as long as no file
            // of the weight was written since.
            if (checksum == ChecksumState::NotChecked && w.verifiedAt.isValid() && !writtenSince(session, w, w.verifiedAt))
                checksum = ChecksumState::Verified;
            const QDateTime written = w.validation.status == ValidationStatus::NotValidated ? QDateTime() : configTime(w.modelType);
            const bool outdated = written.isValid() && w.validation.checkedAt.isValid() && written > w.validation.checkedAt;
            rows.push_back(Row{w, data.activeOf(w.modelType) == name, checksum, outdated});
        }
    }
    setRows(std::move(rows));
}

const WeightTableModel::Row *WeightTableModel::rowFor(const QString &name) const
{
    const int r = rowOf(name);
    return r < 0 ? nullptr : &m_rows[std::size_t(r)];
}

int WeightTableModel::rowOf(const QString &name) const
{
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].entry.name == name)
            return int(i);
    }
    return -1;
}

int WeightTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int WeightTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString WeightTableModel::checksumText(ChecksumState state)
{
    switch (state) {
    case ChecksumState::Verified: return tr("verified");
    case ChecksumState::Changed: return tr("CHANGED");
    case ChecksumState::Missing: return tr("missing");
    case ChecksumState::NotChecked: break;
    }
    return tr("not checked");
}

QString WeightTableModel::validationText(const Row &row)
{
    const ValidationRecord &v = row.entry.validation;
    if (v.status == ValidationStatus::NotValidated)
        return tr("not validated");
    // Before "outdated": the weight never fitted, whatever has changed since.
    if (v.unvalidatedImport)
        return tr("unvalidated: %n mismatch(es)", nullptr, int(v.issues.size()));
    if (row.validationOutdated)
        return tr("outdated: config changed");
    return v.status == ValidationStatus::Passed ? (v.deep ? tr("passed (deep)") : tr("passed"))
                                                : tr("failed: %n issue(s)", nullptr, int(v.issues.size()));
}

QVariant WeightTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Row &r = m_rows[std::size_t(index.row())];
    const WeightEntry &w = r.entry;
    const int column = index.column();
    if (role == NameRole)
        return w.name;
    if (role == ActiveRole)
        return r.active;
    if (role == Qt::DisplayRole) {
        switch (column) {
        case ActiveColumn: return r.active ? tr("active") : QString();
        case NameColumn: return w.name;
        case VersionColumn: return w.version;
        case SizeColumn: return QLocale().formattedDataSize(qint64(w.size));
        case CreatedColumn: return QLocale().toString(w.created.toLocalTime(), QLocale::ShortFormat);
        case ChecksumColumn: return checksumText(r.checksum);
        case ValidationColumn: return validationText(r);
        }
    }
    if (role == SortRole) {
        switch (column) {
        case ActiveColumn: return r.active ? 1 : 0;
        case SizeColumn: return w.size;
        case CreatedColumn: return w.created;
        case ChecksumColumn: return int(r.checksum);
        case ValidationColumn: return r.validationOutdated ? -1 : int(w.validation.status);
        default: return data(index, Qt::DisplayRole);
        }
    }
    if (role == Qt::DecorationRole) {
        if (column == ActiveColumn && r.active)
            return Icons::get(QStringLiteral("active"));
        if (column == ChecksumColumn && (r.checksum == ChecksumState::Changed || r.checksum == ChecksumState::Missing))
            return Icons::get(QStringLiteral("warning"));
        if (column == ValidationColumn && w.validation.status == ValidationStatus::Failed
            && (!r.validationOutdated || w.validation.unvalidatedImport))
            return Icons::get(QStringLiteral("warning"));
    }
    if (role == Qt::ToolTipRole) {
        if (column == ValidationColumn && w.validation.unvalidatedImport) {
            QString tip = tr("Imported although it does not fit the %1 config. Fix the config or the file, then validate it.").arg(w.modelType);
            if (r.validationOutdated)
                tip += QLatin1Char(' ') + tr("The config has changed since the import.");
            return QString(tip + QLatin1Char('\n') + w.validation.issues.mid(0, 10).join(QLatin1Char('\n')));
        }
        if (column == ValidationColumn && r.validationOutdated) {
            Row asRecorded = r;
            asRecorded.validationOutdated = false;
            return tr("The config of %1 changed after this weight was validated (%2). Validate it again to check it "
                      "against the config as it is now.")
                    .arg(w.modelType, validationText(asRecorded));
        }
        // The whole verdict, in case a narrow window cuts the column.
        if (column == ValidationColumn)
            return QStringList(QStringList{validationText(r)} + w.validation.issues.mid(0, 10)).join(QLatin1Char('\n'));
        if (column == ChecksumColumn)
            return tr("SHA-256 %1").arg(w.sha256);
        if (column == CreatedColumn && w.restored.isValid())
            return tr("Restored from a backup on %1").arg(QLocale().toString(w.restored.toLocalTime(), QLocale::ShortFormat));
        // The name may be elided in a narrow window: the tooltip has it whole.
        if (column == NameColumn)
            return QString(w.name + QLatin1Char('\n') + w.path);
        return QString(w.path);
    }
    if (role == Qt::TextAlignmentRole && column == SizeColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::FontRole && r.active) {
        QFont f;
        f.setBold(true);
        return f;
    }
    return {};
}

QVariant WeightTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case ActiveColumn: return tr("Active");
    case NameColumn: return tr("Name");
    case VersionColumn: return tr("Version");
    case SizeColumn: return tr("Size");
    case CreatedColumn: return tr("Created");
    case ChecksumColumn: return tr("Checksum");
    case ValidationColumn: return tr("Validation");
    }
    return {};
}

} // namespace tantra
