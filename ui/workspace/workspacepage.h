#pragma once

#include "page.h"

#include <QStringList>
#include <QWidget>

class QLineEdit;
class QListView;
class QSortFilterProxyModel;
class QSplitter;
class QTableView;
class QLabel;
class QToolButton;

namespace tantra {

class ModelTypeListModel;
class WeightDetailsView;
class WeightTableModel;
class WorkspaceSession;

// The workspace at a glance: model types (left), the selected type's weights (centre,
// sortable, filterable, multi-select) and the selected weight's details (right). Keeps the
// user's selection across refreshes caused by other processes.
class WorkspacePage : public QWidget, public Page
{
    Q_OBJECT
public:
    explicit WorkspacePage(WorkspaceSession *session, QWidget *parent = nullptr);

    QString currentType() const;
    QStringList selectedWeights() const;
    void selectType(const QString &type);
    void selectWeight(const QString &name);
    QString sourcePath() const override;
    bool isPermanent() const override { return true; }
    bool focusFilter() override;
    QTableView *weightsView() const { return m_weights; }
    QListView *typesView() const { return m_types; }
    QLineEdit *filterEdit() const { return m_filter; }
    // "2 of 5 weights match" while a filter is typed; hidden otherwise.
    QLabel *filterStatus() const { return m_filterStatus; }
    // Over the empty weights table of a type: how to add weights.
    QLabel *emptyHint() const { return m_emptyHint; }
    QToolButton *newTypeButton() const { return m_newType; }
    QSplitter *splitter() const { return m_splitter; }
    WeightTableModel *weightModel() const { return m_weightModel; }
    ModelTypeListModel *typeModel() const { return m_typeModel; }

Q_SIGNALS:
    void selectionChanged();
    // Double-click or Enter on a weight.
    void weightActivated(const QString &name);
    void contextMenuRequested(const QPoint &globalPos);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void refresh();
    void refreshWeights();
    void updateDetails();
    void updateFilterStatus();
    // Hides the columns the table has no room for, least needed first, and shows them again
    // when it has.
    void fitColumns();

    WorkspaceSession *m_session;
    ModelTypeListModel *m_typeModel;
    WeightTableModel *m_weightModel;
    QSortFilterProxyModel *m_proxy;
    QListView *m_types;
    QTableView *m_weights;
    QLineEdit *m_filter;
    QToolButton *m_newType;
    QLabel *m_banner;
    QLabel *m_typeTitle;
    QLabel *m_filterStatus;
    QLabel *m_emptyHint;
    QString m_shownType; // the type whose weights the table shows; the filter belongs to it
    WeightDetailsView *m_details;
    QSplitter *m_splitter;
};

} // namespace tantra
