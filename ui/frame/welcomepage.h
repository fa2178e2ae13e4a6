#pragma once

#include <QWidget>

class QVBoxLayout;

namespace tantra {

// What the window shows before anything is open: how to open a model (buttons, drop) and
// the most recent paths.
class WelcomePage : public QWidget
{
    Q_OBJECT
public:
    explicit WelcomePage(QWidget *parent = nullptr);

    void setRecentPaths(const QStringList &paths);

Q_SIGNALS:
    void openFileRequested();
    void openFolderRequested();
    void openPathRequested(const QString &path);

private:
    QVBoxLayout *m_recent = nullptr;
};

} // namespace tantra
