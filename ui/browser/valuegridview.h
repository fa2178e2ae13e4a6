#pragma once

#include <QTableView>

namespace tantra {

class TensorValueModel;

// The value grid: a table view over a TensorValueModel that copies its selection as
// tab-separated values (Ctrl+C or the context menu), ready to paste into a spreadsheet.
class ValueGridView : public QTableView
{
    Q_OBJECT
public:
    // Larger copies would freeze the GUI thread decoding values and flood the clipboard.
    static constexpr qint64 kMaxCopyCells = 1'000'000;

    explicit ValueGridView(QWidget *parent = nullptr);

    void setValueModel(TensorValueModel *model);
    // The selection's bounding rectangle as TSV; unselected cells inside it are left empty.
    QString selectionAsTsv() const;
    void copySelection();
    void copyWholeSlice();

Q_SIGNALS:
    void message(const QString &text);

protected:
    void keyPressEvent(QKeyEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    qint64 selectedCellCount() const;
    QString rangeAsTsv(int top, int left, int bottom, int right, bool onlySelected) const;

    TensorValueModel *m_model = nullptr;
};

} // namespace tantra
