#pragma once

#include <QElapsedTimer>
#include <QFuture>
#include <QWidget>

#include <vector>

class QLabel;
class QProgressBar;
class QPushButton;
class QToolButton;
class QVBoxLayout;
template<typename T>
class QFutureWatcher;

namespace tantra {

// The jobs panel: every background job with its progress, time left and a cancel button; once
// done, how it ended and how long it took, until Clear Finished. The status bar shows the
// newest running job; this lists them all.
class JobsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit JobsPanel(QWidget *parent = nullptr);
    ~JobsPanel() override;

    void track(const QFuture<void> &future, const QString &description);
    int runningCount() const;
    int finishedCount() const { return int(m_rows.size()) - runningCount(); }
    // The text of each row's status line, newest last (for tests and the accessible name).
    QStringList statusTexts() const;
    void clearFinished();

    // "about 2 min left": from the share done so far, once there is enough of it to go by.
    static QString timeLeftText(qint64 elapsedMs, double fractionDone);
    // "0.4 s", "12 s", "3 min 05 s".
    static QString durationText(qint64 ms);

private:
    struct Row
    {
        QFutureWatcher<void> *watcher = nullptr; // null once finished
        QWidget *widget = nullptr;
        QLabel *status = nullptr;
        QProgressBar *bar = nullptr;
        QToolButton *cancel = nullptr;
        QElapsedTimer clock;
    };
    Row *rowOf(QFutureWatcher<void> *watcher);
    void updateProgress(Row &row);
    void finish(QFutureWatcher<void> *watcher);
    void updateEmpty();

    QVBoxLayout *m_list;
    QLabel *m_empty;
    QPushButton *m_clear;
    std::vector<Row> m_rows;
};

} // namespace tantra
