#include "browserfilewatch.h"

#include "icons.h"

#include <QDir>
#include <QFileInfo>
#include <QTabWidget>

namespace tantra {

BrowserFileWatch::BrowserFileWatch(QTabWidget *tabs, QWidget *browser, QStringList files)
    : QObject(browser), m_tabs(tabs), m_browser(browser)
{
    // A file replaced by rename drops out of the watcher and fires once: check() re-adds it.
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, this, &BrowserFileWatch::check);
    setFiles(std::move(files));
}

void BrowserFileWatch::setFiles(QStringList files)
{
    const QStringList watched = m_watcher.files();
    if (!watched.isEmpty())
        m_watcher.removePaths(watched);
    m_files = std::move(files);
    check();
}

void BrowserFileWatch::check()
{
    QStringList missing;
    for (const QString &f : std::as_const(m_files)) {
        if (QFileInfo::exists(f)) {
            if (!m_watcher.files().contains(f))
                m_watcher.addPath(f);
        } else {
            missing << f;
        }
    }
    const int index = m_tabs->indexOf(m_browser);
    if (index < 0)
        return;
    if (!missing.isEmpty() && !m_gone) {
        m_gone = true;
        m_title = m_tabs->tabText(index);
        m_icon = m_tabs->tabIcon(index);
        m_toolTip = m_tabs->tabToolTip(index);
        m_tabs->setTabText(index, tr("%1 (gone)").arg(m_title));
        m_tabs->setTabIcon(index, Icons::get(QStringLiteral("warning")));
    } else if (missing.isEmpty() && m_gone) {
        m_gone = false;
        m_tabs->setTabText(index, m_title);
        m_tabs->setTabIcon(index, m_icon);
        m_tabs->setTabToolTip(index, m_toolTip);
    }
    if (m_gone) {
        QStringList shown;
        for (const QString &f : std::as_const(missing))
            shown << QDir::toNativeSeparators(f);
        m_tabs->setTabToolTip(index, tr("Deleted or moved since it was opened: %1\nThe tab shows what was read before. "
                                        "Close it, or Reload once the file is back.")
                                             .arg(shown.join(QStringLiteral(", "))));
    }
}

} // namespace tantra
