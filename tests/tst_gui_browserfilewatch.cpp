// A tensor browser tab whose file is deleted behind its back (the CLI's remove, a script) is
// marked gone instead of showing the old data as if nothing happened; Reload clears the mark
// once the file is back.
#include "browserfilewatch.h"
#include "mainwindow.h"
#include "safetensorswriter.h"
#include "tensorbrowser.h"
#include "testutil.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

using namespace tantra;

class TestGuiBrowserFileWatch : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
    }

    void deletedFileMarksTheTabGone()
    {
        const QString path = m_dir.filePath(QStringLiteral("weights.safetensors"));
        std::vector<std::byte> bytes(16);
        QVERIFY(writeSafetensors(path, {TensorWrite{"w", Dtype::F32, {4}, bytes}}).ok());
        const QByteArray saved = [&] {
            QFile f(path);
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();

        MainWindow window;
        window.openPath(path);
        QTabWidget *tabs = window.pages();
        QTRY_VERIFY_WITH_TIMEOUT(qobject_cast<TensorBrowser *>(tabs->currentWidget()), 10000);
        auto *browser = qobject_cast<TensorBrowser *>(tabs->currentWidget());
        const int index = tabs->indexOf(browser);
        QCOMPARE(tabs->tabText(index), QStringLiteral("weights.safetensors"));
        auto *watch = browser->findChild<BrowserFileWatch *>();
        QVERIFY(watch);
        QVERIFY(!watch->isGone());

        QVERIFY(QFile::remove(path));
        QTRY_COMPARE_WITH_TIMEOUT(tabs->tabText(index), QStringLiteral("weights.safetensors (gone)"), 5000);
        QVERIFY(watch->isGone());
        QVERIFY2(tabs->tabToolTip(index).startsWith(QStringLiteral("Deleted or moved since it was opened: ") + QDir::toNativeSeparators(path)),
                 qPrintable(tabs->tabToolTip(index)));
        QVERIFY(browser->model()); // what was read stays on screen

        test::writeBytes(path, saved);
        window.reloadCurrent();
        QTRY_COMPARE_WITH_TIMEOUT(tabs->tabText(index), QStringLiteral("weights.safetensors"), 10000);
        QVERIFY(!watch->isGone());
        QCOMPARE(tabs->tabToolTip(index), QDir::toNativeSeparators(QFileInfo(path).absoluteFilePath()));
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestGuiBrowserFileWatch)

#include "tst_gui_browserfilewatch.moc"
