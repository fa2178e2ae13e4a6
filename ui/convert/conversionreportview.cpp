#include "conversionreportview.h"

#include "conversionreportmodel.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

namespace tantra {

ConversionReportView::ConversionReportView(ConversionReport report, const QString &sourceLabel, const QString &resultLabel, QWidget *parent)
    : QWidget(parent), m_model(new ConversionReportModel(this)), m_proxy(new QSortFilterProxyModel(this)), m_table(new QTableView),
      m_filter(new QLineEdit), m_summary(new QLabel), m_sourceLabel(sourceLabel), m_resultLabel(resultLabel)
{
    m_model->setReport(std::move(report));
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(ConversionReportModel::SortRole);
    m_proxy->setFilterKeyColumn(ConversionReportModel::NameColumn);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_table->setObjectName(QStringLiteral("conversionReportTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(ConversionReportModel::RelL2Column, Qt::DescendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setTabKeyNavigation(false);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(ConversionReportModel::NameColumn, QHeaderView::Stretch);

    m_summary->setObjectName(QStringLiteral("conversionSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setText(summary());

    m_filter->setObjectName(QStringLiteral("conversionFilter"));
    m_filter->setPlaceholderText(tr("Filter tensors: text, glob (*.norm.*) or /regex/"));
    m_filter->setClearButtonEnabled(true);
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        if (text.size() > 1 && text.startsWith(QLatin1Char('/')) && text.endsWith(QLatin1Char('/')))
            m_proxy->setFilterRegularExpression(QRegularExpression(text.mid(1, text.size() - 2), QRegularExpression::CaseInsensitiveOption));
        else if (text.contains(QLatin1Char('*')) || text.contains(QLatin1Char('?')))
            m_proxy->setFilterRegularExpression(QRegularExpression(QRegularExpression::wildcardToRegularExpression(text, QRegularExpression::UnanchoredWildcardConversion),
                                                                   QRegularExpression::CaseInsensitiveOption));
        else
            m_proxy->setFilterFixedString(text);
    });

    auto *compare = new QPushButton(tr("Compare with Source"));
    compare->setObjectName(QStringLiteral("compareWithSource"));
    compare->setToolTip(tr("Open %1 and %2 side by side in the compare view").arg(m_sourceLabel, m_resultLabel));
    connect(compare, &QPushButton::clicked, this, [this] {
        const ConversionReport &r = m_model->report();
        Q_EMIT compareRequested(r.source, m_sourceLabel, r.output, m_resultLabel);
    });
    auto *copySummary = new QPushButton(tr("Copy Summary"));
    connect(copySummary, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(summary()); });
    auto *copyTable = new QPushButton(tr("Copy Table"));
    connect(copyTable, &QPushButton::clicked, this, [this] { QApplication::clipboard()->setText(tableText()); });

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_filter, 1);
    buttons->addWidget(copySummary);
    buttons->addWidget(copyTable);
    buttons->addWidget(compare);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_summary);
    layout->addLayout(buttons);
    layout->addWidget(m_table, 1);
}

QString ConversionReportView::title() const
{
    return tr("%1 (converted)").arg(m_resultLabel);
}

QString ConversionReportView::summary() const
{
    const ConversionReport &r = m_model->report();
    const QLocale locale;
    std::uint64_t overflowed = 0;
    std::uint64_t flushed = 0;
    const TensorConversion *worst = nullptr;
    for (const TensorConversion &t : r.tensors) {
        overflowed += t.overflowed;
        flushed += t.flushed;
        if (t.converted && t.relL2Error && (!worst || *t.relL2Error > *worst->relL2Error))
            worst = &t;
    }
    QString text = tr("%1 \u2192 %2: %3 of %n tensor(s) converted to %4, %5 \u2192 %6", nullptr, int(r.tensors.size()))
                           .arg(m_sourceLabel, m_resultLabel)
                           .arg(r.convertedCount())
                           .arg(QLatin1String(dtypeName(r.target)), locale.formattedDataSize(qint64(r.bytesBefore)),
                                locale.formattedDataSize(qint64(r.bytesAfter)));
    if (worst)
        text += tr("; largest relative L2 error %1 (%2)").arg(QString::number(*worst->relL2Error, 'g', 3), QString::fromStdString(worst->name));
    // Counts can pass INT_MAX (a %n plural's type): numbers with a label instead.
    text += tr("; values overflowed: %1, flushed to zero: %2").arg(locale.toString(qulonglong(overflowed)), locale.toString(qulonglong(flushed)));
    return text + QLatin1Char('.');
}

QString ConversionReportView::tableText() const
{
    // What is shown, in the order shown, tab-separated for a spreadsheet.
    QStringList lines;
    QStringList header;
    for (int c = 0; c < m_proxy->columnCount(); ++c)
        header << m_proxy->headerData(c, Qt::Horizontal).toString();
    lines << header.join(QLatin1Char('\t'));
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        QStringList cells;
        for (int c = 0; c < m_proxy->columnCount(); ++c)
            cells << m_proxy->index(r, c).data().toString();
        lines << cells.join(QLatin1Char('\t'));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

bool ConversionReportView::focusFilter()
{
    m_filter->setFocus(Qt::ShortcutFocusReason);
    m_filter->selectAll();
    return true;
}

} // namespace tantra
