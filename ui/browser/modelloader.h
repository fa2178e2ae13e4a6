#pragma once

#include <QFuture>
#include <QObject>
#include <QString>

#include <memory>

namespace tantra {

class JobRunner;
class SafetensorsModel;

// Opens models on the thread pool: a shard set maps and checks many files, which must not
// freeze the window. Each open reports back once, on the GUI thread.
class ModelLoader : public QObject
{
    Q_OBJECT
public:
    explicit ModelLoader(QObject *parent = nullptr);
    ~ModelLoader() override;

    // `path`: a .safetensors file, a *.safetensors.index.json, or a folder holding either.
    QFuture<void> open(const QString &path);
    bool isLoading() const;

Q_SIGNALS:
    void loaded(const QString &path, std::shared_ptr<const tantra::SafetensorsModel> model);
    void failed(const QString &path, const QString &message);

private:
    JobRunner *m_jobs;
};

} // namespace tantra
