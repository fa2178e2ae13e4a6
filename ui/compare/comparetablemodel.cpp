#include "comparetablemodel.h"

#include "tensortext.h"
#include "valueformatter.h"

#include <QColor>
#include <QLocale>
#include <QIcon>
#include <QPainter>
#include <QPixmap>

#include <algorithm>
#include <climits>
#include <cmath>

namespace tantra {

namespace {

template<typename T>
int threeWay(const T &a, const T &b)
{
    return a < b ? -1 : (b < a ? 1 : 0);
}

// Missing numbers (undefined, not compared) sort before every number.
int compareOptional(const std::optional<double> &a, const std::optional<double> &b)
{
    if (!a || !b)
        return threeWay(bool(a), bool(b));
    return threeWay(*a, *b);
}

QString dtypePair(const TensorComparison &t)
{
    const QString a = t.dtypeA ? QString::fromLatin1(dtypeName(*t.dtypeA)) : QString();
    const QString b = t.dtypeB ? QString::fromLatin1(dtypeName(*t.dtypeB)) : QString();
    if (t.dtypeA && t.dtypeB && a != b)
        return a + QStringLiteral(" \u2192 ") + b;
    return t.dtypeA ? a : b;
}

QString shapePair(const TensorComparison &t)
{
    const QString a = t.shapeA ? TensorText::shape(*t.shapeA) : QString();
    const QString b = t.shapeB ? TensorText::shape(*t.shapeB) : QString();
    if (t.shapeA && t.shapeB && a != b)
        return a + QStringLiteral(" \u2192 ") + b;
    return t.shapeA ? a : b;
}

std::uint64_t elementsOf(const TensorComparison &t)
{
    const auto &shape = t.shapeA ? t.shapeA : t.shapeB;
    std::uint64_t n = 1;
    if (shape)
        for (auto d : *shape)
            n *= d;
    return n;
}

QIcon statusIcon(CompareStatus status)
{
    static QIcon icons[kCompareStatusCount];
    QIcon &icon = icons[int(status)];
    if (icon.isNull()) {
        QPixmap pixmap(12, 12);
        pixmap.fill(Qt::transparent);
        QPainter p(&pixmap);
        p.setRenderHint(QPainter::Antialiasing);
        p.setPen(Qt::NoPen);
        p.setBrush(CompareTableModel::statusColor(status));
        p.drawEllipse(QRectF(1, 1, 10, 10));
        icon = QIcon(pixmap);
    }
    return icon;
}

} // namespace

CompareTableModel::CompareTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

bool CompareTableModel::isPending(const TensorComparison &t)
{
    return !t.valuesCompared && t.shapeA && t.shapeB && *t.shapeA == *t.shapeB;
}

QString CompareTableModel::statusText(const TensorComparison &t)
{
    if (isPending(t))
        return t.status == CompareStatus::Retyped ? tr("retyped, comparing\u2026") : tr("comparing\u2026");
    switch (t.status) {
    case CompareStatus::Identical: return tr("identical");
    case CompareStatus::Close: return tr("close");
    case CompareStatus::Changed: return tr("changed");
    case CompareStatus::Retyped: return tr("retyped");
    case CompareStatus::Reshaped: return tr("reshaped");
    case CompareStatus::Added: return tr("added");
    case CompareStatus::Removed: return tr("removed");
    }
    return {};
}

QColor CompareTableModel::statusColor(CompareStatus status)
{
    // Readable on light and dark backgrounds; red and green are never the only difference
    // (the status is also a word).
    switch (status) {
    case CompareStatus::Identical: return QColor(0x9e, 0x9e, 0x9e);
    case CompareStatus::Close: return QColor(0x2e, 0x9d, 0x5b);
    case CompareStatus::Changed: return QColor(0xe0, 0x6c, 0x1f);
    case CompareStatus::Retyped: return QColor(0x2f, 0x7c, 0xd0);
    case CompareStatus::Reshaped: return QColor(0x8e, 0x44, 0xad);
    case CompareStatus::Added: return QColor(0x1f, 0x9e, 0x89);
    case CompareStatus::Removed: return QColor(0xc6, 0x28, 0x28);
    }
    return {};
}

void CompareTableModel::setComparison(WeightComparison comparison)
{
    beginResetModel();
    m_comparison = std::move(comparison);
    m_order.resize(m_comparison.tensors.size());
    for (std::size_t i = 0; i < m_comparison.tensors.size(); ++i)
        m_order[i] = int(i);
    sortOrder();
    reindex();
    endResetModel();
}

void CompareTableModel::updateRows(std::vector<std::pair<std::size_t, TensorComparison>> rows)
{
    int first = INT_MAX;
    int last = -1;
    for (auto &[r, t] : rows) {
        const int shown = rowOf(r);
        if (shown < 0)
            continue;
        m_comparison.tensors[r] = std::move(t);
        first = std::min(first, shown);
        last = std::max(last, shown);
    }
    // One notice for the span: a wave is thousands of rows, each notice costs the views.
    if (last >= 0)
        Q_EMIT dataChanged(index(first, 0), index(last, ColumnCount - 1));
}

void CompareTableModel::clear()
{
    beginResetModel();
    m_comparison = {};
    m_order.clear();
    m_position.clear();
    endResetModel();
}

void CompareTableModel::reindex()
{
    m_position.assign(m_comparison.tensors.size(), -1);
    for (std::size_t i = 0; i < m_order.size(); ++i)
        m_position[std::size_t(m_order[i])] = int(i);
}

void CompareTableModel::sortOrder()
{
    if (m_sortColumn < 0 || m_sortColumn >= ColumnCount)
        return;
    const int column = m_sortColumn;
    const bool descending = m_sortOrder == Qt::DescendingOrder;
    std::sort(m_order.begin(), m_order.end(), [&](int a, int b) {
        const int c = compare(m_comparison.tensors[std::size_t(a)], m_comparison.tensors[std::size_t(b)], column);
        if (c != 0)
            return descending ? c > 0 : c < 0;
        return a < b;
    });
}

const TensorComparison *CompareTableModel::rowAt(int row) const
{
    return row >= 0 && std::size_t(row) < m_order.size() ? &m_comparison.tensors[std::size_t(m_order[std::size_t(row)])] : nullptr;
}

int CompareTableModel::rowOf(std::size_t comparisonRow) const
{
    return comparisonRow < m_position.size() ? m_position[comparisonRow] : -1;
}

int CompareTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_order.size());
}

int CompareTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CompareTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const std::size_t comparisonRow = std::size_t(m_order[std::size_t(index.row())]);
    const TensorComparison &t = m_comparison.tensors[comparisonRow];
    const bool pending = isPending(t);
    const auto number = [&](const std::optional<double> &v, bool quotient) -> QVariant {
        if (!t.valuesCompared)
            return pending ? QStringLiteral("\u2026") : QStringLiteral("\u2013");
        if (!v)
            return quotient ? tr("undefined") : QStringLiteral("\u2013");
        return ValueFormatter::formatReal(*v, 4);
    };
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case NameColumn: return TensorText::name(t.name);
        case StatusColumn: return statusText(t);
        case DtypeColumn: return dtypePair(t);
        case ShapeColumn: return shapePair(t);
        case DifferingColumn:
            if (!t.valuesCompared)
                return number({}, false);
            return QStringLiteral("%1 of %2").arg(QLocale().toString(qulonglong(t.differing)),
                                                    QLocale().toString(qulonglong(elementsOf(t) * (t.dtypeA == Dtype::C64 || t.dtypeB == Dtype::C64 ? 2 : 1))));
        case MaxAbsColumn: return number(t.maxAbsDiff, false);
        case RelL2Column: return number(t.relL2, true);
        case CosineColumn: return number(t.cosine, true);
        }
        break;
    case SortRole:
        switch (index.column()) {
        case NameColumn: return TensorText::name(t.name);
        case StatusColumn: return pending ? -1 : int(t.status);
        case DtypeColumn: return dtypePair(t);
        case ShapeColumn: return qulonglong(elementsOf(t));
        case DifferingColumn: return qulonglong(t.differing);
        case MaxAbsColumn: return t.maxAbsDiff ? QVariant(*t.maxAbsDiff) : QVariant();
        case RelL2Column: return t.relL2 ? QVariant(*t.relL2) : QVariant();
        case CosineColumn: return t.cosine ? QVariant(*t.cosine) : QVariant();
        }
        break;
    case StatusRole:
        return pending ? -1 : int(t.status);
    case ComparisonRowRole:
        return qulonglong(comparisonRow);
    case Qt::DecorationRole:
        if (index.column() == StatusColumn && !pending)
            return statusIcon(t.status);
        break;
    case Qt::ForegroundRole:
        if (index.column() == StatusColumn && !pending)
            return statusColor(t.status);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() >= DifferingColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case Qt::ToolTipRole:
        if (index.column() == NameColumn) {
            QString tip = TensorText::name(t.name);
            if (!t.nameB.empty())
                tip += tr("\nin B: %1").arg(TensorText::name(t.nameB));
            return tip;
        }
        if (index.column() == MaxAbsColumn && t.valuesCompared && t.maxAbsDiff && t.status != CompareStatus::Identical) {
            QStringList at;
            for (auto i : t.maxAbsDiffIndex)
                at << QString::number(i);
            return tr("largest |A \u2212 B| %1 at [%2]").arg(ValueFormatter::formatReal(*t.maxAbsDiff, 8), at.join(QStringLiteral(", ")));
        }
        if ((index.column() == RelL2Column || index.column() == CosineColumn) && t.valuesCompared
            && !(index.column() == RelL2Column ? t.relL2 : t.cosine))
            return tr("Undefined: a norm in the denominator is zero (an all-zero tensor).");
        if (index.column() >= DifferingColumn && t.nonfiniteMismatch > 0)
            return tr("%n position(s) where only one side is NaN or infinite (left out of the numbers)", nullptr,
                      int(std::min<std::uint64_t>(t.nonfiniteMismatch, INT_MAX)));
        return data(index, Qt::DisplayRole);
    }
    return {};
}

QVariant CompareTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case NameColumn: return tr("Name");
        case StatusColumn: return tr("Status");
        case DtypeColumn: return tr("Dtype");
        case ShapeColumn: return tr("Shape");
        case DifferingColumn: return tr("Differing");
        case MaxAbsColumn: return tr("Max |\u0394|");
        case RelL2Column: return tr("Rel. L2");
        case CosineColumn: return tr("Cosine");
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case DifferingColumn: return tr("Elements whose values differ (bitwise for the same dtype)");
        case MaxAbsColumn: return tr("Largest |A \u2212 B| over the positions where both are finite");
        case RelL2Column: return tr("\u2016A \u2212 B\u2016\u2082 / \u2016A\u2016\u2082");
        case CosineColumn: return tr("A\u00B7B / (\u2016A\u2016 \u2016B\u2016)");
        }
    }
    return QAbstractTableModel::headerData(section, orientation, role);
}

int CompareTableModel::compare(const TensorComparison &x, const TensorComparison &y, int column)
{
    switch (column) {
    case NameColumn: return threeWay(x.name, y.name);
    case StatusColumn: return threeWay(isPending(x) ? -1 : int(x.status), isPending(y) ? -1 : int(y.status));
    case DtypeColumn: return threeWay(dtypePair(x), dtypePair(y));
    case ShapeColumn: return threeWay(elementsOf(x), elementsOf(y));
    case DifferingColumn: return threeWay(x.valuesCompared ? x.differing + 1 : 0, y.valuesCompared ? y.differing + 1 : 0);
    case MaxAbsColumn: return compareOptional(x.maxAbsDiff, y.maxAbsDiff);
    case RelL2Column: return compareOptional(x.relL2, y.relL2);
    case CosineColumn: return compareOptional(x.cosine, y.cosine);
    }
    return 0;
}

void CompareTableModel::sort(int column, Qt::SortOrder order)
{
    m_sortColumn = column;
    m_sortOrder = order;
    if (column < 0 || column >= ColumnCount)
        return;
    Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    const QModelIndexList before = persistentIndexList();
    std::vector<std::size_t> indexBefore;
    indexBefore.reserve(std::size_t(before.size()));
    for (const QModelIndex &i : before)
        indexBefore.push_back(std::size_t(m_order[std::size_t(i.row())]));
    sortOrder();
    reindex();
    QModelIndexList after;
    after.reserve(before.size());
    for (qsizetype i = 0; i < before.size(); ++i)
        after.push_back(index(rowOf(indexBefore[std::size_t(i)]), before[i].column()));
    changePersistentIndexList(before, after);
    Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);
}

} // namespace tantra
