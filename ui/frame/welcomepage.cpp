#include "welcomepage.h"

#include "icons.h"

#include <QAction>
#include <QApplication>
#include <QCommandLinkButton>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

namespace tantra {

namespace {

constexpr int kRecentShown = 5;

} // namespace

WelcomePage::WelcomePage(QWidget *parent)
    : QWidget(parent)
{
    auto *outer = new QHBoxLayout(this);
    auto *column = new QVBoxLayout;
    outer->addStretch(1);
    outer->addLayout(column);
    outer->addStretch(1);

    column->addStretch(1);
    auto *icon = new QLabel(this);
    icon->setPixmap(Icons::app().pixmap(QSize(96, 96), devicePixelRatioF()));
    icon->setAlignment(Qt::AlignCenter);
    column->addWidget(icon);
    auto *title = new QLabel(QStringLiteral("<h1>%1</h1>").arg(QApplication::applicationDisplayName().toHtmlEscaped()), this);
    title->setAlignment(Qt::AlignCenter);
    column->addWidget(title);
    // Filled by setWorkspaceActions: the frame alone knows nothing of workspaces.
    m_workspace = new QVBoxLayout;
    column->addLayout(m_workspace);
    auto *hint = new QLabel(tr("Or look inside one model: open a <b>.safetensors</b> file, a <b>*.safetensors.index.json</b> "
                               "or a folder of shards to browse its tensors \u2014 or drop it on this window."),
                            this);
    hint->setWordWrap(true);
    hint->setAlignment(Qt::AlignCenter);
    hint->setFixedWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 64);
    column->addWidget(hint, 0, Qt::AlignHCenter);
    column->addSpacing(12);

    auto *buttons = new QHBoxLayout;
    auto *openFile = new QPushButton(Icons::get(QStringLiteral("open-file")), tr("Open File\u2026"), this);
    openFile->setToolTip(tr("Open a .safetensors file or a shard index (Ctrl+O)"));
    auto *openFolder = new QPushButton(Icons::get(QStringLiteral("open-folder")), tr("Open Shard Folder\u2026"), this);
    openFolder->setToolTip(tr("Open a folder holding a sharded model (Ctrl+Shift+O)"));
    buttons->addStretch(1);
    buttons->addWidget(openFile);
    buttons->addWidget(openFolder);
    buttons->addStretch(1);
    column->addLayout(buttons);
    column->addSpacing(16);

    m_recent = new QVBoxLayout;
    column->addLayout(m_recent);
    column->addStretch(2);

    connect(openFile, &QPushButton::clicked, this, &WelcomePage::openFileRequested);
    connect(openFolder, &QPushButton::clicked, this, &WelcomePage::openFolderRequested);
}

void WelcomePage::setWorkspaceActions(const QList<QAction *> &actions)
{
    while (QLayoutItem *item = m_workspace->takeAt(0)) {
        delete item->widget();
        delete item->layout();
        delete item;
    }
    auto *about = new QLabel(tr("A <b>workspace</b> is a folder that holds your models' weights under <i>Model/</i> "
                                "and a config per model type under <i>Config/</i>. Tantra keeps a registry of every "
                                "weight: its version, size, checksum, and which one is active, so your code asks for "
                                "\u201cthe active mamba\u201d instead of a path."),
                             this);
    about->setObjectName(QStringLiteral("workspaceExplanation"));
    about->setWordWrap(true);
    about->setAlignment(Qt::AlignCenter);
    about->setFixedWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 64);
    m_workspace->addWidget(about, 0, Qt::AlignHCenter);
    m_workspace->addSpacing(8);
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    for (QAction *action : actions) {
        auto *button = new QToolButton(this);
        button->setDefaultAction(action);
        button->setToolButtonStyle(Qt::ToolButtonTextUnderIcon);
        button->setIconSize(QSize(32, 32));
        button->setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 20);
        button->setObjectName(action->objectName() + QStringLiteral("Button"));
        buttons->addWidget(button);
    }
    buttons->addStretch(1);
    m_workspace->addLayout(buttons);
    m_workspace->addSpacing(20);
}

void WelcomePage::setRecentPaths(const QStringList &paths)
{
    while (QLayoutItem *item = m_recent->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    if (paths.isEmpty())
        return;
    auto *heading = new QLabel(tr("<b>Recent</b>"), this);
    m_recent->addWidget(heading);
    for (const QString &path : paths.mid(0, kRecentShown)) {
        const QFileInfo info(path);
        auto *button = new QCommandLinkButton(info.fileName(), QDir::toNativeSeparators(info.absolutePath()), this);
        button->setIcon(Icons::get(info.isDir() ? QStringLiteral("open-folder") : QStringLiteral("tensor")));
        button->setEnabled(info.exists());
        button->setToolTip(path);
        connect(button, &QCommandLinkButton::clicked, this, [this, path] { Q_EMIT openPathRequested(path); });
        m_recent->addWidget(button);
    }
}

} // namespace tantra
