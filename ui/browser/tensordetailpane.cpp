#include "tensordetailpane.h"

#include "heatmapwidget.h"
#include "icons.h"
#include "safetensorsmodel.h"
#include "sliceselector.h"
#include "tensorstatspanel.h"
#include "tensortext.h"
#include "tensorvaluemodel.h"
#include "valuegridview.h"

#include <QApplication>
#include <QClipboard>
#include <QFileInfo>
#include <QFrame>
#include <QHBoxLayout>
#include <QLabel>
#include <QStyle>
#include <QTabWidget>
#include <QToolButton>
#include <QVBoxLayout>

namespace tantra {

TensorDetailPane::TensorDetailPane(QWidget *parent)
    : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 6, 6, 6);

    // Header: name with copy buttons, then the facts.
    auto *titleRow = new QHBoxLayout;
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("tensorTitle"));
    m_title->setWordWrap(true);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_copyName = new QToolButton(this);
    m_copyName->setIcon(Icons::get(QStringLiteral("copy")));
    m_copyName->setText(tr("Copy name"));
    m_copyName->setToolTip(tr("Copy the tensor's name"));
    m_copyName->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_copyName->setAutoRaise(true);
    m_copyShape = new QToolButton(this);
    m_copyShape->setIcon(Icons::get(QStringLiteral("copy")));
    m_copyShape->setText(tr("Copy shape"));
    m_copyShape->setToolTip(tr("Copy the tensor's shape, as [d0, d1, …]"));
    m_copyShape->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_copyShape->setAutoRaise(true);
    titleRow->addWidget(m_title, 1);
    titleRow->addWidget(m_copyName, 0, Qt::AlignTop);
    titleRow->addWidget(m_copyShape, 0, Qt::AlignTop);
    layout->addLayout(titleRow);

    m_facts = new QLabel(this);
    m_facts->setObjectName(QStringLiteral("tensorFacts"));
    m_facts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_facts->setWordWrap(true);
    layout->addWidget(m_facts);
    m_location = new QLabel(this);
    m_location->setObjectName(QStringLiteral("tensorLocation"));
    m_location->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_location->setWordWrap(true);
    QPalette faint = m_location->palette();
    QColor faintText = faint.color(QPalette::WindowText);
    faintText.setAlphaF(0.7f);
    faint.setColor(QPalette::WindowText, faintText);
    m_location->setPalette(faint);
    layout->addWidget(m_location);

    m_issueBox = new QFrame(this);
    m_issueBox->setObjectName(QStringLiteral("issueBox"));
    m_issueBox->setFrameShape(QFrame::StyledPanel);
    // Amber at low opacity reads as a warning on light and dark palettes alike.
    m_issueBox->setStyleSheet(QStringLiteral("#issueBox { background: rgba(230, 160, 20, 40); border: 1px solid rgba(200, 130, 0, 160); border-radius: 4px; }"));
    auto *issueLayout = new QHBoxLayout(m_issueBox);
    issueLayout->setContentsMargins(8, 4, 8, 4);
    auto *issueIcon = new QLabel(m_issueBox);
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize);
    issueIcon->setPixmap(Icons::get(QStringLiteral("warning")).pixmap(QSize(iconSize, iconSize), devicePixelRatioF()));
    m_issueText = new QLabel(m_issueBox);
    m_issueText->setObjectName(QStringLiteral("issueText"));
    m_issueText->setWordWrap(true);
    m_issueText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    issueLayout->addWidget(issueIcon, 0, Qt::AlignTop);
    issueLayout->addWidget(m_issueText, 1);
    layout->addWidget(m_issueBox);

    // Tabs.
    m_tabs = new QTabWidget(this);
    m_tabs->setDocumentMode(true);
    m_stats = new TensorStatsPanel(m_tabs);
    m_tabs->addTab(m_stats, Icons::get(QStringLiteral("statistics")), tr("&Statistics"));

    m_slice = new SliceSelector(this);
    m_slice->setObjectName(QStringLiteral("sliceSelector"));

    auto *valuesPage = new QWidget(m_tabs);
    m_valuesLayout = new QVBoxLayout(valuesPage);
    m_values = new TensorValueModel(this);
    m_grid = new ValueGridView(valuesPage);
    m_grid->setObjectName(QStringLiteral("valueGrid"));
    m_grid->setValueModel(m_values);
    m_valuesLayout->addWidget(m_grid, 1);
    m_tabs->addTab(valuesPage, Icons::get(QStringLiteral("values")), tr("Va&lues"));

    auto *heatmapPage = new QWidget(m_tabs);
    m_heatmapLayout = new QVBoxLayout(heatmapPage);
    m_heatmap = new HeatmapWidget(heatmapPage);
    m_heatmap->setObjectName(QStringLiteral("heatmap"));
    m_heatmapLayout->addWidget(m_heatmap, 1);
    m_tabs->addTab(heatmapPage, Icons::get(QStringLiteral("heatmap")), tr("Hea&tmap"));
    m_tabs->setTabToolTip(StatisticsTab, tr("Min, max, mean, std, special values and histogram"));
    m_tabs->setTabToolTip(ValuesTab, tr("The values of a 2-D slice"));
    m_tabs->setTabToolTip(HeatmapTab, tr("A 2-D slice as a colour image"));
    layout->addWidget(m_tabs, 1);

    placeSliceSelector(ValuesTab);
    connect(m_tabs, &QTabWidget::currentChanged, this, &TensorDetailPane::placeSliceSelector);
    connect(m_slice, &SliceSelector::sliceChanged, m_values, &TensorValueModel::setSlice);
    connect(m_slice, &SliceSelector::sliceChanged, m_heatmap, &HeatmapWidget::setSlice);
    connect(m_copyName, &QToolButton::clicked, this, &TensorDetailPane::copyName);
    connect(m_copyShape, &QToolButton::clicked, this, &TensorDetailPane::copyShape);
    connect(m_stats, &TensorStatsPanel::jobStarted, this, &TensorDetailPane::jobStarted);
    connect(m_heatmap, &HeatmapWidget::jobStarted, this, &TensorDetailPane::jobStarted);
    connect(m_grid, &ValueGridView::message, this, &TensorDetailPane::message);

    clear();
}

TensorDetailPane::~TensorDetailPane() = default;

void TensorDetailPane::placeSliceSelector(int tab)
{
    // One selector serves the value grid and the heatmap: they always show the same slice.
    QVBoxLayout *target = tab == ValuesTab ? m_valuesLayout : tab == HeatmapTab ? m_heatmapLayout : nullptr;
    if (!target || target->indexOf(m_slice) >= 0)
        return;
    m_valuesLayout->removeWidget(m_slice);
    m_heatmapLayout->removeWidget(m_slice);
    target->insertWidget(0, m_slice);
    m_slice->show();
}

void TensorDetailPane::setTensor(std::shared_ptr<const SafetensorsModel> model, const ModelTensor *tensor, const QString &issue)
{
    m_model = tensor ? std::move(model) : nullptr;
    m_tensor = m_model ? tensor : nullptr;
    m_copyName->setEnabled(m_tensor);
    m_copyShape->setEnabled(m_tensor);
    m_tabs->setEnabled(m_tensor);
    m_stats->setTensor(m_model, m_tensor);
    m_values->setTensor(m_model, m_tensor);
    m_heatmap->setTensor(m_model, m_tensor);
    m_slice->setShape(m_tensor ? m_tensor->info->shape : std::vector<std::uint64_t>{});
    setIssue(issue);
    if (!m_tensor) {
        m_title->setText(tr("No tensor selected"));
        m_facts->setText(tr("Select a tensor in the list to see its statistics, values and heatmap."));
        m_location->clear();
        return;
    }
    const TensorInfo &info = *m_tensor->info;
    const QString name = TensorText::name(info.name);
    m_title->setText(TensorText::breadcrumb(name));
    m_title->setToolTip(name);
    m_facts->setText(tr("%1  \u00B7  shape %2  \u00B7  %3 elements  \u00B7  %4")
                             .arg(QString::fromLatin1(dtypeName(info.dtype)), TensorText::shape(info.shape),
                                  TensorText::count(info.elementCount()), TensorText::bytes(info.byteSize())));
    if (!m_checkpointSource.isEmpty()) {
        m_location->setText(tr("%1  \u00B7  PyTorch checkpoint, shown read-only through a temporary safetensors copy")
                                    .arg(QFileInfo(m_checkpointSource).fileName()));
        m_location->setToolTip(m_checkpointSource);
        return;
    }
    const SafetensorsFile &shard = m_model->shardOf(*m_tensor);
    m_location->setText(tr("%1  \u00B7  data bytes [%2, %3)  \u00B7  file offset %4")
                                .arg(QFileInfo(shard.path()).fileName(), TensorText::count(info.begin),
                                     TensorText::count(info.end), TensorText::count(shard.header().dataStart() + info.begin)));
    m_location->setToolTip(shard.path());
}

void TensorDetailPane::showGroup(const QString &path, const QString &summary)
{
    clear();
    m_title->setText(TensorText::breadcrumb(path));
    m_title->setToolTip(path);
    m_facts->setText(summary);
    m_location->setText(tr("Select a tensor in the group to see its statistics, values and heatmap."));
}

void TensorDetailPane::setIssue(const QString &issue)
{
    m_issueText->setText(issue);
    m_issueBox->setVisible(!issue.isEmpty());
}

void TensorDetailPane::copyName() const
{
    if (m_tensor)
        QApplication::clipboard()->setText(TensorText::name(m_tensor->info->name));
}

void TensorDetailPane::copyShape() const
{
    if (m_tensor)
        QApplication::clipboard()->setText(TensorText::shape(m_tensor->info->shape));
}

} // namespace tantra
