// The GUI's one way to run background work (JobRunner): stale results are dropped, a dead
// receiver is never called, destroying the runner cancels; and a registry change waiting for
// another process's lock never freezes the window.
#include "guitestutil.h"
#include "jobrunner.h"
#include "jobspanel.h"
#include "mainwindow.h"
#include "testutil.h"
#include "weightmanager.h"
#include "weighttablemodel.h"
#include "workspaceactions.h"
#include "workspacecontroller.h"
#include "workspacepage.h"
#include "workspacesession.h"

#include <QAction>
#include <QApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QLockFile>
#include <QMessageBox>
#include <QAbstractButton>
#include <QProcess>
#include <QPromise>
#include <QSemaphore>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <functional>
#include <cstdio>
#include <memory>

using namespace tantra;
using tantra::test::whenDialogOpens;

namespace {

constexpr int kGateTimeoutMs = 20000;

// Blocks a job until the test opens the gate (bounded, so a broken test cannot hang the pool).
struct Gate
{
    QSemaphore started;
    QSemaphore open;
    void pass()
    {
        started.release();
        open.tryAcquire(1, kGateTimeoutMs);
    }
};

// Runs in a child process (this executable with --hold-lock): takes the lock file the way
// Registry does, says so on stdout, keeps it for `ms` milliseconds and exits.
int holdLock(const QString &lockPath, int ms)
{
    QLockFile lock(lockPath);
    if (!lock.tryLock(10000))
        return 2;
    std::fputs("locked\n", stdout);
    std::fflush(stdout);
    QThread::msleep(static_cast<unsigned long>(ms));
    lock.unlock();
    return 0;
}

// How long this thread has waited for a CPU, in ms (Linux: /proc/thread-self/schedstat, whose
// second field is the run-queue wait in ns); -1 where unknown. A gap between timer ticks
// minus this wait is time the GUI thread itself spent away from its event loop.
double runQueueWaitMs()
{
    QFile file(QStringLiteral("/proc/thread-self/schedstat"));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = file.readAll().simplified().split(' ');
    bool ok = false;
    const qulonglong ns = fields.size() >= 2 ? fields.at(1).toULongLong(&ok) : 0;
    return ok ? double(ns) / 1e6 : -1;
}

// A second mamba weight, a copy of the sample, registered under `version`.
Status addMambaCopy(WeightManager &manager, const QString &version)
{
    const QString path = manager.finalPathFor(QStringLiteral("mamba"), version, false);
    QFile::remove(path);
    if (!QFile::copy(manager.workspace().weightsDir() + QStringLiteral("/mamba_sample.safetensors"), path))
        return makeError(path + QStringLiteral(": cannot copy the sample"));
    auto registered = manager.registerInPlace(QStringLiteral("mamba"), version, path, false, QStringLiteral("test"), false, nullptr);
    return registered ? Status{} : Status(registered.error());
}

} // namespace

class TestGuiTasks : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
    }

    void resultArrivesOnTheGuiThread()
    {
        JobRunner runner;
        QObject receiver;
        QThread *workThread = nullptr;
        QThread *doneThread = nullptr;
        int result = 0;
        runner.run(
                QString(),
                [&workThread](JobContext &) {
                    workThread = QThread::currentThread();
                    return 42;
                },
                &receiver,
                [&](int value) {
                    doneThread = QThread::currentThread();
                    result = value;
                });
        QTRY_COMPARE(result, 42);
        QVERIFY(workThread && workThread != qApp->thread());
        QCOMPARE(doneThread, qApp->thread());
        QVERIFY(!runner.isBusy());
    }

    void staleResultIsDroppedWhenANewerJobStarts()
    {
        JobRunner runner(nullptr, JobRunner::Mode::LatestOnly);
        QObject receiver;
        Gate gate;
        QList<int> delivered;
        // The first job ignores its cancel flag, as a job stuck in a system call would: its
        // result must still never arrive.
        const QFuture<int> first = runner.run(
                QString(),
                [&gate](JobContext &) {
                    gate.pass();
                    return 1;
                },
                &receiver, [&](int value) { delivered << value; });
        QVERIFY(gate.started.tryAcquire(1, kGateTimeoutMs));
        const QFuture<int> second = runner.run(
                QString(), [](JobContext &) { return 2; }, &receiver, [&](int value) { delivered << value; });
        QVERIFY(first.isCanceled());
        QTRY_COMPARE(delivered, QList<int>{2});
        gate.open.release();
        QTRY_VERIFY(first.isFinished());
        QTest::qWait(50); // let a late finished() of the first job arrive, if it were to
        QCOMPARE(delivered, QList<int>{2});
        QVERIFY(!runner.isBusy());
    }

    void cancelAllDropsResultsOfJobsThatIgnoreIt()
    {
        JobRunner runner; // Parallel: jobs run side by side until cancelAll()
        QObject receiver;
        Gate gate;
        int delivered = 0;
        int canceled = 0;
        QSignalSpy busy(&runner, &JobRunner::busyChanged);
        const QFuture<int> job = runner.run(
                QString(),
                [&gate](JobContext &) {
                    gate.pass();
                    return 1;
                },
                &receiver, [&](int) { ++delivered; }, [&] { ++canceled; });
        QVERIFY(gate.started.tryAcquire(1, kGateTimeoutMs));
        QVERIFY(runner.isBusy());
        runner.cancelAll();
        QVERIFY(!runner.isBusy()); // nothing whose result is wanted is running
        gate.open.release();
        QTRY_VERIFY(job.isFinished());
        QTest::qWait(50);
        QCOMPARE(delivered, 0);
        QCOMPARE(canceled, 0); // superseded, not cancelled by the user: nobody is told
        QCOMPARE(busy.count(), 2);
        QCOMPARE(busy.at(0).first().toBool(), true);
        QCOMPARE(busy.at(1).first().toBool(), false);
    }

    void cancellingOneJobCallsItsCancelHandler()
    {
        JobRunner runner;
        QObject receiver;
        int delivered = 0;
        int canceled = 0;
        std::atomic<bool> sawCancel{false};
        QSemaphore running;
        QSignalSpy ended(&runner, &JobRunner::jobEnded);
        runner.run(
                QStringLiteral("Endless"),
                [&sawCancel, &running](JobContext &job) {
                    running.release();
                    QDeadlineTimer deadline(kGateTimeoutMs);
                    while (!job.isCanceled() && !deadline.hasExpired())
                        QThread::msleep(2);
                    sawCancel = job.isCanceled();
                    return 1;
                },
                &receiver, [&](int) { ++delivered; }, [&] { ++canceled; });
        // Cancelled before it starts, a job never runs at all; this one is running.
        QVERIFY(running.tryAcquire(1, kGateTimeoutMs));
        QCOMPARE(runner.jobs().size(), std::size_t(1));
        QCOMPARE(runner.jobs().front().title, QStringLiteral("Endless"));
        runner.cancel(runner.jobs().front().id);
        QTRY_COMPARE(canceled, 1);
        QVERIFY(sawCancel);
        QCOMPARE(delivered, 0);
        QCOMPARE(ended.count(), 1);
        QCOMPARE(ended.first().at(0).toString(), QStringLiteral("Endless"));
        QCOMPARE(ended.first().at(1).toBool(), true);
    }

    void destroyedReceiverIsNeverCalled()
    {
        JobRunner runner;
        auto *receiver = new QObject;
        Gate gate;
        int delivered = 0;
        int canceled = 0;
        const QFuture<int> job = runner.run(
                QString(),
                [&gate](JobContext &) {
                    gate.pass();
                    return 1;
                },
                receiver, [&](int) { ++delivered; }, [&] { ++canceled; });
        QVERIFY(gate.started.tryAcquire(1, kGateTimeoutMs));
        delete receiver;
        gate.open.release();
        QTRY_VERIFY(!runner.isBusy());
        QVERIFY(job.isFinished());
        QVERIFY(!job.isCanceled()); // it ran to its end; only its receiver is gone
        QTest::qWait(50);
        QCOMPARE(delivered, 0);
        QCOMPARE(canceled, 0);
    }

    void destroyingTheRunnerCancelsItsJobs()
    {
        // As a widget's child: the widget goes, the runner goes, the job is told to stop.
        auto *owner = new QObject;
        auto *runner = new JobRunner(owner, JobRunner::Mode::LatestOnly);
        int delivered = 0;
        std::atomic<bool> sawCancel{false};
        QSemaphore started;
        const QFuture<int> job = runner->run(
                QString(),
                [&](JobContext &context) {
                    started.release();
                    QDeadlineTimer deadline(kGateTimeoutMs);
                    while (!context.isCanceled() && !deadline.hasExpired())
                        QThread::msleep(2);
                    sawCancel = context.isCanceled();
                    return 1;
                },
                owner, [&](int) { ++delivered; });
        QVERIFY(started.tryAcquire(1, kGateTimeoutMs));
        QElapsedTimer clock;
        clock.start();
        delete owner;
        // Not waited for by default: the owner's destruction does not block on the job.
        QTRY_VERIFY(job.isFinished());
        QVERIFY(sawCancel);
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
        QTest::qWait(50);
        QCOMPARE(delivered, 0);
    }

    void destroyingAWaitingRunnerReturnsAfterItsJobs()
    {
        auto *runner = new JobRunner;
        runner->setWaitOnDestroy(true);
        QSemaphore started;
        std::atomic<bool> returned{false};
        const QFuture<int> job = runner->run(
                QString(),
                [&](JobContext &context) {
                    started.release();
                    QDeadlineTimer deadline(kGateTimeoutMs);
                    while (!context.isCanceled() && !deadline.hasExpired())
                        QThread::msleep(2);
                    QThread::msleep(50); // cleaning up after the cancel, like removing a partial file
                    returned = true;
                    return 1;
                },
                runner, [](int) {});
        QVERIFY(started.tryAcquire(1, kGateTimeoutMs));
        delete runner;
        QVERIFY(returned); // the destructor waited for the job
        QVERIFY(job.isFinished());
    }

    void jobsPanelKeepsFinishedJobs()
    {
        JobsPanel panel;
        QPromise<void> hashing;
        hashing.start();
        panel.track(hashing.future(), QStringLiteral("Hashing mamba_v2"));
        QPromise<void> validating;
        validating.start();
        panel.track(validating.future(), QStringLiteral("Validating"));
        QCOMPARE(panel.runningCount(), 2);
        hashing.setProgressRange(0, 1000);
        hashing.setProgressValue(500);
        QTRY_COMPARE(panel.statusTexts().first(), QStringLiteral("50 %"));

        hashing.finish();
        QTRY_COMPARE(panel.finishedCount(), 1);
        QVERIFY2(panel.statusTexts().first().startsWith(QStringLiteral("Finished in ")), qPrintable(panel.statusTexts().first()));
        validating.future().cancel();
        validating.finish();
        QTRY_COMPARE(panel.finishedCount(), 2);
        QVERIFY2(panel.statusTexts().last().startsWith(QStringLiteral("Cancelled after ")), qPrintable(panel.statusTexts().last()));
        QCOMPARE(panel.runningCount(), 0);

        // Finished jobs stay until cleared; running ones are never cleared.
        QPromise<void> running;
        running.start();
        panel.track(running.future(), QStringLiteral("Backing up"));
        panel.clearFinished();
        QCOMPARE(panel.statusTexts().size(), 1);
        QCOMPARE(panel.runningCount(), 1);
        running.finish();
        QTRY_COMPARE(panel.finishedCount(), 1);
    }

    void jobsPanelWordsTimes_data()
    {
        QTest::addColumn<qint64>("elapsedMs");
        QTest::addColumn<double>("fraction");
        QTest::addColumn<QString>("left");
        QTest::newRow("too early to tell") << qint64(1000) << 0.5 << QString();
        QTest::newRow("too little done to tell") << qint64(20000) << 0.01 << QString();
        QTest::newRow("done") << qint64(20000) << 1.0 << QString();
        QTest::newRow("half way after 10 s") << qint64(10000) << 0.5 << QStringLiteral("about 10 s left");
        QTest::newRow("almost done") << qint64(3000) << 0.9 << QStringLiteral("about 5 s left");
        QTest::newRow("minutes, rounded up") << qint64(60000) << 0.25 << QStringLiteral("about 3 min left");
    }

    void jobsPanelWordsTimes()
    {
        QFETCH(qint64, elapsedMs);
        QFETCH(double, fraction);
        QFETCH(QString, left);
        QCOMPARE(JobsPanel::timeLeftText(elapsedMs, fraction), left);
        QCOMPARE(JobsPanel::durationText(400), QStringLiteral("0.4 s"));
        QCOMPARE(JobsPanel::durationText(12000), QStringLiteral("12 s"));
        QCOMPARE(JobsPanel::durationText(185000), QStringLiteral("3 min 05 s"));
    }

    void progressAndTitlesReachTheJobsPanel()
    {
        JobRunner runner;
        QObject receiver;
        QSignalSpy started(&runner, &JobRunner::jobStarted);
        QSignalSpy progress(&runner, &JobRunner::jobProgress);
        QSemaphore halfway;
        QSemaphore resume;
        bool done = false;
        runner.run(
                QStringLiteral("Counting"),
                [&](JobContext &job) {
                    job.addTotal(100);
                    job.advance(50);
                    halfway.release();
                    resume.tryAcquire(1, kGateTimeoutMs);
                    job.advance(50);
                    return 0;
                },
                &receiver, [&](int) { done = true; });
        QCOMPARE(started.count(), 1);
        QCOMPARE(started.first().at(1).toString(), QStringLiteral("Counting"));
        QVERIFY(halfway.tryAcquire(1, kGateTimeoutMs));
        QTRY_VERIFY(!progress.isEmpty());
        QCOMPARE(progress.last().at(1).toInt(), 500);
        QCOMPARE(runner.jobs().front().permille, 500);
        resume.release();
        QTRY_VERIFY(done);
        // Untitled jobs (a heatmap's render, a ranking) stay out of the panel.
        runner.run(QString(), [](JobContext &) { return 0; }, &receiver, [](int) {});
        QCOMPARE(started.count(), 1);
        QTRY_VERIFY(!runner.isBusy());
    }

    // The acceptance test of issue #9: another process holds the registry lock for 5 s while
    // the user activates a weight. The window keeps painting (no gap over 50 ms between 10 ms
    // timer ticks), the actions that change the registry are disabled meanwhile, and the weight
    // is active once the lock is released.
    void activationWaitsForTheLockWithoutFreezingTheWindow()
    {
        const QString root = m_dir.filePath(QStringLiteral("ws"));
        QVERIFY(QDir().mkpath(root));
        WeightManager manager{Workspace(root)};
        auto setup = manager.setup();
        QVERIFY2(setup.ok(), qPrintable(test::errorOf(setup)));
        const Status added = addMambaCopy(manager, QStringLiteral("v2"));
        QVERIFY2(added.ok(), qPrintable(test::errorOf(added)));
        QCOMPARE(manager.snapshot()->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_sample"));

        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(root, false));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        controller.page()->selectType(QStringLiteral("mamba"));
        controller.page()->selectWeight(QStringLiteral("mamba_v2"));
        QAction *setActive = controller.actions()->setActive();
        QVERIFY(setActive->isEnabled());

        // A real second process takes the registry's lock, as the CLI or a script would.
        constexpr int kHoldMs = 5000;
        QProcess holder;
        holder.start(QCoreApplication::applicationFilePath(),
                     {QStringLiteral("--hold-lock"), manager.workspace().registryPath() + QStringLiteral(".lock"), QString::number(kHoldMs)});
        QVERIFY(holder.waitForStarted());
        QVERIFY(holder.waitForReadyRead(10000));
        QCOMPARE(holder.readLine().trimmed(), QByteArray("locked"));

        QElapsedTimer clock;
        clock.start();
        qint64 lastTick = 0;
        qint64 maxGap = 0;   // wall time between ticks
        qint64 maxGapAt = 0;
        double maxStall = 0; // the same, less the time the thread waited for a CPU
        double lastWait = runQueueWaitMs();
        const bool haveSchedstat = lastWait >= 0;
        QTimer ticker;
        ticker.setTimerType(Qt::PreciseTimer);
        ticker.setInterval(10);
        connect(&ticker, &QTimer::timeout, &ticker, [&] {
            const qint64 now = clock.elapsed();
            const double wait = haveSchedstat ? runQueueWaitMs() : 0;
            if (now - lastTick > maxGap) {
                maxGap = now - lastTick;
                maxGapAt = now;
            }
            maxStall = std::max(maxStall, double(now - lastTick) - (wait - lastWait));
            lastWait = wait;
            lastTick = now;
        });
        ticker.start();

        setActive->trigger();
        const qint64 triggerReturned = clock.elapsed();
        QVERIFY2(triggerReturned < 50, qPrintable(QStringLiteral("the action blocked the GUI thread for %1 ms").arg(triggerReturned)));
        QVERIFY(controller.actions()->isBusy());
        QVERIFY(!setActive->isEnabled());
        QVERIFY(!controller.actions()->remove()->isEnabled());
        QVERIFY(!controller.actions()->import()->isEnabled());
        QCOMPARE(controller.jobs()->jobs().size(), std::size_t(1));

        const auto activeOnDisk = [&] {
            auto data = manager.snapshot();
            return data ? data->activeOf(QStringLiteral("mamba")) : QString();
        };
        // A plain event loop, as the application runs, until the job ends (or 20 s pass).
        // Half-way through the hold nothing may have changed yet.
        QString activeHalfway;
        bool busyHalfway = false;
        QTimer::singleShot(kHoldMs / 2, &ticker, [&] {
            activeHalfway = activeOnDisk();
            busyHalfway = controller.actions()->isBusy();
        });
        QEventLoop loop;
        connect(controller.jobs(), &JobRunner::busyChanged, &loop, [&loop](bool busy) {
            if (!busy)
                loop.quit();
        });
        QTimer::singleShot(20000, &loop, &QEventLoop::quit);
        loop.exec();
        QCOMPARE(activeHalfway, QStringLiteral("mamba_sample"));
        QVERIFY(busyHalfway);
        QVERIFY(!controller.jobs()->isBusy());
        const qint64 finished = clock.elapsed();
        ticker.stop();
        // (waitForFinished() is false for a process that has already ended.)
        QVERIFY(holder.state() == QProcess::NotRunning || holder.waitForFinished(10000));
        QCOMPARE(holder.exitStatus(), QProcess::NormalExit);
        QCOMPARE(holder.exitCode(), 0);

        QCOMPARE(activeOnDisk(), QStringLiteral("mamba_v2"));
        const int row = controller.page()->weightModel()->rowOf(QStringLiteral("mamba_v2"));
        QVERIFY(row >= 0);
        QVERIFY(controller.page()->weightModel()->rows()[std::size_t(row)].active);
        QVERIFY(!controller.actions()->isBusy());
        QVERIFY(controller.actions()->import()->isEnabled());
        qInfo("trigger returned after %lld ms; activation done after %lld ms; longest event-loop gap %lld ms (at %lld ms), "
              "longest gap less its wait for a CPU %.1f ms (%s)",
              triggerReturned, finished, maxGap, maxGapAt, maxStall, haveSchedstat ? "schedstat" : "no schedstat: wall time");
        QVERIFY2(finished >= kHoldMs - 1000, "the activation did not wait for the lock: the test proves nothing");
        // On a loaded machine the scheduler alone can hold the thread off a CPU for 50 ms; that
        // is no stall of ours, so the run-queue wait is taken out where the kernel reports it.
#ifdef __SANITIZE_ADDRESS__
        // ASan makes the GUI thread's own work (painting, re-reading the registry) 3-5x slower:
        // 32-47 ms gaps alone, 82 ms beside another test. The sanitizer build checks that the
        // window never freezes during the 5 s wait; the dev build keeps the 50 ms budget.
        constexpr double kStallBudgetMs = 150;
#else
        constexpr double kStallBudgetMs = 50;
#endif
        QVERIFY2(maxStall <= kStallBudgetMs, qPrintable(QStringLiteral("the event loop stalled for %1 ms").arg(maxStall)));
    }

    // Closing the window while a change waits for another process's lock: the controller's
    // jobs are waited for on destruction, and the wait for the lock ran to its 30 s timeout.
    // The change is cancelled within a lock-polling slice instead, and changes nothing.
    void closingCancelsAChangeWaitingForTheLock()
    {
        const QString root = m_dir.filePath(QStringLiteral("ws-close"));
        QVERIFY(QDir().mkpath(root));
        WeightManager manager{Workspace(root)};
        auto setup = manager.setup();
        QVERIFY2(setup.ok(), qPrintable(test::errorOf(setup)));
        const Status added = addMambaCopy(manager, QStringLiteral("v2"));
        QVERIFY2(added.ok(), qPrintable(test::errorOf(added)));

        MainWindow window;
        auto controller = std::make_unique<WorkspaceController>(&window);
        QVERIFY(controller->openWorkspace(root, false));
        controller->page()->selectType(QStringLiteral("mamba"));
        controller->page()->selectWeight(QStringLiteral("mamba_v2"));

        constexpr int kHoldMs = 8000;
        QProcess holder;
        holder.start(QCoreApplication::applicationFilePath(),
                     {QStringLiteral("--hold-lock"), manager.workspace().registryPath() + QStringLiteral(".lock"), QString::number(kHoldMs)});
        QVERIFY(holder.waitForStarted());
        QVERIFY(holder.waitForReadyRead(10000));
        QCOMPARE(holder.readLine().trimmed(), QByteArray("locked"));

        controller->actions()->setActive()->trigger();
        QVERIFY(controller->actions()->isBusy());
        QTest::qWait(500); // the job is inside the wait for the lock
        QElapsedTimer clock;
        clock.start();
        controller.reset();
        const qint64 closed = clock.elapsed();
        qInfo("the controller was destroyed %lld ms after the close, with the lock still held", closed);
        QVERIFY2(closed < 2000, qPrintable(QStringLiteral("closing waited %1 ms for the lock").arg(closed)));
        QCOMPARE(holder.state(), QProcess::Running); // the lock was still held: the test means something
        QVERIFY(holder.waitForFinished(kHoldMs + 5000));
        QCOMPARE(manager.snapshot()->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_sample"));
    }

    // A change that fails in its job reports as before: a warning naming what failed and why.
    void failedChangeIsReported_data()
    {
        QTest::addColumn<QString>("action");
        QTest::addColumn<QString>("summary");
        QTest::addColumn<QString>("detail");
        QTest::newRow("set active: the file is gone")
                << QStringLiteral("setActive") << QStringLiteral("Could not make mamba_gone active")
                << QStringLiteral("Model/weights/mamba_gone.safetensors: the file of 'mamba_gone' is missing; it cannot be made active");
        QTest::newRow("remove: another process removed it first")
                << QStringLiteral("remove") << QStringLiteral("Some weights could not be removed")
                << QStringLiteral("Model/weight_config.json: no weight named 'mamba_gone' is registered");
    }

    void failedChangeIsReported()
    {
        QFETCH(QString, action);
        QFETCH(QString, summary);
        QFETCH(QString, detail);
        const QString root = m_dir.filePath(QStringLiteral("errors-") + action);
        QVERIFY(QDir().mkpath(root));
        WeightManager manager{Workspace(root)};
        auto setup = manager.setup();
        QVERIFY2(setup.ok(), qPrintable(test::errorOf(setup)));
        const Status added = addMambaCopy(manager, QStringLiteral("gone"));
        QVERIFY2(added.ok(), qPrintable(test::errorOf(added)));

        MainWindow window;
        WorkspaceController controller(&window);
        QVERIFY(controller.openWorkspace(root, false));
        controller.page()->selectType(QStringLiteral("mamba"));
        controller.page()->selectWeight(QStringLiteral("mamba_gone"));
        QAction *trigger = action == QLatin1String("setActive") ? controller.actions()->setActive() : controller.actions()->remove();
        QVERIFY(trigger->isEnabled());
        // Behind the window's back, as another process would.
        if (action == QLatin1String("setActive"))
            QVERIFY(QFile::remove(manager.finalPathFor(QStringLiteral("mamba"), QStringLiteral("gone"), false)));
        else
            QVERIFY(manager.removeWeight(QStringLiteral("mamba_gone")).ok());

        QString shownTitle;
        QString shownText;
        QString shownDetail;
        const auto captureWarning = [&](QWidget *dialog) {
            auto *box = qobject_cast<QMessageBox *>(dialog);
            QVERIFY2(box, dialog->metaObject()->className());
            shownTitle = box->windowTitle();
            shownText = box->text();
            shownDetail = box->informativeText();
            // One detail is all in the text: no "Show Details…" that would repeat it.
            QCOMPARE(box->detailedText(), QString());
            box->accept();
        };
        if (action == QLatin1String("remove")) {
            whenDialogOpens([&](QWidget *dialog) { // "Delete 1 weight …?" first
                auto *box = qobject_cast<QMessageBox *>(dialog);
                QVERIFY2(box, dialog->metaObject()->className());
                whenDialogOpens(captureWarning);
                box->button(QMessageBox::Yes)->click();
            });
        } else {
            whenDialogOpens(captureWarning);
        }
        trigger->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!shownText.isEmpty(), 20000);
        QCOMPARE(shownTitle, action == QLatin1String("setActive") ? QStringLiteral("Set active") : QStringLiteral("Remove"));
        QCOMPARE(shownText, summary);
        QCOMPARE(shownDetail, QDir(root).filePath(detail));
        QTRY_VERIFY(!controller.actions()->isBusy());
        QCOMPARE(manager.snapshot()->activeOf(QStringLiteral("mamba")), QStringLiteral("mamba_sample"));
    }

private:
    QTemporaryDir m_dir;
};

int main(int argc, char **argv)
{
    if (argc == 4 && qstrcmp(argv[1], "--hold-lock") == 0) {
        QCoreApplication app(argc, argv);
        return holdLock(QString::fromLocal8Bit(argv[2]), QByteArray(argv[3]).toInt());
    }
    QApplication app(argc, argv);
    app.setAttribute(Qt::AA_Use96Dpi, true);
    TestGuiTasks test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_gui_tasks.moc"
