// Opening another workspace while a config editor holds unsaved edits (issue 14, point 1): the
// editor once kept its tab, no one asked, and Ctrl+S wrote its text into the NEW workspace's
// config. Every way of switching must ask (save, discard, cancel) as quitting does; a cancel
// keeps the workspace and the edits; a save writes the original workspace's file only; and the
// other workspace's config is never touched.
#include "guitestutil.h"
#include "configeditor.h"
#include "configformpage.h"
#include "mainwindow.h"
#include "page.h"
#include "weightmanager.h"
#include "workspace.h"
#include "workspaceactions.h"
#include "workspacecontroller.h"
#include "workspacepage.h"
#include "workspacesession.h"
#include "yamltextedit.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QPointer>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <functional>

using namespace tantra;
using tantra::test::whenDialogOpens;

namespace {

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(bytes) == bytes.size();
}

QString mambaConfigOf(const QString &root)
{
    return QDir(root).filePath(QStringLiteral("Config/mamba.yaml"));
}

// Rejects any message box that opens while `owner` lives and records its text: a question the
// test did not expect (say, "Set it up as a workspace?") fails the test instead of hanging it.
void rejectMessageBoxes(QObject *owner, QStringList *seen)
{
    auto *timer = new QTimer(owner);
    timer->setInterval(50);
    QObject::connect(timer, &QTimer::timeout, [seen] {
        if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
            seen->push_back(box->text());
            box->reject();
        }
    });
    timer->start();
}

} // namespace

class TestGuiWorkspaceSwitch : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void switchAsksAboutUnsavedEditors_data();
    void switchAsksAboutUnsavedEditors();
    void thePromptIsASaveDiscardCancelBox();
    void reopeningTheSameWorkspaceKeepsEditors();
    void settingUpAFolderAsksBeforeCreatingAnything_data();
    void settingUpAFolderAsksBeforeCreatingAnything();

private:
    struct Window
    {
        MainWindow window;
        WorkspaceController controller{&window};
    };
    // A window showing the first workspace, with mamba.yaml open in the editor (as Ctrl+E
    // does) and d_model changed to 96 in the form, not saved.
    ConfigEditor *openEditedMamba(Window &w);

    QTemporaryDir m_home;
    QString m_first;
    QString m_second;
    QString m_demo;
    QByteArray m_firstOriginal;
    QByteArray m_secondOriginal;
    QByteArray m_demoOriginal;
};

void TestGuiWorkspaceSwitch::initTestCase()
{
    QVERIFY(m_home.isValid());
    // Settings (the recent workspaces) and the demo workspace go to a throw-away home.
    qputenv("HOME", QFile::encodeName(m_home.path()));
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    QVERIFY2(QSettings().fileName().startsWith(m_home.path()), qPrintable(QSettings().fileName()));
    m_demo = WorkspaceController::demoPath();
    QVERIFY2(m_demo.startsWith(m_home.path()), qPrintable(m_demo));

    m_first = QDir(m_home.path()).filePath(QStringLiteral("first"));
    m_second = QDir(m_home.path()).filePath(QStringLiteral("second"));
    for (const QString &root : {m_first, m_second, m_demo}) {
        QVERIFY(QDir().mkpath(root));
        WeightManager manager{Workspace(root)};
        auto setup = manager.setup();
        QVERIFY2(setup.ok(), qPrintable(setup.ok() ? QString() : setup.errorString()));
    }
    m_firstOriginal = readFile(mambaConfigOf(m_first));
    QVERIFY(m_firstOriginal.contains("d_model: 128"));
    // The second workspace's config differs, so a write from the wrong editor would show.
    m_secondOriginal = QByteArray(m_firstOriginal).replace("d_model: 128", "d_model: 256");
    QVERIFY(writeFile(mambaConfigOf(m_second), m_secondOriginal));
    m_demoOriginal = readFile(mambaConfigOf(m_demo));
}

void TestGuiWorkspaceSwitch::init()
{
    QVERIFY(writeFile(mambaConfigOf(m_first), m_firstOriginal));
    QSettings settings;
    settings.clear();
    settings.setValue(QStringLiteral("workspaces/recent"), QStringList{m_second});
}

void TestGuiWorkspaceSwitch::cleanup()
{
    // A failed check must not leave a modal dialog for the next test.
    if (QWidget *modal = QApplication::activeModalWidget()) {
        if (auto *dialog = qobject_cast<QDialog *>(modal))
            dialog->reject();
    }
}

ConfigEditor *TestGuiWorkspaceSwitch::openEditedMamba(Window &w)
{
    w.window.resize(1200, 800);
    w.window.show();
    if (!QTest::qWaitForWindowExposed(&w.window))
        return nullptr;
    if (!w.controller.openWorkspace(m_first, false))
        return nullptr;
    w.controller.page()->selectType(QStringLiteral("mamba"));
    QAction *edit = w.controller.actions()->editConfig();
    if (edit->shortcut() != QKeySequence(QStringLiteral("Ctrl+E")) || !edit->isEnabled())
        return nullptr;
    edit->trigger();
    auto *editor = qobject_cast<ConfigEditor *>(w.window.pages()->currentWidget());
    if (!editor)
        return nullptr;
    auto *dModel = qobject_cast<QSpinBox *>(editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("d_model")));
    if (!dModel)
        return nullptr;
    dModel->setValue(96);
    editor->formPage()->commitPending();
    return editor;
}

void TestGuiWorkspaceSwitch::switchAsksAboutUnsavedEditors_data()
{
    QTest::addColumn<QString>("route");
    QTest::addColumn<int>("answer");
    const QStringList routes{QStringLiteral("recent workspaces"), QStringLiteral("open workspace dialog"),
                             QStringLiteral("drop of a workspace folder"), QStringLiteral("demo workspace")};
    const std::pair<const char *, QMessageBox::StandardButton> answers[] = {
        {"cancel", QMessageBox::Cancel}, {"discard", QMessageBox::Discard}, {"save", QMessageBox::Save}};
    for (const QString &route : routes) {
        for (const auto &[name, button] : answers)
            QTest::addRow("%s, %s", qPrintable(route), name) << route << int(button);
    }
}

void TestGuiWorkspaceSwitch::switchAsksAboutUnsavedEditors()
{
    QFETCH(QString, route);
    QFETCH(int, answer);
    const bool toDemo = route == QLatin1String("demo workspace");
    const QString target = toDemo ? m_demo : m_second;
    const QByteArray targetOriginal = toDemo ? m_demoOriginal : m_secondOriginal;

    Window w;
    QTabWidget *tabs = w.window.pages();
    QPointer<ConfigEditor> editor = openEditedMamba(w);
    QVERIFY(editor);
    QVERIFY(editor->isModified());
    QCOMPARE(tabs->tabText(tabs->indexOf(editor)), QStringLiteral("mamba.yaml*"));
    QCOMPARE(w.window.windowTitle(), QStringLiteral("mamba.yaml*"));
    // Which workspace's file the tab edits: its absolute path, always.
    QCOMPARE(tabs->tabToolTip(tabs->indexOf(editor)), QDir::toNativeSeparators(mambaConfigOf(m_first)));
    const QByteArray edited = editor->text().toUtf8();
    QVERIFY(edited.contains("d_model: 96"));
    QCOMPARE(readFile(mambaConfigOf(m_first)), m_firstOriginal);

    QStringList unexpected;
    rejectMessageBoxes(&w.window, &unexpected);
    int asked = 0;
    QString question;
    editor->setSaveQuestion([&](QWidget *, const QString &, const QString &text) {
        ++asked;
        question = text;
        return QMessageBox::StandardButton(answer);
    });

    if (route == QLatin1String("recent workspaces")) {
        auto *recent = w.window.findChild<QMenu *>(QStringLiteral("recentWorkspacesMenu"));
        QVERIFY(recent);
        QAction *entry = nullptr;
        for (QAction *a : recent->actions()) {
            if (a->text() == QDir::toNativeSeparators(target))
                entry = a;
        }
        QVERIFY2(entry, "the second workspace is not in Recent Workspaces");
        entry->trigger();
    } else if (route == QLatin1String("open workspace dialog")) {
        bool chosen = false;
        whenDialogOpens([&](QWidget *dialog) {
            auto *files = qobject_cast<QFileDialog *>(dialog);
            QVERIFY2(files, dialog->metaObject()->className());
            // As a user typing the path: the view's selection fills in asynchronously.
            files->setDirectory(target);
            auto *name = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
            QVERIFY(name);
            name->setText(target);
            QCOMPARE(files->selectedFiles(), QStringList{target});
            chosen = true;
            static_cast<QDialog *>(files)->accept(); // what the Choose button does
        });
        auto *open = w.window.findChild<QAction *>(QStringLiteral("openWorkspaceAction"));
        QVERIFY(open);
        open->trigger();
        QVERIFY(chosen);
    } else if (route == QLatin1String("drop of a workspace folder")) {
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(target)});
        QDragEnterEvent enter(QPoint(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w.window, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(50, 50), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&w.window, &drop);
    } else {
        auto *demo = w.window.findChild<QAction *>(QStringLiteral("openDemoAction"));
        QVERIFY(demo);
        demo->trigger();
    }

    QCOMPARE(unexpected, QStringList());
    QCOMPARE(asked, 1);
    QVERIFY2(question.contains(QStringLiteral("Opening another workspace closes this editor")), qPrintable(question));
    QVERIFY2(question.contains(QDir::toNativeSeparators(mambaConfigOf(m_first))), qPrintable(question));

    if (answer == QMessageBox::Cancel) {
        // Nothing happened: same workspace, the editor on screen with its edits.
        QCOMPARE(w.controller.session()->root(), m_first);
        QVERIFY(editor);
        QCOMPARE(tabs->currentWidget(), static_cast<QWidget *>(editor.data()));
        QVERIFY(editor->isModified());
        QCOMPARE(editor->text().toUtf8(), edited);
        QCOMPARE(readFile(mambaConfigOf(m_first)), m_firstOriginal);
        // The drop was the switch, not a model to browse: no tab besides workspace and editor.
        QCOMPARE(tabs->count(), 2);
        // Ctrl+S now saves where the editor says: the first workspace.
        w.window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&w.window));
        QWidget *dModel = editor->formPage()->editorFor(QStringLiteral("architecture"), QStringLiteral("d_model"));
        QVERIFY(dModel);
        dModel->setFocus();
        QTRY_VERIFY(dModel->hasFocus());
        QTest::keyClick(dModel, Qt::Key_S, Qt::ControlModifier);
        QVERIFY(!editor->isModified());
        QCOMPARE(readFile(mambaConfigOf(m_first)), edited);
    } else {
        // The new workspace is open and the old workspace's editor is gone.
        QCOMPARE(w.controller.session()->root(), target);
        QTRY_VERIFY(!editor);
        QCOMPARE(tabs->count(), 1);
        // The workspace tab and the window title name the workspace now open.
        QCOMPARE(tabs->tabText(0), QFileInfo(target).fileName());
        QCOMPARE(w.window.windowTitle(), QFileInfo(target).fileName());
        QCOMPARE(readFile(mambaConfigOf(m_first)), answer == QMessageBox::Save ? edited : m_firstOriginal);
    }
    // Whatever the answer, the other workspace's config is byte for byte what it was.
    QCOMPARE(readFile(mambaConfigOf(target)), targetOriginal);
}

void TestGuiWorkspaceSwitch::thePromptIsASaveDiscardCancelBox()
{
    // The real dialog, not the test hook: what the user sees when switching.
    Window w;
    QPointer<ConfigEditor> editor = openEditedMamba(w);
    QVERIFY(editor);
    w.window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w.window));
    bool seen = false;
    whenDialogOpens([&](QWidget *dialog) {
        auto *box = qobject_cast<QMessageBox *>(dialog);
        QVERIFY2(box, dialog->metaObject()->className());
        seen = true;
        QCOMPARE(box->standardButtons(), QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
        QCOMPARE(static_cast<QAbstractButton *>(box->defaultButton()), box->button(QMessageBox::Save));
        QVERIFY2(box->text().contains(QStringLiteral("workspace first")), qPrintable(box->text()));
        box->button(QMessageBox::Cancel)->click();
    });
    QVERIFY(!w.controller.openWorkspace(m_second));
    QVERIFY(seen);
    QCOMPARE(w.controller.session()->root(), m_first);
    QVERIFY(editor && editor->isModified());
    QCOMPARE(readFile(mambaConfigOf(m_second)), m_secondOriginal);
    // The keyboard is back in the window: its shortcuts work without a click first.
    QTRY_VERIFY(w.window.isActiveWindow());
}

void TestGuiWorkspaceSwitch::reopeningTheSameWorkspaceKeepsEditors()
{
    Window w;
    QPointer<ConfigEditor> editor = openEditedMamba(w);
    QVERIFY(editor);
    int asked = 0;
    editor->setSaveQuestion([&](QWidget *, const QString &, const QString &) {
        ++asked;
        return QMessageBox::Cancel;
    });
    // Through another spelling of the same folder: not a switch.
    QVERIFY(w.controller.openWorkspace(m_first + QStringLiteral("/./"), false));
    QCOMPARE(asked, 0);
    QVERIFY(editor && editor->isModified());
    QVERIFY(w.window.pages()->indexOf(editor) >= 0);
}

void TestGuiWorkspaceSwitch::settingUpAFolderAsksBeforeCreatingAnything_data()
{
    QTest::addColumn<QString>("route");
    QTest::addColumn<int>("answer");
    QTest::newRow("new folder, cancel") << QStringLiteral("folder") << int(QMessageBox::Cancel);
    QTest::newRow("new folder, discard") << QStringLiteral("folder") << int(QMessageBox::Discard);
    QTest::newRow("demo not created yet, cancel") << QStringLiteral("demo") << int(QMessageBox::Cancel);
}

void TestGuiWorkspaceSwitch::settingUpAFolderAsksBeforeCreatingAnything()
{
    QFETCH(QString, route);
    QFETCH(int, answer);
    const bool demo = route == QLatin1String("demo");
    QTemporaryDir scratch;
    QVERIFY(scratch.isValid());
    // The demo is created where demoPath() says; move the existing one aside meanwhile.
    const QString demoAside = m_demo + QStringLiteral(".aside");
    if (demo)
        QVERIFY(QDir().rename(m_demo, demoAside));
    const QString target = demo ? m_demo : scratch.filePath(QStringLiteral("fresh"));
    if (!demo)
        QVERIFY(QDir().mkpath(target));

    Window w;
    QPointer<ConfigEditor> editor = openEditedMamba(w);
    QVERIFY(editor);
    int asked = 0;
    editor->setSaveQuestion([&](QWidget *, const QString &, const QString &) {
        ++asked;
        return QMessageBox::StandardButton(answer);
    });
    if (demo) {
        w.window.findChild<QAction *>(QStringLiteral("openDemoAction"))->trigger();
    } else {
        // "Set it up as a workspace?" Yes; then the editors are asked, before any file is made.
        whenDialogOpens([](QWidget *dialog) {
            if (auto *box = qobject_cast<QMessageBox *>(dialog))
                box->button(QMessageBox::Yes)->click();
        });
        QVERIFY(!w.controller.openWorkspace(target));
    }
    QCOMPARE(asked, 1);
    if (answer == QMessageBox::Cancel) {
        QVERIFY(!QFileInfo::exists(QDir(target).filePath(QStringLiteral("Config"))));
        QCOMPARE(w.controller.session()->root(), m_first);
        QVERIFY(editor && editor->isModified());
    } else {
        QTRY_COMPARE_WITH_TIMEOUT(w.controller.session()->root(), target, 30000);
        QVERIFY(!editor);
        QCOMPARE(readFile(mambaConfigOf(m_first)), m_firstOriginal);
    }
    if (demo) {
        QDir(m_demo).removeRecursively();
        QVERIFY(QDir().rename(demoAside, m_demo));
    }
}

QTEST_MAIN(TestGuiWorkspaceSwitch)
#include "tst_gui_workspaceswitch.moc"
