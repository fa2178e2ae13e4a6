#include "compareview.h"

#include "comparedetailpane.h"
#include "comparefilterproxy.h"
#include "comparetablemodel.h"
#include "comparisonreport.h"
#include "icons.h"
#include "jobrunner.h"
#include "safetensorsmodel.h"
#include "tensortext.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QSaveFile>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace tantra {

namespace {

// What a side is called in a file name: its label without characters a file name cannot hold.
QString fileNamePart(const QString &label)
{
    QString out;
    for (const QChar c : label)
        out += c.isLetterOrNumber() || c == QLatin1Char('-') || c == QLatin1Char('_') || c == QLatin1Char('.') ? c : QLatin1Char('_');
    return out.isEmpty() ? QStringLiteral("weight") : out;
}

} // namespace

CompareView::CompareView(QWidget *parent)
    : QWidget(parent)
    , m_jobs(new JobRunner(this))
{
    // The comparison job calls back into this view; it must end before the view does.
    m_jobs->setWaitOnDestroy(true);
    auto *layout = new QVBoxLayout(this);

    m_sides = new QLabel(this);
    m_sides->setTextFormat(Qt::RichText);
    m_sides->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setObjectName(QStringLiteral("compareSummary"));
    layout->addWidget(m_sides);
    layout->addWidget(m_summary);

    auto *bar = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("compareFilter"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setPlaceholderText(tr("Filter tensors: word, glob (*.weight) or /regex/"));
    m_filter->addAction(Icons::get(QStringLiteral("search")), QLineEdit::LeadingPosition);
    m_statusButton = new QToolButton(this);
    m_statusButton->setObjectName(QStringLiteral("statusFilter"));
    m_statusButton->setText(tr("Show"));
    m_statusButton->setPopupMode(QToolButton::InstantPopup);
    m_statusButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_statusButton->setMenu(new QMenu(m_statusButton));
    m_shown = new QLabel(this);
    auto *copySummaryButton = new QToolButton(this);
    copySummaryButton->setIcon(Icons::get(QStringLiteral("copy")));
    copySummaryButton->setText(tr("Copy Summary"));
    copySummaryButton->setToolTip(tr("Copy the summary line"));
    auto *copyTableButton = new QToolButton(this);
    copyTableButton->setText(tr("Copy Table"));
    copyTableButton->setToolTip(tr("Copy the rows shown as tab-separated text, for a spreadsheet"));
    auto *exportButton = new QToolButton(this);
    exportButton->setText(tr("Export JSON\u2026"));
    exportButton->setToolTip(tr("Save the whole report as JSON, as `tantra-model-manager diff --json` writes it"));
    for (QToolButton *b : {copySummaryButton, copyTableButton, exportButton})
        b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addWidget(m_filter, 1);
    bar->addWidget(m_statusButton);
    bar->addWidget(m_shown);
    bar->addStretch();
    bar->addWidget(copySummaryButton);
    bar->addWidget(copyTableButton);
    bar->addWidget(exportButton);
    layout->addLayout(bar);

    m_model = new CompareTableModel(this);
    m_proxy = new CompareFilterProxy(this);
    m_proxy->setSourceModel(m_model);
    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("compareTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    // Largest relative change first, as the CLI's report: while values arrive, rows without
    // one keep the name order; the finished comparison sorts once more.
    m_table->sortByColumn(CompareTableModel::RelL2Column, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setTabKeyNavigation(false);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(CompareTableModel::NameColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSortIndicatorShown(true);
    m_table->setTextElideMode(Qt::ElideMiddle);
    const QFontMetrics fm = m_table->fontMetrics();
    m_table->setColumnWidth(CompareTableModel::StatusColumn, fm.horizontalAdvance(QStringLiteral("retyped, comparing\u2026")) + 36);
    m_table->setColumnWidth(CompareTableModel::DtypeColumn, fm.horizontalAdvance(QStringLiteral("F8_E4M3 \u2192 BF16")) + 16);
    m_table->setColumnWidth(CompareTableModel::ShapeColumn, fm.horizontalAdvance(QStringLiteral("[4096, 4096]")) + 16);
    m_table->setColumnWidth(CompareTableModel::DifferingColumn, fm.horizontalAdvance(QStringLiteral("16,777,216 of 16,777,216")) + 16);
    for (int c : {CompareTableModel::MaxAbsColumn, CompareTableModel::RelL2Column, CompareTableModel::CosineColumn})
        m_table->setColumnWidth(c, fm.horizontalAdvance(QStringLiteral("-0.0001234e-05")) + 12);

    m_detail = new CompareDetailPane(this);
    m_splitter = new QSplitter(Qt::Vertical, this);
    m_splitter->addWidget(m_table);
    m_splitter->addWidget(m_detail);
    m_splitter->setStretchFactor(0, 1);
    m_splitter->setStretchFactor(1, 1);
    layout->addWidget(m_splitter, 1);

    connect(m_filter, &QLineEdit::textChanged, this, &CompareView::applyFilter);
    connect(copySummaryButton, &QToolButton::clicked, this, &CompareView::copySummary);
    connect(copyTableButton, &QToolButton::clicked, this, &CompareView::copyTable);
    connect(exportButton, &QToolButton::clicked, this, &CompareView::exportJsonDialog);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &CompareView::onCurrentChanged);
    connect(m_proxy, &QAbstractItemModel::layoutChanged, this, &CompareView::updateSummary);
    connect(m_proxy, &QAbstractItemModel::rowsInserted, this, &CompareView::updateSummary);
    connect(m_proxy, &QAbstractItemModel::rowsRemoved, this, &CompareView::updateSummary);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &CompareView::updateSummary);
    connect(m_detail, &CompareDetailPane::jobStarted, this, &CompareView::jobStarted);
    // A click or a key in the table is the user's choice of row, which the end of the
    // comparison must not override (rows filtered out move the current row on their own).
    m_table->installEventFilter(this);
    m_table->viewport()->installEventFilter(this);
    updateStatusMenu();
    updateSummary();
}

CompareView::~CompareView()
{
    // Cancel and wait here, while every member the job's callbacks touch still exists.
    m_jobs->cancelAll();
    delete m_jobs;
    m_jobs = nullptr;
}

bool CompareView::eventFilter(QObject *watched, QEvent *event)
{
    if ((watched == m_table && event->type() == QEvent::KeyPress)
        || (watched == m_table->viewport() && event->type() == QEvent::MouseButtonPress))
        m_userPicked = true;
    return QWidget::eventFilter(watched, event);
}

QString CompareView::keyFor(const QString &pathA, const QString &pathB)
{
    const auto canonical = [](const QString &path) {
        const QFileInfo info(path);
        return info.canonicalFilePath().isEmpty() ? info.absoluteFilePath() : info.canonicalFilePath();
    };
    return QStringLiteral("compare:%1\n%2").arg(canonical(pathA), canonical(pathB));
}

QString CompareView::title() const
{
    return tr("%1 \u2194 %2").arg(m_labelA, m_labelB);
}

const WeightComparison &CompareView::comparison() const
{
    return m_model->comparison();
}

bool CompareView::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
    return true;
}

bool CompareView::isRunning() const
{
    return m_jobs && m_jobs->isBusy();
}

void CompareView::start(const QString &pathA, const QString &labelA, const QString &pathB, const QString &labelB)
{
    m_pathA = pathA;
    m_pathB = pathB;
    m_labelA = labelA;
    m_labelB = labelB;
    m_key = keyFor(pathA, pathB);
    m_finished = false;
    m_canceled = false;
    m_userPicked = false;
    m_error.clear();
    m_compared = 0;
    m_toCompare = 0;
    m_model->clear();
    m_sides->setText(tr("<b>A</b> %1 <span style=\"color:gray\">%2</span><br><b>B</b> %3 <span style=\"color:gray\">%4</span>")
                             .arg(labelA.toHtmlEscaped(), QDir::toNativeSeparators(pathA).toHtmlEscaped(), labelB.toHtmlEscaped(),
                                  QDir::toNativeSeparators(pathB).toHtmlEscaped()));
    updateSummary();

    const CompareOptions base = m_options;
    const QString jobTitle = tr("Comparing %1 with %2").arg(labelA, labelB);
    const QFuture<Result<WeightComparison>> future = m_jobs->run(
            QString(),
            [this, base, pathA, pathB](JobContext &job) -> Result<WeightComparison> {
                auto openedA = SafetensorsModel::open(pathA);
                if (!openedA)
                    return openedA.error();
                auto openedB = SafetensorsModel::open(pathB);
                if (!openedB)
                    return openedB.error();
                auto a = std::make_shared<const SafetensorsModel>(std::move(openedA).value());
                auto b = std::make_shared<const SafetensorsModel>(std::move(openedB).value());
                CompareOptions options = base;
                // Called on this job's thread: the rows travel to the GUI thread by value.
                // The view waits for this job before it goes, so `this` outlives the posts.
                options.onProgress = [this, a, b](const WeightComparison &soFar, std::span<const std::size_t> rows) {
                    if (rows.empty()) {
                        QMetaObject::invokeMethod(
                                this, [this, structure = soFar, a, b]() mutable { onStructure(std::move(structure), a, b); },
                                Qt::QueuedConnection);
                        return;
                    }
                    std::vector<std::pair<std::size_t, TensorComparison>> done;
                    done.reserve(rows.size());
                    for (std::size_t r : rows)
                        done.emplace_back(r, soFar.tensors[r]);
                    QMetaObject::invokeMethod(
                            this, [this, done = std::move(done)]() mutable { onRows(std::move(done)); }, Qt::QueuedConnection);
                };
                return compareWeights(*a, *b, options, &job);
            },
            this, [this](const Result<WeightComparison> &result) { onDone(result); },
            [this] {
                m_canceled = true;
                updateSummary();
            });
    Q_EMIT jobStarted(QFuture<void>(future), jobTitle);
}

void CompareView::onStructure(WeightComparison structure, std::shared_ptr<const SafetensorsModel> a,
                              std::shared_ptr<const SafetensorsModel> b)
{
    m_toCompare = 0;
    for (const auto &t : structure.tensors)
        m_toCompare += CompareTableModel::isPending(t) ? 1 : 0;
    m_detail->setSides(std::move(a), m_labelA, std::move(b), m_labelB);
    m_model->setComparison(std::move(structure));
    updateStatusMenu();
    updateSummary();
    if (m_proxy->rowCount() > 0 && !m_table->currentIndex().isValid()) {
        m_table->setCurrentIndex(m_proxy->index(0, 0));
    }
}

void CompareView::onRows(std::vector<std::pair<std::size_t, TensorComparison>> rows)
{
    m_compared += rows.size();
    m_model->updateRows(std::move(rows));
    // The selected row's values may have arrived.
    onCurrentChanged();
    updateStatusMenu();
    updateSummary();
}

void CompareView::onDone(const Result<WeightComparison> &result)
{
    m_finished = true;
    if (!result) {
        m_error = result.errorString();
        Q_EMIT message(tr("Comparison failed: %1").arg(m_error));
    } else {
        // The rows are all in the model already (each wave's as it ended); a sorted table sorts again on the final numbers.
        const int column = m_table->horizontalHeader()->sortIndicatorSection();
        if (column >= 0 && column < CompareTableModel::ColumnCount)
            m_model->sort(column, m_table->horizontalHeader()->sortIndicatorOrder());
        // Unless the user picked a row meanwhile, the top one of the final order is shown:
        // the largest change, by default.
        if (m_proxy->rowCount() > 0 && !m_userPicked) {
            m_table->setCurrentIndex(m_proxy->index(0, 0));
            m_table->scrollToTop();
        }
        Q_EMIT message(comparisonSummary(comparison()));
    }
    updateStatusMenu();
    updateSummary();
    onCurrentChanged();
    Q_EMIT finished();
}

void CompareView::updateSummary()
{
    QString text;
    if (!m_error.isEmpty())
        text = tr("<span style=\"color:#c62828\">Comparison failed: %1</span>").arg(m_error.toHtmlEscaped());
    else if (m_finished)
        text = comparisonSummary(comparison()).toHtmlEscaped()
                + tr(" &nbsp;<span style=\"color:gray\">(close: |A \u2212 B| \u2264 %1 + %2\u00B7|B|)</span>")
                          .arg(m_options.atol)
                          .arg(m_options.rtol);
    else if (m_canceled)
        text = tr("Cancelled: %1 of %2 tensors compared.").arg(m_compared).arg(m_toCompare);
    else if (comparison().tensors.empty())
        text = tr("Reading the headers\u2026");
    else
        text = tr("Comparing values\u2026 %1 of %2 tensors done. Structure: %3")
                       .arg(m_compared)
                       .arg(m_toCompare)
                       .arg(comparisonSummary(comparison()).toHtmlEscaped());
    m_summary->setText(text);
    const int total = m_model->rowCount();
    const int shown = m_proxy->rowCount();
    m_shown->setText(shown == total ? tr("%n tensor(s)", nullptr, total) : tr("%1 of %n tensor(s)", nullptr, total).arg(shown));
}

void CompareView::updateStatusMenu()
{
    QMenu *menu = m_statusButton->menu();
    menu->clear();
    QStringList hidden;
    for (int s = 0; s < kCompareStatusCount; ++s) {
        const auto status = CompareStatus(s);
        // A pending row counts as identical until its values say otherwise: not shown here.
        std::uint64_t n = 0;
        for (const auto &t : comparison().tensors)
            n += !CompareTableModel::isPending(t) && t.status == status ? 1 : 0;
        QAction *a = menu->addAction(tr("%1 (%2)").arg(QString::fromLatin1(compareStatusName(status))).arg(n));
        a->setCheckable(true);
        a->setChecked(m_proxy->isStatusVisible(status));
        a->setData(s);
        connect(a, &QAction::toggled, this, [this, status](bool on) { setStatusVisible(status, on); });
        if (!m_proxy->isStatusVisible(status))
            hidden << QString::fromLatin1(compareStatusName(status));
    }
    m_statusButton->setText(hidden.isEmpty() ? tr("Show: all") : tr("Hidden: %1").arg(hidden.join(QStringLiteral(", "))));
    m_statusButton->setToolTip(tr("Which statuses the table shows"));
}

void CompareView::setStatusVisible(CompareStatus status, bool visible)
{
    m_proxy->setStatusVisible(status, visible);
    updateStatusMenu();
    updateSummary();
}

void CompareView::applyFilter()
{
    if (!m_proxy->setFilterPattern(m_filter->text())) {
        m_filter->setStyleSheet(QStringLiteral("QLineEdit { color: #c62828; }"));
        m_filter->setToolTip(tr("Invalid regular expression: %1").arg(m_proxy->filterError()));
        return;
    }
    m_filter->setStyleSheet(QString());
    m_filter->setToolTip(QString());
    updateSummary();
}

void CompareView::selectTensor(const QString &name)
{
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        const QModelIndex index = m_proxy->index(r, 0);
        if (index.data().toString() == name) {
            m_table->setCurrentIndex(index);
            m_table->scrollTo(index);
            return;
        }
    }
}

void CompareView::onCurrentChanged()
{
    const QModelIndex current = m_table->currentIndex();
    if (!current.isValid()) {
        m_detail->setComparison(nullptr);
        return;
    }
    m_detail->setComparison(m_model->rowAt(m_proxy->mapToSource(current).row()));
}

QString CompareView::summaryText() const
{
    if (!m_error.isEmpty())
        return tr("Comparison failed: %1").arg(m_error);
    return comparisonSummary(comparison());
}

QString CompareView::tableAsTsv() const
{
    QStringList lines;
    QStringList header;
    for (int c = 0; c < CompareTableModel::ColumnCount; ++c)
        header << m_proxy->headerData(c, Qt::Horizontal).toString();
    lines << header.join(QLatin1Char('\t'));
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < CompareTableModel::ColumnCount; ++c)
            cells << m_proxy->index(r, c).data().toString();
        lines << cells.join(QLatin1Char('\t'));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QByteArray CompareView::jsonReport() const
{
    return comparisonJson(m_pathA, m_pathB, m_options, comparison());
}

bool CompareView::exportJson(const QString &path, QString *error) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(jsonReport()) < 0 || !file.commit()) {
        if (error)
            *error = tr("Cannot write %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return true;
}

void CompareView::copySummary()
{
    QApplication::clipboard()->setText(summaryText());
    Q_EMIT message(tr("Copied the summary"));
}

void CompareView::copyTable()
{
    QApplication::clipboard()->setText(tableAsTsv());
    Q_EMIT message(tr("Copied %n row(s) as tab-separated text", nullptr, m_proxy->rowCount()));
}

void CompareView::exportJsonDialog()
{
    if (!m_finished || !m_error.isEmpty()) {
        Q_EMIT message(tr("The comparison has not finished: there is no report to export yet."));
        return;
    }
    const QString suggested = QDir::home().filePath(QStringLiteral("%1-vs-%2.json").arg(fileNamePart(m_labelA), fileNamePart(m_labelB)));
    const QString path = QFileDialog::getSaveFileName(this, tr("Export Comparison"), suggested, tr("JSON (*.json)"));
    if (path.isEmpty())
        return;
    QString error;
    if (exportJson(path, &error))
        Q_EMIT message(tr("Saved %1").arg(QDir::toNativeSeparators(path)));
    else
        Q_EMIT message(error);
}

} // namespace tantra
