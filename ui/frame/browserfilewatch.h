#pragma once

#include <QFileSystemWatcher>
#include <QIcon>
#include <QObject>
#include <QStringList>

class QTabWidget;

namespace tantra {

// Watches the files a tensor browser tab shows (the file, or every shard and the index) and
// marks the tab when one is deleted or replaced behind its back (`remove` from the CLI, a
// training script writing a new file): "(gone)" after its title, a warning icon and a tooltip
// saying what the data on screen is. The tab keeps what it read; Reload brings it up to date.
// Owned by the browser widget, so it goes with the tab.
class BrowserFileWatch : public QObject
{
    Q_OBJECT
public:
    BrowserFileWatch(QTabWidget *tabs, QWidget *browser, QStringList files);

    // After a reload: the files the tab now shows, and the mark cleared if they are back.
    void setFiles(QStringList files);
    bool isGone() const { return m_gone; }

private:
    void check();

    QTabWidget *m_tabs;
    QWidget *m_browser;
    QStringList m_files;
    QFileSystemWatcher m_watcher;
    bool m_gone = false;
    QString m_title;   // the tab's own title and icon, put back when the files return
    QIcon m_icon;
    QString m_toolTip;
};

} // namespace tantra
