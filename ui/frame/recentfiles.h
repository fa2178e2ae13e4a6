#pragma once

#include <QObject>
#include <QStringList>

class QMenu;

namespace tantra {

// The most recently opened paths, kept in QSettings and offered as a menu that is rebuilt
// each time it opens (paths that have gone are shown disabled).
class RecentFiles : public QObject
{
    Q_OBJECT
public:
    static constexpr int kMaxEntries = 10;

    explicit RecentFiles(QMenu *menu, QObject *parent = nullptr);

    void add(const QString &path);
    void clear();
    QStringList paths() const;

Q_SIGNALS:
    void openRequested(const QString &path);

private:
    void rebuildMenu();

    QMenu *m_menu;
};

} // namespace tantra
