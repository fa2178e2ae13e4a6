#pragma once

#include "page.h"
#include "weightcomparison.h"

#include <QFuture>
#include <QWidget>

#include <memory>

class QLabel;
class QLineEdit;
class QSplitter;
class QTableView;
class QToolButton;

namespace tantra {

class CompareDetailPane;
class CompareFilterProxy;
class CompareTableModel;
class JobRunner;
class SafetensorsModel;

// A comparison of two weights as a page: the summary line, a filterable, sortable table of
// every tensor (structure at once from the headers, values filled in as the background job
// proceeds), and the selected tensor's detail. Copies the summary or the table as text and
// exports the JSON report the CLI's `diff --json` writes.
class CompareView : public QWidget, public Page
{
    Q_OBJECT
public:
    explicit CompareView(QWidget *parent = nullptr);
    ~CompareView() override;

    // Tolerances and, for tests, the wave size; for the next start().
    void setOptions(const CompareOptions &options) { m_options = options; }
    // Starts comparing; a side is a file, an index or a shard folder, with a label for people
    // (a registered name, or the file name).
    void start(const QString &pathA, const QString &labelA, const QString &pathB, const QString &labelB);
    // One page per pair of sides.
    static QString keyFor(const QString &pathA, const QString &pathB);
    QString sourcePath() const override { return m_key; }
    bool focusFilter() override;

    bool isRunning() const;
    bool hasResult() const { return m_finished; }
    bool wasCanceled() const { return m_canceled; }
    const WeightComparison &comparison() const;
    QString errorString() const { return m_error; }
    QString title() const;
    QString summaryText() const;
    // The rows the table shows, in its order, as tab-separated values with a header line.
    QString tableAsTsv() const;
    QByteArray jsonReport() const;
    bool exportJson(const QString &path, QString *error = nullptr) const;

    QTableView *table() const { return m_table; }
    CompareTableModel *tableModel() const { return m_model; }
    CompareFilterProxy *proxy() const { return m_proxy; }
    QLineEdit *filterEdit() const { return m_filter; }
    QToolButton *statusButton() const { return m_statusButton; }
    CompareDetailPane *detail() const { return m_detail; }
    void setStatusVisible(CompareStatus status, bool visible);
    void selectTensor(const QString &name);

Q_SIGNALS:
    void jobStarted(const QFuture<void> &future, const QString &description);
    void message(const QString &text);
    // The comparison ended (with a result or an error; not when cancelled).
    void finished();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void onStructure(WeightComparison structure, std::shared_ptr<const SafetensorsModel> a,
                     std::shared_ptr<const SafetensorsModel> b);
    void onRows(std::vector<std::pair<std::size_t, TensorComparison>> rows);
    void onDone(const Result<WeightComparison> &result);
    void updateSummary();
    void updateStatusMenu();
    void applyFilter();
    void onCurrentChanged();
    void copySummary();
    void copyTable();
    void exportJsonDialog();

    QString m_key;
    QString m_pathA, m_pathB, m_labelA, m_labelB;
    CompareOptions m_options;
    std::size_t m_compared = 0; // rows whose values are in
    std::size_t m_toCompare = 0;
    bool m_finished = false;
    bool m_canceled = false;
    bool m_userPicked = false; // a row was clicked or keyed to in the table
    QString m_error;

    QLabel *m_sides;
    QLabel *m_summary;
    QLineEdit *m_filter;
    QToolButton *m_statusButton;
    QLabel *m_shown;
    QTableView *m_table;
    CompareTableModel *m_model;
    CompareFilterProxy *m_proxy;
    CompareDetailPane *m_detail;
    QSplitter *m_splitter;
    JobRunner *m_jobs;
};

} // namespace tantra
