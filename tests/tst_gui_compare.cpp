// The compare view driven as a user would: opened from two weights of the workspace, from a
// file dropped on an open model, filled while the job runs, filtered, sorted, the detail of a
// changed tensor (histogram, heatmap, values side by side), copied and exported. Both models
// run under QAbstractItemModelTester.
#include "comparedetailpane.h"
#include "comparefilterproxy.h"
#include "comparetablemodel.h"
#include "compareview.h"
#include "comparisonreport.h"
#include "heatmapwidget.h"
#include "histogramwidget.h"
#include "mainwindow.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "tensorbrowser.h"
#include "tensorvaluemodel.h"
#include "testutil.h"
#include "valuegridview.h"
#include "weightmanager.h"
#include "weighttablemodel.h"
#include "workspaceactions.h"
#include "workspacecontroller.h"
#include "workspacepage.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QMenu>
#include <QMimeData>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>
#include <QUrl>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

using namespace tantra;

namespace {

struct Tensor
{
    std::string name;
    Dtype dtype = Dtype::F32;
    std::vector<std::uint64_t> shape;
    std::vector<float> values; // F32 values; F64 for Dtype::F64
};

QString writeModel(const QString &path, const std::vector<Tensor> &tensors)
{
    std::vector<QByteArray> data;
    std::vector<TensorWrite> writes;
    data.reserve(tensors.size());
    for (const auto &t : tensors) {
        QByteArray bytes;
        for (float v : t.values) {
            if (t.dtype == Dtype::F64) {
                const double d = v;
                bytes.append(reinterpret_cast<const char *>(&d), 8);
            } else {
                bytes.append(reinterpret_cast<const char *>(&v), 4);
            }
        }
        data.push_back(bytes);
        writes.push_back({t.name, t.dtype, t.shape, test::bytesOf(data.back())});
    }
    const Status status = writeSafetensors(path, writes);
    if (!status)
        qFatal("%s", qPrintable(status.errorString()));
    return path;
}

std::vector<float> ramp(std::size_t n, float scale = 1)
{
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i)
        v[i] = scale * float(std::sin(double(i) * 0.1) + 0.01 * double(i));
    return v;
}

// Runs `handle` on the next popup menu, once it is shown.
void whenMenuOpens(std::function<void(QMenu *)> handle)
{
    auto *timer = new QTimer;
    timer->setInterval(10);
    QObject::connect(timer, &QTimer::timeout, [timer, handle] {
        if (auto *menu = qobject_cast<QMenu *>(QApplication::activePopupWidget())) {
            timer->stop();
            timer->deleteLater();
            handle(menu);
        }
    });
    timer->start();
}

QStringList names(std::initializer_list<const char *> list)
{
    QStringList out;
    for (const char *n : list)
        out << QString::fromUtf8(n);
    return out;
}

int proxyRowOf(const CompareView &view, const QString &name)
{
    for (int r = 0; r < view.proxy()->rowCount(); ++r)
        if (view.proxy()->index(r, CompareTableModel::NameColumn).data().toString() == name)
            return r;
    return -1;
}

} // namespace

class TestGuiCompare : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void comparisonFillsTheTable();
    void statusAndNameFilters_data();
    void statusAndNameFilters();
    void sortingIsTyped();
    void changedTensorDetail();
    void copyAndExport();
    void unreadableSideReportsTheFile();
    void samePairOpensOnce();
    void cancelFromTheJobsPanel();
    void dropOnOpenModelOffersCompare();
    void workspaceComparesTwoSelectedWeights();
    void hundredThousandRowsSortAndFilter();

private:
    CompareView *openAndWait(MainWindow &window, const QString &a, const QString &b);

    QTemporaryDir m_dir;
    QString m_a;
    QString m_b;
};

void TestGuiCompare::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QApplication::setOrganizationName(QStringLiteral("tantra-test"));
    QApplication::setApplicationName(QStringLiteral("tst_gui_compare"));
    QSettings().clear();
    QVERIFY(m_dir.isValid());

    // One tensor of each status; "w.changed" differs most at [3, 5].
    std::vector<float> changed = ramp(64 * 32);
    std::vector<float> changedB = changed;
    changedB[3 * 32 + 5] += 10.0f;
    changedB[7 * 32 + 1] += 0.5f;
    std::vector<float> close = ramp(100);
    std::vector<float> closeB = close;
    closeB[10] = std::nextafter(closeB[10], 1e9f);
    m_a = writeModel(m_dir.filePath(QStringLiteral("a.safetensors")),
                     {{"w.changed", Dtype::F32, {64, 32}, changed},
                      {"w.close", Dtype::F32, {100}, close},
                      {"w.identical", Dtype::F32, {4, 4}, ramp(16)},
                      {"w.retyped", Dtype::F32, {8}, ramp(8)},
                      {"w.reshaped", Dtype::F32, {2, 3}, ramp(6)},
                      {"w.removed", Dtype::F32, {3}, ramp(3)}});
    m_b = writeModel(m_dir.filePath(QStringLiteral("b.safetensors")),
                     {{"w.changed", Dtype::F32, {64, 32}, changedB},
                      {"w.close", Dtype::F32, {100}, closeB},
                      {"w.identical", Dtype::F32, {4, 4}, ramp(16)},
                      {"w.retyped", Dtype::F64, {8}, ramp(8)},
                      {"w.reshaped", Dtype::F32, {3, 2}, ramp(6)},
                      {"x.added", Dtype::F32, {5}, ramp(5)}});
}

CompareView *TestGuiCompare::openAndWait(MainWindow &window, const QString &a, const QString &b)
{
    CompareView *view = window.openComparison(a, QStringLiteral("A"), b, QStringLiteral("B"));
    if (view && !QTest::qWaitFor([view] { return view->hasResult(); }, 10000))
        qWarning("the comparison did not finish within 10 s");
    return view;
}

void TestGuiCompare::comparisonFillsTheTable()
{
    MainWindow window;
    // The structure first (rows pending), then the values, wave by wave: with the testers
    // watching every reset and change.
    auto *view = new CompareView;
    QAbstractItemModelTester tableTester(view->tableModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester proxyTester(view->proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    CompareOptions options;
    options.waveBytes = 1; // a wave per tensor: the table fills in steps
    view->setOptions(options);
    bool sawPending = false;
    int changes = 0;
    connect(view->tableModel(), &QAbstractItemModel::modelReset, this, [&] {
        for (int r = 0; r < view->tableModel()->rowCount(); ++r)
            sawPending = sawPending || view->tableModel()->index(r, CompareTableModel::StatusColumn).data().toString() == QStringLiteral("comparing\u2026");
    });
    connect(view->tableModel(), &QAbstractItemModel::dataChanged, this, [&] { ++changes; });
    QSignalSpy finished(view, &CompareView::finished);
    view->start(m_a, QStringLiteral("A"), m_b, QStringLiteral("B"));
    window.addPage(view, QIcon(), view->title());
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
    QVERIFY(sawPending);
    // The row picked while the rows came is replaced by the top of the final order: the
    // largest relative change.
    QCOMPARE(view->table()->currentIndex().row(), 0);
    QCOMPARE(view->table()->currentIndex().siblingAtColumn(0).data().toString(), QStringLiteral("w.changed"));
    QCOMPARE(changes, 4); // one wave per same-shape pair: changed, close, identical, retyped
    QCOMPARE(view->errorString(), QString());
    QCOMPARE(view->tableModel()->rowCount(), 7);
    const auto counts = view->comparison().counts();
    QCOMPARE(counts[std::size_t(CompareStatus::Identical)], std::uint64_t(1));
    QCOMPARE(counts[std::size_t(CompareStatus::Close)], std::uint64_t(1));
    QCOMPARE(counts[std::size_t(CompareStatus::Changed)], std::uint64_t(1));
    QCOMPARE(counts[std::size_t(CompareStatus::Retyped)], std::uint64_t(1));
    QCOMPARE(counts[std::size_t(CompareStatus::Reshaped)], std::uint64_t(1));
    QCOMPARE(counts[std::size_t(CompareStatus::Added)], std::uint64_t(1));
    QCOMPARE(counts[std::size_t(CompareStatus::Removed)], std::uint64_t(1));
    // Identical rows are hidden by default.
    QCOMPARE(view->proxy()->rowCount(), 6);
    QCOMPARE(proxyRowOf(*view, QStringLiteral("w.identical")), -1);
    QCOMPARE(view->summaryText(), comparisonSummary(view->comparison()));
    QVERIFY2(view->summaryText().startsWith(QStringLiteral("7 tensors: 1 identical, 1 close, 1 changed")), qPrintable(view->summaryText()));
    const int row = proxyRowOf(*view, QStringLiteral("w.changed"));
    QVERIFY(row >= 0);
    QCOMPARE(view->proxy()->index(row, CompareTableModel::StatusColumn).data().toString(), QStringLiteral("changed"));
    QCOMPARE(view->proxy()->index(row, CompareTableModel::DifferingColumn).data().toString(), QStringLiteral("2 of 2,048"));
    const float a = ramp(64 * 32)[3 * 32 + 5];
    QCOMPARE(view->proxy()->index(row, CompareTableModel::MaxAbsColumn).data(CompareTableModel::SortRole).toDouble(),
             std::fabs(double(a) - double(a + 10.0f)));
}

void TestGuiCompare::statusAndNameFilters_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<bool>("showIdentical");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("default") << QString() << false
                             << names({"w.changed", "w.close", "w.removed", "w.reshaped", "w.retyped", "x.added"});
    QTest::newRow("identical shown") << QString() << true
                                     << names({"w.changed", "w.close", "w.identical", "w.removed", "w.reshaped", "w.retyped", "x.added"});
    QTest::newRow("plain word") << QStringLiteral("re") << false << names({"w.removed", "w.reshaped", "w.retyped"});
    QTest::newRow("glob") << QStringLiteral("x.*") << false << names({"x.added"});
    QTest::newRow("regex") << QStringLiteral("/^w\\.c/") << false << names({"w.changed", "w.close"});
    QTest::newRow("identical by name, hidden") << QStringLiteral("identical") << false << QStringList{};
    QTest::newRow("invalid regex keeps the previous filter") << QStringLiteral("/(/") << false
                                                              << names({"w.changed", "w.close", "w.removed", "w.reshaped", "w.retyped", "x.added"});
}

void TestGuiCompare::statusAndNameFilters()
{
    QFETCH(QString, pattern);
    QFETCH(bool, showIdentical);
    QFETCH(QStringList, expected);
    MainWindow window;
    CompareView *view = openAndWait(window, m_a, m_b);
    QVERIFY(view);
    QAbstractItemModelTester proxyTester(view->proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    view->table()->sortByColumn(CompareTableModel::NameColumn, Qt::AscendingOrder);
    view->setStatusVisible(CompareStatus::Identical, showIdentical);
    view->filterEdit()->setText(pattern);
    QStringList shown;
    for (int r = 0; r < view->proxy()->rowCount(); ++r)
        shown << view->proxy()->index(r, CompareTableModel::NameColumn).data().toString();
    QCOMPARE(shown, expected);
    // The status menu says what is hidden, with the count of each status.
    const QList<QAction *> actions = view->statusButton()->menu()->actions();
    QCOMPARE(actions.size(), kCompareStatusCount);
    QCOMPARE(actions[int(CompareStatus::Identical)]->text(), QStringLiteral("identical (1)"));
    QCOMPARE(actions[int(CompareStatus::Identical)]->isChecked(), showIdentical);
}

void TestGuiCompare::sortingIsTyped()
{
    MainWindow window;
    CompareView *view = openAndWait(window, m_a, m_b);
    QVERIFY(view);
    QAbstractItemModelTester proxyTester(view->proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    // Clicking the header sorts by the number, not its text; rows without one come first.
    view->table()->sortByColumn(CompareTableModel::RelL2Column, Qt::DescendingOrder);
    QCOMPARE(view->proxy()->index(0, CompareTableModel::NameColumn).data().toString(), QStringLiteral("w.changed"));
    double previous = std::numeric_limits<double>::infinity();
    for (int r = 0; r < view->proxy()->rowCount(); ++r) {
        const QVariant v = view->proxy()->index(r, CompareTableModel::RelL2Column).data(CompareTableModel::SortRole);
        const double x = v.isValid() ? v.toDouble() : -1;
        QVERIFY2(x <= previous, qPrintable(QString::number(r)));
        previous = x;
    }
    // The selection follows its row through a sort.
    view->selectTensor(QStringLiteral("w.close"));
    view->table()->sortByColumn(CompareTableModel::NameColumn, Qt::DescendingOrder);
    QCOMPARE(view->table()->currentIndex().siblingAtColumn(0).data().toString(), QStringLiteral("w.close"));
    QCOMPARE(view->proxy()->index(0, CompareTableModel::NameColumn).data().toString(), QStringLiteral("x.added"));
}

void TestGuiCompare::changedTensorDetail()
{
    MainWindow window;
    window.resize(1200, 900);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    CompareView *view = openAndWait(window, m_a, m_b);
    QVERIFY(view);
    view->selectTensor(QStringLiteral("w.changed"));
    CompareDetailPane *detail = view->detail();
    QVERIFY(detail->comparison());
    QCOMPARE(QString::fromStdString(detail->comparison()->name), QStringLiteral("w.changed"));

    // The histogram of A - B: 2,048 finite differences, two of them not zero.
    detail->tabs()->setCurrentIndex(CompareDetailPane::HistogramTab);
    QTRY_VERIFY_WITH_TIMEOUT(detail->histogram()->hasStats(), 10000);

    // The heatmap of |A - B| over the 64 x 32 matrix.
    detail->tabs()->setCurrentIndex(CompareDetailPane::HeatmapTab);
    QTRY_VERIFY_WITH_TIMEOUT(!detail->heatmap()->heatmap().isNull(), 10000);
    const HeatmapImage &heat = detail->heatmap()->heatmap();
    QCOMPARE(heat.sourceRows, std::uint64_t(64));
    QCOMPARE(heat.sourceCols, std::uint64_t(32));
    QCOMPARE(heat.values[3 * 32 + 5], float(heat.maxValue));
    QCOMPARE(heat.minValue, 0.0);

    // The values of A and B side by side at the largest difference, which is highlighted.
    detail->tabs()->setCurrentIndex(CompareDetailPane::ValuesTab);
    QCOMPARE(detail->gridA()->currentIndex().row(), 3);
    QCOMPARE(detail->gridA()->currentIndex().column(), 5);
    QCOMPARE(detail->gridB()->currentIndex(), detail->valuesB()->index(3, 5));
    QVERIFY(detail->valuesA()->index(3, 5).data(Qt::BackgroundRole).isValid());
    QVERIFY(detail->valuesB()->index(7, 1).data(Qt::BackgroundRole).isValid());
    QVERIFY(!detail->valuesA()->index(0, 0).data(Qt::BackgroundRole).isValid());
    QVERIFY2(detail->valuesA()->index(3, 5).data(Qt::ToolTipRole).toString().contains(QStringLiteral("B: ")),
             qPrintable(detail->valuesA()->index(3, 5).data(Qt::ToolTipRole).toString()));
    // Scrolling one grid scrolls the other.
    detail->gridA()->verticalScrollBar()->setValue(detail->gridA()->verticalScrollBar()->maximum());
    QCOMPARE(detail->gridB()->verticalScrollBar()->value(), detail->gridB()->verticalScrollBar()->maximum());

    // An added tensor has no difference to show, and says why.
    view->setStatusVisible(CompareStatus::Added, true);
    view->selectTensor(QStringLiteral("x.added"));
    QVERIFY(!detail->histogram()->hasStats());
    QCOMPARE(detail->valuesA()->rowCount(), 0);
    QCOMPARE(detail->valuesB()->rowCount(), 5);
}

void TestGuiCompare::copyAndExport()
{
    MainWindow window;
    CompareView *view = openAndWait(window, m_a, m_b);
    QVERIFY(view);
    view->table()->sortByColumn(CompareTableModel::NameColumn, Qt::AscendingOrder);
    const QStringList lines = view->tableAsTsv().split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 1 + view->proxy()->rowCount());
    QCOMPARE(lines[0], QStringLiteral("Name\tStatus\tDtype\tShape\tDiffering\tMax |\u0394|\tRel. L2\tCosine"));
    QVERIFY2(lines[5].startsWith(QStringLiteral("w.retyped\tretyped\tF32 \u2192 F64\t[8]\t")), qPrintable(lines[5]));

    const QString path = m_dir.filePath(QStringLiteral("report.json"));
    QString error;
    QVERIFY2(view->exportJson(path, &error), qPrintable(error));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject report = QJsonDocument::fromJson(file.readAll()).object();
    QCOMPARE(report.value(QStringLiteral("a")).toString(), m_a);
    QCOMPARE(report.value(QStringLiteral("tensors")).toArray().size(), 7);
    QCOMPARE(report.value(QStringLiteral("summary")).toObject().value(QStringLiteral("changed")).toInt(), 1);
    // The CLI writes the same report for the same pair.
    const test::CliRun run = test::runCli({QStringLiteral("diff"), QStringLiteral("--json"), m_a, m_b});
    QCOMPARE(run.exitCode, 1);
    QCOMPARE(QJsonDocument::fromJson(run.out.toUtf8()).object(), report);

    QString refused;
    QVERIFY(!view->exportJson(m_dir.filePath(QStringLiteral("no/such/dir/report.json")), &refused));
    QVERIFY2(refused.contains(QStringLiteral("report.json")), qPrintable(refused));
}

void TestGuiCompare::unreadableSideReportsTheFile()
{
    const QString text = m_dir.filePath(QStringLiteral("notes.safetensors"));
    QFile file(text);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("these are notes, not weights\n");
    file.close();
    MainWindow window;
    CompareView *view = openAndWait(window, m_a, text);
    QVERIFY(view);
    QVERIFY2(view->errorString().contains(QStringLiteral("notes.safetensors")), qPrintable(view->errorString()));
    QCOMPARE(view->tableModel()->rowCount(), 0);
}

void TestGuiCompare::samePairOpensOnce()
{
    MainWindow window;
    CompareView *first = openAndWait(window, m_a, m_b);
    CompareView *again = window.openComparison(m_a, QStringLiteral("A"), m_b, QStringLiteral("B"));
    QCOMPARE(again, first);
    QCOMPARE(window.pages()->count(), 1);
    // The other direction is another comparison.
    CompareView *reversed = openAndWait(window, m_b, m_a);
    QVERIFY(reversed != first);
    QCOMPARE(window.pages()->count(), 2);
}

void TestGuiCompare::cancelFromTheJobsPanel()
{
    // 32 MiB a side, differing everywhere: tens of milliseconds of work, where the cancel
    // comes microseconds after the start.
    std::vector<float> a = ramp(std::size_t(8) << 20);
    std::vector<float> b = a;
    for (float &v : b)
        v += 1;
    const QString pa = writeModel(m_dir.filePath(QStringLiteral("big_a.safetensors")), {{"w", Dtype::F32, {a.size()}, a}});
    const QString pb = writeModel(m_dir.filePath(QStringLiteral("big_b.safetensors")), {{"w", Dtype::F32, {b.size()}, b}});
    MainWindow window;
    auto *view = new CompareView;
    QSignalSpy started(view, &CompareView::jobStarted);
    view->start(pa, QStringLiteral("A"), pb, QStringLiteral("B"));
    window.addPage(view, QIcon(), view->title());
    QCOMPARE(started.count(), 1);
    // What the jobs panel's cancel button does.
    started.first().first().value<QFuture<void>>().cancel();
    QTRY_VERIFY_WITH_TIMEOUT(view->wasCanceled(), 10000);
    QVERIFY(!view->hasResult());
    QVERIFY(!view->isRunning());
}

void TestGuiCompare::dropOnOpenModelOffersCompare()
{
    MainWindow window;
    window.resize(1000, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy opened(&window, &MainWindow::modelOpened);
    window.openPath(m_a);
    QTRY_COMPARE(opened.count(), 1);
    TensorBrowser *browser = window.currentBrowser();
    QVERIFY(browser);

    QStringList offered;
    whenMenuOpens([&](QMenu *menu) {
        for (QAction *a : menu->actions())
            if (!a->isSeparator())
                offered << a->text();
        menu->setActiveAction(menu->defaultAction());
        QTest::keyClick(menu, Qt::Key_Return);
    });
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(m_b)});
    const QPoint pos = browser->mapTo(&window, browser->rect().center());
    QDragEnterEvent enter(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &enter);
    QDropEvent drop(QPointF(pos), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &drop);
    QCOMPARE(offered, (QStringList{QStringLiteral("&Compare a.safetensors with b.safetensors"), QStringLiteral("&Open in a New Tab"),
                                    QStringLiteral("Cancel")}));
    auto *view = qobject_cast<CompareView *>(window.pages()->currentWidget());
    QVERIFY(view);
    QCOMPARE(window.pages()->tabText(window.pages()->currentIndex()), QStringLiteral("a.safetensors \u2194 b.safetensors"));
    QTRY_VERIFY_WITH_TIMEOUT(view->hasResult(), 10000);
    QCOMPARE(view->comparison().tensors.size(), std::size_t(7));
}

void TestGuiCompare::workspaceComparesTwoSelectedWeights()
{
    const QString root = m_dir.filePath(QStringLiteral("ws"));
    QVERIFY(QDir().mkpath(root));
    {
        WeightManager manager{Workspace(root)};
        QVERIFY(manager.setup().ok());
        const auto added = manager.addDemoVersions();
        QVERIFY2(added.ok(), qPrintable(test::errorOf(added)));
    }
    MainWindow window;
    WorkspaceController controller(&window);
    QVERIFY(controller.openWorkspace(root, false));
    WorkspacePage *page = controller.page();
    page->selectType(QStringLiteral("mamba"));
    QTRY_VERIFY(page->weightModel()->rowOf(QStringLiteral("mamba_v2")) >= 0);
    WorkspaceActions *actions = controller.actions();
    // One weight: Compare asks for a file (not tested here); none: disabled.
    page->selectWeight(QStringLiteral("mamba_v2"));
    QVERIFY(actions->compare()->isEnabled());
    // Two: the older is A, whatever the order of selection.
    const int row = page->weightModel()->rowOf(QStringLiteral("mamba_v1"));
    QVERIFY(row >= 0);
    auto *table = page->weightsView();
    const QModelIndex v1 = static_cast<QSortFilterProxyModel *>(table->model())
                                   ->mapFromSource(page->weightModel()->index(row, 0));
    table->selectionModel()->select(v1, QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QCOMPARE(page->selectedWeights().size(), 2);
    QVERIFY(actions->compare()->isEnabled());
    actions->compare()->trigger();
    auto *view = qobject_cast<CompareView *>(window.pages()->currentWidget());
    QVERIFY(view);
    QCOMPARE(view->title(), QStringLiteral("mamba_v1 \u2194 mamba_v2"));
    QTRY_VERIFY_WITH_TIMEOUT(view->hasResult(), 20000);
    QCOMPARE(view->errorString(), QString());
    // The demo's v2 is v1 fine-tuned: some tensors identical, some changed, none missing.
    const auto counts = view->comparison().counts();
    QVERIFY(counts[std::size_t(CompareStatus::Identical)] > 0);
    QVERIFY(counts[std::size_t(CompareStatus::Changed)] + counts[std::size_t(CompareStatus::Close)] > 0);
    QCOMPARE(counts[std::size_t(CompareStatus::Added)] + counts[std::size_t(CompareStatus::Removed)], std::uint64_t(0));
}

void TestGuiCompare::hundredThousandRowsSortAndFilter()
{
    // 100,000 rows straight into the model (no files): the table's own sort and the proxy's
    // filter over all of them, checked for order; the times are printed for the record
    // (docs/PERFORMANCE.md has the measured figures of a release build).
    WeightComparison c;
    std::mt19937_64 random(7);
    std::uniform_real_distribution<double> unit(0, 1);
    for (int i = 0; i < 100000; ++i) {
        TensorComparison t;
        t.name = QStringLiteral("layers.%1.mixer.w%2").arg(i / 10).arg(i % 10).toStdString();
        t.status = i % 3 == 0 ? CompareStatus::Identical : CompareStatus::Changed;
        t.dtypeA = t.dtypeB = Dtype::F32;
        t.shapeA = t.shapeB = std::vector<std::uint64_t>{16, 16};
        t.valuesCompared = true;
        t.differing = std::uint64_t(i % 256);
        t.maxAbsDiff = unit(random);
        t.relL2 = unit(random);
        t.cosine = 1 - unit(random) * 1e-3;
        c.tensors.push_back(std::move(t));
    }
    CompareTableModel model;
    CompareFilterProxy proxy;
    proxy.setSourceModel(&model);
    QTableView view;
    view.setModel(&proxy);
    view.resize(800, 600);
    QElapsedTimer timer;
    timer.start();
    model.setComparison(std::move(c));
    const qint64 fill = timer.restart();
    QCOMPARE(proxy.rowCount(), 66666);
    proxy.sort(CompareTableModel::RelL2Column, Qt::DescendingOrder);
    const qint64 sort = timer.restart();
    for (int r = 1; r < proxy.rowCount(); ++r)
        QVERIFY(proxy.index(r - 1, CompareTableModel::RelL2Column).data(CompareTableModel::SortRole).toDouble()
                >= proxy.index(r, CompareTableModel::RelL2Column).data(CompareTableModel::SortRole).toDouble());
    timer.restart();
    QVERIFY(proxy.setFilterPattern(QStringLiteral("layers.99*")));
    const qint64 filter = timer.restart();
    int expected = 0;
    for (const auto &t : model.comparison().tensors)
        expected += t.name.starts_with("layers.99") && t.status != CompareStatus::Identical ? 1 : 0;
    QCOMPARE(proxy.rowCount(), expected);
    qInfo("100,000 rows: fill %lld ms, sort %lld ms, filter %lld ms (this build)", fill, sort, filter);
}

QTEST_MAIN(TestGuiCompare)
#include "tst_gui_compare.moc"
