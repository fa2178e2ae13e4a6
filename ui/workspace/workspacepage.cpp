#include "workspacepage.h"

#include "errortext.h"
#include "modeltypelistmodel.h"
#include "weightdetailsview.h"
#include "weighttablemodel.h"
#include "workspacesession.h"

#include <QEvent>
#include <QHeaderView>
#include <QLabel>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QListView>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace tantra {

WorkspacePage::WorkspacePage(WorkspaceSession *session, QWidget *parent)
    : QWidget(parent),
      m_session(session),
      m_typeModel(new ModelTypeListModel(this)),
      m_weightModel(new WeightTableModel(this)),
      m_proxy(new QSortFilterProxyModel(this)),
      m_types(new QListView),
      m_weights(new QTableView),
      m_filter(new QLineEdit),
      m_newType(new QToolButton),
      m_banner(new QLabel),
      m_typeTitle(new QLabel),
      m_filterStatus(new QLabel),
      m_emptyHint(new QLabel),
      m_details(new WeightDetailsView),
      m_splitter(new QSplitter(Qt::Horizontal))
{
    m_types->setModel(m_typeModel);
    m_types->setObjectName(QStringLiteral("modelTypes"));
    m_types->setSpacing(2);
    m_types->setUniformItemSizes(true);
    m_types->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_types->setMinimumWidth(250);
    m_types->setTextElideMode(Qt::ElideMiddle);
    m_types->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);

    m_newType->setText(tr("New model type…"));
    m_newType->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_newType->setAutoRaise(true);

    m_proxy->setSourceModel(m_weightModel);
    m_proxy->setSortRole(WeightTableModel::SortRole);
    m_proxy->setFilterKeyColumn(WeightTableModel::NameColumn);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_weights->setModel(m_proxy);
    m_weights->setObjectName(QStringLiteral("weights"));
    m_weights->setSortingEnabled(true);
    m_weights->sortByColumn(WeightTableModel::CreatedColumn, Qt::DescendingOrder);
    m_weights->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_weights->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_weights->setEditTriggers(QAbstractItemView::NoEditTriggers);
    // Tab moves on to the next widget (the details), not from cell to cell of a read-only row.
    m_weights->setTabKeyNavigation(false);
    m_weights->setContextMenuPolicy(Qt::CustomContextMenu);
    m_weights->verticalHeader()->hide();
    m_weights->setAlternatingRowColors(true);
    m_weights->setWordWrap(false);
    // A few dozen weights per type at most: fitting columns to their contents is cheap. The
    // name takes what is left, so in a small window (800x600) it is the name that elides (in
    // the middle, whole in its tooltip) rather than Validation sliding behind a scroll bar.
    m_weights->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_weights->horizontalHeader()->setSectionResizeMode(WeightTableModel::NameColumn, QHeaderView::Stretch);
    m_weights->horizontalHeader()->setStretchLastSection(false);
    m_weights->setTextElideMode(Qt::ElideMiddle);
    m_weights->horizontalHeader()->setMinimumSectionSize(60);

    // A new type's table is empty: say how weights get there, where they would appear.
    m_emptyHint->setParent(m_weights->viewport());
    m_emptyHint->setObjectName(QStringLiteral("weightsEmptyHint"));
    m_emptyHint->setText(tr("No weights yet: drag a .safetensors file here or use Import\u2026 (Ctrl+I)."));
    m_emptyHint->setAlignment(Qt::AlignCenter);
    m_emptyHint->setWordWrap(true);
    m_emptyHint->setEnabled(false); // drawn in the disabled text colour, like a placeholder
    m_emptyHint->setMargin(12);
    m_emptyHint->hide();
    m_weights->viewport()->installEventFilter(this);

    m_filter->setPlaceholderText(tr("Filter weights by name"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setObjectName(QStringLiteral("weightFilter"));

    m_banner->setWordWrap(true);
    m_banner->setVisible(false);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setStyleSheet(QStringLiteral("QLabel { background: palette(highlight); color: palette(highlighted-text); padding: 6px; }"));

    auto *left = new QWidget;
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto *typesLabel = new QLabel(tr("<b>Model types</b>"));
    leftLayout->addWidget(typesLabel);
    leftLayout->addWidget(m_types, 1);
    leftLayout->addWidget(m_newType);

    auto *centre = new QWidget;
    auto *centreLayout = new QVBoxLayout(centre);
    centreLayout->setContentsMargins(0, 0, 0, 0);
    centreLayout->addWidget(m_banner);
    centreLayout->addWidget(m_typeTitle);
    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_filterStatus);
    m_filterStatus->setVisible(false);
    m_filterStatus->setObjectName(QStringLiteral("weightFilterStatus"));
    centreLayout->addLayout(filterRow);
    centreLayout->addWidget(m_weights, 1);

    m_splitter->addWidget(left);
    m_splitter->addWidget(centre);
    m_splitter->addWidget(m_details);
    // The weights table is what the page is for: in a small window (800x600) the type list and
    // the details give up room too, rather than leave the table a third of the width.
    m_splitter->setStretchFactor(0, 1);
    m_splitter->setStretchFactor(1, 4);
    m_splitter->setStretchFactor(2, 2);
    m_types->setMinimumWidth(180); // "active: mamba_multimodal_v2" elided, still readable
    m_details->setMinimumWidth(160);
    m_splitter->setSizes({240, 720, 400});
    m_splitter->setObjectName(QStringLiteral("workspaceSplitter"));

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->addWidget(m_splitter);

    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_proxy->setFilterFixedString(text);
        // Rows that come back must get their width back too: columns sized while the table
        // was empty stayed as narrow as their headers ("acti…").
        m_weights->resizeColumnsToContents();
        fitColumns();
        updateFilterStatus();
    });
    connect(m_types->selectionModel(), &QItemSelectionModel::currentChanged, this, [this] {
        refreshWeights();
        Q_EMIT selectionChanged();
    });
    connect(m_weights->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateDetails();
        Q_EMIT selectionChanged();
    });
    connect(m_weights, &QTableView::activated, this, [this](const QModelIndex &index) {
        Q_EMIT weightActivated(index.data(WeightTableModel::NameRole).toString());
    });
    connect(m_weights, &QWidget::customContextMenuRequested, this,
            [this](const QPoint &pos) { Q_EMIT contextMenuRequested(m_weights->viewport()->mapToGlobal(pos)); });
    connect(m_session, &WorkspaceSession::changed, this, &WorkspacePage::refresh);
    refresh();
}

bool WorkspacePage::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
    return true;
}

QString WorkspacePage::currentType() const
{
    return m_types->currentIndex().data(ModelTypeListModel::TypeRole).toString();
}

QStringList WorkspacePage::selectedWeights() const
{
    QStringList names;
    for (const QModelIndex &index : m_weights->selectionModel()->selectedRows())
        names << index.data(WeightTableModel::NameRole).toString();
    return names;
}

void WorkspacePage::selectType(const QString &type)
{
    const int row = m_typeModel->rowOf(type);
    if (row >= 0)
        m_types->setCurrentIndex(m_typeModel->index(row));
}

void WorkspacePage::selectWeight(const QString &name)
{
    const int row = m_weightModel->rowOf(name);
    if (row < 0)
        return;
    const QModelIndex index = m_proxy->mapFromSource(m_weightModel->index(row, WeightTableModel::NameColumn));
    m_weights->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_weights->setCurrentIndex(index);
    m_weights->scrollTo(index);
}

void WorkspacePage::refresh()
{
    // Another process may have changed everything: rebuild, then put the selection back.
    const QString type = currentType();
    m_typeModel->refresh(*m_session);
    if (m_typeModel->rowOf(type) >= 0)
        selectType(type);
    else if (m_typeModel->rowCount() > 0)
        m_types->setCurrentIndex(m_typeModel->index(0));
    refreshWeights();

    // The remedy comes from core as a value and is worded here as a menu path; an error
    // without one (a mistyped field) is still repaired the same way. A registry of a newer or
    // unreadable schema is one a repair refuses to touch: no remedy is offered for it.
    const std::optional<Error> &error = m_session->registryError();
    m_banner->setVisible(error.has_value());
    m_banner->setText(!error ? QString()
                             : tr("The registry cannot be read, so this view may be out of date:\n%1\n%2")
                                       .arg(error->message(), remedyText(error->remedy == Remedy::None ? Remedy::RebuildRegistry : error->remedy,
                                                                         error->subject))
                                       .trimmed());
}

void WorkspacePage::refreshWeights()
{
    const QStringList selected = selectedWeights();
    const QString current = m_weights->currentIndex().data(WeightTableModel::NameRole).toString();
    const QString type = currentType();
    m_weightModel->refresh(*m_session, type);
    m_typeTitle->setText(type.isEmpty() ? tr("<b>No model type selected</b>") : tr("<b>Weights of %1</b>").arg(type.toHtmlEscaped()));
    // A filter typed for one type's weights would hide another's without saying so.
    if (type != m_shownType) {
        m_shownType = type;
        m_filter->clear();
    }
    updateFilterStatus();
    fitColumns();
    for (const QString &name : selected) {
        const int row = m_weightModel->rowOf(name);
        if (row >= 0) {
            const QModelIndex index = m_proxy->mapFromSource(m_weightModel->index(row, 0));
            m_weights->selectionModel()->select(index, QItemSelectionModel::Select | QItemSelectionModel::Rows);
        }
    }
    const int currentRow = m_weightModel->rowOf(current);
    if (currentRow >= 0)
        m_weights->selectionModel()->setCurrentIndex(m_proxy->mapFromSource(m_weightModel->index(currentRow, 0)),
                                                     QItemSelectionModel::NoUpdate);
    // Something useful in the details pane from the start: the active weight, else the newest.
    if (m_weights->selectionModel()->selectedRows().isEmpty() && m_proxy->rowCount() > 0) {
        QModelIndex pick = m_proxy->index(0, 0);
        for (int r = 0; r < m_proxy->rowCount(); ++r) {
            if (m_proxy->index(r, 0).data(WeightTableModel::ActiveRole).toBool())
                pick = m_proxy->index(r, 0);
        }
        m_weights->selectionModel()->setCurrentIndex(pick, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    }
    updateDetails();
}

void WorkspacePage::fitColumns()
{
    // In a narrow window (800x600) the verdict columns stay in view and whole, and what gives
    // way is what is said elsewhere: the version ends the name, and the details pane shows the
    // checksum, the dates and the size of the selected weight.
    static constexpr int giveWay[] = {WeightTableModel::VersionColumn, WeightTableModel::ChecksumColumn, WeightTableModel::CreatedColumn,
                                      WeightTableModel::SizeColumn};
    QHeaderView *header = m_weights->horizontalHeader();
    const QAbstractItemView *view = m_weights; // sizeHintForColumn is public there
    const auto wanted = [&](int column) { return std::max(header->sectionSizeHint(column), view->sizeHintForColumn(column)); };
    // A name elided to this is still told apart from its neighbours (the tooltip has it whole).
    int needed = std::min(wanted(WeightTableModel::NameColumn), 200);
    for (int c = 0; c < WeightTableModel::ColumnCount; ++c) {
        if (c != WeightTableModel::NameColumn)
            needed += wanted(c);
    }
    const int available = m_weights->viewport()->width();
    for (int column : giveWay) {
        const bool hide = needed > available;
        if (hide)
            needed -= wanted(column);
        if (header->isSectionHidden(column) != hide)
            header->setSectionHidden(column, hide);
    }
}

bool WorkspacePage::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_weights->viewport() && event->type() == QEvent::Resize) {
        m_emptyHint->setGeometry(m_weights->viewport()->rect());
        fitColumns();
    }
    return QWidget::eventFilter(watched, event);
}

void WorkspacePage::updateFilterStatus()
{
    m_emptyHint->setVisible(!currentType().isEmpty() && m_weightModel->rowCount() == 0);
    m_emptyHint->setGeometry(m_weights->viewport()->rect());
    const bool filtering = !m_filter->text().isEmpty();
    m_filterStatus->setVisible(filtering);
    if (filtering)
        m_filterStatus->setText(tr("%1 of %n weight(s) match", nullptr, m_weightModel->rowCount()).arg(m_proxy->rowCount()));
}

void WorkspacePage::updateDetails()
{
    const QStringList names = selectedWeights();
    if (names.size() != 1) {
        m_details->showNothing(names.isEmpty() ? tr("Select a weight to see its details.") : tr("%n weight(s) selected.", nullptr, int(names.size())));
        return;
    }
    const WeightTableModel::Row *row = m_weightModel->rowFor(names.first());
    if (row)
        m_details->showWeight(row->entry, m_session->registry(), m_session->root(), row->validationOutdated);
}

QString WorkspacePage::sourcePath() const
{
    return m_session->root();
}

} // namespace tantra
