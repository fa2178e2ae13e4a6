// The Remotes page: one remote's weights beside the workspace's own, Push and Pull as jobs,
// Add Remote, and what the page says when the remote or remotes.json is broken. The push and
// pull rows run against a real Ceph RADOS Gateway (tests/s3/rgw.sh), as tst_remote does; the
// rest needs no server.
#include "guitestutil.h"
#include "jobrunner.h"
#include "jobspanel.h"
#include "remotestore.h"
#include "mainwindow.h"
#include "remoteactions.h"
#include "remotedialog.h"
#include "remotelist.h"
#include "remotepage.h"
#include "remoteweightmodel.h"
#include "rgwserver.h"
#include "s3client.h"
#include "sha256.h"
#include "testutil.h"
#include "weightmanager.h"
#include "weighttablemodel.h"
#include "workspace.h"
#include "workspacecontroller.h"
#include "workspacepage.h"
#include "workspacesession.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QTabWidget>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace tantra;
using tantra::test::whenDialogOpens;

namespace {

using Where = RemoteWeightModel::Where;

// A port on 127.0.0.1 that nothing listens on now (9, discard, may be served).
int closedPort()
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    int port = 9;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0
        && ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) == 0)
        port = ntohs(address.sin_port);
    if (fd >= 0)
        ::close(fd);
    return port;
}

// A path-style remote: `address` (s3://bucket/prefix) served at `endpoint`.
Remote remoteAt(const QString &name, const QString &address, const QString &endpoint)
{
    Remote remote;
    remote.name = name;
    if (!parseS3Url(address, remote))
        qWarning("not an s3:// address: %s", qPrintable(address)); // the add that follows fails
    remote.endpoint = endpoint;
    remote.pathStyle = true;
    return remote;
}

WeightEntry entry(const QString &name, const QString &sha, quint64 size = 100)
{
    WeightEntry e;
    e.name = name;
    e.modelType = name.section(QLatin1Char('_'), 0, 0);
    e.version = name.section(QLatin1Char('_'), 1);
    e.sha256 = sha;
    e.size = size;
    return e;
}

// "name=sha,name=sha": entries for a side of the comparison.
std::vector<WeightEntry> entries(const QString &list)
{
    std::vector<WeightEntry> out;
    for (const QString &item : list.split(QLatin1Char(','), Qt::SkipEmptyParts))
        out.push_back(entry(item.section(QLatin1Char('='), 0, 0), item.section(QLatin1Char('='), 1)));
    return out;
}

// The mamba sample with one byte of its last tensor's data changed: the same shapes, other
// bytes, so another SHA-256.
QByteArray alteredSample(const QString &root)
{
    QFile file(QDir(root).filePath(QStringLiteral("Model/weights/mamba_sample.safetensors")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QByteArray bytes = file.readAll();
    bytes[bytes.size() - 4] = char(bytes[bytes.size() - 4] ^ 0x01); // a float's lowest mantissa bit
    return bytes;
}

bool addVersion(const QString &root, const QString &version, const QByteArray &bytes)
{
    WeightManager manager{Workspace(root)};
    auto added = manager.addDerivedVersion(QStringLiteral("mamba"), version, false, false, QStringLiteral("test"), [&](const QString &path) -> Status {
        QFile out(path);
        if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size())
            return makeError(path, QStringLiteral("cannot write"));
        return {};
    });
    if (!added)
        qWarning("%s", qPrintable(added.errorString()));
    return added.ok();
}

} // namespace

// Skips where the gateway is not installed (unless TANTRA_REQUIRE_S3 is set, as in CI) and fails
// where it would not start. A macro: QSKIP and QFAIL return from the test function itself.
#define REQUIRE_SERVER()                                                                                                   \
    do {                                                                                                                   \
        if (!startServer()) {                                                                                              \
            if (m_serverMissing && qEnvironmentVariableIsEmpty("TANTRA_REQUIRE_S3"))                                       \
                QSKIP("Ceph's RADOS Gateway is not installed (apt-get install ceph-mon ceph-osd radosgw ceph-common): "   \
                      "push and pull need a real server");                                                                 \
            QFAIL(qPrintable(QStringLiteral("the S3 test server: ") + m_serverProblem));                                   \
        }                                                                                                                  \
    } while (false)

class TestGuiRemote : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void merge_data();
    void merge();
    void modelStaysConsistent();
    void dialogSaysWhatIsWrong_data();
    void dialogSaysWhatIsWrong();
    void brokenRemotesFileIsShownNotRewritten_data();
    void brokenRemotesFileIsShownNotRewritten();
    void unreachableServerIsNamed();
    void addRemoteFromThePage();
    void pushThenPullOnAnotherMachine();
    void cancelledPullChangesNothingAndContinues();

private:
    // A MainWindow with the workspace at `root` open and its Remotes page in front.
    struct App
    {
        MainWindow window;
        WorkspaceController controller{&window};
    };
    RemotePage *openRemotes(App &app, const QString &root);
    bool startServer(); // false: skipped or failed (REQUIRE_SERVER says which)
    // A remote named `name` on the test server, under a prefix of its own beginning with `stem`.
    Remote serverRemote(const QString &name, const QString &stem) const
    {
        return remoteAt(name, QStringLiteral("s3://%1/%2%3").arg(m_server.endpoint.bucket, stem).arg(QRandomGenerator::global()->generate() % 100000),
                        m_server.endpoint.endpoint);
    }

    QTemporaryDir m_dir;
    test::RgwServer m_server;
    bool m_serverStarted = false;
    QString m_serverProblem;
    bool m_serverMissing = false;
    int m_roots = 0;
};

void TestGuiRemote::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QSettings().clear();
    QVERIFY(m_dir.isValid());
    // The keys the tests set are the only ones: not a developer's session token or profile.
    for (const char *name : {"AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})
        qunsetenv(name);
    qputenv("AWS_SHARED_CREDENTIALS_FILE", QFile::encodeName(m_dir.filePath(QStringLiteral("no-credentials"))));
    qputenv("AWS_CONFIG_FILE", QFile::encodeName(m_dir.filePath(QStringLiteral("no-config"))));
}

bool TestGuiRemote::startServer()
{
    if (m_serverStarted)
        return true;
    if (!m_serverProblem.isEmpty())
        return false;
    const auto state = m_server.start(m_dir.filePath(QStringLiteral("rgw")), &m_serverProblem);
    m_serverMissing = state == test::RgwServer::State::Missing;
    m_serverStarted = state == test::RgwServer::State::Running;
    if (m_serverStarted) {
        // The page signs with what every S3 tool reads: the environment.
        qputenv("AWS_ACCESS_KEY_ID", m_server.credentials.accessKey.toUtf8());
        qputenv("AWS_SECRET_ACCESS_KEY", m_server.credentials.secretKey.toUtf8());
    }
    return m_serverStarted;
}

RemotePage *TestGuiRemote::openRemotes(App &app, const QString &root)
{
    app.window.show();
    if (!QTest::qWaitForWindowExposed(&app.window) || !app.controller.openWorkspace(root, false))
        return nullptr;
    app.controller.openRemotes();
    return app.controller.remotePage();
}

void TestGuiRemote::merge_data()
{
    QTest::addColumn<QString>("remote");
    QTest::addColumn<QString>("local");
    QTest::addColumn<QString>("expected"); // name=where, in name order

    const QString a(64, QLatin1Char('a'));
    const QString b(64, QLatin1Char('b'));
    QTest::newRow("nothing anywhere") << QString() << QString() << QString();
    QTest::newRow("remote only") << QStringLiteral("mamba_v1=%1").arg(a) << QString() << QStringLiteral("mamba_v1=remote");
    QTest::newRow("local only") << QString() << QStringLiteral("mamba_v1=%1").arg(a) << QStringLiteral("mamba_v1=local");
    QTest::newRow("the same file") << QStringLiteral("mamba_v1=%1").arg(a) << QStringLiteral("mamba_v1=%1").arg(a) << QStringLiteral("mamba_v1=both");
    QTest::newRow("hex case does not matter") << QStringLiteral("mamba_v1=%1").arg(a.toUpper()) << QStringLiteral("mamba_v1=%1").arg(a)
                                              << QStringLiteral("mamba_v1=both");
    QTest::newRow("one name, other bytes") << QStringLiteral("mamba_v1=%1").arg(a) << QStringLiteral("mamba_v1=%1").arg(b)
                                           << QStringLiteral("mamba_v1=differs");
    QTest::newRow("the same bytes under two names") << QStringLiteral("mamba_v1=%1").arg(a) << QStringLiteral("mamba_v2=%1").arg(a)
                                                    << QStringLiteral("mamba_v1=remote,mamba_v2=local");
    QTest::newRow("all four") << QStringLiteral("a_1=%1,b_1=%1,c_1=%1").arg(a) << QStringLiteral("b_1=%1,c_1=%2,d_1=%1").arg(a, b)
                              << QStringLiteral("a_1=remote,b_1=both,c_1=differs,d_1=local");
}

void TestGuiRemote::merge()
{
    QFETCH(QString, remote);
    QFETCH(QString, local);
    QFETCH(QString, expected);
    std::vector<RemoteWeight> remoteWeights;
    for (WeightEntry &e : entries(remote)) {
        RemoteWeight w;
        w.entry = e;
        w.pushedBy = QStringLiteral("someone@elsewhere");
        remoteWeights.push_back(w);
    }
    RegistryData registry;
    for (WeightEntry &e : entries(local))
        registry.weights[e.name] = e;
    const auto rows = RemoteWeightModel::merge(remoteWeights, registry);
    static const char *const words[] = {"differs", "remote", "local", "both"};
    QStringList got;
    for (const auto &row : rows)
        got << row.entry.name + QLatin1Char('=') + QLatin1String(words[int(row.where)]);
    QCOMPARE(got.join(QLatin1Char(',')), expected);
    for (const auto &row : rows) {
        // Who pushed a weight is the remote's to say; a local-only row has no one.
        QCOMPARE(row.pushedBy.isEmpty(), row.where == Where::LocalOnly);
    }
}

void TestGuiRemote::modelStaysConsistent()
{
    RemoteWeightModel model;
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    std::vector<RemoteWeight> remote(2);
    remote[0].entry = entry(QStringLiteral("mamba_big"), QString(64, QLatin1Char('a')), 10ull << 30);
    remote[1].entry = entry(QStringLiteral("mamba_small"), QString(64, QLatin1Char('b')), 9ull << 20);
    RegistryData local;
    local.weights[QStringLiteral("ocr_v1")] = entry(QStringLiteral("ocr_v1"), QString(64, QLatin1Char('c')), 100ull << 20);
    local.active[QStringLiteral("ocr")] = QStringLiteral("ocr_v1");
    model.setRows(RemoteWeightModel::merge(remote, local));
    QCOMPARE(model.rowCount(), 3);
    model.setRows({});
    QCOMPARE(model.rowCount(), 0);
    model.setRows(RemoteWeightModel::merge(remote, local));

    // Sizes sort as numbers (10 GiB after 100 MiB), not as their text ("10.0 GiB" < "9.0 MiB").
    QSortFilterProxyModel proxy;
    proxy.setSourceModel(&model);
    proxy.setSortRole(RemoteWeightModel::SortRole);
    proxy.sort(RemoteWeightModel::SizeColumn, Qt::AscendingOrder);
    QStringList order;
    for (int r = 0; r < proxy.rowCount(); ++r)
        order << proxy.index(r, 0).data(RemoteWeightModel::NameRole).toString();
    QCOMPARE(order, (QStringList{QStringLiteral("mamba_small"), QStringLiteral("ocr_v1"), QStringLiteral("mamba_big")}));
    // What needs the user sorts first: the remote-only rows before the local-only one.
    proxy.sort(RemoteWeightModel::WhereColumn, Qt::AscendingOrder);
    QCOMPARE(proxy.index(2, 0).data(RemoteWeightModel::NameRole).toString(), QStringLiteral("ocr_v1"));
    const int ocr = model.rowOf(QStringLiteral("ocr_v1"));
    QCOMPARE(model.index(ocr, RemoteWeightModel::WhereColumn).data().toString(), QStringLiteral("local only"));
    QVERIFY(model.index(ocr, 0).data(Qt::FontRole).value<QFont>().bold()); // the active weight, as in the weights table
}

void TestGuiRemote::dialogSaysWhatIsWrong_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("endpoint");
    QTest::addColumn<QString>("problem"); // a part of the line under the form; empty: OK is enabled

    const QString ok = QStringLiteral("http://127.0.0.1:7480");
    QTest::newRow("valid") << "team" << "s3://weights/models" << ok << QString();
    QTest::newRow("valid, no prefix") << "team" << "s3://weights" << ok << QString();
    QTest::newRow("empty") << "" << "" << "" << "Name the remote";
    QTest::newRow("name with a slash") << "../team" << "s3://weights" << ok << "remote name";
    QTest::newRow("not s3://") << "team" << "https://weights" << ok << "not an s3://BUCKET/PREFIX address";
    QTest::newRow("bucket in capitals") << "team" << "s3://Weights" << ok << "not a valid bucket name";
    QTest::newRow("prefix climbing out") << "team" << "s3://weights/a/../b" << ok << "each part of the prefix";
    QTest::newRow("endpoint not http") << "team" << "s3://weights" << "ftp://host" << "not an http:// or https:// address";
    QTest::newRow("endpoint with a password") << "team" << "s3://weights" << "http://user:pw@host" << "not an http:// or https:// address";
}

void TestGuiRemote::dialogSaysWhatIsWrong()
{
    QFETCH(QString, name);
    QFETCH(QString, url);
    QFETCH(QString, endpoint);
    QFETCH(QString, problem);
    RemoteDialog dialog;
    dialog.nameEdit()->setText(name);
    dialog.urlEdit()->setText(url);
    dialog.endpointEdit()->setText(endpoint);
    QPushButton *ok = dialog.buttons()->button(QDialogButtonBox::Ok);
    QCOMPARE(ok->isEnabled(), problem.isEmpty());
    if (problem.isEmpty()) {
        QVERIFY(dialog.problem()->text().isEmpty());
        QVERIFY(checkRemote(dialog.remote()).ok());
        QCOMPARE(dialog.remote().url(), url);
    } else {
        QVERIFY2(dialog.problem()->text().contains(problem), qPrintable(dialog.problem()->text()));
    }
}

void TestGuiRemote::brokenRemotesFileIsShownNotRewritten_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("problem");
    QTest::newRow("not JSON") << QByteArray("{\"remotes\": {") << QStringLiteral("not valid JSON");
    QTest::newRow("remotes not an object") << QByteArray("{\"remotes\": []}") << QStringLiteral("must be an object of remotes");
    QTest::newRow("bad url") << QByteArray(R"({"remotes": {"team": {"url": "s3://../x", "endpoint": "http://h"}}})")
                             << QStringLiteral("remotes.team.url");
}

void TestGuiRemote::brokenRemotesFileIsShownNotRewritten()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, problem);
    const QString root = m_dir.filePath(QStringLiteral("broken%1").arg(++m_roots));
    test::makeWorkspace(root);
    const QString path = QDir(root).filePath(QStringLiteral("Model/remotes.json"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(content);
    }
    App app;
    RemotePage *page = openRemotes(app, root);
    QVERIFY(page);
    QVERIFY(page->banner()->isVisible());
    QVERIFY2(page->banner()->text().contains(path) && page->banner()->text().contains(problem), qPrintable(page->banner()->text()));
    // Adding beside a broken entry would hide it: the page does not offer to.
    QVERIFY(!page->findChild<QWidget *>(QStringLiteral("addRemote"))->isEnabled());
    QCOMPARE(page->model()->rowCount(), 0);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), content);
}

void TestGuiRemote::unreachableServerIsNamed()
{
    // A port nobody listens on: the listing fails (after its retries) and says so in the page,
    // with no dialog over the window.
    const QString root = m_dir.filePath(QStringLiteral("unreachable"));
    test::makeWorkspace(root);
    const Remote remote = remoteAt(QStringLiteral("gone"), QStringLiteral("s3://weights/team"), QStringLiteral("http://127.0.0.1:%1").arg(closedPort()));
    QVERIFY(RemoteList(Workspace(root)).add(remote).ok());
    if (!m_serverStarted) {
        qputenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE");
        qputenv("AWS_SECRET_ACCESS_KEY", "secret");
    }
    App app;
    RemotePage *page = openRemotes(app, root);
    QVERIFY(page);
    QCOMPARE(page->currentRemote(), QStringLiteral("gone"));
    QVERIFY(page->summary()->text().contains(QStringLiteral("Reading the manifests on gone")));
    QTRY_VERIFY_WITH_TIMEOUT(!page->isListing(), 60000);
    QVERIFY(page->banner()->isVisible());
    QVERIFY2(page->banner()->text().startsWith(QStringLiteral("Could not list the weights on gone: ")), qPrintable(page->banner()->text()));
    QVERIFY2(page->banner()->text().contains(remote.endpoint), qPrintable(page->banner()->text()));
    // Server text is shown as it is: markup in an error page would otherwise be rendered.
    QCOMPARE(page->banner()->textFormat(), Qt::PlainText);
    QVERIFY(!QApplication::activeModalWidget());
    QCOMPARE(page->model()->rowCount(), 0);
    QCOMPARE(page->summary()->text(), QStringLiteral("Nothing listed."));
}

void TestGuiRemote::addRemoteFromThePage()
{
    const QString root = m_dir.filePath(QStringLiteral("adding"));
    test::makeWorkspace(root);
    App app;
    RemotePage *page = openRemotes(app, root);
    QVERIFY(page);
    QCOMPARE(page->remoteChooser()->count(), 0);
    QVERIFY(page->summary()->text().contains(QStringLiteral("No remote yet")));
    // The first try names a taken name (one another tool added meanwhile): the page says so and
    // opens the form again, filled in, for the user to correct.
    const Remote other = remoteAt(QStringLiteral("team"), QStringLiteral("s3://other"), QStringLiteral("http://127.0.0.1:9"));
    int dialogs = 0;
    std::function<void(QWidget *)> fill = [&](QWidget *w) {
        auto *dialog = qobject_cast<RemoteDialog *>(w);
        QVERIFY(dialog);
        ++dialogs;
        if (dialogs == 1) {
            QVERIFY(RemoteList(Workspace(root)).add(other).ok());
            dialog->nameEdit()->setText(QStringLiteral("team"));
            dialog->urlEdit()->setText(QStringLiteral("s3://weights/models"));
            dialog->endpointEdit()->setText(QStringLiteral("http://127.0.0.1:9"));
            whenDialogOpens([&](QWidget *box) {
                auto *message = qobject_cast<QMessageBox *>(box);
                QVERIFY(message);
                QVERIFY2(message->text().contains(QStringLiteral("exists already")), qPrintable(message->text()));
                whenDialogOpens(fill);
                message->accept();
            });
        } else {
            QCOMPARE(dialog->urlEdit()->text(), QStringLiteral("s3://weights/models"));
            dialog->nameEdit()->setText(QStringLiteral("team2"));
        }
        dialog->buttons()->button(QDialogButtonBox::Ok)->click();
    };
    whenDialogOpens(fill);
    page->findChild<QToolButton *>(QStringLiteral("addRemote"))->click();
    QTRY_COMPARE(dialogs, 2);
    QTRY_COMPARE(page->remoteChooser()->count(), 2);
    QCOMPARE(page->currentRemote(), QStringLiteral("team2"));
    auto remotes = RemoteList(Workspace(root)).find(QStringLiteral("team2"));
    QVERIFY(remotes);
    QCOMPARE(remotes->url(), QStringLiteral("s3://weights/models"));
    QVERIFY(remotes->pathStyle);
    auto first = RemoteList(Workspace(root)).find(QStringLiteral("team"));
    QVERIFY(first);
    QCOMPARE(first->url(), QStringLiteral("s3://other")); // the refused add changed nothing
}

void TestGuiRemote::pushThenPullOnAnotherMachine()
{
    REQUIRE_SERVER();
    // Two workspaces made alike (the same samples), then apart: A gets mamba_v9, B another
    // file under the name mamba_v8 that A also has.
    const QString a = m_dir.filePath(QStringLiteral("machineA"));
    const QString b = m_dir.filePath(QStringLiteral("machineB"));
    test::makeWorkspace(a);
    test::makeWorkspace(b);
    const QByteArray v9 = alteredSample(a);
    QVERIFY(!v9.isEmpty());
    QVERIFY(addVersion(a, QStringLiteral("v9"), v9));
    QByteArray v8a = v9;
    v8a[v8a.size() - 8] = char(v8a[v8a.size() - 8] ^ 0x01);
    QByteArray v8b = v9;
    v8b[v8b.size() - 12] = char(v8b[v8b.size() - 12] ^ 0x01);
    QVERIFY(addVersion(a, QStringLiteral("v8"), v8a));
    QVERIFY(addVersion(b, QStringLiteral("v8"), v8b));
    const Remote remote = serverRemote(QStringLiteral("team"), QStringLiteral("gui"));
    for (const QString &root : {a, b})
        QVERIFY(RemoteList(Workspace(root)).add(remote).ok());

    const auto whereOf = [](RemotePage *page, const QString &name) {
        const RemoteWeightModel::Row *row = page->model()->rowFor(name);
        return row ? int(row->where) : -1;
    };
    {
        App app;
        RemotePage *page = openRemotes(app, a);
        QVERIFY(page);
        QTRY_VERIFY_WITH_TIMEOUT(!page->isListing(), 30000);
        QVERIFY2(!page->banner()->isVisible(), qPrintable(page->banner()->text()));
        // An empty remote: every local weight is local only, and nothing can be pulled.
        QCOMPARE(page->model()->rowCount(), 5);
        QCOMPARE(whereOf(page, QStringLiteral("mamba_v9")), int(Where::LocalOnly));
        // Weight › Push to Remote… from the weights table: the Remotes page, that weight selected.
        app.window.pages()->setCurrentWidget(app.controller.page());
        app.controller.page()->selectType(QStringLiteral("mamba"));
        app.controller.page()->selectWeight(QStringLiteral("mamba_v9"));
        auto *pushTo = app.window.findChild<QAction *>(QStringLiteral("pushToRemoteAction"));
        QVERIFY(pushTo);
        pushTo->trigger();
        QCOMPARE(app.window.pages()->currentWidget(), page);
        QCOMPARE(page->selectedWeights(), QStringList{QStringLiteral("mamba_v9")});
        QVERIFY(page->pushButton()->isEnabled());
        // A push that fails (the key was revoked since the listing): one message, no dialog
        // blocking the window, and Push offered again.
        {
            QSignalSpy ended(app.controller.jobs(), &JobRunner::jobEnded);
            qputenv("AWS_SECRET_ACCESS_KEY", "revoked");
            page->pushButton()->click();
            QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 60000);
            qputenv("AWS_SECRET_ACCESS_KEY", m_server.credentials.secretKey.toUtf8());
            QMessageBox *box = app.controller.remoteActions()->failureBox();
            QVERIFY(box && box->isVisible());
            QCOMPARE(box->textFormat(), Qt::PlainText);
            QVERIFY2(box->text().startsWith(QStringLiteral("Could not push mamba_v9 to team")) && box->text().contains(QStringLiteral("access denied")),
                     qPrintable(box->text()));
            QVERIFY(page->pushButton()->isEnabled());
            box->accept();
            QTRY_VERIFY(!app.controller.remoteActions()->failureBox());
            QTRY_VERIFY_WITH_TIMEOUT(!page->isListing(), 30000);
            QCOMPARE(whereOf(page, QStringLiteral("mamba_v9")), int(Where::LocalOnly));
        }
        QVERIFY(!page->pullButton()->isEnabled());
        page->view()->selectAll();
        QVERIFY(page->pushButton()->isEnabled());
        // Push all five as jobs, each in the jobs panel; the button is off while they run.
        QSignalSpy ended(app.controller.jobs(), &JobRunner::jobEnded);
        page->pushButton()->click();
        QVERIFY(!page->pushButton()->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 5, 60000);
        for (const auto &call : ended)
            QVERIFY2(call.at(0).toString().startsWith(QStringLiteral("Pushing ")) && !call.at(1).toBool(), qPrintable(call.at(0).toString()));
        QTRY_VERIFY_WITH_TIMEOUT(!page->isListing() && whereOf(page, QStringLiteral("mamba_v9")) == int(Where::Both), 30000);
        for (const auto &row : page->model()->rows())
            QCOMPARE(int(row.where), int(Where::Both));
        QVERIFY(page->summary()->text().startsWith(QStringLiteral("5 weights on team")));
        QVERIFY(!page->pushButton()->isEnabled()); // nothing left to push
    }
    App app;
    RemotePage *page = openRemotes(app, b);
    QVERIFY(page);
    QTRY_VERIFY_WITH_TIMEOUT(!page->isListing() && page->model()->rowCount() > 0, 30000);
    // A manifest another tool broke: named above the table, the other weights still listed.
    const QByteArray broken("{\"schema_version\": 99");
    QVERIFY(S3Client(remote.s3Endpoint(), m_server.credentials)
                    .put(remote.prefix + QStringLiteral("weights/mamba_v7.json"), test::bytesOf(broken), sha256Hex(test::bytesOf(broken)))
                    .ok());
    page->refresh();
    QTRY_VERIFY_WITH_TIMEOUT(!page->isListing() && page->banner()->isVisible(), 30000);
    QVERIFY2(page->banner()->text().startsWith(QStringLiteral("1 manifest on team could not be read (not shown):\n")), qPrintable(page->banner()->text()));
    QVERIFY2(page->banner()->text().contains(QStringLiteral("weights/mamba_v7.json")), qPrintable(page->banner()->text()));
    QCOMPARE(page->model()->rowCount(), 5);
    QVERIFY(S3Client(remote.s3Endpoint(), m_server.credentials).remove(remote.prefix + QStringLiteral("weights/mamba_v7.json")).ok());
    page->refresh();
    QTRY_VERIFY_WITH_TIMEOUT(!page->isListing() && !page->banner()->isVisible(), 30000);
    // The samples are the same bytes on both machines; v9 is A's alone; v8 is a clash.
    QCOMPARE(whereOf(page, QStringLiteral("mamba_sample")), int(Where::Both));
    QCOMPARE(whereOf(page, QStringLiteral("mamba_v9")), int(Where::RemoteOnly));
    QCOMPARE(whereOf(page, QStringLiteral("mamba_v8")), int(Where::Differs));
    page->selectWeight(QStringLiteral("mamba_v8"));
    QVERIFY(!page->pushButton()->isEnabled());
    QVERIFY(!page->pullButton()->isEnabled());
    const QModelIndex v8 = page->view()->selectionModel()->selectedRows(RemoteWeightModel::WhereColumn).value(0);
    QVERIFY(v8.data(Qt::ToolTipRole).toString().contains(QStringLiteral("Neither push nor pull replaces a weight")));

    // Several rows: Pull takes what can be pulled, Pull and Activate is off (with several, the
    // one that finished last would end up active).
    page->view()->selectAll();
    QVERIFY(page->pullButton()->isEnabled());
    QVERIFY(!page->pullActivateButton()->isEnabled());

    // Another remote chosen: the rows of this one do not stand under its name meanwhile.
    Remote gone = remote;
    gone.name = QStringLiteral("gone");
    gone.endpoint = QStringLiteral("http://127.0.0.1:%1").arg(closedPort());
    QVERIFY(RemoteList(Workspace(b)).add(gone).ok());
    page->refresh();
    page->selectRemote(QStringLiteral("gone"));
    QCOMPARE(page->model()->rowCount(), 0);
    QVERIFY(!page->pushButton()->isEnabled() && !page->pullButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(page->banner()->isVisible(), 60000);
    page->selectRemote(QStringLiteral("team"));
    QTRY_VERIFY_WITH_TIMEOUT(!page->isListing() && page->model()->rowCount() == 5, 30000);
    QVERIFY(!page->banner()->isVisible());

    page->selectWeight(QStringLiteral("mamba_v9"));
    QVERIFY(page->pullActivateButton()->isEnabled());
    QSignalSpy ended(app.controller.jobs(), &JobRunner::jobEnded);
    page->pullActivateButton()->click();
    QVERIFY(!page->pullButton()->isEnabled()); // no second pull of the same weight
    QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 60000);
    QCOMPARE(ended.first().at(1).toBool(), false);
    QVERIFY(!app.controller.remoteActions()->failureBox());
    QTRY_VERIFY_WITH_TIMEOUT(whereOf(page, QStringLiteral("mamba_v9")) == int(Where::Both), 30000);
    // Registered, active, verified on the way in, and in the weights table, selected.
    WorkspaceSession *session = app.controller.session();
    const WeightEntry *pulled = session->registry().find(QStringLiteral("mamba_v9"));
    QVERIFY(pulled);
    QCOMPARE(session->registry().activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_v9"));
    QCOMPARE(session->checksumState(QStringLiteral("mamba_v9")), ChecksumState::Verified);
    QFile file(Workspace(b).absolutePath(pulled->path));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), v9);
    QCOMPARE(app.controller.page()->currentType(), QStringLiteral("mamba"));
    QCOMPARE(app.controller.page()->selectedWeights(), QStringList{QStringLiteral("mamba_v9")});
    QVERIFY(app.controller.page()->weightModel()->rowFor(QStringLiteral("mamba_v9")));
}

// Cancel from the jobs panel, as a user does: the weight is not registered, Pull is offered
// again, and pulling again finishes from the partial file.
void TestGuiRemote::cancelledPullChangesNothingAndContinues()
{
    REQUIRE_SERVER();
    const QString a = m_dir.filePath(QStringLiteral("bigA"));
    const QString b = m_dir.filePath(QStringLiteral("bigB"));
    test::makeWorkspace(a);
    test::makeWorkspace(b);
    // Five 64 MiB ranges, four in flight: the job is still running when the first reports.
    const qsizetype bytes = qsizetype(4 * RemoteStore::kPartBytes + (8 << 20));
    QByteArray data = test::randomBytes(bytes, 7);
    for (qsizetype i = 3; i < data.size(); i += 4)
        data[i] = char(data[i] & 0x3f); // finite floats
    const QByteArray file = test::safetensorsBytes(
            QStringLiteral(R"({"w":{"dtype":"F32","shape":[%1],"data_offsets":[0,%2]}})").arg(bytes / 4).arg(bytes).toUtf8(), data);
    data.clear();
    {
        WeightManager manager{Workspace(a)};
        ImportRequest request;
        request.source = test::writeBytes(m_dir.filePath(QStringLiteral("big.safetensors")), file);
        request.modelType = QStringLiteral("lm");
        request.version = QStringLiteral("v1");
        request.createType = true;
        request.move = true;
        QVERIFY(manager.importWeight(request).ok());
        const Remote remote = serverRemote(QStringLiteral("team"), QStringLiteral("big"));
        QVERIFY(RemoteStore(remote, m_server.credentials).push(manager, QStringLiteral("lm_v1")).ok());
        QVERIFY(RemoteList(Workspace(b)).add(remote).ok());
    }
    App app;
    RemotePage *page = openRemotes(app, b);
    QVERIFY(page);
    QTRY_VERIFY_WITH_TIMEOUT(!page->isListing() && page->model()->rowFor(QStringLiteral("lm_v1")), 30000);
    page->selectWeight(QStringLiteral("lm_v1"));
    QSignalSpy ended(app.controller.jobs(), &JobRunner::jobEnded);
    page->pullButton()->click();
    // Cancelled once the first range is listed as finished (the job's first progress may come
    // from before the download, when there is no partial file yet to continue from).
    const QString sha = sha256Hex(test::bytesOf(file));
    const QString partial = Workspace(b).absolutePath(QStringLiteral("Model/.pull/%1.partial").arg(sha));
    const QString ranges = Workspace(b).absolutePath(QStringLiteral("Model/.pull/%1.ranges").arg(sha));
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo(ranges).size() > 0 || !ended.isEmpty(), 60000);
    QVERIFY2(ended.isEmpty(), "the pull ended before its first range was listed");
    QToolButton *cancel = nullptr;
    for (QToolButton *button : app.controller.jobsPanel()->findChildren<QToolButton *>())
        if (button->toolTip() == QStringLiteral("Cancel Pulling lm_v1 from team"))
            cancel = button;
    QVERIFY(cancel);
    cancel->click();
    QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 60000);
    QCOMPARE(ended.first().at(1).toBool(), true);
    QVERIFY(app.window.statusBar()->currentMessage().contains(QStringLiteral("cancelled; nothing was changed")));
    QVERIFY(!WeightManager(Workspace(b)).snapshot()->find(QStringLiteral("lm_v1")));
    QVERIFY(!QApplication::activeModalWidget()); // a cancel is not an error
    QVERIFY(QFileInfo::exists(partial));
    QVERIFY(page->pullButton()->isEnabled());

    page->pullButton()->click();
    QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 2, 60000);
    QCOMPARE(ended.last().at(1).toBool(), false);
    QTRY_VERIFY(page->model()->rowFor(QStringLiteral("lm_v1"))->where == Where::Both);
    const WeightEntry *pulled = app.controller.session()->registry().find(QStringLiteral("lm_v1"));
    QVERIFY(pulled);
    QCOMPARE(pulled->sha256, sha256Hex(test::bytesOf(file)));
    QVERIFY(!QFileInfo::exists(partial));
}

QTEST_MAIN(TestGuiRemote)
#include "tst_gui_remote.moc"
