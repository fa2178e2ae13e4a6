// The workspace under stress, through the CLI as other processes use it: eight concurrent
// imports that each activate their weight; import, backup and cleanup processes SIGKILLed at
// random moments; a read-only Model folder; writes that fail (a file size limit standing in
// for a full disk, a registry path that is a folder). After each: the registry parses, every
// registered weight has its complete file, the active weight validates, and the doctor leaves
// a healthy workspace.

#include "configmanager.h"
#include "registry.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "samplegenerator.h"
#include "testutil.h"
#include "weightfiles.h"
#include "weightmanager.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <memory>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

using namespace tantra;

namespace {

using test::writeSample;

QProcessEnvironment envFor(const QString &root)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("TANTRA_ROOT"), root);
    return env;
}

QString describe(const QStringList &args, const test::CliRun &r)
{
    return QStringLiteral("tantra-model-manager %1\nexit %2\n--- stdout\n%3--- stderr\n%4").arg(args.join(QLatin1Char(' '))).arg(r.exitCode).arg(r.out, r.err);
}

// Hidden work-in-progress names anywhere in the Model folder.
QStringList partialFiles(const QString &root)
{
    QStringList out;
    QDirIterator it(root + QStringLiteral("/Model"), QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        if (isPartialName(it.fileName()))
            out << it.filePath();
    }
    return out;
}

// A CLI run whose file writes stop at `limit` bytes (RLIMIT_FSIZE): what a full disk does to
// every write, and unlike chmod it also binds root. SIGXFSZ is set to its default, killing, as
// a shell's `ulimit -f` leaves it: the CLI must ignore it itself, so that the write fails with
// EFBIG and is reported (it was killed with exit 153). Both survive exec.
test::CliRun runWithFileSizeLimit(const QStringList &arguments, const QString &root, rlim_t limit)
{
    QProcess process;
    process.setProcessEnvironment(envFor(root));
    process.setChildProcessModifier([limit] {
        ::signal(SIGXFSZ, SIG_DFL);
        rlimit rl{};
        ::getrlimit(RLIMIT_FSIZE, &rl);
        rl.rlim_cur = limit;
        ::setrlimit(RLIMIT_FSIZE, &rl);
    });
    return test::runCliIn(process, arguments);
}

// Runs the CLI without the capabilities that let root ignore file permissions
// (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER): dropped from the child's bounding set, so
// the exec'ed program does not get them back. Exit 97 when they cannot be dropped (no
// CAP_SETPCAP).
constexpr int kCannotDropCapabilities = 97;
test::CliRun runWithoutFileCapabilities(const QStringList &arguments, const QString &root)
{
    QProcess process;
    process.setProcessEnvironment(envFor(root));
    process.setChildProcessModifier([] {
        for (const int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER}) {
            if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
                ::_exit(kCannotDropCapabilities);
        }
    });
    return test::runCliIn(process, arguments);
}

} // namespace

class TestRobustness : public QObject
{
    Q_OBJECT

    QTemporaryDir m_template;
    QString m_templateRoot;
    QStringList m_copies; // eight distinct mamba weights
    QString m_big;        // a mamba_multimodal weight, 8 MB
    std::vector<std::unique_ptr<QTemporaryDir>> m_dirs;

    QString freshWorkspace()
    {
        m_dirs.push_back(std::make_unique<QTemporaryDir>());
        const QString root = m_dirs.back()->filePath(QStringLiteral("ws"));
        test::copyTree(m_templateRoot, root);
        return root;
    }

    // The invariants that must hold whatever was killed when: the registry parses, every
    // registered weight has its file with the registered checksum, and the active weight of
    // `type` validates.
    void checkConsistent(WeightManager &m, const QString &type, const QString &context)
    {
        auto data = m.snapshot();
        QVERIFY2(data.ok(), qPrintable(context + QStringLiteral(": ") + test::errorOf(data)));
        for (const auto &[name, w] : data->weights)
            QVERIFY2(QFileInfo::exists(m.workspace().absolutePath(w.path)), qPrintable(context + QStringLiteral(": ") + name + QStringLiteral(" lacks its file")));
        auto verified = m.verify({});
        QVERIFY2(verified.ok(), qPrintable(context + QStringLiteral(": ") + test::errorOf(verified)));
        for (const VerifyResult &r : *verified)
            QVERIFY2(r.status == ChecksumStatus::Ok, qPrintable(context + QStringLiteral(": ") + r.weight + QLatin1Char(' ') + QString::number(int(r.status)) + QLatin1Char(' ') + r.message));
        QVERIFY2(!data->activeOf(type).isEmpty(), qPrintable(context + QStringLiteral(": no active weight")));
        auto valid = m.validateWeights(type, {}, false);
        QVERIFY2(valid.ok() && valid->passed,
                 qPrintable(context + QStringLiteral(": the active weight does not validate: ")
                            + (valid.ok() ? valid->issues.join(QLatin1Char('\n')) : valid.errorString())));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(!test::cliPath().isEmpty());
        QVERIFY(m_template.isValid());
        m_templateRoot = m_template.filePath(QStringLiteral("ws"));
        test::makeWorkspace(m_templateRoot);
        for (int i = 0; i < 8; ++i)
            m_copies << writeSample(m_template.filePath(QStringLiteral("copy%1.safetensors").arg(i)), QStringLiteral("mamba"), 300 + i);
        m_big = writeSample(m_template.filePath(QStringLiteral("big.safetensors")), QStringLiteral("mamba_multimodal"), 400);
    }
    void cleanup() { m_dirs.clear(); }

    void concurrentImports_data()
    {
        QTest::addColumn<bool>("explicitVersions");
        QTest::newRow("--version given") << true;
        // Started in the same second, all eight choose the same timestamp version.
        QTest::newRow("timestamp versions") << false;
    }
    void concurrentImports()
    {
        QFETCH(bool, explicitVersions);
        const QString root = freshWorkspace();
        std::vector<std::unique_ptr<QProcess>> processes;
        for (int i = 0; i < m_copies.size(); ++i) {
            auto p = std::make_unique<QProcess>();
            p->setProcessEnvironment(envFor(root));
            QStringList args{QStringLiteral("import"), m_copies[i], QStringLiteral("--activate")};
            if (explicitVersions)
                args << QStringLiteral("--version") << QStringLiteral("c%1").arg(i);
            p->start(test::cliPath(), args);
            processes.push_back(std::move(p));
        }
        for (std::size_t i = 0; i < processes.size(); ++i) {
            QProcess &p = *processes[i];
            QVERIFY(p.waitForFinished(120'000));
            const QString err = QString::fromUtf8(p.readAllStandardError());
            QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0, qPrintable(QStringLiteral("import %1: exit %2: %3").arg(i).arg(p.exitCode()).arg(err)));
        }

        WeightManager m{Workspace(root)};
        auto data = m.snapshot();
        QVERIFY2(data.ok(), qPrintable(test::errorOf(data)));
        QCOMPARE(data->weights.size(), std::size_t(3 + m_copies.size()));
        QStringList imported;
        for (const QString &copy : m_copies) {
            const QString sha = test::sha256Of(copy);
            int found = 0;
            for (const auto &[name, w] : data->weights) {
                if (w.source != QStringLiteral("imported from ") + copy)
                    continue;
                ++found;
                imported << name;
                QCOMPARE(w.sha256, sha);
                QCOMPARE(test::sha256Of(root + QLatin1Char('/') + w.path), sha);
                QCOMPARE(w.modelType, QStringLiteral("mamba"));
            }
            QVERIFY2(found == 1, qPrintable(copy));
        }
        const QString active = data->activeOf(QStringLiteral("mamba"));
        QVERIFY2(imported.contains(active), qPrintable(active));
        auto valid = m.validateWeights(QStringLiteral("mamba"), {}, true);
        QVERIFY2(valid.ok() && valid->passed, qPrintable(valid.ok() ? valid->issues.join(QLatin1Char('\n')) : valid.errorString()));
        // Every activation recorded once, each replacing the one before it.
        const auto &history = data->history.at(QStringLiteral("mamba"));
        QCOMPARE(history.size(), std::size_t(1 + m_copies.size()));
        QStringList activated;
        for (std::size_t k = 1; k < history.size(); ++k) {
            QCOMPARE(history[k].previous, history[k - 1].weight);
            activated << history[k].weight;
        }
        QCOMPARE(history.back().weight, active);
        activated.sort();
        imported.sort();
        QCOMPARE(activated, imported);
        QCOMPARE(partialFiles(root), QStringList());
        auto doctor = m.doctor(false);
        QVERIFY(doctor.ok());
        QCOMPARE(doctor->problems, QStringList());
    }

    // Backups of one weight started together choose one archive name; each must still get its
    // own complete archive.
    void concurrentBackups()
    {
        const QString root = freshWorkspace();
        std::vector<std::unique_ptr<QProcess>> processes;
        constexpr int kBackups = 8;
        for (int i = 0; i < kBackups; ++i) {
            auto p = std::make_unique<QProcess>();
            p->setProcessEnvironment(envFor(root));
            p->start(test::cliPath(), {QStringLiteral("backup"), QStringLiteral("ocr_native_sample")});
            processes.push_back(std::move(p));
        }
        QStringList archives;
        for (auto &p : processes) {
            QVERIFY(p->waitForFinished(120'000));
            const QString out = QString::fromUtf8(p->readAllStandardOutput());
            QVERIFY2(p->exitCode() == 0, qPrintable(QString::fromUtf8(p->readAllStandardError())));
            const QString prefix = QStringLiteral("Backed up ocr_native_sample to ");
            QVERIFY2(out.startsWith(prefix), qPrintable(out));
            archives << out.mid(prefix.size()).trimmed();
        }
        archives.sort();
        archives.removeDuplicates();
        QCOMPARE(archives.size(), kBackups);
        QStringList onDisk = QDir(root + QStringLiteral("/Model/backups")).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
        QCOMPARE(onDisk.size(), kBackups);
        WeightManager m{Workspace(root)};
        const QString sha = m.snapshot()->find(QStringLiteral("ocr_native_sample"))->sha256;
        for (int i = 0; i < archives.size(); ++i) {
            auto restored = m.restoreBackup(archives[i], QStringLiteral("r%1").arg(i));
            QVERIFY2(restored.ok(), qPrintable(test::errorOf(restored)));
            QCOMPARE(restored->sha256, sha);
        }
    }

    // Import, backup and cleanup processes killed at random moments; the seed is printed so a
    // failure can be replayed with TANTRA_KILL_SEED.
    void killedAtRandom()
    {
        const QString root = freshWorkspace();
        const QString type = QStringLiteral("mamba_multimodal");
        WeightManager m{Workspace(root)};
        const quint32 seed = qEnvironmentVariableIsSet("TANTRA_KILL_SEED") ? quint32(qEnvironmentVariableIntValue("TANTRA_KILL_SEED"))
                                                                            : QRandomGenerator::global()->generate();
        qInfo("kill seed %u (set TANTRA_KILL_SEED to replay)", seed);
        QRandomGenerator random(seed);
        QElapsedTimer clock;
        clock.start();
        int killed = 0;
        int finished = 0;
        int orphans = 0;
        int version = 0;
        const auto ensureWeights = [&](int n) {
            while (int(m.snapshot()->weightsOf(type).size()) < n) {
                ImportRequest request;
                request.source = m_big;
                request.modelType = type;
                request.version = QStringLiteral("fill%1").arg(++version);
                auto imported = m.importWeight(request);
                QVERIFY2(imported.ok(), qPrintable(test::errorOf(imported)));
            }
        };
        // Restores come from one archive of the type's active weight (the setup's sample, not
        // the big weight), each under a new version: what a restore leaves unregistered holds
        // the archived weight's bytes.
        QString archive;
        QString archivedSha;
        {
            const auto data = m.snapshot();
            QVERIFY(data.ok());
            const WeightEntry *active = data->find(data->activeOf(type));
            QVERIFY(active);
            archivedSha = test::sha256Of(m.workspace().absolutePath(active->path));
            auto backedUp = m.backupWeight(active->name);
            QVERIFY2(backedUp.ok(), qPrintable(test::errorOf(backedUp)));
            archive = *backedUp;
        }
        int restored = 0;
        constexpr int kOps = 5;
        const auto argumentsFor = [&](int op) -> QStringList {
            if (op == 0)
                return {QStringLiteral("import"), m_big, QStringLiteral("--type"), type, QStringLiteral("--activate")};
            if (op == 1)
                return {QStringLiteral("backup"), m.snapshot()->activeOf(type)};
            if (op == 3)
                return {QStringLiteral("restore"), archive, QStringLiteral("--as"), QStringLiteral("restored%1").arg(++restored)};
            if (op == 4) {
                // The newest weight that is not active: a real switch, which writes the registry.
                ensureWeights(2);
                const auto data = m.snapshot();
                for (const WeightEntry *w : data->weightsOf(type)) {
                    if (w->name != data->activeOf(type))
                        return {QStringLiteral("set-active"), w->name};
                }
                return {};
            }
            ensureWeights(4);
            return {QStringLiteral("cleanup"), type, QStringLiteral("--keep"), QStringLiteral("1")};
        };
        // How long each operation takes here (debug, sanitizers, a busy machine): the kill
        // comes at a random moment within 0-300 ms, but not so late that it always finds the
        // process done.
        qint64 duration[kOps] = {};
        for (int op = 0; op < kOps; ++op) {
            const QStringList args = argumentsFor(op);
            QElapsedTimer t;
            t.start();
            const auto r = test::runCli(args, root);
            duration[op] = t.elapsed();
            QVERIFY2(r.exitCode == 0, qPrintable(describe(args, r)));
        }
        qInfo("uninterrupted: import %lld ms, backup %lld ms, cleanup %lld ms, restore %lld ms, set-active %lld ms", duration[0], duration[1],
              duration[2], duration[3], duration[4]);
        int finishedRemovals = 0;
        int killedOf[kOps] = {};
        constexpr int kIterations = 30;
        for (int i = 0; i < kIterations && clock.elapsed() < 60'000; ++i) {
            const int op = i % kOps;
            const QStringList args = argumentsFor(op);
            if (QTest::currentTestFailed())
                return;
            const int delay = int(random.bounded(quint32(std::min<qint64>(301, duration[op] * 6 / 5 + 1))));
            const QString context = QStringLiteral("iteration %1 (%2, killed after %3 ms)").arg(i).arg(args.first()).arg(delay);
            QProcess process;
            process.setProcessEnvironment(envFor(root));
            process.start(test::cliPath(), args);
            QVERIFY(process.waitForStarted());
            QThread::msleep(ulong(delay));
            process.kill();
            QVERIFY(process.waitForFinished(30'000));
            if (process.exitStatus() == QProcess::NormalExit) {
                ++finished;
                QVERIFY2(process.exitCode() == 0, qPrintable(context + QStringLiteral(" finished with ") + QString::fromUtf8(process.readAllStandardError())));
            } else {
                ++killed;
                ++killedOf[op];
            }

            checkConsistent(m, type, context);
            if (QTest::currentTestFailed())
                return;
            auto doctor = m.doctor(false);
            QVERIFY2(doctor.ok(), qPrintable(context + QStringLiteral(": ") + test::errorOf(doctor)));
            // A cleanup killed between dropping an entry and deleting its file left a record of
            // the removal: the doctor finishes it rather than advising to import the weight back.
            for (const QString &fixed : doctor->fixed) {
                if (fixed.contains(QStringLiteral(": deleted, finishing an interrupted removal of '"))) {
                    QVERIFY2(op == 2, qPrintable(context + QStringLiteral(": ") + fixed));
                    ++finishedRemovals;
                }
            }
            // A kill between moving a file into place and writing the registry (import), or
            // between writing the registry and deleting the file (cleanup), leaves an
            // unregistered file: the documented worst case. It must be a complete weight, never
            // a half-written one; here the user keeps it, importing it where it lies.
            for (const QString &problem : doctor->problems) {
                // Only a placement without its registration leaves an unregistered weight now.
                QVERIFY2(op == 0 || op == 3, qPrintable(context + QStringLiteral(": ") + problem));
                const QString suffix = QStringLiteral(": not in the registry: import it to keep it, or delete it if an interrupted 'remove' or 'cleanup' left it");
                QVERIFY2(problem.endsWith(suffix), qPrintable(context + QStringLiteral(": ") + problem));
                const QString file = problem.left(problem.size() - suffix.size());
                // An import's is the big weight; a restore's, the archived one.
                QVERIFY2(test::sha256Of(file) == (op == 3 ? archivedSha : test::sha256Of(m_big)), qPrintable(context + QStringLiteral(": ") + problem));
                ImportRequest request;
                request.source = file;
                auto adopted = m.importWeight(request);
                QVERIFY2(adopted.ok(), qPrintable(context + QStringLiteral(": ") + test::errorOf(adopted)));
                QCOMPARE(m.workspace().absolutePath(adopted->path), file);
                ++orphans;
            }
            QCOMPARE(partialFiles(root), QStringList());
            auto again = m.doctor(false);
            QVERIFY(again.ok());
            QVERIFY2(again->problems.isEmpty() && again->fixed.isEmpty(), qPrintable(context + QStringLiteral(": ") + again->problems.join(QLatin1Char('\n'))));
            // Nothing else is left in Model/: no temporary registry, no lock.
            QStringList model = QDir(root + QStringLiteral("/Model")).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
            QVERIFY2(model == (QStringList{QStringLiteral("backups"), QStringLiteral("checkpoints"), QStringLiteral("weight_config.json"), QStringLiteral("weights")}),
                     qPrintable(context + QStringLiteral(": Model/ holds ") + model.join(QStringLiteral(", "))));
        }
        qInfo("%d killed (import %d, backup %d, cleanup %d, restore %d, set-active %d), %d finished before the kill, "
              "%d unregistered files left by a kill, %d interrupted removals finished by the doctor, %lld ms",
              killed, killedOf[0], killedOf[1], killedOf[2], killedOf[3], killedOf[4], finished, orphans, finishedRemovals, clock.elapsed());
        QVERIFY2(killed >= 5, "too few processes were killed before they finished: the kills did not test much");
        auto deep = m.validateWeights(type, {}, true);
        QVERIFY2(deep.ok() && deep->passed, qPrintable(deep.ok() ? deep->issues.join(QLatin1Char('\n')) : deep.errorString()));
    }

    // chmod does not stop root, who writes through CAP_DAC_OVERRIDE: as root, the CLI runs
    // without that capability (and skips when it cannot be dropped).
    void readOnlyModelFolder()
    {
        const bool asRoot = ::geteuid() == 0;
        const QString root = freshWorkspace();
        const QString model = root + QStringLiteral("/Model");
        WeightManager m{Workspace(root)};
        ImportRequest request;
        request.source = m_copies.first();
        request.version = QStringLiteral("v1");
        QVERIFY(m.importWeight(request).ok());
        const auto before = test::treeSnapshot(root);
        QVERIFY(QFile::setPermissions(model, QFileDevice::ReadOwner | QFileDevice::ExeOwner | QFileDevice::ReadGroup | QFileDevice::ExeGroup));
        const QStringList args{QStringLiteral("set-active"), QStringLiteral("mamba_v1")};
        const auto r = asRoot ? runWithoutFileCapabilities(args, root) : test::runCli(args, root);
        QVERIFY(QFile::setPermissions(model, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner | QFileDevice::ReadGroup | QFileDevice::ExeGroup));
        if (asRoot && r.exitCode == kCannotDropCapabilities)
            QSKIP("running as root without CAP_SETPCAP: CAP_DAC_OVERRIDE cannot be dropped, so chmod does not restrict; writeFailures covers the refusal with a file size limit");
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.err, root + QStringLiteral("/Model/weight_config.json: cannot create the registry lock ") + root
                            + QStringLiteral("/Model/weight_config.json.lock: Permission denied (check permissions on the Model folder)\n"));
        const auto after = test::treeSnapshot(root);
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
    }

    void writeFailures_data()
    {
        QTest::addColumn<QString>("prep");    // "import": mamba_v1 registered; "backup": and backed up; "folder": the registry is a folder
        QTest::addColumn<QString>("command"); // {src}, {backup}
        QTest::addColumn<int>("limit");       // RLIMIT_FSIZE in bytes; 0: none
        QTest::addColumn<QString>("message"); // a regular expression; {root}, {src} are literal
        QTest::newRow("set-active, registry cannot be saved") << QStringLiteral("import") << QStringLiteral("set-active mamba_v1") << 1024
                                                              << QStringLiteral("^{root}/Model/weight_config\\.json: could not save the registry \\(.*File too large.*\\); it is unchanged\n$");
        QTest::newRow("validate, result cannot be recorded") << QStringLiteral("import") << QStringLiteral("validate mamba --version v1") << 1024
                                                             << QStringLiteral("^{root}/Model/weight_config\\.json: could not save the registry \\(.*File too large.*\\); it is unchanged\n$");
        QTest::newRow("import, weight cannot be copied") << QString() << QStringLiteral("import {src} --version v2") << 65536
                                                         << QStringLiteral("^{root}/Model/weights/\\.mamba_v2\\.safetensors\\.partial-\\d+-\\d+: write error: .*File too large.* \\(is the disk full\\?\\)\n$");
        QTest::newRow("backup, archive cannot be written") << QString() << QStringLiteral("backup mamba_sample") << 65536
                                                           << QStringLiteral("^{root}/Model/backups/mamba_sample-\\d{8}-\\d{6}\\.zip: cannot write member 'weights/mamba_sample\\.safetensors' to the archive \\(File too large; is the disk full\\?\\)\n$");
        QTest::newRow("restore, member cannot be extracted") << QStringLiteral("backup") << QStringLiteral("restore {backup} --as r1") << 65536
                                                             << QStringLiteral("^{root}/Model/weights/\\.mamba_r1\\.safetensors\\.partial-\\d+-\\d+: write error: .*File too large.* \\(is the disk full\\?\\)\n$");
        // QLockFile says only "unknown error" when the lock's contents cannot be written; the
        // message said "check permissions" to a user whose disk was full.
        QTest::newRow("set-active, lock cannot be written") << QStringLiteral("import") << QStringLiteral("set-active mamba_v1") << 1
                                                            << QStringLiteral("^{root}/Model/weight_config\\.json: cannot create the registry lock {root}/Model/weight_config\\.json\\.lock: File too large \\(is the disk full\\?\\)\n$");
        QTest::newRow("set-active, registry is a folder") << QStringLiteral("folder") << QStringLiteral("set-active mamba_sample") << 0
                                                          << QStringLiteral("^{root}/Model/weight_config\\.json: cannot read the registry: .+\n$");
        QTest::newRow("list-weights, registry is a folder") << QStringLiteral("folder") << QStringLiteral("list-weights") << 0
                                                            << QStringLiteral("^{root}/Model/weight_config\\.json: cannot read the registry: .+\n$");
    }
    void writeFailures()
    {
        QFETCH(QString, prep);
        QFETCH(QString, command);
        QFETCH(int, limit);
        QFETCH(QString, message);
        const QString root = freshWorkspace();
        WeightManager m{Workspace(root)};
        QString backup;
        if (prep == QLatin1String("import") || prep == QLatin1String("backup")) {
            ImportRequest request;
            request.source = m_copies.first();
            request.version = QStringLiteral("v1");
            QVERIFY(m.importWeight(request).ok());
        }
        if (prep == QLatin1String("backup")) {
            auto archive = m.backupWeight(QStringLiteral("mamba_v1"));
            QVERIFY(archive.ok());
            backup = *archive;
        }
        if (prep == QLatin1String("folder")) {
            QVERIFY(QFile::remove(m.registry().path()));
            QVERIFY(QDir().mkpath(m.registry().path()));
        }
        const QString src = QFileInfo(root).absolutePath() + QStringLiteral("/src.safetensors");
        QVERIFY(QFile::copy(m_copies.last(), src));
        const QStringList args = QString(command).replace(QStringLiteral("{src}"), src).replace(QStringLiteral("{backup}"), backup).split(QLatin1Char(' '));
        const auto before = test::treeSnapshot(QFileInfo(root).absolutePath());
        const auto r = limit > 0 ? runWithFileSizeLimit(args, root, rlim_t(limit)) : test::runCli(args, root);
        QVERIFY2(r.exitCode == 1, qPrintable(describe(args, r)));
        const QString pattern = QString(message).replace(QStringLiteral("{root}"), QRegularExpression::escape(root));
        QVERIFY2(QRegularExpression(pattern).match(r.err).hasMatch(), qPrintable(describe(args, r) + QStringLiteral("\nexpected: ") + pattern));
        // Nothing changed: no partial file, no half archive, no temporary registry, same registry.
        const auto after = test::treeSnapshot(QFileInfo(root).absolutePath());
        QVERIFY2(before == after, qPrintable(test::treeDiff(before, after)));
        if (prep != QLatin1String("folder")) {
            // And the same command works once the limit is lifted.
            const auto ok = test::runCli(args, root);
            QVERIFY2(ok.exitCode == 0, qPrintable(describe(args, ok)));
        }
    }
};

QTEST_GUILESS_MAIN(TestRobustness)
#include "tst_robustness.moc"
