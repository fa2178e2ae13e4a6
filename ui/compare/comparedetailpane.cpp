#include "comparedetailpane.h"

#include "comparisonreport.h"
#include "comparetablemodel.h"
#include "heatmapwidget.h"
#include "histogramwidget.h"
#include "icons.h"
#include "jobrunner.h"
#include "safetensorsmodel.h"
#include "sliceselector.h"
#include "tensorstats.h"
#include "tensortext.h"
#include "tensorvaluemodel.h"
#include "valueformatter.h"
#include "valuegridview.h"

#include <QGridLayout>
#include <QLabel>
#include <QLocale>
#include <QScrollBar>
#include <QSplitter>
#include <QTabWidget>
#include <QVBoxLayout>

#include <climits>

namespace tantra {

namespace {

QString indexText(const std::vector<std::uint64_t> &index)
{
    QStringList parts;
    for (auto i : index)
        parts << QString::number(i);
    return QLatin1Char('[') + parts.join(QStringLiteral(", ")) + QLatin1Char(']');
}

// The slice that holds `index`: the default row and column dimensions, every other one at
// the index's position.
TensorSlice sliceAt(const std::vector<std::uint64_t> &shape, const std::vector<std::uint64_t> &index)
{
    TensorSlice slice = TensorSlice::defaultFor(shape);
    if (index.size() == shape.size())
        for (std::size_t d = 0; d < shape.size(); ++d)
            if (int(d) != slice.rowDim && int(d) != slice.colDim && d < slice.position.size())
                slice.position[d] = index[d];
    return slice;
}

} // namespace

CompareDetailPane::CompareDetailPane(QWidget *parent)
    : QWidget(parent)
    , m_jobs(new JobRunner(this, JobRunner::Mode::LatestOnly))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    m_title = new QLabel(this);
    m_title->setTextFormat(Qt::RichText);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_facts = new QLabel(this);
    m_facts->setTextFormat(Qt::RichText);
    m_facts->setWordWrap(true);
    m_facts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_title);
    layout->addWidget(m_facts);

    m_slice = new SliceSelector(this);
    m_slice->setObjectName(QStringLiteral("compareSliceSelector"));

    m_tabs = new QTabWidget(this);
    m_histogram = new HistogramWidget(m_tabs);
    m_histogram->setObjectName(QStringLiteral("differenceHistogram"));
    m_histogram->setValueName(tr("A \u2212 B"));
    // Most positions of a fine-tune differ by 0: on a linear scale that one bar hides the rest.
    m_histogram->setLogScale(true);
    m_tabs->addTab(m_histogram, Icons::get(QStringLiteral("statistics")), tr("&Histogram of A \u2212 B"));

    m_heatmap = new HeatmapWidget(m_tabs);
    m_heatmap->setObjectName(QStringLiteral("differenceHeatmap"));
    m_tabs->addTab(m_heatmap, Icons::get(QStringLiteral("heatmap")), tr("Hea&tmap of |A \u2212 B|"));

    auto *values = new QWidget(m_tabs);
    auto *grid = new QGridLayout(values);
    grid->setContentsMargins(0, 0, 0, 0);
    m_labelGridA = new QLabel(values);
    m_labelGridB = new QLabel(values);
    m_valuesA = new TensorValueModel(this);
    m_valuesB = new TensorValueModel(this);
    m_gridA = new ValueGridView(values);
    m_gridB = new ValueGridView(values);
    m_gridA->setObjectName(QStringLiteral("valuesA"));
    m_gridB->setObjectName(QStringLiteral("valuesB"));
    m_gridA->setValueModel(m_valuesA);
    m_gridB->setValueModel(m_valuesB);
    grid->addWidget(m_labelGridA, 0, 0);
    grid->addWidget(m_labelGridB, 0, 1);
    grid->addWidget(m_gridA, 1, 0);
    grid->addWidget(m_gridB, 1, 1);
    m_tabs->addTab(values, Icons::get(QStringLiteral("values")), tr("Va&lues of A and B"));
    m_tabs->setTabToolTip(HistogramTab, tr("How the differences are distributed, over the positions where both are finite"));
    m_tabs->setTabToolTip(HeatmapTab, tr("Where in a 2-D slice the two differ, and by how much"));
    m_tabs->setTabToolTip(ValuesTab, tr("Both tensors' values around the largest difference; differing cells are highlighted"));
    layout->addWidget(m_slice);
    layout->addWidget(m_tabs, 1);

    // The two grids scroll together: a cell of A sits beside the same cell of B.
    const auto link = [](QScrollBar *x, QScrollBar *y) {
        connect(x, &QScrollBar::valueChanged, y, &QScrollBar::setValue);
        connect(y, &QScrollBar::valueChanged, x, &QScrollBar::setValue);
    };
    link(m_gridA->verticalScrollBar(), m_gridB->verticalScrollBar());
    link(m_gridA->horizontalScrollBar(), m_gridB->horizontalScrollBar());
    connect(m_slice, &SliceSelector::sliceChanged, m_valuesA, &TensorValueModel::setSlice);
    connect(m_slice, &SliceSelector::sliceChanged, m_valuesB, &TensorValueModel::setSlice);
    connect(m_slice, &SliceSelector::sliceChanged, m_heatmap, &HeatmapWidget::setSlice);
    connect(m_heatmap, &HeatmapWidget::jobStarted, this, &CompareDetailPane::jobStarted);
    // A grid scrolled while its tab was hidden had no size yet: centre the cell once shown.
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int tab) {
        if (tab == ValuesTab && m_gridA->currentIndex().isValid())
            m_gridA->scrollTo(m_gridA->currentIndex(), QAbstractItemView::PositionAtCenter);
    });
    setComparison(nullptr);
}

CompareDetailPane::~CompareDetailPane() = default;

bool CompareDetailPane::isComputing() const
{
    return m_jobs->isBusy();
}

void CompareDetailPane::setSides(std::shared_ptr<const SafetensorsModel> a, const QString &labelA,
                                 std::shared_ptr<const SafetensorsModel> b, const QString &labelB)
{
    m_a = std::move(a);
    m_b = std::move(b);
    m_labelA = labelA;
    m_labelB = labelB;
    setComparison(nullptr);
}

void CompareDetailPane::setComparison(const TensorComparison *t)
{
    // The same row again with its values: keep the slice, the scroll position and the tab.
    const bool sameTensor = t && m_t && m_t->name == t->name;
    const bool valuesArrived = sameTensor && !m_t->valuesCompared && t->valuesCompared;
    if (sameTensor && !valuesArrived)
        return;
    m_t = t ? std::optional<TensorComparison>(*t) : std::nullopt;
    m_ta = m_t && m_a && m_t->dtypeA ? m_a->find(m_t->name) : nullptr;
    m_tb = m_t && m_b && m_t->dtypeB ? m_b->find(m_t->nameB.empty() ? m_t->name : m_t->nameB) : nullptr;
    showFacts();
    computeHistogram();
    if (valuesArrived) {
        scrollToLargest();
        return;
    }

    const bool sameShape = m_ta && m_tb && m_ta->info->shape == m_tb->info->shape;
    // One side alone (added, removed) still shows its values; a reshaped pair shows both.
    m_valuesA->setTensor(m_a, m_ta);
    m_valuesB->setTensor(m_b, m_tb);
    if (sameShape) {
        m_valuesA->setReference(m_b, m_tb, tr("B"));
        m_valuesB->setReference(m_a, m_ta, tr("A"));
        m_heatmap->setDifference(m_a, m_ta, m_b, m_tb);
        m_slice->setShape(m_ta->info->shape);
    } else {
        m_heatmap->setTensor(nullptr, nullptr);
        m_slice->setShape({});
    }
    m_slice->setEnabled(sameShape);
    m_labelGridA->setText(tr("<b>A</b> %1").arg(m_ta ? QString::fromLatin1(dtypeName(m_ta->info->dtype)) : tr("(not in A)")));
    m_labelGridB->setText(tr("<b>B</b> %1").arg(m_tb ? QString::fromLatin1(dtypeName(m_tb->info->dtype)) : tr("(not in B)")));
    m_labelGridA->setToolTip(m_labelA);
    m_labelGridB->setToolTip(m_labelB);
    scrollToLargest();
}

void CompareDetailPane::scrollToLargest()
{
    if (!m_t || !m_ta || !m_tb || !m_t->valuesCompared || !hasMaxIndex(*m_t) || m_t->maxAbsDiffIndex.empty())
        return;
    const auto &shape = m_ta->info->shape;
    const TensorSlice slice = sliceAt(shape, m_t->maxAbsDiffIndex);
    m_slice->setSlice(slice);
    m_valuesA->setSlice(slice);
    m_valuesB->setSlice(slice);
    m_heatmap->setSlice(slice);
    const int row = slice.rowDim >= 0 ? int(std::min<std::uint64_t>(m_t->maxAbsDiffIndex[std::size_t(slice.rowDim)], INT_MAX)) : 0;
    const int col = slice.colDim >= 0 ? int(std::min<std::uint64_t>(m_t->maxAbsDiffIndex[std::size_t(slice.colDim)], INT_MAX)) : 0;
    const QModelIndex cell = m_valuesA->index(row, col);
    if (cell.isValid()) {
        m_gridA->scrollTo(cell, QAbstractItemView::PositionAtCenter);
        m_gridA->setCurrentIndex(cell);
        m_gridB->setCurrentIndex(m_valuesB->index(row, col));
    }
}

void CompareDetailPane::showFacts()
{
    if (!m_t) {
        m_title->setText(tr("<b>No tensor selected</b>"));
        m_facts->setText(tr("Select a tensor to see how A and B differ."));
        return;
    }
    const TensorComparison &t = *m_t;
    const QColor color = CompareTableModel::statusColor(t.status);
    m_title->setText(QStringLiteral("<b>%1</b> &nbsp;<span style=\"color:%2\">%3</span>")
                             .arg(TensorText::name(t.name).toHtmlEscaped(), color.name(),
                                  CompareTableModel::statusText(t).toHtmlEscaped()));
    m_title->setToolTip(TensorText::name(t.name));
    QStringList lines;
    const auto side = [](const std::optional<Dtype> &dtype, const std::optional<std::vector<std::uint64_t>> &shape) {
        return dtype ? QStringLiteral("%1 %2").arg(QString::fromLatin1(dtypeName(*dtype)), TensorText::shape(*shape)) : tr("absent");
    };
    lines << tr("A: %1 &nbsp;&nbsp; B: %2").arg(side(t.dtypeA, t.shapeA), side(t.dtypeB, t.shapeB));
    if (t.valuesCompared) {
        std::uint64_t elements = 1;
        for (auto d : *t.shapeA)
            elements *= d;
        const bool pairs = t.dtypeA == Dtype::C64 || t.dtypeB == Dtype::C64;
        const std::uint64_t values = elements * (pairs ? 2 : 1);
        const QLocale locale;
        QString differing = tr("%1 of %2 values differ").arg(locale.toString(qulonglong(t.differing)), locale.toString(qulonglong(values)));
        if (values > 0 && t.differing > 0)
            differing += QStringLiteral(" (%1%)").arg(ValueFormatter::formatReal(100.0 * double(t.differing) / double(values), 3));
        lines << differing;
        QStringList numbers;
        if (t.maxAbsDiff) {
            QString max = tr("max |\u0394| %1").arg(ValueFormatter::formatReal(*t.maxAbsDiff, 6));
            if (hasMaxIndex(t))
                max += tr(" at %1").arg(indexText(t.maxAbsDiffIndex));
            numbers << max;
        }
        if (t.meanAbsDiff)
            numbers << tr("mean |\u0394| %1").arg(ValueFormatter::formatReal(*t.meanAbsDiff, 6));
        numbers << tr("rel. L2 %1").arg(t.relL2 ? ValueFormatter::formatReal(*t.relL2, 6) : tr("undefined (zero norm)"));
        numbers << tr("cosine %1").arg(t.cosine ? ValueFormatter::formatReal(*t.cosine, 8) : tr("undefined (zero norm)"));
        lines << numbers.join(QStringLiteral(" &nbsp;\u00B7&nbsp; "));
        if (t.nonfiniteMismatch > 0)
            lines << tr("<span style=\"color:#c62828\">%n position(s) where only one side is NaN or infinite</span>", nullptr,
                        int(std::min<std::uint64_t>(t.nonfiniteMismatch, INT_MAX)));
    } else if (CompareTableModel::isPending(t)) {
        lines << tr("Comparing the values\u2026");
    } else if (t.status == CompareStatus::Reshaped) {
        lines << tr("The shapes differ: values are not compared.");
    } else {
        lines << (t.status == CompareStatus::Added ? tr("Only in B.") : tr("Only in A."));
    }
    m_facts->setText(lines.join(QStringLiteral("<br>")));
}

void CompareDetailPane::computeHistogram()
{
    m_jobs->cancelAll();
    if (!m_t || !m_ta || !m_tb || m_ta->info->shape != m_tb->info->shape) {
        m_histogram->setPlaceholder(m_t ? tr("No values to compare.") : tr("Select a tensor"));
        return;
    }
    if (!m_t->valuesCompared) {
        m_histogram->setPlaceholder(tr("Waiting for the comparison\u2026"));
        return;
    }
    if (m_t->status == CompareStatus::Identical) {
        m_histogram->setPlaceholder(tr("A and B are identical: every difference is 0."));
        return;
    }
    m_histogram->setPlaceholder(tr("Computing\u2026"));
    const QString name = TensorText::name(m_t->name);
    const QFuture<Result<TensorStats>> future = m_jobs->run(
            QString(),
            [a = m_a, ta = m_ta, b = m_b, tb = m_tb](JobContext &job) { return differenceStats(*a, *ta, *b, *tb, &job); }, this,
            [this](const Result<TensorStats> &stats) {
                if (!stats)
                    m_histogram->setPlaceholder(stats.errorString());
                else if (stats->finite == 0)
                    m_histogram->setPlaceholder(tr("No position where both values are finite."));
                else
                    m_histogram->setStats(*stats);
            });
    Q_EMIT jobStarted(QFuture<void>(future), tr("Histogram of differences of %1").arg(name));
}

} // namespace tantra
