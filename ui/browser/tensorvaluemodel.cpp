#include "tensorvaluemodel.h"

#include "safetensorsmodel.h"
#include "valueformatter.h"

#include <QBrush>
#include <QColor>
#include <QStringList>

#include <climits>
#include <cmath>

namespace tantra {

namespace {

int clampToInt(std::uint64_t n)
{
    return n > std::uint64_t(INT_MAX) ? INT_MAX : int(n);
}

} // namespace

TensorValueModel::TensorValueModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

TensorValueModel::~TensorValueModel() = default;

void TensorValueModel::setTensor(std::shared_ptr<const SafetensorsModel> model, const ModelTensor *tensor)
{
    beginResetModel();
    m_model = tensor ? std::move(model) : nullptr;
    m_tensor = m_model ? tensor : nullptr;
    m_refModel = nullptr;
    m_refTensor = nullptr;
    m_refData = nullptr;
    m_data = nullptr;
    m_elements = 0;
    m_slice = {};
    m_layout = {};
    if (m_tensor) {
        m_data = m_model->data(*m_tensor).data();
        m_elements = m_tensor->info->elementCount();
        m_slice = TensorSlice::defaultFor(m_tensor->info->shape);
        m_layout = m_slice.layout(m_tensor->info->shape);
    }
    endResetModel();
}

void TensorValueModel::setReference(std::shared_ptr<const SafetensorsModel> model, const ModelTensor *tensor, const QString &label)
{
    const bool usable = model && tensor && m_tensor && tensor->info->shape == m_tensor->info->shape;
    m_refModel = usable ? std::move(model) : nullptr;
    m_refTensor = usable ? tensor : nullptr;
    m_refData = usable ? m_refModel->data(*m_refTensor).data() : nullptr;
    m_refLabel = label;
    if (rowCount() > 0 && columnCount() > 0)
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
}

bool TensorValueModel::differsFromReference(std::uint64_t element) const
{
    if (!m_refData)
        return false;
    const double a = decodeValue(m_tensor->info->dtype, m_data, element);
    const double b = decodeValue(m_refTensor->info->dtype, m_refData, element);
    // Two NaNs are equal, as in the comparison; the imaginary part of C64 is not looked at.
    return a != b && !(std::isnan(a) && std::isnan(b));
}

void TensorValueModel::setSlice(const TensorSlice &slice)
{
    if (!m_tensor || slice == m_slice || !slice.isValidFor(m_tensor->info->shape))
        return;
    beginResetModel();
    m_slice = slice;
    m_layout = m_slice.layout(m_tensor->info->shape);
    endResetModel();
}

bool TensorValueModel::isTruncated() const
{
    return m_tensor && (m_layout.rows > std::uint64_t(INT_MAX) || m_layout.cols > std::uint64_t(INT_MAX));
}

int TensorValueModel::rowCount(const QModelIndex &parent) const
{
    if (parent.isValid() || !m_tensor || m_elements == 0)
        return 0;
    return clampToInt(m_layout.rows);
}

int TensorValueModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid() || !m_tensor || m_elements == 0)
        return 0;
    return clampToInt(m_layout.cols);
}

QString TensorValueModel::valueText(int row, int column) const
{
    if (row < 0 || column < 0 || row >= rowCount() || column >= columnCount())
        return {};
    return ValueFormatter::format(m_tensor->info->dtype, m_data, elementOf(row, column));
}

QVariant TensorValueModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Dtype dtype = m_tensor->info->dtype;
    const std::uint64_t element = elementOf(index.row(), index.column());
    switch (role) {
    case Qt::DisplayRole:
        return ValueFormatter::format(dtype, m_data, element);
    case ValueRole:
        return decodeValue(dtype, m_data, element);
    case Qt::ToolTipRole: {
        QStringList position;
        for (std::uint64_t i : m_slice.indexOf(std::uint64_t(index.row()), std::uint64_t(index.column())))
            position.push_back(QString::number(i));
        QString tip = tr("[%1] = %2\nelement %3")
                              .arg(position.join(QStringLiteral(", ")), ValueFormatter::format(dtype, m_data, element))
                              .arg(element);
        if (m_refData) {
            const double a = decodeValue(dtype, m_data, element);
            const double b = decodeValue(m_refTensor->info->dtype, m_refData, element);
            tip += tr("\n%1: %2\ndifference: %3")
                           .arg(m_refLabel.isEmpty() ? tr("other") : m_refLabel,
                                ValueFormatter::format(m_refTensor->info->dtype, m_refData, element),
                                ValueFormatter::formatReal(a - b, 6));
        }
        return tip;
    }
    case Qt::BackgroundRole:
        if (differsFromReference(element))
            return QBrush(QColor(255, 200, 120, 150));
        return {};
    case Qt::TextAlignmentRole:
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    case Qt::ForegroundRole: {
        if (!dtypeIsFloat(dtype) && !dtypeIsComplex(dtype))
            return {};
        const double value = decodeValue(dtype, m_data, element);
        if (!std::isfinite(value))
            return QBrush(QColor(0xd0, 0x3a, 0x2f));
        return {};
    }
    }
    return {};
}

QVariant TensorValueModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || !m_tensor)
        return QAbstractTableModel::headerData(section, orientation, role);
    // Rank 0 has no dimensions: the single cell is simply the value.
    if (m_tensor->info->shape.empty())
        return orientation == Qt::Horizontal ? tr("value") : QString();
    if (orientation == Qt::Horizontal && m_slice.colDim < 0)
        return tr("value");
    return QString::number(section);
}

} // namespace tantra
