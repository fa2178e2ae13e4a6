#include "valuegridview.h"

#include "icons.h"
#include "safetensorsmodel.h"
#include "tensorvaluemodel.h"
#include "valueformatter.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QKeyEvent>
#include <QMenu>

#include <climits>

namespace tantra {

ValueGridView::ValueGridView(QWidget *parent)
    : QTableView(parent)
{
    setSelectionMode(QAbstractItemView::ExtendedSelection);
    setSelectionBehavior(QAbstractItemView::SelectItems);
    setWordWrap(false);
    setCornerButtonEnabled(true);
    // Fixed sizes keep a header of millions of sections from measuring each one.
    horizontalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    const int rowHeight = fontMetrics().height() + 6;
    verticalHeader()->setDefaultSectionSize(rowHeight);
    horizontalHeader()->setDefaultSectionSize(fontMetrics().horizontalAdvance(QStringLiteral("-0.000123457")) + 12);
    verticalHeader()->setDefaultAlignment(Qt::AlignRight | Qt::AlignVCenter);
    setToolTip(tr("Values of the selected slice. Ctrl+C copies the selection as tab-separated values."));
}

void ValueGridView::setValueModel(TensorValueModel *model)
{
    m_model = model;
    setModel(model);
    // Columns as wide as the widest value the type prints, so no cell is cut off; fixed
    // sizes keep a header of millions of sections from measuring each one.
    const auto fitColumns = [this] {
        const ModelTensor *tensor = m_model ? m_model->tensor() : nullptr;
        const QString sample = tensor ? ValueFormatter::widestText(tensor->info->dtype) : QStringLiteral("-0.000123457");
        horizontalHeader()->setDefaultSectionSize(fontMetrics().horizontalAdvance(sample) + 12);
    };
    if (model)
        connect(model, &QAbstractItemModel::modelReset, this, fitColumns);
    fitColumns();
}

QString ValueGridView::rangeAsTsv(int top, int left, int bottom, int right, bool onlySelected) const
{
    const QItemSelectionModel *selection = selectionModel();
    QString text;
    for (int r = top; r <= bottom; ++r) {
        for (int c = left; c <= right; ++c) {
            if (c > left)
                text += QLatin1Char('\t');
            if (!onlySelected || selection->isSelected(m_model->index(r, c)))
                text += m_model->valueText(r, c);
        }
        text += QLatin1Char('\n');
    }
    return text;
}

QString ValueGridView::selectionAsTsv() const
{
    if (!m_model || !selectionModel())
        return {};
    // Ranges, not selectedIndexes(): "select all" on a huge slice must not expand to a list.
    const QItemSelection ranges = selectionModel()->selection();
    if (ranges.isEmpty())
        return {};
    int top = INT_MAX, left = INT_MAX, bottom = -1, right = -1;
    for (const QItemSelectionRange &range : ranges) {
        top = std::min(top, range.top());
        bottom = std::max(bottom, range.bottom());
        left = std::min(left, range.left());
        right = std::max(right, range.right());
    }
    if (qint64(bottom - top + 1) * (right - left + 1) > kMaxCopyCells)
        return {};
    return rangeAsTsv(top, left, bottom, right, ranges.size() > 1);
}

qint64 ValueGridView::selectedCellCount() const
{
    qint64 cells = 0;
    if (selectionModel()) {
        for (const QItemSelectionRange &range : selectionModel()->selection())
            cells += qint64(range.width()) * range.height();
    }
    return cells;
}

void ValueGridView::copySelection()
{
    const QString text = selectionAsTsv();
    if (text.isEmpty()) {
        if (selectionModel() && selectionModel()->hasSelection())
            Q_EMIT message(tr("The selection spans more than %L1 cells; select less to copy.").arg(kMaxCopyCells));
        return;
    }
    QApplication::clipboard()->setText(text);
    Q_EMIT message(tr("Copied %Ln value(s)", nullptr, int(selectedCellCount())));
}

void ValueGridView::copyWholeSlice()
{
    if (!m_model)
        return;
    const qint64 cells = qint64(m_model->rowCount()) * m_model->columnCount();
    if (cells == 0 || cells > kMaxCopyCells) {
        Q_EMIT message(tr("The slice has %L1 cells; only slices up to %L2 cells can be copied.").arg(cells).arg(kMaxCopyCells));
        return;
    }
    QApplication::clipboard()->setText(rangeAsTsv(0, 0, m_model->rowCount() - 1, m_model->columnCount() - 1, false));
    Q_EMIT message(tr("Copied %Ln value(s)", nullptr, int(cells)));
}

void ValueGridView::keyPressEvent(QKeyEvent *event)
{
    if (event->matches(QKeySequence::Copy)) {
        copySelection();
        event->accept();
        return;
    }
    QTableView::keyPressEvent(event);
}

void ValueGridView::contextMenuEvent(QContextMenuEvent *event)
{
    QMenu menu(this);
    QAction *copy = menu.addAction(Icons::get(QStringLiteral("copy")), tr("&Copy Selection"), this, &ValueGridView::copySelection);
    copy->setShortcut(QKeySequence::Copy);
    copy->setEnabled(selectionModel() && selectionModel()->hasSelection());
    menu.addAction(tr("Copy Whole &Slice"), this, &ValueGridView::copyWholeSlice);
    menu.addSeparator();
    menu.addAction(tr("Select &All"), this, &QTableView::selectAll);
    menu.exec(event->globalPos());
}

} // namespace tantra
