#pragma once

#include "tensorslice.h"

#include <QAbstractTableModel>

#include <memory>

namespace tantra {

class SafetensorsModel;
struct ModelTensor;

// The values of one 2-D slice of a tensor, decoded from the mapped file only when a view
// asks for a cell: a view shows a screenful, so a tensor of any size costs the same.
class TensorValueModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Role {
        // The value as a double (the real part for c64).
        ValueRole = Qt::UserRole + 1,
    };

    explicit TensorValueModel(QObject *parent = nullptr);
    ~TensorValueModel() override;

    // Shows the tensor's default slice. The model keeps `model` alive while it shows it.
    void setTensor(std::shared_ptr<const SafetensorsModel> model, const ModelTensor *tensor);
    void clear() { setTensor(nullptr, nullptr); }
    const ModelTensor *tensor() const { return m_tensor; }
    // The compare view's other side: cells whose value differs from the reference's at the
    // same position are highlighted, and their tooltips give both values and the difference.
    // Ignored unless the reference has the tensor's shape; null clears it.
    void setReference(std::shared_ptr<const SafetensorsModel> model, const ModelTensor *tensor, const QString &label = {});
    // Ignored unless valid for the tensor's shape.
    void setSlice(const TensorSlice &slice);
    const TensorSlice &slice() const { return m_slice; }
    // Rows or columns beyond what a view can index (2^31 - 1) are cut off.
    bool isTruncated() const;

    // The cell's text as shown; empty outside the slice.
    QString valueText(int row, int column) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::uint64_t elementOf(int row, int column) const { return m_layout.element(std::uint64_t(row), std::uint64_t(column)); }
    bool differsFromReference(std::uint64_t element) const;

    std::shared_ptr<const SafetensorsModel> m_model;
    const ModelTensor *m_tensor = nullptr;
    const std::byte *m_data = nullptr;
    std::uint64_t m_elements = 0;
    TensorSlice m_slice;
    TensorSlice::Layout m_layout;
    std::shared_ptr<const SafetensorsModel> m_refModel;
    const ModelTensor *m_refTensor = nullptr;
    const std::byte *m_refData = nullptr;
    QString m_refLabel;
};

} // namespace tantra
