#include "modelloader.h"

#include "jobrunner.h"
#include "safetensorsmodel.h"

namespace tantra {

namespace {

struct LoadOutcome
{
    std::shared_ptr<const SafetensorsModel> model;
    QString error;
};

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
