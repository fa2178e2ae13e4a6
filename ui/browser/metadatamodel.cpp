#include "metadatamodel.h"

namespace tantra {

namespace {

// A tooltip of a megabyte of JSON would cover the screen and take seconds to lay out.
constexpr qsizetype kMaxToolTipChars = 2000;

QString oneLine(QString text)
{
    text.replace(QLatin1Char('\n'), QChar(0x23CE)); // ⏎: the line breaks stay visible
    return text;
}

} // namespace

MetadataModel::MetadataModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void MetadataModel::setMetadata(const std::vector<std::pair<std::string, std::string>> &metadata)
{
    beginResetModel();
    m_rows.clear();
    m_rows.reserve(metadata.size());
    for (const auto &[key, value] : metadata)
        m_rows.emplace_back(QString::fromStdString(key), QString::fromStdString(value));
    endResetModel();
}

QString MetadataModel::text() const
{
    QString text;
    for (const auto &[key, value] : m_rows)
        text += key + QStringLiteral(": ") + value + QLatin1Char('\n');
    return text;
}

int MetadataModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int MetadataModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MetadataModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const auto &[key, value] = m_rows[std::size_t(index.row())];
    const QString &text = index.column() == KeyColumn ? key : value;
    switch (role) {
    case Qt::DisplayRole: return oneLine(text);
    case Qt::ToolTipRole:
        return text.size() > kMaxToolTipChars ? text.left(kMaxToolTipChars) + tr("\u2026 (%L1 characters)").arg(text.size()) : text;
    case Qt::EditRole: return text; // the exact text, for copying
    }
    return {};
}

QVariant MetadataModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case KeyColumn: return tr("Key");
    case ValueColumn: return tr("Value");
    }
    return {};
}

} // namespace tantra
