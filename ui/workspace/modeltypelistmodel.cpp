#include "modeltypelistmodel.h"

#include "icons.h"
#include "workspacesession.h"

#include <QDir>
#include <QFileInfo>
#include <QLocale>

namespace tantra {

ModelTypeListModel::ModelTypeListModel(QObject *parent) : QAbstractListModel(parent)
{
}

void ModelTypeListModel::setRows(std::vector<Row> rows)
{
    beginResetModel();
    m_rows = std::move(rows);
    endResetModel();
}

void ModelTypeListModel::refresh(const WorkspaceSession &session)
{
    std::vector<Row> rows;
    if (session.isOpen()) {
        const RegistryData &data = session.registry();
        const QString configDir = session.manager()->workspace().configDir();
        for (const QString &type : session.modelTypes()) {
            Row r;
            r.type = type;
            r.active = data.activeOf(type);
            for (const auto *w : data.weightsOf(type)) {
                ++r.count;
                r.bytes += w->size;
            }
            r.hasConfig = QFileInfo::exists(QDir(configDir).filePath(type + QStringLiteral(".yaml")));
            rows.push_back(r);
        }
    }
    setRows(std::move(rows));
}

int ModelTypeListModel::rowOf(const QString &type) const
{
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].type == type)
            return int(i);
    }
    return -1;
}

int ModelTypeListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant ModelTypeListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Row &r = m_rows[std::size_t(index.row())];
    const QLocale locale;
    switch (role) {
    case Qt::DisplayRole:
        // Three short lines rather than one long one: nothing gets elided in a narrow pane.
        return QStringLiteral("%1\n%2\n%3 · %4")
                .arg(r.type, r.active.isEmpty() ? tr("no active weight") : tr("active: %1").arg(r.active),
                     tr("%n weight(s)", nullptr, int(r.count)), locale.formattedDataSize(qint64(r.bytes)));
    case Qt::ToolTipRole:
        return tr("%1\nActive: %2\n%3").arg(r.type, r.active.isEmpty() ? tr("none") : r.active,
                                              r.hasConfig ? tr("Config/%1.yaml").arg(r.type)
                                                          : tr("No config for this type: validation cannot check shapes"));
    case Qt::DecorationRole:
        return r.hasConfig ? Icons::get(QStringLiteral("model-type")) : Icons::get(QStringLiteral("warning"));
    case TypeRole:
        return r.type;
    case ActiveRole:
        return r.active;
    case CountRole:
        return r.count;
    case BytesRole:
        return r.bytes;
    case HasConfigRole:
        return r.hasConfig;
    default:
        return {};
    }
}

} // namespace tantra
