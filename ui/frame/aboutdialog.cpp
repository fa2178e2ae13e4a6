#include "aboutdialog.h"

#include "icons.h"

#include <QApplication>
#include <QClipboard>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSysInfo>
#include <QVBoxLayout>

#include <openssl/crypto.h>

// Versions of the libraries found at configure time (ui/CMakeLists.txt); yaml-cpp and QuaZip
// have no run-time version call.
#ifndef TANTRA_YAMLCPP_VERSION
#define TANTRA_YAMLCPP_VERSION "unknown"
#endif
#ifndef TANTRA_QUAZIP_VERSION
#define TANTRA_QUAZIP_VERSION "unknown"
#endif

namespace tantra {

namespace {

QList<QPair<QString, QString>> components()
{
    return {
            {QStringLiteral("Qt"), QObject::tr("%1 (built with %2)").arg(QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR))},
            {QStringLiteral("yaml-cpp"), QStringLiteral(TANTRA_YAMLCPP_VERSION)},
            {QStringLiteral("QuaZip"), QStringLiteral(TANTRA_QUAZIP_VERSION)},
            {QStringLiteral("OpenSSL"), QString::fromLatin1(OpenSSL_version(OPENSSL_VERSION))},
            {QObject::tr("System"), QSysInfo::prettyProductName() + QStringLiteral(", ") + QSysInfo::currentCpuArchitecture()},
    };
}

} // namespace

QString AboutDialog::versionReport()
{
    QString text = QApplication::applicationDisplayName() + QLatin1Char(' ') + QStringLiteral(TANTRA_VERSION) + QLatin1Char('\n');
    for (const auto &[name, version] : components())
        text += name + QStringLiteral(": ") + version + QLatin1Char('\n');
    return text;
}

AboutDialog::AboutDialog(QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("About %1").arg(QApplication::applicationDisplayName()));
    auto *layout = new QVBoxLayout(this);

    auto *top = new QHBoxLayout;
    auto *icon = new QLabel(this);
    icon->setPixmap(Icons::app().pixmap(QSize(72, 72), devicePixelRatioF()));
    top->addWidget(icon, 0, Qt::AlignTop);
    auto *title = new QLabel(this);
    title->setTextFormat(Qt::RichText);
    title->setText(QStringLiteral("<h2 style='margin-bottom:2px'>%1</h2><p>%2 %3</p><p>%4</p>")
                           .arg(QApplication::applicationDisplayName().toHtmlEscaped(), tr("Version"),
                                QStringLiteral(TANTRA_VERSION),
                                tr("Manage, validate and inspect safetensors model weights.")));
    title->setWordWrap(true);
    top->addWidget(title, 1);
    layout->addLayout(top);

    QString table = QStringLiteral("<table cellspacing='0' cellpadding='2'>");
    for (const auto &[name, version] : components()) {
        table += QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>")
                         .arg(name.toHtmlEscaped(), version.toHtmlEscaped());
    }
    table += QStringLiteral("</table>");
    auto *versions = new QLabel(table, this);
    versions->setObjectName(QStringLiteral("versionTable"));
    versions->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(versions);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *copy = buttons->addButton(tr("&Copy Versions"), QDialogButtonBox::ActionRole);
    copy->setIcon(Icons::get(QStringLiteral("copy")));
    copy->setToolTip(tr("Copy these versions, e.g. for a bug report"));
    connect(copy, &QPushButton::clicked, this, [] { QApplication::clipboard()->setText(versionReport()); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
    layout->setSizeConstraint(QLayout::SetFixedSize);
}

} // namespace tantra
