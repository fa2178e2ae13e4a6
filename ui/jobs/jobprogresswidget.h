#pragma once

#include <QFuture>
#include <QString>
#include <QWidget>

#include <vector>

class QLabel;
class QProgressBar;
class QToolButton;
template<typename T>
class QFutureWatcher;

namespace tantra {

// The status bar's job area: the newest running background job with its progress and a
// cancel button, and how many more are running. Hidden while nothing runs. Any page can hand
// it a job: track(QFuture<void>(future), tr("Hashing model.safetensors")).
class JobProgressWidget : public QWidget
{
    Q_OBJECT
public:
    explicit JobProgressWidget(QWidget *parent = nullptr);
    ~JobProgressWidget() override;

    void track(const QFuture<void> &future, const QString &description);
    int runningCount() const { return int(m_jobs.size()); }
    QString currentDescription() const;

private:
    struct Job
    {
        QFutureWatcher<void> *watcher;
        QString description;
    };

    void refresh();
    void remove(QFutureWatcher<void> *watcher);

    std::vector<Job> m_jobs;
    QLabel *m_label = nullptr;
    QProgressBar *m_bar = nullptr;
    QToolButton *m_cancel = nullptr;
};

} // namespace tantra
