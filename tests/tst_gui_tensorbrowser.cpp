// The tensor browser and the main window driven as a user would: typing in the filter box,
// clicking headers, paging a tensor with the keyboard, waiting for statistics, and dropping
// files on the window.
#include "aboutdialog.h"
#include "histogramwidget.h"
#include "icons.h"
#include "jobprogresswidget.h"
#include "mainwindow.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "sliceselector.h"
#include "tensorbrowser.h"
#include "tensordetailpane.h"
#include "tensorsortfilterproxy.h"
#include "tensorstatspanel.h"
#include "tensortablemodel.h"
#include "tensorvaluemodel.h"
#include "valuegridview.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFutureWatcher>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QMimeData>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeView>
#include <QUrl>

#include <cstring>
#include <memory>

using namespace tantra;

namespace {

struct Fixture
{
    std::vector<std::vector<std::byte>> buffers;
    std::vector<TensorWrite> tensors;

    void addF32(const std::string &name, std::vector<std::uint64_t> shape)
    {
        std::uint64_t n = 1;
        for (auto d : shape)
            n *= d;
        std::vector<std::byte> bytes(n * 4);
        for (std::uint64_t i = 0; i < n; ++i) {
            const float v = float(i);
            std::memcpy(bytes.data() + i * 4, &v, 4);
        }
        buffers.push_back(std::move(bytes));
        tensors.push_back(TensorWrite{name, Dtype::F32, std::move(shape), {}});
    }
    QString write(const QString &path)
    {
        for (std::size_t i = 0; i < tensors.size(); ++i)
            tensors[i].data = buffers[i];
        const Status written = writeSafetensors(path, tensors);
        if (!written)
            qFatal("%s", qPrintable(written.errorString()));
        return path;
    }
};

std::shared_ptr<const SafetensorsModel> openModel(const QString &path)
{
    auto model = SafetensorsModel::open(path);
    if (!model)
        qFatal("%s", qPrintable(model.errorString()));
    return std::make_shared<const SafetensorsModel>(std::move(model).value());
}

void dropUrls(QWidget *target, const QList<QUrl> &urls)
{
    QMimeData mime;
    mime.setUrls(urls);
    const QPoint pos = target->rect().center();
    QDragEnterEvent enter(pos, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(pos), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &drop);
    QVERIFY(drop.isAccepted());
}

} // namespace

class TestGuiTensorBrowser : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void filterBoxFiltersAfterDebounce();
    void clickingBytesHeaderSortsNumerically();
    void valueGridPagesRank3WithChosenDimensions();
    void statisticsJobShowsValues();
    void cancelledStatisticsLeaveNoStaleResult();
    void issuesAreShownForTheSelectedTensor();
    void switchingViewsKeepsTheSelection();
    void droppedFileOpensInBrowser();
    void droppedShardFolderOpensAsOneModel();
    void droppedNonWeightFileIsRefused();
    void aboutNamesLibraryVersions();
    void shardSetTabIsNamedByItsFolder();
    void fileMetadataIsShown();
    void openingShowsTheTreesFirstRows();
    void columnsFitTheirContents();
    void disabledColouredIconsAreGrey();

private:
    QTemporaryDir m_dir;
    QString m_layersPath;
};

void TestGuiTensorBrowser::initTestCase()
{
    // Settings (recent files, geometry) go to a throw-away location.
    QStandardPaths::setTestModeEnabled(true);
    QApplication::setOrganizationName(QStringLiteral("tantra-test"));
    QApplication::setApplicationName(QStringLiteral("tst_gui_tensorbrowser"));

    Fixture f;
    for (int layer = 0; layer < 50; ++layer) {
        f.addF32("layers." + std::to_string(layer) + ".weight", {std::uint64_t(layer + 1), 4});
        f.addF32("layers." + std::to_string(layer) + ".bias", {std::uint64_t(layer + 1)});
    }
    f.addF32("cube", {2, 3, 4});
    f.addF32("ramp", {1000});
    m_layersPath = f.write(m_dir.filePath(QStringLiteral("layers.safetensors")));
}

void TestGuiTensorBrowser::filterBoxFiltersAfterDebounce()
{
    TensorBrowser browser;
    QAbstractItemModelTester tester(browser.tableProxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester treeTester(browser.treeProxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    browser.setModel(openModel(m_layersPath));
    browser.setViewMode(TensorBrowser::ViewMode::Table);
    browser.resize(1200, 700);
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    QCOMPARE(browser.tableProxy()->rowCount(), 102);

    QTest::keyClicks(browser.filterEdit(), QStringLiteral("*.bias"));
    // Nothing is filtered while the user is still typing...
    QCOMPARE(browser.tableProxy()->rowCount(), 102);
    // ...and the filter applies once the debounce has passed.
    QTRY_COMPARE(browser.tableProxy()->rowCount(), 50);
    QCOMPARE(browser.findChild<QLabel *>(QStringLiteral("summaryLabel"))->text().left(21), QStringLiteral("50 of 102 tensors mat"));
    for (int row = 0; row < browser.tableProxy()->rowCount(); ++row)
        QVERIFY(browser.tableProxy()->index(row, 0).data().toString().endsWith(QStringLiteral(".bias")));

    // A regex, typed over the glob.
    browser.filterEdit()->selectAll();
    QTest::keyClicks(browser.filterEdit(), QStringLiteral("/^layers\\.1[0-9]\\.weight$/"));
    QTRY_COMPARE(browser.tableProxy()->rowCount(), 10);
    // The tree filters too, keeping the groups above the matches.
    QCOMPARE(browser.treeProxy()->rowCount(), 1);

    // Loading the model again (File › Reload) keeps the filter, in both views.
    browser.setModel(openModel(m_layersPath));
    QCOMPARE(browser.tableProxy()->rowCount(), 10);
    QCOMPARE(browser.treeProxy()->rowCount(), 1);
    const QModelIndex layers = browser.treeProxy()->index(0, 0);
    QCOMPARE(layers.data().toString(), QStringLiteral("layers"));
    QCOMPARE(browser.treeProxy()->rowCount(layers), 10);

    // An invalid regex keeps the last good filter and says why.
    QSignalSpy messages(&browser, &TensorBrowser::message);
    QTest::keyClick(browser.filterEdit(), Qt::Key_Backspace);
    QTest::keyClicks(browser.filterEdit(), QStringLiteral("(/"));
    QTRY_COMPARE(messages.count(), 1);
    QVERIFY(messages.first().first().toString().startsWith(QStringLiteral("Invalid regular expression")));
    QCOMPARE(browser.tableProxy()->rowCount(), 10);

    // Escape clears the filter.
    QTest::keyClick(browser.filterEdit(), Qt::Key_Escape);
    QTRY_COMPARE(browser.tableProxy()->rowCount(), 102);
}

void TestGuiTensorBrowser::clickingBytesHeaderSortsNumerically()
{
    TensorBrowser browser;
    browser.setModel(openModel(m_layersPath));
    browser.setViewMode(TensorBrowser::ViewMode::Table);
    browser.resize(1400, 700);
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));

    QHeaderView *header = browser.tableView()->horizontalHeader();
    const int column = TensorItemSource::BytesColumn;
    const QPoint pos(header->sectionViewportPosition(column) + header->sectionSize(column) / 2, header->height() / 2);
    QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, pos);
    QCOMPARE(header->sortIndicatorSection(), column);

    const auto bytesInOrder = [&] {
        std::vector<qulonglong> bytes;
        for (int row = 0; row < browser.tableProxy()->rowCount(); ++row)
            bytes.push_back(browser.tableProxy()->index(row, column).data(TensorItemSource::SortRole).toULongLong());
        return bytes;
    };
    const std::vector<qulonglong> ascending = bytesInOrder();
    QVERIFY(std::is_sorted(ascending.begin(), ascending.end()));
    QCOMPARE(ascending.front(), 4ull);
    QCOMPARE(ascending.back(), 4000ull); // ramp: 1,000 floats
    // As text, "4.0 KiB" and "800 bytes" would not be in this order.
    QCOMPARE(browser.tableProxy()->index(browser.tableProxy()->rowCount() - 1, TensorItemSource::NameColumn).data().toString(),
             QStringLiteral("ramp"));

    QTest::mouseClick(header->viewport(), Qt::LeftButton, {}, pos);
    const std::vector<qulonglong> descending = bytesInOrder();
    QVERIFY(std::is_sorted(descending.rbegin(), descending.rend()));
}

void TestGuiTensorBrowser::valueGridPagesRank3WithChosenDimensions()
{
    TensorBrowser browser;
    browser.setModel(openModel(m_layersPath));
    browser.resize(1400, 800);
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    QVERIFY(browser.selectTensor(QStringLiteral("cube")));
    TensorDetailPane *pane = browser.detailPane();
    pane->tabs()->setCurrentIndex(TensorDetailPane::ValuesTab);
    QTRY_VERIFY(pane->sliceSelector()->isVisible());
    TensorValueModel *values = pane->valueModel();
    QAbstractItemModelTester tester(values, QAbstractItemModelTester::FailureReportingMode::QtTest);

    // Default slice: [0, r, c], 3 × 4.
    QCOMPARE(values->rowCount(), 3);
    QCOMPARE(values->columnCount(), 4);
    QCOMPARE(values->index(1, 2).data().toString(), QStringLiteral("6"));

    // Page to dim 0 = 1 with the spin box's arrow key: [1, r, c] = 12 + 4r + c.
    QSpinBox *dim0 = pane->sliceSelector()->positionSpin(0);
    QVERIFY(dim0);
    dim0->setFocus();
    QTest::keyClick(dim0, Qt::Key_Up);
    QCOMPARE(values->index(1, 2).data().toString(), QStringLiteral("18"));

    // Rows over dim 0 instead (keyboard on the combo box): the old row dim 1 becomes fixed.
    QComboBox *rows = pane->sliceSelector()->rowDimCombo();
    rows->setFocus();
    QTest::keyClick(rows, Qt::Key_Up);
    QCOMPARE(pane->sliceSelector()->slice().rowDim, 0);
    QCOMPARE(pane->sliceSelector()->slice().colDim, 2);
    QCOMPARE(values->rowCount(), 2);
    QCOMPARE(values->columnCount(), 4);
    QSpinBox *dim1 = pane->sliceSelector()->positionSpin(1);
    QVERIFY(dim1);
    dim1->setFocus();
    QTest::keyClick(dim1, Qt::Key_Up);
    QTest::keyClick(dim1, Qt::Key_Up);
    // [r, 2, c] = 12r + 8 + c.
    QCOMPARE(values->index(1, 3).data().toString(), QStringLiteral("23"));
    QCOMPARE(values->index(0, 0).data().toString(), QStringLiteral("8"));
    // The grid shows what the model says.
    QTableView *grid = browser.findChild<QTableView *>(QStringLiteral("valueGrid"));
    QCOMPARE(grid->model(), values);
    QCOMPARE(grid->model()->headerData(1, Qt::Vertical).toString(), QStringLiteral("1"));
}

void TestGuiTensorBrowser::statisticsJobShowsValues()
{
    TensorBrowser browser;
    browser.setModel(openModel(m_layersPath));
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    TensorStatsPanel *stats = browser.detailPane()->statsPanel();
    QSignalSpy shown(stats, &TensorStatsPanel::statsShown);
    QSignalSpy jobs(&browser, &TensorBrowser::jobStarted);
    QVERIFY(browser.selectTensor(QStringLiteral("ramp")));
    QCOMPARE(jobs.count(), 1); // the GUI thread handed the work to the pool
    QTRY_VERIFY(!shown.isEmpty());
    QCOMPARE(shown.last().first().toString(), QStringLiteral("ramp"));
    QCOMPARE(stats->figureText(QStringLiteral("min")), QStringLiteral("0"));
    QCOMPARE(stats->figureText(QStringLiteral("max")), QStringLiteral("999"));
    QCOMPARE(stats->figureText(QStringLiteral("mean")), QStringLiteral("499.5"));
    QCOMPARE(stats->figureText(QStringLiteral("zeros")), QStringLiteral("1"));
    QCOMPARE(stats->figureText(QStringLiteral("nan")), QStringLiteral("0"));
    QVERIFY(stats->stats());
    QCOMPARE(stats->stats()->finite, 1000u);
    QVERIFY(stats->histogram()->hasStats());
}

void TestGuiTensorBrowser::cancelledStatisticsLeaveNoStaleResult()
{
    // A 1 GiB tensor that takes no disk space (a hole): reading it takes seconds.
    const QString path = m_dir.filePath(QStringLiteral("sparse.safetensors"));
    const Status written = writeSparseSafetensors(path, {TensorSpec{"big", Dtype::F32, {256, 1024, 1024}},
                                                         TensorSpec{"small", Dtype::F32, {10}}});
    QVERIFY2(written.ok(), qPrintable(written.ok() ? QString() : written.errorString()));

    TensorBrowser browser;
    TensorStatsPanel *stats = browser.detailPane()->statsPanel();
    stats->setAutoComputeLimit(std::uint64_t(2) << 30);
    browser.setModel(openModel(path));
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    QSignalSpy shown(stats, &TensorStatsPanel::statsShown);
    // The browser selects the first tensor ("big") on load: start from "small".
    QVERIFY(browser.selectTensor(QStringLiteral("small")));
    QTRY_COMPARE(shown.count(), 1);
    shown.clear();

    QVERIFY(browser.selectTensor(QStringLiteral("big")));
    QFuture<void> bigJob = stats->future();
    QVERIFY(stats->isRunning());
    // Midway: as soon as the job reports progress, select another tensor.
    QFutureWatcher<void> progress;
    int progressAtCancel = -1;
    connect(&progress, &QFutureWatcherBase::progressValueChanged, &browser, [&](int value) {
        if (progressAtCancel < 0 && value > 0) {
            progressAtCancel = value;
            browser.selectTensor(QStringLiteral("small"));
        }
    });
    progress.setFuture(bigJob);
    QTRY_VERIFY(progressAtCancel > 0 || bigJob.isFinished());
    QVERIFY2(progressAtCancel > 0 && progressAtCancel < 1000, "the job ended before it could be cancelled");
    QVERIFY(bigJob.isCanceled());

    QTRY_VERIFY(!shown.isEmpty());
    QTRY_VERIFY(bigJob.isFinished());
    // Let any late signal of the cancelled job arrive; none may show.
    QTest::qWait(100);
    QCOMPARE(shown.count(), 1);
    QCOMPARE(shown.first().first().toString(), QStringLiteral("small"));
    QCOMPARE(stats->stats()->values, 10u);
    QCOMPARE(stats->figureText(QStringLiteral("zeros")), QStringLiteral("10"));

    // Destroying the browser mid-job cancels the job and does not wait for it.
    auto *doomed = new TensorBrowser;
    doomed->detailPane()->statsPanel()->setAutoComputeLimit(std::uint64_t(2) << 30);
    doomed->setModel(openModel(path));
    QVERIFY(doomed->selectTensor(QStringLiteral("big")));
    QFuture<void> orphan = doomed->detailPane()->statsPanel()->future();
    QVERIFY(!orphan.isFinished());
    delete doomed;
    QVERIFY(orphan.isCanceled());
    QTRY_VERIFY(orphan.isFinished());
}

void TestGuiTensorBrowser::issuesAreShownForTheSelectedTensor()
{
    TensorBrowser browser;
    browser.setModel(openModel(m_layersPath));
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    QVERIFY(browser.selectTensor(QStringLiteral("layers.3.weight")));
    const QString rule = QStringLiteral("hidden_size is 8, but the tensor has 4 columns");
    browser.setTensorIssues({{QStringLiteral("layers.3.weight"), rule}});

    auto *issueText = browser.findChild<QLabel *>(QStringLiteral("issueText"));
    QVERIFY(issueText);
    QCOMPARE(issueText->text(), rule);
    QVERIFY(issueText->isVisible());
    auto *onlyIssues = browser.findChild<QCheckBox *>(QStringLiteral("onlyIssuesCheck"));
    QVERIFY(onlyIssues->isVisible());
    QTest::mouseClick(onlyIssues, Qt::LeftButton, {}, QPoint(5, onlyIssues->height() / 2));
    QCOMPARE(browser.tableProxy()->rowCount(), 1);

    QVERIFY(browser.selectTensor(QStringLiteral("layers.3.weight")));
    browser.setTensorIssues({});
    QVERIFY(!issueText->isVisible());
    QVERIFY(!onlyIssues->isVisible());
    QCOMPARE(browser.tableProxy()->rowCount(), 102);
}

void TestGuiTensorBrowser::switchingViewsKeepsTheSelection()
{
    TensorBrowser browser;
    browser.setModel(openModel(m_layersPath));
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    QVERIFY(browser.selectTensor(QStringLiteral("layers.7.bias")));
    QSignalSpy changed(&browser, &TensorBrowser::currentTensorChanged);
    QTest::mouseClick(browser.findChild<QToolButton *>(QStringLiteral("tableModeButton")), Qt::LeftButton);
    QCOMPARE(browser.viewMode(), TensorBrowser::ViewMode::Table);
    QCOMPARE(browser.currentTensorName(), QStringLiteral("layers.7.bias"));
    QCOMPARE(browser.tableView()->currentIndex().data().toString(), QStringLiteral("layers.7.bias"));
    QCOMPARE(changed.count(), 0);

    // Keyboard: Down in the table moves to the next tensor in the table's order.
    browser.tableView()->setFocus();
    QTest::keyClick(browser.tableView(), Qt::Key_Down);
    QCOMPARE(changed.count(), 1);

    // The state round-trips.
    const QByteArray state = browser.saveState();
    TensorBrowser other;
    other.setModel(openModel(m_layersPath));
    QVERIFY(other.restoreState(state));
    QCOMPARE(other.viewMode(), TensorBrowser::ViewMode::Table);
    QVERIFY(!other.restoreState(QByteArray("garbage")));
}

void TestGuiTensorBrowser::droppedFileOpensInBrowser()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy opened(&window, &MainWindow::modelOpened);
    dropUrls(&window, {QUrl::fromLocalFile(m_layersPath)});
    QTRY_COMPARE(opened.count(), 1);
    QCOMPARE(window.pages()->count(), 1);
    TensorBrowser *browser = window.currentBrowser();
    QVERIFY(browser);
    QCOMPARE(window.browserFor(m_layersPath), browser);
    QCOMPARE(browser->tableModel()->rowCount(), 102);
    QCOMPARE(window.pages()->tabText(0), QStringLiteral("layers.safetensors"));

    // Dropping it again brings the same tab forward instead of opening a second one.
    dropUrls(&window, {QUrl::fromLocalFile(m_layersPath)});
    QTest::qWait(50);
    QCOMPARE(window.pages()->count(), 1);

    // Ctrl+W closes it; the welcome page comes back.
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QTest::keyClick(&window, Qt::Key_W, Qt::ControlModifier);
    QCOMPARE(window.pages()->count(), 0);
}

void TestGuiTensorBrowser::droppedShardFolderOpensAsOneModel()
{
    Fixture f;
    for (int i = 0; i < 8; ++i)
        f.addF32("model.layers." + std::to_string(i) + ".weight", {8, 8});
    for (std::size_t i = 0; i < f.tensors.size(); ++i)
        f.tensors[i].data = f.buffers[i];
    const QString folder = m_dir.filePath(QStringLiteral("shards"));
    QVERIFY(QDir().mkpath(folder));
    auto set = writeShardSet(folder, QStringLiteral("model"), f.tensors, 600);
    QVERIFY(set.ok());
    QVERIFY(set->shardPaths.size() >= 3);

    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy opened(&window, &MainWindow::modelOpened);
    dropUrls(&window, {QUrl::fromLocalFile(folder)});
    QTRY_COMPARE(opened.count(), 1);
    TensorBrowser *browser = window.currentBrowser();
    QVERIFY(browser->model()->isSharded());
    QCOMPARE(browser->tableModel()->rowCount(), 8);
    QVERIFY(!browser->tableView()->isColumnHidden(TensorItemSource::ShardColumn));
}

void TestGuiTensorBrowser::droppedNonWeightFileIsRefused()
{
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy opened(&window, &MainWindow::modelOpened);
    QSignalSpy failed(&window, &MainWindow::openFailed);

    // A Git LFS pointer saved under the weights' name: the engine says what it is.
    const QString pointer = test::writeBytes(m_dir.filePath(QStringLiteral("pointer.safetensors")),
                                             "version https://git-lfs.github.com/spec/v1\n"
                                             "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
                                             "size 12345\n");
    dropUrls(&window, {QUrl::fromLocalFile(pointer)});
    QTRY_COMPARE(failed.count(), 1);
    const QString message = failed.first().at(1).toString();
    QVERIFY2(message.contains(QStringLiteral("Git LFS pointer")), qPrintable(message));
    QVERIFY(message.contains(pointer));
    auto *box = window.findChild<QMessageBox *>(QStringLiteral("openErrorBox"));
    QVERIFY(box);
    QTRY_VERIFY(box->isVisible());
    QCOMPARE(box->informativeText(), message);
    box->accept();

    // Any other file: refused with the engine's reason, nothing opened.
    const QString notes = test::writeBytes(m_dir.filePath(QStringLiteral("notes.txt")), "just some notes\n");
    dropUrls(&window, {QUrl::fromLocalFile(notes)});
    QTRY_COMPARE(failed.count(), 2);
    QVERIFY(failed.last().at(1).toString().startsWith(notes));
    QCOMPARE(opened.count(), 0);
    QCOMPARE(window.pages()->count(), 0);

    // Non-file URLs are not even accepted for the drag.
    QMimeData web;
    web.setUrls({QUrl(QStringLiteral("https://example.com/model.safetensors"))});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &web, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &enter);
    QVERIFY(!enter.isAccepted());
}

void TestGuiTensorBrowser::aboutNamesLibraryVersions()
{
    const QString report = AboutDialog::versionReport();
    QVERIFY(report.contains(QStringLiteral(TANTRA_VERSION)));
    QVERIFY(report.contains(QStringLiteral("Qt: ") + QString::fromLatin1(qVersion())));
    QVERIFY(report.contains(QStringLiteral("yaml-cpp: 0.")));
    QVERIFY(report.contains(QStringLiteral("QuaZip: 1.")));
    QVERIFY(report.contains(QStringLiteral("OpenSSL: OpenSSL 3")));
    QVERIFY(!report.contains(QStringLiteral("unknown")));
}

void TestGuiTensorBrowser::shardSetTabIsNamedByItsFolder()
{
    Fixture f;
    for (int i = 0; i < 4; ++i)
        f.addF32("model.layers." + std::to_string(i) + ".weight", {8, 8});
    for (std::size_t i = 0; i < f.tensors.size(); ++i)
        f.tensors[i].data = f.buffers[i];
    const QString folder = m_dir.filePath(QStringLiteral("mamba-shards"));
    QVERIFY(QDir().mkpath(folder));
    auto set = writeShardSet(folder, QStringLiteral("model"), f.tensors, 600);
    QVERIFY(set.ok());

    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy opened(&window, &MainWindow::modelOpened);
    window.openPath(set->indexPath);
    QTRY_COMPARE(opened.count(), 1);
    auto *tabs = window.findChild<QTabWidget *>();
    QVERIFY(tabs);
    QCOMPARE(tabs->tabText(tabs->indexOf(window.currentBrowser())), QStringLiteral("mamba-shards/"));
}

void TestGuiTensorBrowser::fileMetadataIsShown()
{
    Fixture f;
    f.addF32("w", {2});
    for (std::size_t i = 0; i < f.tensors.size(); ++i)
        f.tensors[i].data = f.buffers[i];
    const QString withPath = m_dir.filePath(QStringLiteral("with-metadata.safetensors"));
    QVERIFY(writeSafetensors(withPath, f.tensors, {{"format", "pt"}, {"trained_on", "run 7"}}).ok());
    const QString withoutPath = m_dir.filePath(QStringLiteral("without-metadata.safetensors"));
    QVERIFY(writeSafetensors(withoutPath, f.tensors).ok());

    TensorBrowser browser;
    browser.resize(900, 600);
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    auto *button = browser.findChild<QToolButton *>(QStringLiteral("metadataButton"));
    auto *view = browser.findChild<QTreeView *>(QStringLiteral("metadataView"));
    QVERIFY(button && view);
    QAbstractItemModelTester tester(view->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);

    browser.setModel(openModel(withPath));
    QCOMPARE(button->text(), QStringLiteral("Metadata (2)"));
    QVERIFY(button->isEnabled());
    QVERIFY(!view->isVisible());
    button->click();
    QVERIFY(view->isVisible());
    QCOMPARE(view->model()->rowCount(), 2);
    QCOMPARE(view->model()->index(1, 0).data().toString(), QStringLiteral("trained_on"));
    QCOMPARE(view->model()->index(1, 1).data().toString(), QStringLiteral("run 7"));

    // A file without metadata: nothing to unfold, and the list it showed is gone.
    browser.setModel(openModel(withoutPath));
    QVERIFY(!button->isEnabled());
    QVERIFY(!button->isChecked());
    QVERIFY(!view->isVisible());
    QCOMPARE(view->model()->rowCount(), 0);
}

void TestGuiTensorBrowser::openingShowsTheTreesFirstRows()
{
    // The first tensor in the tree lies five levels down: a view without a size yet would
    // scroll to it and hide the rows above.
    Fixture f;
    for (int layer = 0; layer < 40; ++layer)
        for (const char *part : {"in_proj", "out_proj", "x_proj"})
            f.addF32("backbone.layers." + std::to_string(layer) + ".mixer." + part + ".weight", {2});
    const QString path = f.write(m_dir.filePath(QStringLiteral("deep.safetensors")));

    MainWindow window;
    window.resize(900, 600);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy opened(&window, &MainWindow::modelOpened);
    window.openPath(path);
    QTRY_COMPARE(opened.count(), 1);
    TensorBrowser *browser = window.currentBrowser();
    QTreeView *tree = browser->treeView();
    QTRY_VERIFY(tree->isVisible());
    QTest::qWait(50); // the deferred scroll, if any, has run
    QCOMPARE(tree->verticalScrollBar()->value(), 0);
    const QModelIndex top = tree->indexAt(QPoint(4, 2));
    QCOMPARE(top.data().toString(), QStringLiteral("backbone"));
    QCOMPARE(browser->currentTensorName(), QStringLiteral("backbone.layers.0.mixer.in_proj.weight"));
    QVERIFY(tree->visualRect(tree->currentIndex()).intersects(tree->viewport()->rect()));
}

void TestGuiTensorBrowser::columnsFitTheirContents()
{
    Fixture f;
    f.addF32("a.rather.long.module.name.that.goes.on.weight", {1, 1});
    f.tensors.back().shape = {0, 123456789, 987654321};
    f.buffers.back().clear();
    const QString path = f.write(m_dir.filePath(QStringLiteral("wide.safetensors")));
    TensorBrowser browser;
    browser.resize(900, 600);
    browser.show();
    QVERIFY(QTest::qWaitForWindowExposed(&browser));
    browser.setModel(openModel(path));
    browser.setViewMode(TensorBrowser::ViewMode::Table);
    const QFontMetrics fm = browser.tableView()->fontMetrics();
    QHeaderView *header = browser.tableView()->horizontalHeader();
    QVERIFY2(header->sectionSize(TensorItemSource::ShapeColumn) > fm.horizontalAdvance(QStringLiteral("[0, 123456789, 987654321]")),
             qPrintable(QString::number(header->sectionSize(TensorItemSource::ShapeColumn))));
    QVERIFY(header->isSectionHidden(TensorItemSource::OffsetColumn));
    // Whatever a narrow window cuts off, the tooltip has in full.
    const QModelIndex name = browser.tableProxy()->index(0, TensorItemSource::NameColumn);
    QCOMPARE(name.data(Qt::ToolTipRole).toString(), QStringLiteral("a.rather.long.module.name.that.goes.on.weight"));
    QCOMPARE(browser.tableProxy()->index(0, TensorItemSource::ShapeColumn).data(Qt::ToolTipRole).toString(),
             QStringLiteral("[0, 123456789, 987654321]"));
    // The value grid's columns hold the widest value of the type.
    const int valueWidth = browser.detailPane()->valueGrid()->horizontalHeader()->defaultSectionSize();
    QVERIFY(valueWidth > fm.horizontalAdvance(QStringLiteral("-1.17549435e-38")));
}

void TestGuiTensorBrowser::disabledColouredIconsAreGrey()
{
    // The green "active" check of a disabled Set Active must not look available.
    const QImage normal = Icons::get(QStringLiteral("active")).pixmap(QSize(32, 32), QIcon::Normal).toImage().convertToFormat(QImage::Format_ARGB32);
    const QImage disabled = Icons::get(QStringLiteral("active")).pixmap(QSize(32, 32), QIcon::Disabled).toImage().convertToFormat(QImage::Format_ARGB32);
    int colouredNormal = 0, visibleDisabled = 0;
    for (int y = 0; y < 32; ++y) {
        for (int x = 0; x < 32; ++x) {
            const QRgb n = normal.pixel(x, y);
            const QRgb d = disabled.pixel(x, y);
            colouredNormal += qAlpha(n) > 0 && qGreen(n) != qRed(n);
            if (qAlpha(d) > 0) {
                ++visibleDisabled;
                QVERIFY2(qRed(d) == qGreen(d) && qGreen(d) == qBlue(d), qPrintable(QStringLiteral("pixel %1,%2 is coloured").arg(x).arg(y)));
                QVERIFY(qAlpha(d) < qAlpha(n) || qAlpha(n) == 0);
            }
        }
    }
    QVERIFY(colouredNormal > 0);
    QVERIFY(visibleDisabled > 0);
}

QTEST_MAIN(TestGuiTensorBrowser)
#include "tst_gui_tensorbrowser.moc"
