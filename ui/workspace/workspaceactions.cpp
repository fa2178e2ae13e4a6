#include "workspaceactions.h"

#include "backuparchive.h"
#include "cleanupdialog.h"
#include "convertdialog.h"
#include "errortext.h"
#include "icons.h"
#include "importdialog.h"
#include "jobrunner.h"
#include "newmodeltypedialog.h"
#include "repack.h"
#include "reshardingdialog.h"
#include "safetensorsmodel.h"
#include "validationresultsdialog.h"
#include "weighttablemodel.h"
#include "workspacepage.h"
#include "workspacesession.h"

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QTableView>
#include <QToolButton>

#include <algorithm>
#include <memory>

namespace tantra {

namespace {

QAction *makeAction(QObject *parent, const QString &text, const QString &icon, const QKeySequence &shortcut, const QString &tip)
{
    auto *a = new QAction(Icons::get(icon), text, parent);
    if (!shortcut.isEmpty())
        a->setShortcut(shortcut);
    a->setToolTip(shortcut.isEmpty() ? tip : QStringLiteral("%1 (%2)").arg(tip, shortcut.toString(QKeySequence::NativeText)));
    a->setStatusTip(tip);
    return a;
}

} // namespace

template<typename Work>
void WorkspaceActions::runChange(const QString &title, Work work, std::function<void(const JobOutcome &)> onDone)
{
    m_changes.push_back(QFuture<void>(m_jobs->run(title, std::move(work), this, std::move(onDone))));
    Q_EMIT statusMessage(tr("%1\u2026").arg(title));
    updateEnabled();
}

bool WorkspaceActions::isBusy() const
{
    return std::any_of(m_changes.begin(), m_changes.end(), [](const QFuture<void> &f) { return !f.isFinished(); });
}

WorkspaceActions::WorkspaceActions(WorkspaceSession *session, WorkspacePage *page, JobRunner *jobs, QWidget *window)
    : QObject(window), m_session(session), m_page(page), m_jobs(jobs), m_window(window)
{
    m_setActive = makeAction(this, tr("Set &Active"), QStringLiteral("active"), QKeySequence(tr("Ctrl+Shift+A")),
                             tr("Make the selected weight the active one of its model type"));
    m_rollback = makeAction(this, tr("Roll Back &Activation"), QStringLiteral("recent"), QKeySequence(tr("Ctrl+Shift+R")),
                            tr("Make active again the weight that was active before the current one"));
    m_backup = makeAction(this, tr("&Backup"), QStringLiteral("backup"), QKeySequence(tr("Ctrl+B")),
                          tr("Archive the selected weights with their config and checksums"));
    m_restore = makeAction(this, tr("&Restore from Backup…"), QStringLiteral("restore"), QKeySequence(tr("Ctrl+Shift+B")),
                           tr("Verify a backup archive and register its weight again"));
    m_validate = makeAction(this, tr("&Validate"), QStringLiteral("validate"), QKeySequence(Qt::Key_F7),
                            tr("Check the selected weights: structure, shapes against the config, checksum, NaN/Inf"));
    m_validateAll = makeAction(this, tr("Validate A&ll"), QStringLiteral("validate"), QKeySequence(Qt::SHIFT | Qt::Key_F7),
                               tr("Check every weight of the workspace"));
    m_verify = makeAction(this, tr("Verify &Checksums"), QStringLiteral("checksum"), QKeySequence(Qt::Key_F8),
                          tr("Re-hash the selected weights (or all) against the registry"));
    m_cleanup = makeAction(this, tr("Clean &Up…"), QStringLiteral("cleanup"), QKeySequence(tr("Ctrl+Shift+L")),
                           tr("Delete old weights of the model type, keeping the newest and the active one"));
    m_remove = makeAction(this, tr("Re&move"), QStringLiteral("remove"), QKeySequence::Delete,
                          tr("Delete the selected weights (not the active one)"));
    m_import = makeAction(this, tr("&Import…"), QStringLiteral("import"), QKeySequence(tr("Ctrl+I")),
                          tr("Copy a .safetensors file or shard set into the workspace"));
    m_newType = makeAction(this, tr("&New Model Type…"), QStringLiteral("new-type"), QKeySequence(tr("Ctrl+Shift+N")),
                           tr("Create a config for a new model type"));
    m_browse = makeAction(this, tr("Browse &Tensors"), QStringLiteral("tensor"), QKeySequence(tr("Ctrl+Shift+T")),
                          tr("Open the selected weight in the tensor browser"));
    m_compare = makeAction(this, tr("&Compare"), QStringLiteral("compare"), QKeySequence(tr("Ctrl+D")),
                           tr("Compare the two selected weights tensor by tensor (one selected: with a file you choose)"));
    m_convert = makeAction(this, tr("Con&vert…"), QStringLiteral("convert"), QKeySequence(tr("Ctrl+Shift+V")),
                           tr("Make a new version of the selected weight in another dtype (BF16, F16, F32, FP8), with a report of what it cost"));
    m_reshard = makeAction(this, tr("Re&shard…"), QStringLiteral("reshard"), QKeySequence(),
                           tr("Make a new version of the selected weight split into shards of a size, or merged into one file"));
    m_repair = makeAction(this, tr("Re&pair Workspace…"), QStringLiteral("repair"), QKeySequence(),
                          tr("Clean leftovers of interrupted work and rebuild the registry from the files"));
    m_editConfig = makeAction(this, tr("&Edit Config"), QStringLiteral("config"), QKeySequence(tr("Ctrl+E")),
                              tr("Edit the selected model type's config"));
    // Delete must not fire while the user types in the filter box.
    m_remove->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    page->weightsView()->addAction(m_remove);

    connect(m_setActive, &QAction::triggered, this, &WorkspaceActions::doSetActive);
    connect(m_rollback, &QAction::triggered, this, &WorkspaceActions::doRollback);
    connect(m_backup, &QAction::triggered, this, &WorkspaceActions::doBackup);
    connect(m_restore, &QAction::triggered, this, &WorkspaceActions::doRestore);
    connect(m_validate, &QAction::triggered, this, [this] { doValidate(false); });
    connect(m_validateAll, &QAction::triggered, this, [this] { doValidate(true); });
    connect(m_verify, &QAction::triggered, this, &WorkspaceActions::doVerify);
    connect(m_cleanup, &QAction::triggered, this, &WorkspaceActions::doCleanup);
    connect(m_remove, &QAction::triggered, this, &WorkspaceActions::doRemove);
    connect(m_import, &QAction::triggered, this, &WorkspaceActions::doImport);
    connect(m_newType, &QAction::triggered, this, &WorkspaceActions::doNewModelType);
    connect(m_browse, &QAction::triggered, this, &WorkspaceActions::doBrowse);
    connect(m_compare, &QAction::triggered, this, &WorkspaceActions::doCompare);
    connect(m_convert, &QAction::triggered, this, &WorkspaceActions::doConvert);
    connect(m_reshard, &QAction::triggered, this, &WorkspaceActions::doReshard);
    connect(m_repair, &QAction::triggered, this, &WorkspaceActions::doRepair);
    connect(m_editConfig, &QAction::triggered, this, [this] {
        if (!m_page->currentType().isEmpty())
            Q_EMIT editConfigRequested(m_page->currentType());
    });
    connect(page->newTypeButton(), &QToolButton::clicked, m_newType, &QAction::trigger);
    page->newTypeButton()->setIcon(m_newType->icon());
    connect(page, &WorkspacePage::selectionChanged, this, &WorkspaceActions::updateEnabled);
    connect(session, &WorkspaceSession::changed, this, &WorkspaceActions::updateEnabled);
    // A change ends (or is cancelled) before its result is applied: enable the actions again.
    connect(m_jobs, &JobRunner::jobsChanged, this, &WorkspaceActions::updateEnabled);
    connect(page, &WorkspacePage::weightActivated, this, &WorkspaceActions::doBrowse);
    connect(page, &WorkspacePage::contextMenuRequested, this, [this](const QPoint &pos) {
        QMenu menu;
        fillContextMenu(&menu);
        menu.exec(pos);
    });
    updateEnabled();
}

QList<QAction *> WorkspaceActions::weightActions() const
{
    return {m_browse, m_compare, m_setActive, m_validate, m_verify, m_backup, m_remove};
}

void WorkspaceActions::fillContextMenu(QMenu *menu) const
{
    menu->addAction(m_browse);
    menu->addAction(m_compare);
    menu->addAction(m_setActive);
    menu->addSeparator();
    menu->addAction(m_convert);
    menu->addAction(m_reshard);
    menu->addSeparator();
    menu->addAction(m_validate);
    menu->addAction(m_verify);
    menu->addAction(m_backup);
    menu->addSeparator();
    menu->addAction(m_remove);
}

void WorkspaceActions::updateEnabled()
{
    m_changes.erase(std::remove_if(m_changes.begin(), m_changes.end(), [](const QFuture<void> &f) { return f.isFinished(); }),
                    m_changes.end());
    const bool busy = isBusy();
    const bool open = m_session->isOpen();
    const QStringList selected = m_page->selectedWeights();
    const bool one = selected.size() == 1;
    bool selectionHasActive = false;
    for (const QString &name : selected) {
        const auto *row = m_page->weightModel()->rowFor(name);
        selectionHasActive = selectionHasActive || (row && row->active);
    }
    m_setActive->setEnabled(one && !selectionHasActive && !busy);
    m_backup->setEnabled(!selected.isEmpty());
    m_validate->setEnabled(!selected.isEmpty());
    m_verify->setEnabled(open);
    m_remove->setEnabled(!selected.isEmpty() && !selectionHasActive && !busy);
    m_remove->setToolTip(selectionHasActive ? tr("The active weight cannot be removed; make another weight active first")
                                            : tr("Delete the selected weights (not the active one)"));
    m_browse->setEnabled(one);
    m_compare->setEnabled(one || selected.size() == 2);
    m_convert->setEnabled(one && !busy);
    m_reshard->setEnabled(one && !busy);
    m_cleanup->setEnabled(open && !m_page->currentType().isEmpty() && !busy);
    // The tooltip names the weight it would activate, or why there is none.
    QString rollbackTip = tr("Make active again the weight that was active before the current one");
    bool canRollback = false;
    if (open && !m_page->currentType().isEmpty()) {
        auto target = m_session->manager()->rollbackTarget(m_session->registry(), m_page->currentType());
        canRollback = target.ok();
        rollbackTip = target ? tr("Make %1 active again").arg(*target) : target.error().problem;
    }
    m_rollback->setEnabled(canRollback && !busy);
    m_rollback->setToolTip(rollbackTip);
    m_rollback->setStatusTip(rollbackTip);
    m_editConfig->setEnabled(open && !m_page->currentType().isEmpty());
    m_validateAll->setEnabled(open);
    for (QAction *a : {m_restore, m_import, m_newType, m_repair})
        a->setEnabled(open && !busy);
}

void WorkspaceActions::report(const QString &title, const JobOutcome &outcome)
{
    m_session->reload();
    Q_EMIT statusMessage(outcome.summary);
    if (outcome.ok)
        return;
    QMessageBox box(QMessageBox::Warning, title, outcome.summary, QMessageBox::Ok, m_window);
    if (!outcome.details.isEmpty()) {
        box.setInformativeText(outcome.details.mid(0, 8).join(QLatin1Char('\n'))
                               + (outcome.details.size() > 8 ? tr("\n… and %n more (see Details)", nullptr, int(outcome.details.size() - 8)) : QString()));
        // "Show Details…" only when it shows more than the text above already does.
        if (outcome.details.size() > 8)
            box.setDetailedText(outcome.details.join(QLatin1Char('\n')));
    }
    box.exec();
}

void WorkspaceActions::doSetActive()
{
    if (isBusy())
        return; // one change of the registry at a time; the actions say so by being disabled
    const QStringList selected = m_page->selectedWeights();
    if (selected.size() != 1)
        return;
    const QString name = selected.first();
    const Workspace ws = m_session->manager()->workspace();
    // Set Active and Roll Back change one pointer and undo each other, so neither asks first
    // (a question before every reversible click trains users to click Yes); the message names
    // what was replaced and how to go back.
    runChange(
            tr("Making %1 active").arg(name),
            [ws, name](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                auto before = manager.snapshot();
                const WeightEntry *entry = before ? before->find(name) : nullptr;
                const QString previous = entry ? before->activeOf(entry->modelType) : QString();
                auto status = manager.setActiveWeight(name);
                if (!status)
                    return JobOutcome{false, QObject::tr("Could not make %1 active").arg(name), {errorText(status.error())}};
                if (previous.isEmpty() || previous == name)
                    return JobOutcome{true, QObject::tr("%1 is now active").arg(name), {}};
                return JobOutcome{true, QObject::tr("%1 is now active, replacing %2 (Roll Back Activation, Ctrl+Shift+R, returns to it)")
                                                .arg(name, previous),
                                  {}};
            },
            [this](const JobOutcome &o) { report(tr("Set active"), o); });
}

void WorkspaceActions::doRollback()
{
    if (isBusy())
        return;
    const QString type = m_page->currentType();
    WeightManager *manager = m_session->manager();
    auto data = manager->snapshot();
    if (type.isEmpty() || !data)
        return;
    auto target = manager->rollbackTarget(*data, type);
    if (!target) {
        report(tr("Roll back"), JobOutcome{false, tr("Nothing to roll back to for %1").arg(type), {errorText(target.error())}});
        return;
    }
    // No question, as for Set Active: rolling back twice returns to where it started.
    const QString current = data->activeOf(type);
    const Workspace ws = manager->workspace();
    runChange(
            tr("Rolling back %1").arg(type),
            [ws, type, current](JobContext &job) {
                WeightManager writer(ws);
                writer.setJobContext(&job);
                auto done = writer.rollbackActiveWeight(type);
                if (!done)
                    return JobOutcome{false, QObject::tr("Could not roll back %1").arg(type), {errorText(done.error())}};
                if (current.isEmpty())
                    return JobOutcome{true, QObject::tr("%1 is active again").arg(*done), {}};
                return JobOutcome{true, QObject::tr("%1 is active again, replacing %2 (Roll Back Activation once more returns to it)")
                                                .arg(*done, current),
                                  {}};
            },
            [this](const JobOutcome &o) { report(tr("Roll back"), o); });
}

void WorkspaceActions::doBackup()
{
    const QStringList names = m_page->selectedWeights();
    const Workspace ws = m_session->manager()->workspace();
    m_jobs->run(
            tr("Backing up %n weight(s)", nullptr, int(names.size())),
            [ws, names](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                JobOutcome out;
                QStringList made;
                for (const QString &name : names) {
                    auto archive = manager.backupWeight(name, &job);
                    if (archive)
                        made << QFileInfo(*archive).fileName();
                    else
                        out.details << errorText(archive.error());
                }
                out.ok = out.details.isEmpty();
                out.summary = out.ok ? QObject::tr("Backed up to %1").arg(made.join(QStringLiteral(", ")))
                                     : QObject::tr("Backup failed for %n weight(s)", nullptr, int(out.details.size()));
                return out;
            },
            this, [this](const JobOutcome &o) { report(tr("Backup"), o); });
}

void WorkspaceActions::doRestore()
{
    if (isBusy())
        return;
    const QString archive = QFileDialog::getOpenFileName(m_window, tr("Restore from backup"), m_session->manager()->workspace().backupsDir(),
                                                         tr("Weight backups (*.zip)"));
    if (!archive.isEmpty())
        restoreArchive(archive);
}

void WorkspaceActions::restoreArchive(const QString &archive)
{
    auto manifest = BackupArchive::readManifest(archive);
    if (!manifest) {
        report(tr("Restore"), JobOutcome{false, tr("This archive cannot be restored"), {errorText(manifest.error())}});
        return;
    }
    const WeightEntry &entry = manifest->entry;
    // What the archive holds, from its manifest, before anything is written: the user checks
    // that this is the backup they meant.
    const QString contents = tr("Weight: %1 (model type %2, version %3)\nSize: %4 in %5\nCreated: %6\nBacked up: %7\n"
                                "Config: %8\n\nEvery checksum is verified before it is registered.")
                                     .arg(entry.name, entry.modelType, entry.version, QLocale().formattedDataSize(qint64(entry.size)),
                                          manifest->members.size() - (manifest->configMember.isEmpty() ? 0 : 1) == 1
                                                  ? tr("1 file")
                                                  : tr("%1 files").arg(manifest->members.size() - (manifest->configMember.isEmpty() ? 0 : 1)),
                                          QLocale().toString(entry.created.toLocalTime(), QLocale::ShortFormat),
                                          QLocale().toString(manifest->created.toLocalTime(), QLocale::ShortFormat),
                                          manifest->configMember.isEmpty() ? tr("not in the archive") : manifest->configMember);
    QString version;
    if (m_session->registry().find(entry.name)) {
        bool ok = false;
        version = QInputDialog::getText(m_window, tr("Restore %1").arg(entry.name),
                                        contents + tr("\n\n%1 is already registered. Restore it as another version:").arg(entry.name),
                                        QLineEdit::Normal, entry.version + QStringLiteral("-restored"), &ok);
        if (!ok || version.isEmpty())
            return;
    } else {
        QMessageBox box(QMessageBox::Question, tr("Restore %1").arg(entry.name),
                        tr("Restore %1 from %2?").arg(entry.name, QFileInfo(archive).fileName()), QMessageBox::Yes | QMessageBox::No,
                        m_window);
        box.setObjectName(QStringLiteral("restoreQuestion"));
        box.setInformativeText(contents);
        if (box.exec() != QMessageBox::Yes)
            return;
    }
    const Workspace ws = m_session->manager()->workspace();
    auto restoredAs = std::make_shared<std::pair<QString, QString>>(); // type, name
    runChange(
            tr("Restoring %1").arg(entry.name),
            [ws, archive, version, restoredAs](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                auto restored = manager.restoreBackup(archive, version, &job);
                if (!restored)
                    return JobOutcome{false, QObject::tr("Restore failed"), {errorText(restored.error())}};
                *restoredAs = {restored->modelType, restored->name};
                return JobOutcome{true, QObject::tr("Restored %1 (checksums verified)").arg(restored->name), {}};
            },
            [this, restoredAs](const JobOutcome &o) {
                report(tr("Restore"), o);
                if (o.ok) {
                    m_page->selectType(restoredAs->first);
                    m_page->selectWeight(restoredAs->second);
                }
            });
}

void WorkspaceActions::doValidate(bool all)
{
    QStringList targets;
    const RegistryData &data = m_session->registry();
    const QStringList names = all ? QStringList() : m_page->selectedWeights();
    for (const auto &[name, w] : data.weights) {
        if (all || names.contains(name))
            targets << name;
    }
    if (targets.empty())
        return;
    const Workspace ws = m_session->manager()->workspace();
    using Results = std::vector<ValidationResult>;
    m_jobs->run(
            tr("Validating %n weight(s)", nullptr, int(targets.size())),
            [ws, targets](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                // Paths inside the workspace are shown relative to it: the list is read, not grepped.
                const QString root = QDir(ws.root()).absolutePath() + QLatin1Char('/');
                const auto relative = [&root](QString text) { return text.replace(root, QString()); };
                Results results;
                for (const QString &name : targets) {
                    auto r = manager.validateWeightNamed(name, true, &job);
                    if (job.isCanceled())
                        break;
                    ValidationResult result{name, r ? relative(r->path) : QString(), bool(r), r && r->passed, {}};
                    for (const QString &problem : r ? r->issues : QStringList{errorText(r.error())})
                        result.problems << relative(problem);
                    results.push_back(std::move(result));
                }
                return results;
            },
            this, [this](const Results &results) {
                m_session->reload();
                const auto passed = std::count_if(results.begin(), results.end(), [](const ValidationResult &r) { return r.passed; });
                Q_EMIT statusMessage(tr("Validation: %1 of %n weight(s) passed", nullptr, int(results.size())).arg(passed));
                if (passed == qsizetype(results.size()))
                    return;
                // Not modal: the list stays open beside the window while the user fixes things.
                auto *dialog = new ValidationResultsDialog(results, m_window);
                dialog->setAttribute(Qt::WA_DeleteOnClose);
                dialog->show();
            });
}

void WorkspaceActions::doVerify()
{
    QStringList names = m_page->selectedWeights();
    const Workspace ws = m_session->manager()->workspace();
    using Results = std::vector<VerifyResult>;
    auto results = std::make_shared<Results>();
    m_jobs->run(
            names.isEmpty() ? tr("Verifying all checksums") : tr("Verifying %n checksum(s)", nullptr, int(names.size())),
            [ws, names, results](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                JobOutcome out;
                const QStringList targets = names.isEmpty() ? QStringList{QString()} : names;
                for (const QString &t : targets) {
                    auto r = manager.verify(t, &job);
                    if (!r) {
                        out.details << errorText(r.error());
                        continue;
                    }
                    results->insert(results->end(), r->begin(), r->end());
                }
                // Kept in the registry, so a reopened workspace still shows what was verified.
                if (auto recorded = manager.recordVerified(*results, QDateTime::currentDateTimeUtc()); !recorded)
                    out.details << errorText(recorded.error());
                int ok = 0;
                for (const auto &r : *results) {
                    if (r.status == ChecksumStatus::Ok)
                        ++ok;
                    else
                        out.details << r.message;
                }
                out.ok = out.details.isEmpty();
                out.summary = QObject::tr("Checksums: %1 of %n weight(s) verified", nullptr, int(results->size())).arg(ok);
                return out;
            },
            this, [this, results](const JobOutcome &o) {
                for (const auto &r : *results) {
                    const ChecksumState state = r.status == ChecksumStatus::Ok        ? ChecksumState::Verified
                            : r.status == ChecksumStatus::Missing                     ? ChecksumState::Missing
                            : r.status == ChecksumStatus::Changed                     ? ChecksumState::Changed
                                                                                      : ChecksumState::NotChecked;
                    m_session->setChecksumState(r.weight, state);
                }
                report(tr("Verify checksums"), o);
            });
}

void WorkspaceActions::doCleanup()
{
    if (isBusy())
        return;
    const QString type = m_page->currentType();
    CleanupDialog dialog(m_session->manager(), type, m_window);
    if (dialog.exec() != QDialog::Accepted || dialog.toRemove().isEmpty())
        return;
    if (QMessageBox::warning(m_window, tr("Clean up %1").arg(type),
                             tr("Delete %n weight(s) of %1 for good?\n\n%2", nullptr, int(dialog.toRemove().size()))
                                     .arg(type, dialog.toRemove().join(QLatin1Char('\n'))),
                             QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel)
        != QMessageBox::Yes)
        return;
    const Workspace ws = m_session->manager()->workspace();
    const int keep = dialog.keep();
    runChange(
            tr("Cleaning up %1").arg(type),
            [ws, type, keep](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                auto plan = manager.cleanupOldWeights(type, keep, false);
                if (!plan)
                    return JobOutcome{false, QObject::tr("Cleanup failed"), {errorText(plan.error())}};
                return JobOutcome{true, QObject::tr("Removed %n weight(s), freed %1", nullptr, int(plan->remove.size()))
                                                .arg(QLocale().formattedDataSize(qint64(plan->bytesFreed))),
                                  {}};
            },
            [this](const JobOutcome &o) { report(tr("Clean up"), o); });
}

void WorkspaceActions::doRemove()
{
    if (isBusy())
        return;
    const QStringList names = m_page->selectedWeights();
    if (names.isEmpty() || !m_remove->isEnabled())
        return;
    if (QMessageBox::warning(m_window, tr("Remove weights"),
                             tr("Delete %n weight(s) and their files for good?\n\n%1\n\nBackups are not affected.", nullptr, int(names.size()))
                                     .arg(names.join(QLatin1Char('\n'))),
                             QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel)
        != QMessageBox::Yes)
        return;
    const Workspace ws = m_session->manager()->workspace();
    runChange(
            tr("Removing %n weight(s)", nullptr, int(names.size())),
            [ws, names](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                JobOutcome out;
                QStringList gone;
                QStringList parts;
                for (const QString &name : names) {
                    auto removed = manager.removeWeight(name);
                    if (!removed)
                        out.details << errorText(removed.error());
                    else if (removed->fileKeptFor.isEmpty())
                        gone << name;
                    else // "Removed" alone would let the user believe the space was freed
                        parts << QObject::tr("Removed %1 from the registry; its file was kept, still used by %2")
                                         .arg(name, removed->fileKeptFor.join(QStringLiteral(", ")));
                }
                if (!gone.isEmpty())
                    parts.prepend(QObject::tr("Removed %1").arg(gone.join(QStringLiteral(", "))));
                out.ok = out.details.isEmpty();
                out.summary = out.ok ? parts.join(QStringLiteral("; "))
                                     : QObject::tr("Some weights could not be removed");
                return out;
            },
            [this](const JobOutcome &o) { report(tr("Remove"), o); });
}

void WorkspaceActions::doImport()
{
    if (isBusy())
        return;
    const QString path = QFileDialog::getOpenFileName(m_window, tr("Import weight"), QString(),
                                                      tr("Weights (*.safetensors *.safetensors.index.json);;PyTorch checkpoints (*.bin *.pt *.pth *.ckpt);;Backups (*.zip);;All files (*)"));
    if (!path.isEmpty())
        importPath(path);
}

bool WorkspaceActions::importPath(const QString &path)
{
    if (!m_session->isOpen()) {
        report(tr("Import"), JobOutcome{false, tr("Open a workspace first"), {tr("%1 can only be imported into a workspace.").arg(path)}});
        return false;
    }
    if (isBusy()) {
        report(tr("Import"), JobOutcome{false, tr("Another change of the workspace is still running"),
                                        {tr("%1 was not imported; import it again when the running job has finished.").arg(path)}});
        return true;
    }
    if (path.endsWith(QStringLiteral(".zip"), Qt::CaseInsensitive)) {
        restoreArchive(path);
        return true;
    }
    ImportDialog dialog(m_session->manager(), path, m_window);
    if (dialog.exec() != QDialog::Accepted)
        return false;
    const ImportRequest request = dialog.request();
    const Workspace ws = m_session->manager()->workspace();
    // The worker names the new weight; the GUI thread reads it only after the job finished.
    auto imported = std::make_shared<QString>();
    runChange(
            tr("Importing %1").arg(QFileInfo(path).fileName()),
            [ws, request, imported](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                auto entry = manager.importWeight(request, &job);
                if (!entry)
                    return JobOutcome{false, QObject::tr("Import failed"), {errorText(entry.error())}};
                *imported = entry->name;
                const QString file = QFileInfo(request.source).fileName();
                if (request.createType)
                    return JobOutcome{true, QObject::tr("Imported %1 as %2, of the new model type %3").arg(file, entry->name, request.modelType), {}};
                if (entry->validation.unvalidatedImport)
                    return JobOutcome{true, QObject::tr("Imported %1 as %2, marked unvalidated: it does not fit the %3 config").arg(file, entry->name, request.modelType), {}};
                return JobOutcome{true, QObject::tr("Imported %1 as %2").arg(file, entry->name), {}};
            },
            [this, request, imported](const JobOutcome &o) {
                report(tr("Import"), o);
                if (o.ok) {
                    // What the user just added is what they look at next: its row, its details.
                    m_page->selectType(request.modelType);
                    m_page->selectWeight(*imported);
                }
            });
    return true;
}

void WorkspaceActions::doNewModelType()
{
    if (isBusy())
        return;
    NewModelTypeDialog dialog(m_session->modelTypes(), m_window);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const Workspace ws = m_session->manager()->workspace();
    const QString type = dialog.typeName();
    const QString from = dialog.fromType();
    const QStringList overrides = dialog.overrides();
    runChange(
            tr("Creating model type %1").arg(type),
            [ws, type, from, overrides](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                auto created = manager.configs().createModelConfig(type, from, overrides);
                if (!created)
                    return JobOutcome{false, QObject::tr("Could not create %1").arg(type), {errorText(created.error())}};
                return JobOutcome{true, QObject::tr("Created %1").arg(created->filePath), {}};
            },
            [this, type](const JobOutcome &o) {
                report(tr("New model type"), o);
                if (o.ok)
                    m_page->selectType(type);
            });
}

void WorkspaceActions::doBrowse()
{
    const QStringList names = m_page->selectedWeights();
    if (names.size() != 1)
        return;
    const WeightEntry *w = m_session->registry().find(names.first());
    if (!w)
        return;
    // A few stat calls, no reads: a FIFO or a shard linked outside is refused before the
    // browser opens it.
    if (auto usable = m_session->manager()->checkWeightFiles(*w); !usable) {
        report(tr("Browse"), JobOutcome{false, tr("Cannot open %1").arg(w->name), {errorText(usable.error())}});
        return;
    }
    Q_EMIT openInBrowser(m_session->manager()->workspace().absolutePath(w->path), w->name, w->modelType);
}

std::shared_ptr<const SafetensorsModel> WorkspaceActions::openSelected(const QString &title, WeightEntry *entry)
{
    const QStringList names = m_page->selectedWeights();
    if (names.size() != 1)
        return {};
    const WeightEntry *w = m_session->registry().find(names.first());
    if (!w)
        return {};
    // Stat calls and the header: no tensor data is read here, whatever the file's size.
    if (auto usable = m_session->manager()->checkWeightFiles(*w); !usable) {
        report(title, JobOutcome{false, tr("Cannot open %1").arg(w->name), {errorText(usable.error())}});
        return {};
    }
    auto model = SafetensorsModel::open(m_session->manager()->workspace().absolutePath(w->path));
    if (!model) {
        report(title, JobOutcome{false, tr("Cannot open %1").arg(w->name), {errorText(model.error())}});
        return {};
    }
    *entry = *w;
    return std::make_shared<const SafetensorsModel>(std::move(*model));
}

void WorkspaceActions::doConvert()
{
    if (isBusy())
        return;
    WeightEntry source;
    auto model = openSelected(tr("Convert"), &source);
    if (!model)
        return;
    ConvertDialog dialog(m_session->manager(), m_session->registry(), source, model, m_window);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const ConvertOptions options = dialog.options();
    const QString version = dialog.version();
    const bool activate = dialog.activate();
    const Workspace ws = m_session->manager()->workspace();
    struct Done
    {
        ConversionReport report;
        WeightEntry entry;
    };
    auto done = std::make_shared<Done>();
    runChange(
            tr("Converting %1 to %2").arg(source.name, QLatin1String(dtypeName(options.target))),
            [ws, source, model, options, version, activate, done](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                // The dialog checked the config, which may have changed since: checked again
                // before any byte is written.
                auto made = manager.convertToVersion(*model, source.name, source.modelType, version, options, activate, &job);
                if (!made)
                    return JobOutcome{false, QObject::tr("Conversion of %1 failed").arg(source.name), {errorText(made.error())}};
                done->entry = made->entry;
                done->report = std::move(made->report);
                return JobOutcome{true, QObject::tr("Converted %1 to %2 as %3").arg(source.name, QLatin1String(dtypeName(options.target)), done->entry.name), {}};
            },
            [this, done, source](const JobOutcome &o) {
                report(tr("Convert"), o);
                if (!o.ok)
                    return;
                m_page->selectType(done->entry.modelType);
                m_page->selectWeight(done->entry.name);
                Q_EMIT conversionFinished(done->report, source.name, done->entry.name);
            });
}

void WorkspaceActions::doReshard()
{
    if (isBusy())
        return;
    WeightEntry source;
    auto model = openSelected(tr("Reshard"), &source);
    if (!model)
        return;
    ReshardingDialog dialog(m_session->manager(), m_session->registry(), source, model, m_window);
    if (dialog.exec() != QDialog::Accepted)
        return;
    const bool single = dialog.single();
    const std::uint64_t maxBytes = dialog.maxShardBytes();
    const QString sizeText = dialog.sizeText();
    const QString version = dialog.version();
    const bool activate = dialog.activate();
    const Workspace ws = m_session->manager()->workspace();
    auto made = std::make_shared<std::pair<WeightEntry, qsizetype>>(); // the entry, its file count
    runChange(
            single ? tr("Merging %1 into one file").arg(source.name) : tr("Resharding %1").arg(source.name),
            [ws, source, model, single, maxBytes, sizeText, version, activate, made](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                // The same notes as the CLI's reshard writes into the registry's source field.
                const QString note = single ? QStringLiteral("merged from %1").arg(source.name)
                                            : QStringLiteral("resharded from %1 (%2 per shard)").arg(source.name, sizeText);
                auto entry = manager.addDerivedVersion(
                        source.modelType, version, !single, activate, note,
                        [&](const QString &path) -> Status {
                            auto written = single ? mergeIntoFile(*model, path, &job) : tantra::reshard(*model, path, maxBytes, &job);
                            if (!written)
                                return written.error();
                            made->second = written->files.size();
                            return {};
                        },
                        &job);
                if (!entry)
                    return JobOutcome{false, QObject::tr("Resharding %1 failed").arg(source.name), {errorText(entry.error())}};
                made->first = *entry;
                return JobOutcome{true,
                                  single ? QObject::tr("Merged %1 into one file as %2").arg(source.name, entry->name)
                                         : QObject::tr("Resharded %1 into %n shard(s) as %2", nullptr, int(made->second)).arg(source.name, entry->name),
                                  {}};
            },
            [this, made](const JobOutcome &o) {
                report(tr("Reshard"), o);
                if (!o.ok)
                    return;
                m_page->selectType(made->first.modelType);
                m_page->selectWeight(made->first.name);
            });
}

void WorkspaceActions::doCompare()
{
    const QStringList names = m_page->selectedWeights();
    if (names.isEmpty() || names.size() > 2)
        return;
    std::vector<const WeightEntry *> entries;
    for (const QString &name : names) {
        const WeightEntry *w = m_session->registry().find(name);
        if (!w)
            return;
        if (auto usable = m_session->manager()->checkWeightFiles(*w); !usable) {
            report(tr("Compare"), JobOutcome{false, tr("Cannot open %1").arg(w->name), {errorText(usable.error())}});
            return;
        }
        entries.push_back(w);
    }
    const Workspace &ws = m_session->manager()->workspace();
    if (entries.size() == 2) {
        // Older first: the table then reads as "what changed from A to B".
        if (entries[1]->created < entries[0]->created)
            std::swap(entries[0], entries[1]);
        Q_EMIT compareRequested(ws.absolutePath(entries[0]->path), entries[0]->name, ws.absolutePath(entries[1]->path),
                                entries[1]->name);
        return;
    }
    const QString other = QFileDialog::getOpenFileName(m_window, tr("Compare %1 with").arg(entries[0]->name), QString(),
                                                       tr("Safetensors (*.safetensors *.safetensors.index.json);;All files (*)"));
    if (other.isEmpty())
        return;
    Q_EMIT compareRequested(ws.absolutePath(entries[0]->path), entries[0]->name, other, QFileInfo(other).fileName());
}

void WorkspaceActions::doRepair()
{
    if (isBusy())
        return;
    if (QMessageBox::question(m_window, tr("Repair workspace"),
                              tr("Remove leftovers of interrupted imports and backups, and rebuild the registry from the weight files "
                                 "on disk (checksums are recomputed; a broken registry is kept as a copy)?"))
        != QMessageBox::Yes)
        return;
    const Workspace ws = m_session->manager()->workspace();
    runChange(
            tr("Repairing the workspace"),
            [ws](JobContext &job) {
                WeightManager manager(ws);
                manager.setJobContext(&job);
                auto r = manager.doctor(true, &job);
                if (!r)
                    return JobOutcome{false, QObject::tr("Repair failed"), {errorText(r.error())}};
                return JobOutcome{r->problems.isEmpty(), QObject::tr("Repair: %n fix(es)", nullptr, int(r->fixed.size())), r->fixed + r->problems};
            },
            [this](const JobOutcome &o) { report(tr("Repair workspace"), o); });
}

} // namespace tantra
