#include "modelloader.h"

#include "safetensorsmodel.h"

#include <QFutureWatcher>
#include <QPromise>
#include <QtConcurrent/QtConcurrentRun>

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
{
}

ModelLoader::~ModelLoader() = default;

QFuture<void> ModelLoader::open(const QString &path)
{
    auto *watcher = new QFutureWatcher<LoadOutcome>(this);
    ++m_running;
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, path] {
        --m_running;
        watcher->deleteLater();
        if (watcher->future().resultCount() == 0) {
            Q_EMIT failed(path, tr("%1: opening was cancelled").arg(path));
            return;
        }
        LoadOutcome outcome = watcher->result();
        if (outcome.model)
            Q_EMIT loaded(path, std::move(outcome.model));
        else
            Q_EMIT failed(path, outcome.error);
    });
    const QFuture<LoadOutcome> future = QtConcurrent::run([path](QPromise<LoadOutcome> &promise) {
        auto opened = SafetensorsModel::open(path);
        if (opened)
            promise.addResult(LoadOutcome{std::make_shared<const SafetensorsModel>(std::move(opened).value()), {}});
        else
            promise.addResult(LoadOutcome{nullptr, opened.errorString()});
    });
    watcher->setFuture(future);
    return QFuture<void>(future);
}

} // namespace tantra
