#include "newmodeltypedialog.h"

#include "workspace.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace tantra {

NewModelTypeDialog::NewModelTypeDialog(const QStringList &existingTypes, QWidget *parent)
    : QDialog(parent), m_name(new QLineEdit), m_from(new QComboBox), m_overrides(new QPlainTextEdit), m_error(new QLabel),
      m_existing(existingTypes)
{
    setWindowTitle(tr("New model type"));
    m_name->setPlaceholderText(tr("e.g. mamba_large"));
    m_from->addItem(tr("(minimal template)"), QString());
    for (const QString &t : existingTypes)
        m_from->addItem(t, t);
    if (existingTypes.contains(QStringLiteral("mamba")))
        m_from->setCurrentIndex(int(existingTypes.indexOf(QStringLiteral("mamba"))) + 1);
    m_overrides->setPlaceholderText(tr("One override per line, e.g.\nd_model=1024\nn_layer=48\ntraining.learning_rate=0.0003"));
    m_overrides->setTabChangesFocus(true);
    m_error->setStyleSheet(QStringLiteral("color: palette(highlight)"));
    m_error->setWordWrap(true);
    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Start from:"), m_from);
    form->addRow(tr("&Overrides:"), m_overrides);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Create"));
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_name, &QLineEdit::textChanged, this, &NewModelTypeDialog::validate);
    connect(m_overrides, &QPlainTextEdit::textChanged, this, &NewModelTypeDialog::validate);
    validate();
}

QString NewModelTypeDialog::typeName() const
{
    return m_name->text().trimmed();
}

QString NewModelTypeDialog::fromType() const
{
    return m_from->currentData().toString();
}

QStringList NewModelTypeDialog::overrides() const
{
    QStringList out;
    for (const QString &line : m_overrides->toPlainText().split(QLatin1Char('\n'))) {
        if (!line.trimmed().isEmpty())
            out << line.trimmed();
    }
    return out;
}

void NewModelTypeDialog::validate()
{
    QString error;
    if (!typeName().isEmpty()) {
        if (auto s = validateName(typeName(), tr("model type")); !s)
            error = s.errorString();
        else if (m_existing.contains(typeName()))
            error = tr("'%1' already exists").arg(typeName());
    }
    for (const QString &o : overrides()) {
        if (!o.contains(QLatin1Char('='))) {
            error = tr("'%1' is not a key=value override").arg(o);
            break;
        }
    }
    m_error->setText(error);
    auto *buttons = findChild<QDialogButtonBox *>();
    if (buttons)
        buttons->button(QDialogButtonBox::Ok)->setEnabled(error.isEmpty() && !typeName().isEmpty());
}

} // namespace tantra
