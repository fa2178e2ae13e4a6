#pragma once

#include "page.h"

#include <QFuture>
#include <QHash>
#include <QWidget>

#include <memory>

class QAbstractItemView;
class QAction;
class QCheckBox;
class QHeaderView;
class QLabel;
class QLineEdit;
class QSplitter;
class QStackedWidget;
class QTableView;
class QTimer;
class QToolButton;
class QTreeView;

namespace tantra {

class SafetensorsModel;
class MetadataModel;
class TensorDetailPane;
class TensorSortFilterProxy;
class TensorTableModel;
class TensorTreeModel;
struct ModelTensor;

// Browses the tensors of one model (a file, an index or a shard folder; a shard set reads
// as one model): a tree grouped by name prefix or a flat table, both sortable by any column
// and filtered by a debounced glob or /regex/, beside a detail pane with statistics, values
// and a heatmap of the selected tensor. Works as a page of the main window or on its own:
//
//     auto *browser = new TensorBrowser;
//     browser->setModel(std::make_shared<const SafetensorsModel>(std::move(opened).value()));
//     browser->setTensorIssues({{"lm_head.weight", "vocab_size: expected 32000 rows, found 32001"}});
class TensorBrowser : public QWidget, public Page
{
    Q_OBJECT
public:
    enum class ViewMode { Tree, Table };
    static constexpr int kFilterDelayMs = 200;

    explicit TensorBrowser(QWidget *parent = nullptr);
    ~TensorBrowser() override;

    // Shows a model (nullptr: nothing). One reset of each item model per call.
    void setModel(std::shared_ptr<const SafetensorsModel> model);
    const std::shared_ptr<const SafetensorsModel> &model() const { return m_model; }
    // Where the model was opened from, as the main window keys its pages.
    void setSourcePath(const QString &path);
    QString sourcePath() const override { return m_sourcePath; }

    // Marks tensors whose shape breaks the model's config rules: tensor name -> the failing
    // rule in words. Replaces the previous marks; an empty hash clears them.
    void setTensorIssues(const QHash<QString, QString> &issueByTensorName);
    const QHash<QString, QString> &tensorIssues() const { return m_issues; }

    void setViewMode(ViewMode mode);
    ViewMode viewMode() const { return m_mode; }

    // Sets the filter box's text and applies it now, without waiting for the debounce.
    void setFilterText(const QString &pattern);
    QString filterText() const;
    bool focusFilter() override;

    // Selects a tensor by full name in both views; false when the model has no such tensor or
    // the filter hides it.
    bool selectTensor(const QString &name);
    QString currentTensorName() const;

    // Splitter position, view mode, column widths and sort order.
    QByteArray saveState() const;
    bool restoreState(const QByteArray &state);

    // Tree, Table and Filter, with their shortcuts (active while the focus is in the browser).
    QList<QAction *> viewActions() const;

    TensorTableModel *tableModel() const { return m_tableModel; }
    TensorTreeModel *treeModel() const { return m_treeModel; }
    TensorSortFilterProxy *tableProxy() const { return m_tableProxy; }
    TensorSortFilterProxy *treeProxy() const { return m_treeProxy; }
    QTableView *tableView() const { return m_table; }
    QTreeView *treeView() const { return m_tree; }
    QLineEdit *filterEdit() const { return m_filter; }
    TensorDetailPane *detailPane() const { return m_detail; }
    QSplitter *splitter() const { return m_splitter; }

Q_SIGNALS:
    void currentTensorChanged(const QString &name);
    void jobStarted(const QFuture<void> &future, const QString &description);
    void message(const QString &text);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    void scrollToCurrent();
    void applyFilter();
    void selectFirstTensor();
    void fitNameColumns();
    void fitColumnsToContents();
    void showHeaderMenu(QHeaderView *header, const QPoint &pos);
    void updateSummary();
    void onCurrentChanged(const QModelIndex &proxyIndex);
    void showContextMenu(QAbstractItemView *view, const QPoint &pos);
    void copySelectedNames(QAbstractItemView *view);
    const ModelTensor *tensorAtProxy(const QModelIndex &proxyIndex) const;
    QAbstractItemView *currentView() const;
    void setupColumns();

    std::shared_ptr<const SafetensorsModel> m_model;
    QString m_sourcePath;
    QHash<QString, QString> m_issues;
    ViewMode m_mode = ViewMode::Tree;

    TensorTableModel *m_tableModel = nullptr;
    TensorTreeModel *m_treeModel = nullptr;
    TensorSortFilterProxy *m_tableProxy = nullptr;
    TensorSortFilterProxy *m_treeProxy = nullptr;

    QSplitter *m_splitter = nullptr;
    QAction *m_treeAction = nullptr;
    QAction *m_tableAction = nullptr;
    QToolButton *m_treeButton = nullptr;
    QToolButton *m_tableButton = nullptr;
    QLineEdit *m_filter = nullptr;
    QCheckBox *m_onlyIssues = nullptr;
    QLabel *m_summary = nullptr;
    QToolButton *m_metadataButton = nullptr;
    QTreeView *m_metadataView = nullptr;
    MetadataModel *m_metadataModel = nullptr;
    QStackedWidget *m_stack = nullptr;
    QTreeView *m_tree = nullptr;
    QTableView *m_table = nullptr;
    TensorDetailPane *m_detail = nullptr;
    QTimer *m_filterTimer = nullptr;
    bool m_fittingColumns = false;
    bool m_columnsSizedByUser = false;
    // A view scrolls to its current row once it has a size (see selectTensor).
    bool m_scrollPending = false;
};

} // namespace tantra
