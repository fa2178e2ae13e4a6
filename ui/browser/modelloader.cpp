#include "modelloader.h"

#include "jobrunner.h"
#include "safetensorsmodel.h"
#include "tensortext.h"
#include "torchcheckpoint.h"
#include "torchconversion.h"

#include <QDir>
#include <QFileInfo>
#include <QStorageInfo>
#include <QTemporaryDir>

namespace tantra {

namespace {

struct LoadOutcome
{
    std::shared_ptr<const SafetensorsModel> model;
    QString error;
};

// A PyTorch checkpoint is shown read-only through a safetensors copy of its tensors in a
// private scratch folder: the browser's statistics, histogram, heatmap and values all work on
// safetensors files, and convertTorchCheckpoint already reads a checkpoint without running it
// (a hostile one is refused with the reason) and makes strided tensors contiguous. The copy
// is written as an export (not flushed) and mostly moved by the kernel, about a quarter of a
// second per GiB (docs/PERFORMANCE.md); the folder goes when the last holder of the model lets
// go of it. It needs the checkpoint's tensor bytes free in the temporary folder, checked first.
LoadOutcome openCheckpoint(const QString &path, JobContext &job)
{
    auto checkpoint = readTorchCheckpoint(path);
    if (!checkpoint)
        return {nullptr, checkpoint.errorString()};
    auto scratch = std::make_shared<QTemporaryDir>(QDir(QDir::tempPath()).filePath(QStringLiteral("tantra-checkpoint-XXXXXX")));
    if (!scratch->isValid())
        return {nullptr, QObject::tr("%1: cannot create a folder to show this checkpoint from: %2").arg(QDir::tempPath(), scratch->errorString())};
    const std::uint64_t needed = checkpoint->tensorBytes() + (std::uint64_t(64) << 20);
    if (const QStorageInfo storage(scratch->path()); storage.isValid() && std::uint64_t(storage.bytesAvailable()) < needed) {
        return {nullptr, QObject::tr("%1: showing this PyTorch checkpoint needs %2 free in %3 for a safetensors copy of its tensors, and "
                                     "%4 are free. Import it into a workspace instead, or start the app with TMPDIR on a larger disk.")
                                 .arg(path, TensorText::bytes(needed), QDir::tempPath(), TensorText::bytes(std::uint64_t(storage.bytesAvailable())))};
    }
    const QString copy = scratch->filePath(safetensorsNameFor(path));
    if (auto written = convertTorchCheckpoint(*checkpoint, copy, &job, QFileInfo(path).fileName(), Durability::NotFlushed); !written)
        return {nullptr, written.errorString()};
    auto opened = SafetensorsModel::open(copy);
    if (!opened)
        return {nullptr, opened.errorString()};
    auto *model = new SafetensorsModel(std::move(opened).value());
    return {std::shared_ptr<const SafetensorsModel>(model, [scratch](const SafetensorsModel *m) { delete m; }), {}};
}

} // namespace

ModelLoader::ModelLoader(QObject *parent)
    : QObject(parent)
    , m_jobs(new JobRunner(this))
{
}

ModelLoader::~ModelLoader() = default;

bool ModelLoader::isLoading() const
{
    return m_jobs->isBusy();
}

QFuture<void> ModelLoader::open(const QString &path)
{
    const QFuture<LoadOutcome> future = m_jobs->run(
            QString(),
            [path](JobContext &job) {
                if (isTorchCheckpointName(path) && !QFileInfo(path).isDir())
                    return openCheckpoint(path, job);
                auto opened = SafetensorsModel::open(path);
                if (opened)
                    return LoadOutcome{std::make_shared<const SafetensorsModel>(std::move(opened).value()), {}};
                return LoadOutcome{nullptr, opened.errorString()};
            },
            this,
            [this, path](const LoadOutcome &outcome) {
                if (outcome.model)
                    Q_EMIT loaded(path, outcome.model);
                else
                    Q_EMIT failed(path, outcome.error);
            },
            [this, path] { Q_EMIT failed(path, tr("%1: opening was cancelled").arg(path)); });
    return QFuture<void>(future);
}

} // namespace tantra
