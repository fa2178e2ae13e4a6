#include "modelloader.h"

#include "jobrunner.h"
#include "safetensorsmodel.h"
#include "torchcheckpoint.h"

#include <QFileInfo>

namespace tantra {

namespace {

struct LoadOutcome
{
    std::shared_ptr<const SafetensorsModel> model;
    QString error;
};

// The browser shows safetensors files. A checkpoint is still read (never run), so that a
// hostile one is named as such and a good one is pointed to the import that converts it.
QString torchCheckpointNote(const QString &path)
{
    auto checkpoint = readTorchCheckpoint(path);
    if (!checkpoint)
        return checkpoint.errorString();
    return QObject::tr("%1: a PyTorch checkpoint (%n tensor(s)). The tensor browser opens safetensors files: import it into a "
                       "workspace (Workspace ▸ Import…, or drop it on an open workspace) to convert it.",
                       nullptr, int(checkpoint->tensors().size()))
            .arg(path);
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
            [path](JobContext &) {
                if (isTorchCheckpointName(path) && !QFileInfo(path).isDir())
                    return LoadOutcome{nullptr, torchCheckpointNote(path)};
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
