#pragma once

#include <QWidget>

class QAction;
class QVBoxLayout;

namespace tantra {

// What the window shows before anything is open: what a workspace is and how to open, create
// or try one; how to look inside a single model file (buttons, drop); the most recent paths.
class WelcomePage : public QWidget
{
    Q_OBJECT
public:
    explicit WelcomePage(QWidget *parent = nullptr);

    void setRecentPaths(const QStringList &paths);
    // The workspace section: what a workspace is, and a button per action (open, create, try
    // the demo). The frame knows files; the workspace layer adds these.
    void setWorkspaceActions(const QList<QAction *> &actions);

Q_SIGNALS:
    void openFileRequested();
    void openFolderRequested();
    void openPathRequested(const QString &path);

private:
    QVBoxLayout *m_workspace = nullptr;
    QVBoxLayout *m_recent = nullptr;
};

} // namespace tantra
