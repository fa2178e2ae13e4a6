#include "remotedialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace tantra {

RemoteDialog::RemoteDialog(QWidget *parent)
    : QDialog(parent),
      m_name(new QLineEdit),
      m_url(new QLineEdit),
      m_endpoint(new QLineEdit),
      m_region(new QLineEdit(QStringLiteral("us-east-1"))),
      m_pathStyle(new QCheckBox(tr("Path-style addresses (endpoint/bucket/key: Ceph, MinIO and most servers of one's own)"))),
      m_problem(new QLabel),
      m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel))
{
    setWindowTitle(tr("Add Remote"));
    m_name->setPlaceholderText(tr("team"));
    m_name->setObjectName(QStringLiteral("remoteName"));
    m_url->setPlaceholderText(tr("s3://bucket/prefix"));
    m_url->setObjectName(QStringLiteral("remoteUrl"));
    m_endpoint->setPlaceholderText(tr("https://s3.eu-west-1.amazonaws.com or http://ceph.lan:7480"));
    m_endpoint->setObjectName(QStringLiteral("remoteEndpoint"));
    m_pathStyle->setChecked(true);
    m_problem->setWordWrap(true);
    m_problem->setObjectName(QStringLiteral("remoteProblem"));
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Add Remote"));

    auto *form = new QFormLayout;
    form->addRow(tr("&Name:"), m_name);
    form->addRow(tr("&Address:"), m_url);
    form->addRow(tr("&Endpoint:"), m_endpoint);
    form->addRow(tr("&Region:"), m_region);
    form->addRow(QString(), m_pathStyle);
    auto *note = new QLabel(tr("Credentials are not stored here: they come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                               "or a profile of ~/.aws/credentials, as for every S3 tool."));
    note->setWordWrap(true);
    note->setEnabled(false);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_problem);
    layout->addWidget(m_buttons);
    setMinimumWidth(520);

    for (QLineEdit *edit : {m_name, m_url, m_endpoint, m_region})
        connect(edit, &QLineEdit::textChanged, this, &RemoteDialog::check);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    check();
}

void RemoteDialog::setRemote(const Remote &remote)
{
    m_name->setText(remote.name);
    m_url->setText(remote.bucket.isEmpty() ? QString() : remote.url());
    m_endpoint->setText(remote.endpoint);
    m_region->setText(remote.region);
    m_pathStyle->setChecked(remote.pathStyle);
}

Remote RemoteDialog::remote() const
{
    Remote r;
    static_cast<void>(read(r));
    return r;
}

Status RemoteDialog::read(Remote &r) const
{
    r.name = m_name->text().trimmed();
    auto url = parseS3Url(m_url->text().trimmed(), r);
    r.endpoint = m_endpoint->text().trimmed();
    r.region = m_region->text().trimmed();
    r.pathStyle = m_pathStyle->isChecked();
    return url;
}

void RemoteDialog::check()
{
    // RemoteList's own rules (checkRemote), said before the user presses OK; the add has the
    // last word, and the rule that a name may not be taken. The address's own parse error comes
    // first: once it fails, checkRemote would only see the empty address left of it.
    QString problem;
    Remote typed;
    if (m_name->text().trimmed().isEmpty() && m_url->text().trimmed().isEmpty())
        problem = tr("Name the remote and give its s3:// address and endpoint.");
    else if (auto url = read(typed); !url)
        problem = url.error().problem;
    else if (auto valid = checkRemote(typed); !valid)
        problem = valid.error().problem;
    m_problem->setText(problem);
    m_problem->setVisible(!problem.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(problem.isEmpty());
}

} // namespace tantra
