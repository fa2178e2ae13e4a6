#include "configcheckpanel.h"

#include "jobrunner.h"
#include "safetensorsmodel.h"
#include "workspacesession.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace tantra {

namespace {

enum Column { KindColumn, TensorColumn, ActualColumn, ExpectedColumn, LineColumn, ColumnCount };

} // namespace

// A weight's tensor shapes, read once per weight; `sha256` tells whether the registry still
// describes the same file.
struct ConfigCheckPanel::Shapes
{
    QString weight;
    QString path;
    QString sha256;
    std::vector<TensorShape> tensors;
};

struct ConfigCheckPanel::Outcome
{
    QString weight;
    std::shared_ptr<const Shapes> shapes;
    std::optional<ShapeReport> report;
    QString error;
};

ConfigCheckPanel::ConfigCheckPanel(WorkspaceSession *session, const QString &modelType, QWidget *parent)
    : QWidget(parent)
    , m_session(session)
    , m_type(modelType)
    , m_weights(new QComboBox(this))
    , m_check(new QPushButton(tr("Check"), this))
    , m_summary(new QLabel(this))
    , m_state(new QLabel(this))
    , m_issues(new QTreeWidget(this))
    , m_jobs(new JobRunner(this, JobRunner::Mode::LatestOnly))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 6, 8, 6);
    layout->setSpacing(6);

    auto *top = new QHBoxLayout;
    top->setSpacing(8);
    auto *title = new QLabel(tr("<b>Check against weight</b>"), this);
    top->addWidget(title);
    m_weights->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_weights->setToolTip(tr("A registered weight of type %1; the active one is chosen first").arg(modelType));
    top->addWidget(m_weights);
    m_check->setToolTip(tr("Validate the weight's tensor shapes against the edited, unsaved values"));
    top->addWidget(m_check);
    top->addSpacing(8);
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    top->addWidget(m_summary, 1);
    m_state->setEnabled(false); // muted text
    top->addWidget(m_state);
    layout->addLayout(top);

    m_issues->setColumnCount(ColumnCount);
    m_issues->setHeaderLabels({tr("Problem"), tr("Tensor"), tr("Found"), tr("Expected"), tr("Rule")});
    m_issues->setRootIsDecorated(false);
    m_issues->setUniformRowHeights(true);
    m_issues->setAlternatingRowColors(true);
    m_issues->setSelectionMode(QAbstractItemView::SingleSelection);
    m_issues->setTextElideMode(Qt::ElideMiddle);
    m_issues->setToolTip(tr("Double-click an issue to show its rule in the YAML"));
    QHeaderView *header = m_issues->header();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(KindColumn, QHeaderView::Interactive);
    header->setSectionResizeMode(TensorColumn, QHeaderView::Interactive);
    header->setSectionResizeMode(ActualColumn, QHeaderView::Interactive);
    header->setSectionResizeMode(ExpectedColumn, QHeaderView::Stretch);
    header->setSectionResizeMode(LineColumn, QHeaderView::ResizeToContents);
    m_issues->setColumnWidth(KindColumn, 150);
    m_issues->setColumnWidth(TensorColumn, 340);
    m_issues->setColumnWidth(ActualColumn, 110);
    layout->addWidget(m_issues, 1);

    connect(m_check, &QPushButton::clicked, this, &ConfigCheckPanel::check);
    connect(m_weights, &QComboBox::currentIndexChanged, this, [this] {
        if (m_live) {
            check();
        } else {
            m_report.reset();
            m_error.clear();
            showReport();
        }
    });
    connect(m_issues, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item) {
        const int line = item->data(LineColumn, Qt::UserRole).toInt();
        if (line > 0)
            Q_EMIT ruleLineActivated(line);
    });
    if (m_session)
        connect(m_session, &WorkspaceSession::changed, this, &ConfigCheckPanel::refreshWeights);
    refreshWeights();
    showReport();
}

ConfigCheckPanel::~ConfigCheckPanel() = default;

bool ConfigCheckPanel::isChecking() const
{
    return m_jobs->isBusy();
}

void ConfigCheckPanel::setConfig(const std::optional<ModelConfig> &config, const QString &whyNot)
{
    m_config = config;
    m_whyNot = whyNot;
    if (!m_report)
        showReport(); // the hint says whether a check is possible
    updateState();
    if (m_live && m_config)
        check();
}

QString ConfigCheckPanel::selectedWeight() const
{
    return m_weights->currentData().toString();
}

void ConfigCheckPanel::selectWeight(const QString &name)
{
    const int index = m_weights->findData(name);
    if (index >= 0)
        m_weights->setCurrentIndex(index);
}

void ConfigCheckPanel::refreshWeights()
{
    const QString selected = selectedWeight();
    QStringList names;
    QString active;
    if (m_session && m_session->isOpen()) {
        const RegistryData &registry = m_session->registry();
        for (const WeightEntry *w : registry.weightsOf(m_type))
            names << w->name;
        active = registry.activeOf(m_type);
    }
    QStringList current;
    for (int i = 0; i < m_weights->count(); ++i)
        current << m_weights->itemData(i).toString();
    const bool same = current == names && m_active == active;
    if (!same) {
        const QSignalBlocker blocker(m_weights);
        m_weights->clear();
        for (const QString &name : names)
            m_weights->addItem(name == active ? tr("%1 (active)").arg(name) : name, name);
        m_active = active;
        int index = m_weights->findData(selected);
        if (index < 0)
            index = m_weights->findData(active);
        if (index < 0 && !names.isEmpty())
            index = 0;
        m_weights->setCurrentIndex(index);
    }
    updateState();
    // A weight re-registered under the same name, or the selection gone: check again.
    if (!same && m_live && selectedWeight() != m_reportWeight)
        check();
}

void ConfigCheckPanel::updateState()
{
    const bool haveWeights = m_weights->count() > 0;
    m_weights->setEnabled(haveWeights);
    m_check->setEnabled(haveWeights && m_config.has_value());
    if (!haveWeights)
        m_check->setToolTip(tr("No weight of type %1 is registered").arg(m_type));
    else if (!m_config)
        m_check->setToolTip(tr("The config has an error; fix it to check: %1").arg(m_whyNot));
    else
        m_check->setToolTip(tr("Validate the weight's tensor shapes against the edited, unsaved values"));
    if (isChecking())
        m_state->setText(tr("checking…"));
    else if (m_live && !m_config)
        m_state->setText(tr("stale: the config does not parse"));
    else if (m_live)
        m_state->setText(tr("updates as you edit"));
    else
        m_state->clear();
}

void ConfigCheckPanel::check()
{
    if (isChecking()) {
        m_again = true; // one run at a time; the newest config follows when this one ends
        return;
    }
    start();
}

void ConfigCheckPanel::start()
{
    const QString name = selectedWeight();
    if (!m_config || name.isEmpty()) {
        updateState();
        return;
    }
    const WeightEntry *entry = m_session && m_session->isOpen() ? m_session->registry().find(name) : nullptr;
    if (!entry) {
        m_report.reset();
        m_error = tr("%1 is not registered any more").arg(name);
        m_reportWeight = name;
        showReport();
        Q_EMIT checkFinished();
        return;
    }
    const Workspace &workspace = m_session->manager()->workspace();
    const QString path = workspace.absolutePath(entry->path);
    if (auto inside = workspace.checkInside(path); !inside) {
        m_report.reset();
        m_error = inside.errorString();
        m_reportWeight = name;
        showReport();
        Q_EMIT checkFinished();
        return;
    }
    std::shared_ptr<const Shapes> cached;
    if (m_shapes && m_shapes->weight == name && m_shapes->path == path && m_shapes->sha256 == entry->sha256)
        cached = m_shapes;

    const QString sha = entry->sha256;
    const ModelConfig config = *m_config;
    const auto work = [name, path, sha, cached, config](JobContext &) {
        Outcome out;
        out.weight = name;
        out.shapes = cached;
        if (!out.shapes) {
            auto model = SafetensorsModel::open(path);
            if (!model) {
                out.error = model.errorString();
                return out;
            }
            auto shapes = std::make_shared<Shapes>();
            shapes->weight = name;
            shapes->path = path;
            shapes->sha256 = sha;
            shapes->tensors = tensorShapesOf(*model);
            out.shapes = std::move(shapes);
        }
        out.report = ShapeValidator(config).validate(out.shapes->tensors);
        return out;
    };
    m_jobs->run(QString(), work, this, [this](const Outcome &outcome) {
        finished(outcome);
        if (std::exchange(m_again, false))
            start();
        updateState();
    });
    updateState();
}

void ConfigCheckPanel::finished(const Outcome &outcome)
{
    m_reportWeight = outcome.weight;
    m_error = outcome.error;
    m_report = outcome.report;
    if (outcome.shapes)
        m_shapes = outcome.shapes;
    m_live = m_live || outcome.report.has_value();
    showReport();
    Q_EMIT checkFinished();
}

void ConfigCheckPanel::showReport()
{
    m_issues->clear();
    QMap<int, QString> lines;
    if (!m_error.isEmpty()) {
        m_summary->setText(QStringLiteral("<span style='color:#c62828'>%1</span>").arg(m_error.toHtmlEscaped()));
    } else if (!m_report && m_weights->count() == 0) {
        m_summary->setText(tr("No weight of type %1 is registered; import or save one to check against it.").arg(m_type.toHtmlEscaped()));
    } else if (!m_report && !m_config) {
        m_summary->setText(tr("The config has an error; fix it to check the edited values against a weight."));
    } else if (!m_report) {
        m_summary->setText(tr("Lists the tensors of a weight that the <i>edited</i> values would reject, before you save."));
    } else {
        const ShapeReport &report = *m_report;
        const QString colour = report.ok() ? QStringLiteral("#2e7d32") : QStringLiteral("#c62828");
        const QString mark = report.ok() ? QStringLiteral("\u2714") : QStringLiteral("\u2716");
        m_summary->setText(QStringLiteral("<span style='color:%1'>%2</span> <b>%3</b>: %4")
                               .arg(colour, mark, m_reportWeight.toHtmlEscaped(), report.summary().toHtmlEscaped()));
        const QIcon error = style()->standardIcon(QStyle::SP_MessageBoxCritical);
        const QIcon warning = style()->standardIcon(QStyle::SP_MessageBoxWarning);
        QMap<int, QStringList> perLine;
        QList<QTreeWidgetItem *> items;
        items.reserve(qsizetype(report.issues.size()));
        for (const ShapeIssue &issue : report.issues) {
            auto *item = new QTreeWidgetItem;
            item->setText(KindColumn, issueKindName(issue.kind));
            item->setIcon(KindColumn, issue.kind == ShapeIssue::Kind::Unexpected ? warning : error);
            item->setText(TensorColumn, issue.tensor);
            item->setText(ActualColumn, issue.actual);
            item->setText(ExpectedColumn, issue.expected);
            if (issue.line > 0) {
                item->setText(LineColumn, QString::number(issue.line));
                item->setData(LineColumn, Qt::UserRole, issue.line);
                item->setTextAlignment(LineColumn, Qt::AlignRight | Qt::AlignVCenter);
                perLine[issue.line] << issue.message;
            }
            for (int c = 0; c < ColumnCount; ++c)
                item->setToolTip(c, issue.message);
            items << item;
        }
        m_issues->addTopLevelItems(items);
        // A rule expands to many tensors: the gutter's tooltip names the first few.
        constexpr int kShown = 6;
        for (auto it = perLine.begin(); it != perLine.end(); ++it) {
            QStringList shown = it.value().mid(0, kShown);
            if (it.value().size() > kShown)
                shown << tr("… and %1 more").arg(it.value().size() - kShown);
            lines.insert(it.key(), shown.join(QLatin1Char('\n')));
        }
    }
    updateState();
    Q_EMIT issueLinesChanged(lines);
}

} // namespace tantra
