#pragma once

#include "tensorslice.h"

#include <QWidget>

#include <cstdint>
#include <vector>

class QComboBox;
class QHBoxLayout;
class QLabel;
class QSpinBox;

namespace tantra {

// Chooses the 2-D slice of a tensor to look at: which dimension runs down the rows, which
// across the columns, and (spin boxes) the position along every other dimension.
class SliceSelector : public QWidget
{
    Q_OBJECT
public:
    explicit SliceSelector(QWidget *parent = nullptr);

    // Rebuilds the controls for a shape and selects its default slice.
    void setShape(const std::vector<std::uint64_t> &shape);
    void setSlice(const TensorSlice &slice);
    const TensorSlice &slice() const { return m_slice; }

    QComboBox *rowDimCombo() const { return m_rowCombo; }
    QComboBox *colDimCombo() const { return m_colCombo; }
    // The spin box of a fixed dimension (nullptr for the row and column dimensions).
    QSpinBox *positionSpin(int dim) const;

Q_SIGNALS:
    void sliceChanged(const tantra::TensorSlice &slice);

private:
    void rebuildPositions();
    void onDimChosen(bool rowChanged);
    void syncControls();

    std::vector<std::uint64_t> m_shape;
    TensorSlice m_slice;
    QLabel *m_rowLabel = nullptr;
    QComboBox *m_rowCombo = nullptr;
    QLabel *m_colLabel = nullptr;
    QComboBox *m_colCombo = nullptr;
    QLabel *m_scalarLabel = nullptr;
    QHBoxLayout *m_positions = nullptr;
    std::vector<QSpinBox *> m_spins; // one per dimension; null for row/col
    std::vector<QWidget *> m_positionWidgets;
    bool m_updating = false;
};

} // namespace tantra
