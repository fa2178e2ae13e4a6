#include "sliceselector.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSpinBox>

#include <climits>

namespace tantra {

SliceSelector::SliceSelector(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    m_rowLabel = new QLabel(tr("&Rows:"), this);
    m_rowCombo = new QComboBox(this);
    m_rowCombo->setObjectName(QStringLiteral("rowDimCombo"));
    m_rowCombo->setToolTip(tr("Dimension shown down the rows"));
    m_rowLabel->setBuddy(m_rowCombo);
    m_colLabel = new QLabel(tr("C&olumns:"), this);
    m_colCombo = new QComboBox(this);
    m_colCombo->setObjectName(QStringLiteral("colDimCombo"));
    m_colCombo->setToolTip(tr("Dimension shown across the columns"));
    m_colLabel->setBuddy(m_colCombo);
    m_scalarLabel = new QLabel(tr("A scalar: one value, no dimensions."), this);
    m_positions = new QHBoxLayout;
    m_positions->setSpacing(6);

    layout->addWidget(m_scalarLabel);
    layout->addWidget(m_rowLabel);
    layout->addWidget(m_rowCombo);
    layout->addSpacing(8);
    layout->addWidget(m_colLabel);
    layout->addWidget(m_colCombo);
    layout->addSpacing(8);
    layout->addLayout(m_positions);
    layout->addStretch(1);

    connect(m_rowCombo, &QComboBox::activated, this, [this] { onDimChosen(true); });
    connect(m_colCombo, &QComboBox::activated, this, [this] { onDimChosen(false); });
    setShape({});
}

QSpinBox *SliceSelector::positionSpin(int dim) const
{
    return dim >= 0 && std::size_t(dim) < m_spins.size() ? m_spins[std::size_t(dim)] : nullptr;
}

void SliceSelector::setShape(const std::vector<std::uint64_t> &shape)
{
    m_shape = shape;
    m_slice = TensorSlice::defaultFor(shape);
    const QSignalBlocker rowBlocker(m_rowCombo);
    const QSignalBlocker colBlocker(m_colCombo);
    m_rowCombo->clear();
    m_colCombo->clear();
    for (std::size_t d = 0; d < shape.size(); ++d) {
        const QString text = tr("dim %1 (%L2)").arg(d).arg(qulonglong(shape[d]));
        m_rowCombo->addItem(text, int(d));
        m_colCombo->addItem(text, int(d));
    }
    const int rank = int(shape.size());
    m_scalarLabel->setVisible(rank == 0);
    m_rowLabel->setVisible(rank >= 1);
    m_rowCombo->setVisible(rank >= 1);
    m_rowCombo->setEnabled(rank >= 2);
    m_colLabel->setVisible(rank >= 2);
    m_colCombo->setVisible(rank >= 2);
    rebuildPositions();
    syncControls();
}

void SliceSelector::setSlice(const TensorSlice &slice)
{
    if (!slice.isValidFor(m_shape) || slice == m_slice)
        return;
    const bool dimsChanged = slice.rowDim != m_slice.rowDim || slice.colDim != m_slice.colDim;
    m_slice = slice;
    if (dimsChanged)
        rebuildPositions();
    syncControls();
    Q_EMIT sliceChanged(m_slice);
}

void SliceSelector::rebuildPositions()
{
    for (QWidget *widget : m_positionWidgets)
        delete widget;
    m_positionWidgets.clear();
    m_spins.assign(m_shape.size(), nullptr);
    for (std::size_t d = 0; d < m_shape.size(); ++d) {
        if (int(d) == m_slice.rowDim || int(d) == m_slice.colDim)
            continue;
        auto *label = new QLabel(tr("dim %1:").arg(d), this);
        auto *spin = new QSpinBox(this);
        spin->setObjectName(QStringLiteral("positionSpin%1").arg(d));
        const std::uint64_t size = m_shape[d];
        spin->setRange(0, size == 0 ? 0 : int(std::min<std::uint64_t>(size - 1, INT_MAX)));
        spin->setSuffix(tr(" / %L1").arg(qulonglong(size)));
        spin->setToolTip(tr("Position along dimension %1 (size %L2)").arg(d).arg(qulonglong(size)));
        spin->setKeyboardTracking(false);
        m_positionWidgets.push_back(label);
        m_positionWidgets.push_back(spin);
        label->setBuddy(spin);
        m_positions->addWidget(label);
        m_positions->addWidget(spin);
        m_spins[d] = spin;
        connect(spin, &QSpinBox::valueChanged, this, [this, d](int value) {
            if (m_updating)
                return;
            m_slice.position[d] = std::uint64_t(value);
            Q_EMIT sliceChanged(m_slice);
        });
    }
}

void SliceSelector::onDimChosen(bool rowChanged)
{
    const int row = m_rowCombo->currentData().toInt();
    const int col = m_colCombo->currentData().toInt();
    TensorSlice slice = m_slice;
    // Choosing the other axis's dimension swaps the two.
    if (rowChanged) {
        slice.rowDim = row;
        if (row == m_slice.colDim)
            slice.colDim = m_slice.rowDim;
    } else {
        slice.colDim = col;
        if (col == m_slice.rowDim)
            slice.rowDim = m_slice.colDim;
    }
    setSlice(slice);
    syncControls();
}

void SliceSelector::syncControls()
{
    m_updating = true;
    {
        const QSignalBlocker rowBlocker(m_rowCombo);
        const QSignalBlocker colBlocker(m_colCombo);
        m_rowCombo->setCurrentIndex(m_slice.rowDim);
        m_colCombo->setCurrentIndex(m_slice.colDim);
    }
    for (std::size_t d = 0; d < m_spins.size(); ++d) {
        if (m_spins[d])
            m_spins[d]->setValue(int(std::min<std::uint64_t>(m_slice.position[d], INT_MAX)));
    }
    m_updating = false;
}

} // namespace tantra
