#include "configformpage.h"

#include "configtextmap.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QEvent>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QRegularExpressionValidator>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

namespace tantra {

namespace {

// Free sections in the order the form shows them, with their titles.
const std::pair<const char *, const char *> kSections[] = {
    {"architecture", QT_TRANSLATE_NOOP("tantra::ConfigFormPage", "Architecture")},
    {"training", QT_TRANSLATE_NOOP("tantra::ConfigFormPage", "Training")},
    {"serve", QT_TRANSLATE_NOOP("tantra::ConfigFormPage", "Serve")},
    {"paths", QT_TRANSLATE_NOOP("tantra::ConfigFormPage", "Paths")},
    {"extra", QT_TRANSLATE_NOOP("tantra::ConfigFormPage", "Extra")},
};

constexpr int kReadOnlyLines = 8; // longer lists and mappings are cut, with "…"
constexpr int kIdleCommitMs = 700;

const QVariantMap &sectionOf(const ModelConfig &config, const QString &name)
{
    if (name == QLatin1String("architecture"))
        return config.architecture;
    if (name == QLatin1String("training"))
        return config.training;
    if (name == QLatin1String("serve"))
        return config.serve;
    if (name == QLatin1String("paths"))
        return config.paths;
    return config.extra;
}

// A value in YAML's flow notation, for sections the text map cannot split into lines.
QString flowText(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::QVariantList: {
        QStringList items;
        for (const QVariant &v : value.toList())
            items << flowText(v);
        return QLatin1Char('[') + items.join(QStringLiteral(", ")) + QLatin1Char(']');
    }
    case QMetaType::QVariantMap: {
        QStringList items;
        const QVariantMap map = value.toMap();
        for (auto it = map.begin(); it != map.end(); ++it)
            items << it.key() + QStringLiteral(": ") + flowText(it.value());
        return QLatin1Char('{') + items.join(QStringLiteral(", ")) + QLatin1Char('}');
    }
    default: break;
    }
    return value.isValid() ? ConfigTextMap::scalarText(value) : QStringLiteral("~");
}

bool isQuoted(const QString &raw)
{
    return raw.startsWith(QLatin1Char('"')) || raw.startsWith(QLatin1Char('\''));
}

// What a plain or quoted value on one line means: text for quoted values, else as YAML reads it.
QVariant valueOf(const QString &raw)
{
    return isQuoted(raw) ? QVariant(ConfigTextMap::unquote(raw)) : ConfigTextMap::resolvePlain(raw);
}

const QRegularExpression &doublePattern()
{
    static const QRegularExpression re(QStringLiteral(
        "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)"));
    return re;
}

const QRegularExpression &integerPattern()
{
    static const QRegularExpression re(QStringLiteral("[-+]?[0-9]+"));
    return re;
}

} // namespace

ConfigFormPage::ConfigFormPage(QWidget *parent)
    : QWidget(parent)
    , m_banner(new QLabel(this))
    , m_scroll(new QScrollArea(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    m_banner->setWordWrap(true);
    m_banner->setTextFormat(Qt::PlainText);
    m_banner->setContentsMargins(10, 6, 10, 6);
    m_banner->setAutoFillBackground(true);
    m_banner->hide();
    layout->addWidget(m_banner);
    m_scroll->setWidgetResizable(true);
    m_scroll->setFrameShape(QFrame::NoFrame);
    layout->addWidget(m_scroll, 1);

    m_idle.setSingleShot(true);
    m_idle.setInterval(kIdleCommitMs);
    connect(&m_idle, &QTimer::timeout, this, &ConfigFormPage::commitPending);
}

ConfigFormPage::Kind ConfigFormPage::kindOf(const QVariant &value, const ConfigTextEntry *entry)
{
    if (!entry || !entry->inlineScalar)
        return Kind::ReadOnly;
    switch (value.typeId()) {
    case QMetaType::Bool: return Kind::Bool;
    case QMetaType::LongLong: {
        const qint64 v = value.toLongLong();
        return v >= std::numeric_limits<int>::min() && v <= std::numeric_limits<int>::max() ? Kind::Int : Kind::BigInt;
    }
    case QMetaType::Double: return Kind::Double;
    case QMetaType::QString: return Kind::Text;
    default: return Kind::ReadOnly; // empty (~) values have no type to edit
    }
}

QString ConfigFormPage::signatureOf(const ModelConfig &config, const ConfigTextMap &map)
{
    QStringList parts;
    parts << config.type;
    const ConfigTextEntry *description = map.find(QString(), QStringLiteral("description"));
    parts << QStringLiteral("description=%1").arg(int(kindOf(QVariant(config.description), description)));
    for (const auto &[name, title] : kSections) {
        const QString section = QLatin1String(name);
        const QVariantMap &values = sectionOf(config, section);
        parts << section + (map.sectionLine(section) < 0 ? QStringLiteral("-") : QStringLiteral("+"));
        for (const QString &key : config.keyOrder.value(section))
            parts << key + QLatin1Char('=') + QString::number(int(kindOf(values.value(key), map.find(section, key))));
    }
    for (const auto &[name, expression] : config.derivedExpressions)
        parts << QStringLiteral("derived.") + name;
    return parts.join(QLatin1Char('\n'));
}

void ConfigFormPage::setConfig(const ModelConfig &config, const ConfigTextMap &map)
{
    const QString signature = signatureOf(config, map);
    if (signature != m_signature) {
        m_signature = signature;
        rebuild(config, map);
    } else {
        refreshFromText(map);
    }
    for (auto &[name, label] : m_derived) {
        label->setEnabled(true);
        for (const auto &[dname, expression] : config.derivedExpressions) {
            if (dname != name)
                continue;
            const auto value = config.derived.find(name);
            label->setText(expression + (value != config.derived.end() ? QStringLiteral("  =  %1").arg(value->second) : QString()));
        }
    }
}

void ConfigFormPage::refreshFromText(const ConfigTextMap &map)
{
    // Derived values need a config that parses: until then they are the last good ones.
    for (auto &[name, label] : m_derived)
        label->setEnabled(false);
    for (Row &row : m_rows) {
        if (row.kind == Kind::ReadOnly)
            continue;
        const ConfigTextEntry *entry = map.find(row.section, row.key);
        if (entry && entry->inlineScalar) {
            row.line = entry->line + 1;
            showValue(row, entry->rawValue);
        }
    }
}

void ConfigFormPage::setUnreadable(const QString &reason)
{
    if (reason.isEmpty()) {
        m_banner->hide();
        m_scroll->setEnabled(true);
        return;
    }
    QPalette pal = m_banner->palette();
    pal.setColor(QPalette::Window, QColor(0xfd, 0xec, 0xea));
    pal.setColor(QPalette::WindowText, QColor(0x8a, 0x1c, 0x1c));
    m_banner->setPalette(pal);
    m_banner->setText(reason);
    m_banner->show();
    m_scroll->setEnabled(false);
}

bool ConfigFormPage::setProblem(const QString &key, const QString &message)
{
    m_problemKey = message.isEmpty() ? QString() : key;
    bool marked = false;
    for (Row &row : m_rows) {
        const QString rowKey = row.section.isEmpty() ? row.key : QString(row.section + QLatin1Char('.') + row.key);
        const bool hit = !m_problemKey.isEmpty()
                         && (key == rowKey || key.startsWith(rowKey + QLatin1Char('.')) || key.startsWith(rowKey + QLatin1Char('[')));
        marked = marked || hit;
        row.problem->setVisible(hit);
        row.problem->setToolTip(hit ? message : QString());
        QPalette pal = row.keyLabel->palette();
        pal.setColor(QPalette::WindowText, hit ? QColor(0xd3, 0x2f, 0x2f) : palette().color(QPalette::WindowText));
        row.keyLabel->setPalette(pal);
    }
    return marked;
}

bool ConfigFormPage::hasPending() const
{
    for (const Row &row : m_rows) {
        if (row.pending)
            return true;
    }
    return false;
}

void ConfigFormPage::commitPending()
{
    m_idle.stop();
    // Index loop: a commit can lead to a refresh, but never to a rebuild of m_rows while
    // here (a scalar edit keeps the layout), and indices stay valid either way.
    for (std::size_t i = 0; i < m_rows.size(); ++i) {
        if (m_rows[i].pending)
            commit(m_rows[i]);
    }
}

QWidget *ConfigFormPage::editorFor(const QString &section, const QString &key) const
{
    for (const Row &row : m_rows) {
        if (row.section == section && row.key == key)
            return row.editor;
    }
    return nullptr;
}

bool ConfigFormPage::isEditable(const QString &section, const QString &key) const
{
    for (const Row &row : m_rows) {
        if (row.section == section && row.key == key)
            return row.kind != Kind::ReadOnly;
    }
    return false;
}

ConfigFormPage::Row *ConfigFormPage::rowOf(QObject *editor)
{
    for (Row &row : m_rows) {
        if (row.editor == editor)
            return &row;
    }
    return nullptr;
}

void ConfigFormPage::rebuild(const ModelConfig &config, const ConfigTextMap &map)
{
    const int scroll = m_scroll->verticalScrollBar()->value();
    QString focusKey;
    for (const Row &row : m_rows) {
        if (row.editor && row.editor->hasFocus())
            focusKey = row.section + QLatin1Char('.') + row.key;
    }
    // The old widgets may be the sender of the signal that led here: delete them later.
    if (QWidget *old = m_scroll->takeWidget()) {
        old->hide();
        old->deleteLater();
    }
    m_rows.clear();
    m_derived.clear();
    m_rows.reserve(64);

    auto *content = new QWidget;
    auto *columns = new QHBoxLayout(content);
    columns->setContentsMargins(12, 12, 12, 12);
    columns->setSpacing(16);
    auto *left = new QVBoxLayout;
    auto *right = new QVBoxLayout;
    left->setSpacing(12);
    right->setSpacing(12);
    columns->addLayout(left, 1);
    columns->addLayout(right, 1);

    auto newGroup = [](const QString &title, QVBoxLayout *column) {
        auto *box = new QGroupBox(title);
        auto *form = new QFormLayout(box);
        form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
        form->setHorizontalSpacing(12);
        form->setVerticalSpacing(6);
        column->addWidget(box);
        return form;
    };

    QFormLayout *general = newGroup(tr("General"), left);
    auto *typeLabel = new QLabel(config.type);
    typeLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    typeLabel->setToolTip(tr("model_type names the file (Config/%1.yaml) and cannot be changed here").arg(config.type));
    general->addRow(new QLabel(QStringLiteral("model_type")), typeLabel);
    addRow(general, QString(), QStringLiteral("description"), QVariant(config.description), map);

    for (const auto &[name, title] : kSections) {
        const QString section = QLatin1String(name);
        QFormLayout *form = newGroup(tr(title), section == QLatin1String("architecture") ? left : right);
        const QStringList keys = config.keyOrder.value(section);
        if (keys.isEmpty()) {
            auto *none = new QLabel(map.sectionLine(section) < 0 ? tr("No %1 section; add one in the YAML text.").arg(section)
                                                                 : tr("No settings."));
            none->setEnabled(false);
            form->addRow(none);
        } else if (map.isFlowSection(section)) {
            auto *note = new QLabel(tr("Written in flow style ({…}); edit it in the YAML text."));
            note->setEnabled(false);
            form->addRow(note);
        }
        const QVariantMap &values = sectionOf(config, section);
        for (const QString &key : keys)
            addRow(form, section, key, values.value(key), map);

        if (section == QLatin1String("architecture") && !config.derivedExpressions.empty()) {
            QFormLayout *derived = newGroup(tr("Derived (read-only)"), left);
            const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
            for (const auto &[dname, expression] : config.derivedExpressions) {
                auto *label = new QLabel;
                label->setFont(mono);
                label->setTextInteractionFlags(Qt::TextSelectableByMouse);
                const auto value = config.derived.find(dname);
                label->setText(expression + (value != config.derived.end() ? QStringLiteral("  =  %1").arg(value->second) : QString()));
                derived->addRow(new QLabel(dname), label);
                m_derived.emplace_back(dname, label);
            }
        }
    }
    left->addStretch(1);
    right->addStretch(1);
    m_scroll->setWidget(content);

    for (Row &row : m_rows) {
        if (!focusKey.isEmpty() && row.section + QLatin1Char('.') + row.key == focusKey && row.editor)
            row.editor->setFocus(Qt::OtherFocusReason);
    }
    // The scroll range is known once the new content is laid out.
    QPointer<QScrollArea> area(m_scroll);
    QTimer::singleShot(0, this, [area, scroll] {
        if (area)
            area->verticalScrollBar()->setValue(scroll);
    });
}

void ConfigFormPage::addRow(QFormLayout *form, const QString &section, const QString &key, const QVariant &value, const ConfigTextMap &map)
{
    const ConfigTextEntry *entry = map.find(section, key);
    Row row;
    row.section = section;
    row.key = key;
    row.kind = kindOf(value, entry);
    row.line = entry ? entry->line + 1 : (map.sectionLine(section) >= 0 ? map.sectionLine(section) + 1 : 0);

    auto *field = new QWidget;
    auto *h = new QHBoxLayout(field);
    h->setContentsMargins(0, 0, 0, 0);
    h->setSpacing(8);

    switch (row.kind) {
    case Kind::Bool: {
        auto *box = new QCheckBox;
        connect(box, &QCheckBox::toggled, this, [this, box] {
            if (Row *r = rowOf(box))
                commit(*r);
        });
        row.editor = box;
        h->addWidget(box);
        break;
    }
    case Kind::Int: {
        auto *spin = new QSpinBox;
        spin->setRange(std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
        // One commit per finished entry (Enter, focus change, arrow step), not per keystroke.
        spin->setKeyboardTracking(false);
        spin->setFocusPolicy(Qt::StrongFocus);
        spin->setMinimumWidth(spin->fontMetrics().horizontalAdvance(QStringLiteral("-000000000")) + 30);
        spin->setMaximumWidth(spin->minimumWidth() + 40);
        spin->installEventFilter(this);
        connect(spin, &QSpinBox::valueChanged, this, [this, spin] {
            if (Row *r = rowOf(spin))
                commit(*r);
        });
        row.editor = spin;
        h->addWidget(spin);
        break;
    }
    case Kind::BigInt:
    case Kind::Double:
    case Kind::Text: {
        auto *edit = new QLineEdit;
        if (row.kind != Kind::Text) {
            edit->setValidator(new QRegularExpressionValidator(row.kind == Kind::Double ? doublePattern() : integerPattern(), edit));
            edit->setMaximumWidth(edit->fontMetrics().horizontalAdvance(QStringLiteral("-0.000000000000e-00")) + 20);
        }
        edit->installEventFilter(this);
        connect(edit, &QLineEdit::textEdited, this, [this, edit] {
            if (Row *r = rowOf(edit)) {
                r->pending = true;
                m_idle.start();
                Q_EMIT editPending();
            }
        });
        connect(edit, &QLineEdit::editingFinished, this, [this, edit] {
            if (Row *r = rowOf(edit); r && r->pending)
                commit(*r);
        });
        row.editor = edit;
        if (row.kind == Kind::Text && !section.isEmpty()) {
            // Wide enough for a path, not a whole column: a short value in a field across the
            // page reads badly. The spacer takes what the field cannot.
            edit->setMaximumWidth(edit->fontMetrics().averageCharWidth() * 60);
            h->addWidget(edit, 100);
            if (!(entry && !entry->comment.isEmpty()))
                h->addStretch(1);
        } else {
            h->addWidget(edit, row.kind == Kind::Text ? 1 : 0);
        }
        break;
    }
    case Kind::ReadOnly: {
        QString text;
        if (entry && !entry->inlineScalar)
            text = map.blockText(*entry);
        else
            text = flowText(value);
        QStringList lines = text.split(QLatin1Char('\n'));
        if (lines.size() > kReadOnlyLines) {
            lines = lines.mid(0, kReadOnlyLines);
            lines << QStringLiteral("…");
        }
        auto *view = new QLabel(lines.join(QLatin1Char('\n')));
        view->setTextFormat(Qt::PlainText);
        view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        view->setTextInteractionFlags(Qt::TextSelectableByMouse);
        view->setFrameShape(QFrame::StyledPanel);
        view->setContentsMargins(4, 2, 4, 2);
        view->setToolTip(tr("Lists, mappings and empty values are edited in the YAML text"));
        row.editor = view;
        h->addWidget(view, 1);
        auto *jump = new QToolButton;
        jump->setText(tr("Edit in YAML"));
        jump->setAutoRaise(true);
        const int line = row.line;
        connect(jump, &QToolButton::clicked, this, [this, line] { Q_EMIT lineRequested(line); });
        jump->setEnabled(line > 0);
        h->addWidget(jump);
        break;
    }
    }

    if (entry && !entry->comment.isEmpty() && row.kind != Kind::ReadOnly) {
        auto *hint = new QLabel(entry->comment);
        hint->setTextFormat(Qt::PlainText);
        hint->setEnabled(false); // the disabled colour is the palette's muted text
        hint->setToolTip(entry->comment);
        hint->setMinimumWidth(0);
        hint->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        h->addWidget(hint, 1);
    } else if (row.kind != Kind::Text && row.kind != Kind::ReadOnly) {
        h->addStretch(1);
    }

    row.problem = new QLabel;
    row.problem->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxCritical).pixmap(16, 16));
    row.problem->hide();
    h->addWidget(row.problem);

    row.keyLabel = new QLabel(key);
    row.keyLabel->setToolTip(row.line > 0 ? tr("%1 (line %2)").arg(section.isEmpty() ? key : QString(section + QLatin1Char('.') + key)).arg(row.line)
                                          : key);
    row.keyLabel->setBuddy(row.editor);
    form->addRow(row.keyLabel, field);

    m_rows.push_back(row);
    if (row.kind != Kind::ReadOnly && entry)
        showValue(m_rows.back(), entry->rawValue);
}

void ConfigFormPage::showValue(Row &row, const QString &raw)
{
    row.raw = raw;
    if (row.pending)
        return; // the user is typing here; their text wins until committed
    const QVariant value = valueOf(raw);
    const QSignalBlocker blocker(row.editor);
    // When the text holds what the widget cannot show (abc for a number), the widget shows
    // the text itself, disabled, rather than a stale value; the parse error marks the row.
    switch (row.kind) {
    case Kind::Bool: {
        auto *box = static_cast<QCheckBox *>(row.editor);
        const bool fits = value.typeId() == QMetaType::Bool;
        box->setTristate(!fits);
        box->setEnabled(fits);
        box->setText(fits ? QString() : raw);
        if (fits)
            box->setChecked(value.toBool());
        else
            box->setCheckState(Qt::PartiallyChecked);
        break;
    }
    case Kind::Int: {
        auto *spin = static_cast<QSpinBox *>(row.editor);
        const bool fits = value.typeId() == QMetaType::LongLong && value.toLongLong() >= spin->minimum()
                          && value.toLongLong() <= spin->maximum();
        spin->setEnabled(fits);
        if (!fits) {
            // Shown while the value sits at the minimum; the spin box is disabled meanwhile.
            spin->setSpecialValueText(raw.isEmpty() ? QStringLiteral("~") : raw);
            spin->setValue(spin->minimum());
        } else {
            spin->setSpecialValueText(QString());
            if (spin->value() != value.toLongLong())
                spin->setValue(int(value.toLongLong()));
        }
        break;
    }
    case Kind::BigInt:
    case Kind::Double:
    case Kind::Text: {
        auto *edit = static_cast<QLineEdit *>(row.editor);
        const QString text = row.kind == Kind::Text ? value.toString() : raw;
        if (edit->text() != text)
            edit->setText(text);
        break;
    }
    case Kind::ReadOnly: break;
    }
}

void ConfigFormPage::commit(Row &row)
{
    row.pending = false;
    QString yaml;
    switch (row.kind) {
    case Kind::Bool:
        yaml = static_cast<QCheckBox *>(row.editor)->isChecked() ? QStringLiteral("true") : QStringLiteral("false");
        if (valueOf(row.raw) == QVariant(yaml == QLatin1String("true")))
            return;
        break;
    case Kind::Int: {
        const int v = static_cast<QSpinBox *>(row.editor)->value();
        if (valueOf(row.raw) == QVariant(qint64(v)))
            return;
        yaml = QString::number(v);
        break;
    }
    case Kind::BigInt:
    case Kind::Double: {
        auto *edit = static_cast<QLineEdit *>(row.editor);
        const QString text = edit->text().trimmed();
        const QVariant v = ConfigTextMap::resolvePlain(text);
        if (row.kind == Kind::BigInt ? v.typeId() != QMetaType::LongLong
                                     : (v.typeId() != QMetaType::LongLong && v.typeId() != QMetaType::Double)) {
            // Not a number yet ("1e"): wait while the user types; on leaving, show the value
            // the text still holds.
            row.pending = edit->hasFocus();
            if (!row.pending)
                showValue(row, row.raw);
            return;
        }
        yaml = text;
        if (row.kind == Kind::Double && v.typeId() == QMetaType::LongLong)
            yaml += QStringLiteral(".0"); // still a double when read back
        if (yaml == row.raw)
            return;
        break;
    }
    case Kind::Text: {
        const QString text = static_cast<QLineEdit *>(row.editor)->text();
        if (valueOf(row.raw) == QVariant(text))
            return;
        yaml = ConfigTextMap::scalarText(text, row.raw);
        break;
    }
    case Kind::ReadOnly: return;
    }
    // Optimistic: if the edit makes the config invalid, no fresh config comes back to update
    // `raw`, and a later edit back to the old value must still be seen as a change.
    row.raw = yaml;
    Q_EMIT valueEdited(row.section, row.key, yaml);
}

bool ConfigFormPage::eventFilter(QObject *watched, QEvent *event)
{
    if (event->type() == QEvent::Wheel) {
        // Scrolling the form must not change the spin box that happens to pass the pointer.
        auto *spin = qobject_cast<QSpinBox *>(watched);
        if (spin && !spin->hasFocus()) {
            QCoreApplication::sendEvent(m_scroll->viewport(), event);
            return true;
        }
    } else if (event->type() == QEvent::ShortcutOverride) {
        // Undo and redo belong to the editor's one undo stack (which holds the committed form
        // edits), not to the field's private history: let the editor's shortcuts have them.
        const auto *key = static_cast<QKeyEvent *>(event);
        if (key->matches(QKeySequence::Undo) || key->matches(QKeySequence::Redo)) {
            event->ignore();
            return true;
        }
    } else if (event->type() == QEvent::FocusOut) {
        if (auto *edit = qobject_cast<QLineEdit *>(watched)) {
            if (Row *row = rowOf(edit); row && row->pending)
                commit(*row);
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace tantra
