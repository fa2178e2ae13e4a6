#include "tensorbrowser.h"

#include "icons.h"
#include "metadatamodel.h"
#include "safetensorsmodel.h"
#include "tensordetailpane.h"
#include "tensorsortfilterproxy.h"
#include "tensortablemodel.h"
#include "tensortext.h"
#include "tensortreemodel.h"
#include "torchcheckpoint.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDataStream>
#include <QHBoxLayout>
#include <QFileInfo>
#include <QHeaderView>
#include <QIODevice>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QShortcut>
#include <QStyle>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QScopedValueRollback>
#include <QScrollBar>
#include <QVBoxLayout>

#include <algorithm>

namespace tantra {

namespace {

constexpr quint32 kStateMagic = 0x54425231; // "TBR1"

void configureView(QAbstractItemView *view)
{
    view->setSelectionBehavior(QAbstractItemView::SelectRows);
    view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    view->setAlternatingRowColors(true);
    view->setContextMenuPolicy(Qt::CustomContextMenu);
    view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    view->setTextElideMode(Qt::ElideMiddle);
}

} // namespace

TensorBrowser::TensorBrowser(QWidget *parent)
    : QWidget(parent)
{
    m_tableModel = new TensorTableModel(this);
    m_treeModel = new TensorTreeModel(this);
    m_tableProxy = new TensorSortFilterProxy(this);
    m_tableProxy->setSourceModel(m_tableModel);
    m_treeProxy = new TensorSortFilterProxy(this);
    m_treeProxy->setSourceModel(m_treeModel);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->setObjectName(QStringLiteral("browserSplitter"));
    m_splitter->setChildrenCollapsible(false);
    layout->addWidget(m_splitter);

    // Left: view switch, filter, count, then the tree or the table.
    auto *listSide = new QWidget(m_splitter);
    auto *listLayout = new QVBoxLayout(listSide);
    listLayout->setContentsMargins(6, 6, 0, 6);
    auto *bar = new QHBoxLayout;
    // Actions rather than bare buttons: the main window's View menu shows the same ones.
    // Their shortcuts work while the focus is inside this browser, so several browsers in
    // one window never compete for them.
    m_treeAction = new QAction(Icons::get(QStringLiteral("tree-view")), tr("&Tree"), this);
    m_treeAction->setToolTip(tr("Group tensors by name prefix (Ctrl+1)"));
    m_treeAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_1));
    m_tableAction = new QAction(Icons::get(QStringLiteral("table-view")), tr("T&able"), this);
    m_tableAction->setToolTip(tr("All tensors in one flat table (Ctrl+2)"));
    m_tableAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_2));
    auto *modeGroup = new QActionGroup(this);
    for (QAction *action : {m_treeAction, m_tableAction}) {
        action->setCheckable(true);
        modeGroup->addAction(action);
    }
    // Ctrl+F is the window's (MainWindow's Find reaches every page through Page::focusFilter):
    // a second Ctrl+F here would make the shortcut ambiguous, and neither would fire.
    for (QAction *action : {m_treeAction, m_tableAction}) {
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(action);
    }
    m_treeButton = new QToolButton(listSide);
    m_treeButton->setDefaultAction(m_treeAction);
    m_tableButton = new QToolButton(listSide);
    m_tableButton->setDefaultAction(m_tableAction);
    for (QToolButton *button : {m_treeButton, m_tableButton}) {
        button->setAutoRaise(true);
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        bar->addWidget(button);
    }
    m_treeButton->setObjectName(QStringLiteral("treeModeButton"));
    m_tableButton->setObjectName(QStringLiteral("tableModeButton"));
    m_filter = new QLineEdit(listSide);
    m_filter->setObjectName(QStringLiteral("filterEdit"));
    m_filter->setPlaceholderText(tr("Filter: part of a name, a glob like *.mixer.*, or /regex/"));
    m_filter->setToolTip(tr("Shows the tensors whose name contains the text, whose full name matches a shell glob "
                            "(* also crosses dots) or, written between slashes, a regular expression. Ctrl+F"));
    m_filter->setClearButtonEnabled(true);
    m_filter->addAction(Icons::get(QStringLiteral("search")), QLineEdit::LeadingPosition);
    m_filter->installEventFilter(this);
    bar->addWidget(m_filter, 1);
    m_onlyIssues = new QCheckBox(tr("&Issues only"), listSide);
    m_onlyIssues->setObjectName(QStringLiteral("onlyIssuesCheck"));
    m_onlyIssues->setToolTip(tr("Show only the tensors that break a config rule"));
    m_onlyIssues->setVisible(false);
    bar->addWidget(m_onlyIssues);
    listLayout->addLayout(bar);
    auto *summaryRow = new QHBoxLayout;
    m_summary = new QLabel(listSide);
    m_summary->setObjectName(QStringLiteral("summaryLabel"));
    summaryRow->addWidget(m_summary, 1);
    // The file's own description (who wrote it, from what, with which settings), as the
    // CLI's inspect and Netron show it; folded away until asked for.
    m_metadataButton = new QToolButton(listSide);
    m_metadataButton->setObjectName(QStringLiteral("metadataButton"));
    m_metadataButton->setCheckable(true);
    m_metadataButton->setAutoRaise(true);
    m_metadataButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_metadataButton->setArrowType(Qt::RightArrow);
    summaryRow->addWidget(m_metadataButton);
    listLayout->addLayout(summaryRow);
    m_metadataModel = new MetadataModel(this);
    m_metadataView = new QTreeView(listSide);
    m_metadataView->setObjectName(QStringLiteral("metadataView"));
    m_metadataView->setModel(m_metadataModel);
    m_metadataView->setRootIsDecorated(false);
    m_metadataView->setUniformRowHeights(true);
    m_metadataView->setAlternatingRowColors(true);
    m_metadataView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_metadataView->setTextElideMode(Qt::ElideRight);
    m_metadataView->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_metadataView->setMaximumHeight(fontMetrics().height() * 9);
    m_metadataView->setVisible(false);
    auto *copyMetadata = new QAction(Icons::get(QStringLiteral("copy")), tr("&Copy All Metadata"), m_metadataView);
    copyMetadata->setShortcut(QKeySequence::Copy);
    copyMetadata->setShortcutContext(Qt::WidgetShortcut);
    connect(copyMetadata, &QAction::triggered, this, [this] {
        QApplication::clipboard()->setText(m_metadataModel->text());
        Q_EMIT message(tr("Copied the file's metadata"));
    });
    m_metadataView->addAction(copyMetadata);
    listLayout->addWidget(m_metadataView);
    connect(m_metadataButton, &QToolButton::toggled, this, [this](bool on) {
        m_metadataButton->setArrowType(on ? Qt::DownArrow : Qt::RightArrow);
        m_metadataView->setVisible(on);
        if (on)
            m_metadataView->resizeColumnToContents(MetadataModel::KeyColumn);
    });

    m_stack = new QStackedWidget(listSide);
    m_tree = new QTreeView(m_stack);
    m_tree->setObjectName(QStringLiteral("tensorTree"));
    configureView(m_tree);
    m_tree->setUniformRowHeights(true);
    // Checkpoint names nest 6-8 levels deep; the default indentation would eat the names.
    m_tree->setIndentation(fontMetrics().height());
    m_tree->setModel(m_treeProxy);
    m_table = new QTableView(m_stack);
    m_table->setObjectName(QStringLiteral("tensorTable"));
    // Tab leaves the table for the next widget, as in the tree, instead of walking its cells.
    m_table->setTabKeyNavigation(false);
    configureView(m_table);
    m_table->setShowGrid(false);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    m_table->setModel(m_tableProxy);
    m_stack->installEventFilter(this);
    m_stack->addWidget(m_tree);
    m_stack->addWidget(m_table);
    listLayout->addWidget(m_stack, 1);
    setupColumns();
    for (QHeaderView *header : {m_table->horizontalHeader(), m_tree->header()}) {
        header->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(header, &QWidget::customContextMenuRequested, this, [this, header](const QPoint &pos) { showHeaderMenu(header, pos); });
        connect(header, &QHeaderView::sectionResized, this, [this] {
            if (!m_fittingColumns && QApplication::mouseButtons() != Qt::NoButton)
                m_columnsSizedByUser = true;
        });
    }

    // Right: the selected tensor.
    m_detail = new TensorDetailPane(m_splitter);
    m_detail->setObjectName(QStringLiteral("detailPane"));
    m_splitter->addWidget(listSide);
    m_splitter->addWidget(m_detail);
    m_splitter->setStretchFactor(0, 1);
    m_splitter->setStretchFactor(1, 1);
    m_splitter->setSizes({600, 400});

    m_filterTimer = new QTimer(this);
    m_filterTimer->setSingleShot(true);
    m_filterTimer->setInterval(kFilterDelayMs);
    connect(m_filter, &QLineEdit::textChanged, m_filterTimer, qOverload<>(&QTimer::start));
    connect(m_filterTimer, &QTimer::timeout, this, &TensorBrowser::applyFilter);
    connect(m_onlyIssues, &QCheckBox::toggled, this, [this](bool on) {
        m_tableProxy->setOnlyIssues(on);
        m_treeProxy->setOnlyIssues(on);
        if (on)
            m_tree->expandAll();
        updateSummary();
    });
    connect(m_treeAction, &QAction::triggered, this, [this] { setViewMode(ViewMode::Tree); });
    connect(m_tableAction, &QAction::triggered, this, [this] { setViewMode(ViewMode::Table); });
    for (QAbstractItemView *view : {static_cast<QAbstractItemView *>(m_tree), static_cast<QAbstractItemView *>(m_table)}) {
        connect(view->selectionModel(), &QItemSelectionModel::currentChanged, this,
                [this, view](const QModelIndex &current) {
                    if (view == currentView())
                        onCurrentChanged(current);
                });
        connect(view, &QWidget::customContextMenuRequested, this, [this, view](const QPoint &pos) { showContextMenu(view, pos); });
        auto *copy = new QShortcut(QKeySequence::Copy, view, nullptr, nullptr, Qt::WidgetShortcut);
        connect(copy, &QShortcut::activated, this, [this, view] { copySelectedNames(view); });
    }
    connect(m_detail, &TensorDetailPane::jobStarted, this, &TensorBrowser::jobStarted);
    connect(m_detail, &TensorDetailPane::message, this, &TensorBrowser::message);

    setTabOrder(m_filter, m_tree);
    setTabOrder(m_tree, m_table);
    setViewMode(ViewMode::Tree);
    updateSummary();
}

TensorBrowser::~TensorBrowser() = default;

void TensorBrowser::setupColumns()
{
    const QFontMetrics fm = fontMetrics();
    const auto width = [&](const char *sample) { return fm.horizontalAdvance(QLatin1String(sample)) + 18; };
    for (QHeaderView *header : {m_table->horizontalHeader(), m_tree->header()}) {
        header->setSectionsMovable(true);
        header->setFirstSectionMovable(false);
        header->setStretchLastSection(false);
        header->setSectionResizeMode(QHeaderView::Interactive);
        header->setSortIndicatorClearable(true);
        header->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
        header->setMinimumSectionSize(fm.horizontalAdvance(QStringLiteral("Size")) + 30);
        header->resizeSection(TensorItemSource::NameColumn, fm.horizontalAdvance(QStringLiteral("layers.00.self_attn.q_proj.weight")));
        header->resizeSection(TensorItemSource::DtypeColumn, width("F8_E4M3"));
        header->resizeSection(TensorItemSource::ShapeColumn, width("[4096, 4096]"));
        header->resizeSection(TensorItemSource::ElementsColumn, width("16,777,216"));
        header->resizeSection(TensorItemSource::BytesColumn, width("999.9 MiB"));
        header->resizeSection(TensorItemSource::OffsetColumn, width("1,234,567,890"));
        header->resizeSection(TensorItemSource::ShardColumn, width("00 of 00"));
    }
    // The offset is in the detail pane's location line; as a column it costs the names their
    // width at the default window size. The header's context menu brings it back.
    m_table->setColumnHidden(TensorItemSource::OffsetColumn, true);
    m_tree->setColumnHidden(TensorItemSource::OffsetColumn, true);
    // The table opens in file order; the tree by name, as a reader expects groups.
    m_table->horizontalHeader()->setSortIndicator(-1, Qt::AscendingOrder);
    m_table->setSortingEnabled(true);
    m_tree->header()->setSortIndicator(TensorItemSource::NameColumn, Qt::AscendingOrder);
    m_tree->setSortingEnabled(true);
}

void TensorBrowser::setSourcePath(const QString &path)
{
    m_sourcePath = path;
    // ModelLoader shows a checkpoint through a scratch copy (see openCheckpoint).
    m_detail->setCheckpointSource(isTorchCheckpointName(path) && !QFileInfo(path).isDir() ? path : QString());
}

void TensorBrowser::setModel(std::shared_ptr<const SafetensorsModel> model)
{
    m_detail->clear();
    m_model = std::move(model);
    m_issues.clear();
    m_tableModel->setModel(m_model);
    m_treeModel->setModel(m_model);
    const bool sharded = m_model && m_model->isSharded();
    m_table->setColumnHidden(TensorItemSource::ShardColumn, !sharded);
    m_tree->setColumnHidden(TensorItemSource::ShardColumn, !sharded);
    m_onlyIssues->setChecked(false);
    m_onlyIssues->setVisible(false);
    const std::size_t metadataKeys = m_model ? m_model->metadata().size() : 0;
    m_metadataModel->setMetadata(m_model ? m_model->metadata() : std::vector<std::pair<std::string, std::string>>{});
    m_metadataButton->setText(tr("Metadata (%L1)").arg(metadataKeys));
    m_metadataButton->setEnabled(metadataKeys > 0);
    m_metadataButton->setToolTip(metadataKeys > 0 ? tr("Show the file's __metadata__: %1")
                                                            .arg(TensorText::counted(metadataKeys, tr("key"), tr("keys")))
                                                  : tr("The file has no __metadata__"));
    if (metadataKeys == 0)
        m_metadataButton->setChecked(false);
    else if (m_metadataButton->isChecked())
        m_metadataView->resizeColumnToContents(MetadataModel::KeyColumn);
    // Small models open fully expanded; large ones show their top groups.
    if (m_model && m_model->tensors().size() <= 200)
        m_tree->expandAll();
    else if (m_treeProxy->rowCount() <= 32)
        m_tree->expandToDepth(0);
    applyFilter();
    updateSummary();
    selectFirstTensor();
    fitColumnsToContents();
}

void TensorBrowser::fitColumnsToContents()
{
    // Every column but the name as wide as its widest text, found from the numbers rather
    // than by measuring 100,000 rows; the name gets the rest (fitNameColumns).
    if (m_columnsSizedByUser || !m_model)
        return;
    const QFontMetrics fm = fontMetrics();
    std::uint64_t maxElements = 0, totalElements = 0, maxBegin = 0;
    std::size_t widestShapeChars = 0;
    const std::vector<std::uint64_t> *widestShape = nullptr;
    std::vector<Dtype> dtypes;
    for (const ModelTensor &tensor : m_model->tensors()) {
        const TensorInfo &info = *tensor.info;
        maxElements = std::max(maxElements, info.elementCount());
        totalElements += info.elementCount();
        maxBegin = std::max(maxBegin, info.begin);
        std::size_t chars = 2 + (info.shape.empty() ? 0 : 2 * (info.shape.size() - 1));
        for (std::uint64_t d : info.shape)
            chars += std::size_t(QString::number(d).size());
        if (!widestShape || chars > widestShapeChars) {
            widestShapeChars = chars;
            widestShape = &info.shape;
        }
        if (std::find(dtypes.begin(), dtypes.end(), info.dtype) == dtypes.end())
            dtypes.push_back(info.dtype);
    }
    const int padding = 2 * style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, this) + 12;
    const auto widthOf = [&](const QStringList &texts, int column) {
        // The header's title and its sort arrow must fit as well.
        int width = fm.horizontalAdvance(TensorItemSource::columnTitle(column)) + fm.height() + 8;
        for (const QString &text : texts)
            width = std::max(width, fm.horizontalAdvance(text) + padding);
        return width;
    };
    QStringList dtypeNames;
    for (Dtype dtype : dtypes)
        dtypeNames << QString::fromLatin1(dtypeName(dtype));
    dtypeNames << tr("mixed"); // what a group of several types shows in the tree
    const QString shape = widestShape ? TensorText::shape(*widestShape) : QString();
    const int tensors = int(m_model->tensors().size());
    const QString groupCount = tr("%L1 of %2").arg(tensors).arg(TensorText::counted(std::uint64_t(tensors), tr("tensor"), tr("tensors")));
    const QString shards = tr("%1 of %2").arg(m_model->shards().size()).arg(m_model->shards().size());
    const QScopedValueRollback fitting(m_fittingColumns, true);
    for (QHeaderView *header : {m_table->horizontalHeader(), m_tree->header()}) {
        const bool tree = header == m_tree->header();
        header->resizeSection(TensorItemSource::DtypeColumn, widthOf(dtypeNames, TensorItemSource::DtypeColumn));
        header->resizeSection(TensorItemSource::ShapeColumn, widthOf(tree ? QStringList{shape, groupCount} : QStringList{shape}, TensorItemSource::ShapeColumn));
        header->resizeSection(TensorItemSource::ElementsColumn,
                              widthOf({TensorText::count(tree ? totalElements : maxElements)}, TensorItemSource::ElementsColumn));
        header->resizeSection(TensorItemSource::BytesColumn, widthOf({QStringLiteral("999.9 MiB")}, TensorItemSource::BytesColumn));
        header->resizeSection(TensorItemSource::OffsetColumn, widthOf({TensorText::count(maxBegin)}, TensorItemSource::OffsetColumn));
        header->resizeSection(TensorItemSource::ShardColumn, widthOf({shards}, TensorItemSource::ShardColumn));
    }
    fitNameColumns();
}

void TensorBrowser::showHeaderMenu(QHeaderView *header, const QPoint &pos)
{
    // Which columns show, for both views at once: the same question in either.
    QMenu menu(this);
    for (int column = TensorItemSource::NameColumn + 1; column < TensorItemSource::ColumnCount; ++column) {
        if (column == TensorItemSource::ShardColumn && !(m_model && m_model->isSharded()))
            continue;
        QAction *action = menu.addAction(TensorItemSource::columnTitle(column));
        action->setCheckable(true);
        action->setChecked(!header->isSectionHidden(column));
        connect(action, &QAction::toggled, this, [this, column](bool on) {
            m_table->setColumnHidden(column, !on);
            m_tree->setColumnHidden(column, !on);
            fitNameColumns();
        });
    }
    menu.addSeparator();
    menu.addAction(tr("&Fit Columns to Contents"), this, [this] {
        m_columnsSizedByUser = false;
        fitColumnsToContents();
    });
    menu.exec(header->viewport()->mapToGlobal(pos));
}

void TensorBrowser::fitNameColumns()
{
    // The name is what the user reads: it gets the width the other columns leave, until the
    // user sizes a column by hand.
    if (m_columnsSizedByUser)
        return;
    const QScopedValueRollback fitting(m_fittingColumns, true);
    for (QAbstractItemView *view : {static_cast<QAbstractItemView *>(m_tree), static_cast<QAbstractItemView *>(m_table)}) {
        QHeaderView *header = view == m_tree ? m_tree->header() : m_table->horizontalHeader();
        int others = 0;
        for (int column = TensorItemSource::NameColumn + 1; column < TensorItemSource::ColumnCount; ++column) {
            if (!header->isSectionHidden(column))
                others += header->sectionSize(column);
        }
        const int available = m_stack->width() - 2 * m_table->frameWidth() - view->verticalScrollBar()->sizeHint().width() - others;
        header->resizeSection(TensorItemSource::NameColumn,
                              std::max(fontMetrics().horizontalAdvance(QStringLiteral("layers.00.q_proj.weight")), available));
    }
}

void TensorBrowser::scrollToCurrent()
{
    // A view that has no size yet (a tab being opened) would put the row at its bottom edge,
    // scrolling the rows above it (the tree's root) out of sight once it is shown.
    QAbstractItemView *view = currentView();
    if (!view->isVisible() || view->viewport()->height() < 2 * fontMetrics().height()) {
        m_scrollPending = true;
        return;
    }
    m_scrollPending = false;
    view->scrollTo(view->currentIndex());
}

void TensorBrowser::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_scrollPending) {
        // After the layout has given the view its size.
        QTimer::singleShot(0, this, [this] {
            if (m_scrollPending)
                scrollToCurrent();
        });
    }
}

void TensorBrowser::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    fitNameColumns();
}

void TensorBrowser::selectFirstTensor()
{
    // The first tensor in the view's order, so that the detail pane never opens empty.
    QAbstractItemModel *proxy = currentView()->model();
    QModelIndex index = proxy->index(0, 0);
    while (index.isValid() && proxy->hasChildren(index))
        index = proxy->index(0, 0, index);
    if (const ModelTensor *tensor = tensorAtProxy(index))
        selectTensor(TensorText::name(tensor->info->name));
}

void TensorBrowser::setTensorIssues(const QHash<QString, QString> &issueByTensorName)
{
    m_issues = issueByTensorName;
    m_tableModel->setTensorIssues(m_issues);
    m_treeModel->setTensorIssues(m_issues);
    const int count = m_tableModel->issueCount();
    m_onlyIssues->setVisible(count > 0);
    m_onlyIssues->setText(tr("&Issues only (%L1)").arg(count));
    if (count == 0)
        m_onlyIssues->setChecked(false);
    else if (m_onlyIssues->isChecked()) {
        m_tableProxy->refilter();
        m_treeProxy->refilter();
    }
    const QString current = currentTensorName();
    if (!current.isEmpty())
        m_detail->setIssue(m_issues.value(current));
    updateSummary();
}

void TensorBrowser::setViewMode(ViewMode mode)
{
    const QString current = currentTensorName();
    m_mode = mode;
    m_treeAction->setChecked(mode == ViewMode::Tree);
    m_tableAction->setChecked(mode == ViewMode::Table);
    m_stack->setCurrentWidget(mode == ViewMode::Tree ? static_cast<QWidget *>(m_tree) : m_table);
    // Focus given to the browser goes to the list, so the arrow keys work at once.
    setFocusProxy(currentView());
    const bool hadFocus = m_tree->hasFocus() || m_table->hasFocus();
    if (hadFocus)
        currentView()->setFocus(Qt::OtherFocusReason);
    // The other view follows the selection, so switching keeps the tensor in sight.
    if (!current.isEmpty())
        selectTensor(current);
    updateSummary();
}

void TensorBrowser::setFilterText(const QString &pattern)
{
    m_filter->setText(pattern);
    m_filterTimer->stop();
    applyFilter();
}

QString TensorBrowser::filterText() const
{
    return m_filter->text();
}

bool TensorBrowser::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
    return true;
}

void TensorBrowser::applyFilter()
{
    const QString pattern = m_filter->text().trimmed();
    const bool tableOk = m_tableProxy->setFilterPattern(pattern);
    m_treeProxy->setFilterPattern(pattern);
    if (!tableOk) {
        m_filter->setStyleSheet(QStringLiteral("QLineEdit { border: 1px solid #d03a2f; border-radius: 2px; }"));
        m_filter->setToolTip(tr("Invalid regular expression: %1").arg(m_tableProxy->filterError()));
        Q_EMIT message(tr("Invalid regular expression: %1").arg(m_tableProxy->filterError()));
        return;
    }
    m_filter->setStyleSheet(QString());
    m_filter->setToolTip(tr("Shows the tensors whose name contains the text, whose full name matches a shell glob "
                            "(* also crosses dots) or, written between slashes, a regular expression. Ctrl+F"));
    // Matches deep in the tree are of no use folded away.
    if (!pattern.isEmpty() && m_treeProxy->rowCount() > 0 && m_tableProxy->rowCount() <= 2000)
        m_tree->expandAll();
    updateSummary();
}

void TensorBrowser::updateSummary()
{
    if (!m_model) {
        m_summary->setText(tr("No model open"));
        return;
    }
    const int total = int(m_model->tensors().size());
    const int shown = m_tableProxy->rowCount();
    QString text = shown == total ? TensorText::counted(std::uint64_t(total), tr("tensor"), tr("tensors"))
                                  : tr("%L1 of %2 match").arg(shown).arg(TensorText::counted(std::uint64_t(total), tr("tensor"), tr("tensors")));
    text += QStringLiteral("  \u00B7  ") + TensorText::bytes(m_model->tensorBytes());
    if (m_model->isSharded())
        text += QStringLiteral("  \u00B7  ") + TensorText::counted(m_model->shards().size(), tr("shard"), tr("shards"));
    if (const int issues = m_tableModel->issueCount())
        text += QStringLiteral("  \u00B7  ") + tr("%L1 with issues").arg(issues);
    m_summary->setText(text);
}

QAbstractItemView *TensorBrowser::currentView() const
{
    return m_mode == ViewMode::Tree ? static_cast<QAbstractItemView *>(m_tree) : m_table;
}

const ModelTensor *TensorBrowser::tensorAtProxy(const QModelIndex &proxyIndex) const
{
    if (!proxyIndex.isValid())
        return nullptr;
    if (proxyIndex.model() == m_tableProxy)
        return m_tableModel->tensorAt(m_tableProxy->mapToSource(proxyIndex));
    if (proxyIndex.model() == m_treeProxy)
        return m_treeModel->tensorAt(m_treeProxy->mapToSource(proxyIndex));
    return nullptr;
}

void TensorBrowser::onCurrentChanged(const QModelIndex &proxyIndex)
{
    const ModelTensor *tensor = tensorAtProxy(proxyIndex);
    if (!tensor && proxyIndex.isValid()) {
        // A group of the tree: its totals, as the row shows them.
        const QAbstractItemModel *model = proxyIndex.model();
        const auto cell = [&](int column) { return model->index(proxyIndex.row(), column, proxyIndex.parent()).data().toString(); };
        m_detail->showGroup(proxyIndex.data(TensorItemSource::PathRole).toString(),
                            tr("Group  \u00B7  %1  \u00B7  %2 elements  \u00B7  %3  \u00B7  %4")
                                    .arg(cell(TensorItemSource::ShapeColumn), cell(TensorItemSource::ElementsColumn),
                                         cell(TensorItemSource::BytesColumn), cell(TensorItemSource::DtypeColumn)));
        Q_EMIT currentTensorChanged(QString());
        return;
    }
    if (tensor == m_detail->tensor())
        return;
    const QString name = tensor ? TensorText::name(tensor->info->name) : QString();
    m_detail->setTensor(m_model, tensor, m_issues.value(name));
    Q_EMIT currentTensorChanged(name);
}

bool TensorBrowser::selectTensor(const QString &name)
{
    if (!m_model)
        return false;
    const std::string key = name.toStdString();
    bool found = false;
    const QModelIndex tableIndex = m_tableProxy->mapFromSource(m_tableModel->index(m_tableModel->rowOf(key), 0));
    if (tableIndex.isValid()) {
        m_table->selectionModel()->setCurrentIndex(tableIndex, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        if (m_mode == ViewMode::Table)
            scrollToCurrent();
        found = true;
    }
    const QModelIndex treeIndex = m_treeProxy->mapFromSource(m_treeModel->indexOf(key));
    if (treeIndex.isValid()) {
        m_tree->selectionModel()->setCurrentIndex(treeIndex, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        if (m_mode == ViewMode::Tree)
            scrollToCurrent();
        found = true;
    }
    if (found)
        onCurrentChanged(currentView()->currentIndex());
    return found;
}

QList<QAction *> TensorBrowser::viewActions() const
{
    return {m_treeAction, m_tableAction};
}

QString TensorBrowser::currentTensorName() const
{
    const ModelTensor *tensor = m_detail->tensor();
    return tensor ? TensorText::name(tensor->info->name) : QString();
}

void TensorBrowser::copySelectedNames(QAbstractItemView *view)
{
    QStringList names;
    for (const QModelIndex &index : view->selectionModel()->selectedRows()) {
        if (const ModelTensor *tensor = tensorAtProxy(index))
            names.push_back(TensorText::name(tensor->info->name));
    }
    if (names.isEmpty())
        return;
    QApplication::clipboard()->setText(names.join(QLatin1Char('\n')));
    Q_EMIT message(tr("Copied %1").arg(TensorText::counted(std::uint64_t(names.size()), tr("tensor name"), tr("tensor names"))));
}

void TensorBrowser::showContextMenu(QAbstractItemView *view, const QPoint &pos)
{
    const QModelIndex index = view->indexAt(pos);
    const ModelTensor *tensor = tensorAtProxy(index);
    QMenu menu(this);
    QAction *copyName = menu.addAction(Icons::get(QStringLiteral("copy")), tr("Copy &Name"), this, [tensor] {
        QApplication::clipboard()->setText(TensorText::name(tensor->info->name));
    });
    QAction *copyShape = menu.addAction(tr("Copy &Shape"), this, [tensor] {
        QApplication::clipboard()->setText(TensorText::shape(tensor->info->shape));
    });
    copyName->setEnabled(tensor);
    copyShape->setEnabled(tensor);
    QAction *copyAll = menu.addAction(tr("Copy Names of &Selected Rows"), this, [this, view] { copySelectedNames(view); });
    copyAll->setShortcut(QKeySequence::Copy);
    copyAll->setEnabled(view->selectionModel()->hasSelection());
    if (view == m_tree) {
        menu.addSeparator();
        menu.addAction(tr("&Expand All"), m_tree, &QTreeView::expandAll)->setEnabled(m_treeProxy->rowCount() > 0);
        menu.addAction(tr("&Collapse All"), m_tree, &QTreeView::collapseAll);
    }
    menu.exec(view->viewport()->mapToGlobal(pos));
}

bool TensorBrowser::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_stack && event->type() == QEvent::Resize)
        fitNameColumns();
    if (watched == m_filter && event->type() == QEvent::KeyPress) {
        const auto *key = static_cast<QKeyEvent *>(event);
        if (key->key() == Qt::Key_Down || key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) {
            // From the filter straight into the results.
            m_filterTimer->stop();
            applyFilter();
            QAbstractItemView *view = currentView();
            view->setFocus(Qt::TabFocusReason);
            // The filter may have left a tensor current but unselected, or a group current.
            if (const ModelTensor *tensor = tensorAtProxy(view->currentIndex()))
                selectTensor(TensorText::name(tensor->info->name));
            else
                selectFirstTensor();
            return true;
        }
        if (key->key() == Qt::Key_Escape && !m_filter->text().isEmpty()) {
            m_filter->clear();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

QByteArray TensorBrowser::saveState() const
{
    QByteArray state;
    QDataStream out(&state, QIODevice::WriteOnly);
    out << kStateMagic << m_splitter->saveState() << int(m_mode) << m_table->horizontalHeader()->saveState()
        << m_tree->header()->saveState() << m_detail->tabs()->currentIndex();
    return state;
}

bool TensorBrowser::restoreState(const QByteArray &state)
{
    QDataStream in(state);
    quint32 magic = 0;
    QByteArray splitter, tableHeader, treeHeader;
    int mode = 0;
    int tab = 0;
    in >> magic >> splitter >> mode >> tableHeader >> treeHeader >> tab;
    if (magic != kStateMagic || in.status() != QDataStream::Ok)
        return false;
    m_splitter->restoreState(splitter);
    m_table->horizontalHeader()->restoreState(tableHeader);
    m_tree->header()->restoreState(treeHeader);
    // Whether the shard column shows depends on the model, not on the saved state.
    const bool sharded = m_model && m_model->isSharded();
    m_table->setColumnHidden(TensorItemSource::ShardColumn, !sharded);
    m_tree->setColumnHidden(TensorItemSource::ShardColumn, !sharded);
    // The saved state keeps which columns show and their order; their widths follow this
    // model's contents.
    fitColumnsToContents();
    m_detail->tabs()->setCurrentIndex(tab);
    setViewMode(mode == int(ViewMode::Table) ? ViewMode::Table : ViewMode::Tree);
    return true;
}

} // namespace tantra
