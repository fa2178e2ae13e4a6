#pragma once

#include <QFuture>
#include <QWidget>

#include <vector>

class QLabel;
class QVBoxLayout;
template<typename T>
class QFutureWatcher;

namespace tantra {

// The jobs panel: every running background job with its progress and a cancel button. The
// status bar shows the newest job; this lists them all.
class JobsPanel : public QWidget
{
    Q_OBJECT
public:
    explicit JobsPanel(QWidget *parent = nullptr);
    ~JobsPanel() override;

    void track(const QFuture<void> &future, const QString &description);
    int runningCount() const { return int(m_rows.size()); }

private:
    struct Row
    {
        QFutureWatcher<void> *watcher;
        QWidget *widget;
    };
    void remove(QFutureWatcher<void> *watcher);

    QVBoxLayout *m_list;
    QLabel *m_empty;
    std::vector<Row> m_rows;
};

} // namespace tantra
