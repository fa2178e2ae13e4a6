// PyTorch checkpoints dropped on the main window: a checkpoint goes through the import dialog
// (read without running it, the move option off) into a background job that converts and
// registers it; a hostile one gets the refusal, naming what it calls, instead of the form,
// and leaves the workspace as it was with its command not run.
#include "guitestutil.h"
#include "importdialog.h"
#include "jobrunner.h"
#include "mainwindow.h"
#include "modelloader.h"
#include "safetensorsmodel.h"
#include "tensorbrowser.h"
#include "tensortext.h"
#include "testutil.h"
#include "weightmanager.h"
#include "workspaceactions.h"
#include "workspacecontroller.h"

#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace tantra;
using tantra::test::whenDialogOpens;

namespace {

void dropOn(MainWindow &window, const QString &path)
{
    QMimeData mime;
    mime.setUrls({QUrl::fromLocalFile(path)});
    // As a real drag does: enter first (Qt delivers the drop only to an accepted target).
    QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &enter);
    QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&window, &drop);
}

} // namespace

class TestGuiTorchImport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
    }

    void dropImportsACheckpoint()
    {
        const QString root = m_dir.filePath(QStringLiteral("ws-ok"));
        test::makeWorkspace(root);
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(root, false));
        // w: 2x4 float32 seen transposed as 4x2, fitting no shipped type: a new type is made.
        const QString source = test::writeBytes(m_dir.filePath(QStringLiteral("tiny_v5.pt")),
                                                test::torchZip(test::torchTensorDictPickle(8, 0, {4, 2}, {1, 4}),
                                                               test::floatBytes({0, 1, 2, 3, 4, 5, 6, 7})));
        bool dialogSeen = false;
        whenDialogOpens([&](QWidget *dialog) {
            auto *import = qobject_cast<ImportDialog *>(dialog);
            QVERIFY2(import, dialog->metaObject()->className());
            QTRY_VERIFY(import->isAnalysed());
            dialogSeen = true;
            QVERIFY(import->form()->isVisible());
            const QString summary = import->summaryLabel()->text();
            QVERIFY2(summary.startsWith(QStringLiteral("1 tensor, ")), qPrintable(summary));
            QVERIFY2(summary.contains(QStringLiteral("<b>A PyTorch checkpoint:</b> read without running its pickle")), qPrintable(summary));
            QRadioButton *move = nullptr;
            const auto radios = import->findChildren<QRadioButton *>();
            for (QRadioButton *r : radios)
                if (r->text().contains(QStringLiteral("Move")))
                    move = r;
            QVERIFY(move && !move->isEnabled() && !move->isChecked());
            QCOMPARE(import->typeCombo()->currentIndex(), import->newTypeIndex());
            QCOMPARE(import->newTypeEdit()->text(), QStringLiteral("tiny"));
            QCOMPARE(import->versionEdit()->text(), QStringLiteral("v5"));
            import->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
        });
        dropOn(window, source);
        QVERIFY(dialogSeen);
        WeightManager manager{Workspace(root)};
        QTRY_VERIFY_WITH_TIMEOUT(manager.snapshot()->find(QStringLiteral("tiny_v5")) != nullptr, 10000);
        QTRY_VERIFY(!controller.jobs()->isBusy());
        const auto data = manager.snapshot(); // the entry points into it: keep it alive
        QVERIFY(data.ok());
        const WeightEntry *entry = data->find(QStringLiteral("tiny_v5"));
        QVERIFY(entry);
        QCOMPARE(entry->source, QStringLiteral("converted from PyTorch checkpoint tiny_v5.pt"));
        QVERIFY(QFileInfo::exists(source));
    }

    void dropOfAHostileCheckpointSaysWhy_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow(".bin") << QStringLiteral("pytorch_model.bin");
        QTest::newRow(".pth") << QStringLiteral("checkpoint.pth");
    }

    void dropOfAHostileCheckpointSaysWhy()
    {
        QFETCH(QString, name);
        const QString root = m_dir.filePath(QStringLiteral("ws-hostile-") + name);
        test::makeWorkspace(root);
        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(root, false));
        QTemporaryDir tmp;
        const QString marker = tmp.filePath(QStringLiteral("pwned"));
        const QString source = test::writeBytes(tmp.filePath(name), test::torchZip(test::torchCallingPickle("posix", "system", "touch " + QFile::encodeName(marker)), {}));
        const auto before = test::treeSnapshot(root);
        QString shown;
        QString title;
        bool formShown = true;
        whenDialogOpens([&](QWidget *dialog) {
            auto *import = qobject_cast<ImportDialog *>(dialog);
            QVERIFY(import);
            QTRY_VERIFY(import->isAnalysed());
            shown = import->statusLabel()->text();
            title = import->windowTitle();
            formShown = import->form()->isVisible();
            import->reject();
        });
        dropOn(window, source);
        QVERIFY(!formShown);
        QCOMPARE(title, QStringLiteral("Cannot import ") + name);
        QVERIFY2(shown.startsWith(QStringLiteral("<b>This file cannot be imported:</b><br>") + source
                                  + QStringLiteral(": refusing to load: the pickle calls posix.system")),
                 qPrintable(shown));
        QTRY_VERIFY(!controller.jobs()->isBusy());
        const auto after = test::treeSnapshot(root);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
        QVERIFY2(!QFileInfo::exists(marker), "the hostile pickle's command ran");
    }

    // A shard set of checkpoints becomes one file: the dialog says so, and checks the version
    // against that file's place, not a shard folder's.
    void shardSetOfCheckpoints()
    {
        const QString corpus = test::corpusDir();
        if (corpus.isEmpty())
            QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus to run the PyTorch corpus tests");
        const QString root = m_dir.filePath(QStringLiteral("ws-shards"));
        test::makeWorkspace(root);
        WeightManager manager{Workspace(root)};
        const QString source = QDir(corpus).filePath(QStringLiteral("pytorch/sharded/pytorch_model.bin.index.json"));
        ImportDialog dialog(&manager, source);
        dialog.show();
        QTRY_VERIFY(dialog.isAnalysed());
        QVERIFY(dialog.form()->isVisible());
        const QString summary = dialog.summaryLabel()->text();
        QVERIFY2(summary.contains(QStringLiteral("A shard set of checkpoints: it becomes one safetensors file.")), qPrintable(summary));
        QVERIFY2(!summary.contains(QStringLiteral("(shard set)")), qPrintable(summary));
        QCOMPARE(dialog.typeCombo()->currentIndex(), dialog.newTypeIndex());
        dialog.newTypeEdit()->setText(QStringLiteral("hfshards"));
        dialog.versionEdit()->setText(QStringLiteral("v1"));
        dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
        QCOMPARE(dialog.result(), int(QDialog::Accepted));
        const auto entry = manager.importWeight(dialog.request());
        QVERIFY2(entry.ok(), qPrintable(test::errorOf(entry)));
        QVERIFY(!entry->sharded);
        QCOMPARE(entry->source, QStringLiteral("converted from PyTorch checkpoint pytorch_model.bin.index.json"));
    }

    // Without a workspace a dropped file is opened for browsing: a checkpoint is read (never
    // run) and shown through a safetensors copy of its tensors, which goes with the model; a
    // hostile one is named as such.
    void browserShowsACheckpoint()
    {
        QTemporaryDir tmp;
        const QString marker = tmp.filePath(QStringLiteral("pwned"));
        const QString hostile = test::writeBytes(tmp.filePath(QStringLiteral("evil.pt")),
                                                 test::torchZip(test::torchCallingPickle("posix", "system", "touch " + QFile::encodeName(marker)), {}));
        // A transposed 2x4 view of 8 floats: strides (1, 2), so the copy must be made contiguous.
        const QString good = test::writeBytes(tmp.filePath(QStringLiteral("good.bin")),
                                              test::torchZip(test::torchTensorDictPickle(8, 0, {2, 4}, {1, 2}), test::floatBytes({0, 1, 2, 3, 4, 5, 6, 7})));
        ModelLoader loader;
        QSignalSpy failed(&loader, &ModelLoader::failed);
        QSignalSpy loaded(&loader, &ModelLoader::loaded);
        loader.open(hostile);
        QTRY_COMPARE(failed.count(), 1);
        QVERIFY2(failed.at(0).at(1).toString().startsWith(hostile + QStringLiteral(": refusing to load: the pickle calls posix.system")),
                 qPrintable(failed.at(0).at(1).toString()));
        loader.open(good);
        QTRY_COMPARE(loaded.count(), 1);
        QCOMPARE(failed.count(), 1);
        QCOMPARE(loaded.at(0).at(0).toString(), good);
        QString copyPath;
        {
            auto model = loaded.at(0).at(1).value<std::shared_ptr<const SafetensorsModel>>();
            loaded.clear();
            QVERIFY(model);
            QCOMPARE(model->tensors().size(), std::size_t(1));
            const ModelTensor &t = model->tensors().front();
            QCOMPARE(t.info->dtype, Dtype::F32);
            QCOMPARE(t.info->shape, (std::vector<std::uint64_t>{2, 4}));
            // Element (i, j) of the view is storage[i + 2 j].
            QCOMPARE(QByteArray(reinterpret_cast<const char *>(model->data(t).data()), 32), test::floatBytes({0, 2, 4, 6, 1, 3, 5, 7}));
            copyPath = model->path();
            QVERIFY(!copyPath.startsWith(tmp.path())); // nothing written beside the checkpoint
            QVERIFY(QFileInfo::exists(copyPath));
        }
        // In the window, the location line names the checkpoint, not the scratch copy.
        {
            MainWindow window;
            window.openPath(good);
            QTRY_VERIFY(window.browserFor(good));
            TensorBrowser *browser = window.browserFor(good);
            QVERIFY(browser->selectTensor(TensorText::name(browser->model()->tensors().front().info->name)));
            auto *location = browser->findChild<QLabel *>(QStringLiteral("tensorLocation"));
            QVERIFY(location);
            QVERIFY2(location->text().startsWith(QStringLiteral("good.bin  \u00B7  PyTorch checkpoint")), qPrintable(location->text()));
            QCOMPARE(location->toolTip(), good);
            QVERIFY(!location->text().contains(QStringLiteral(".safetensors")));
        }
        QVERIFY2(!QFileInfo::exists(copyPath), "the checkpoint's safetensors copy outlived its model");
        QVERIFY2(!QFileInfo::exists(QFileInfo(copyPath).absolutePath()), "the scratch folder outlived its model");
        QVERIFY2(!QFileInfo::exists(marker), "the hostile pickle's command ran");
    }

private:
    QTemporaryDir m_dir;
};

QTEST_MAIN(TestGuiTorchImport)

#include "tst_gui_torchimport.moc"
