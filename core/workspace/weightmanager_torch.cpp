// WeightManager: importing PyTorch checkpoints, converted to safetensors on the way in.
#include "weightmanager.h"

#include "torchcheckpoint.h"
#include "torchconversion.h"

#include <QFileInfo>
#include <QTemporaryDir>

namespace tantra {

Result<WeightEntry> WeightManager::importTorchCheckpoint(const ImportRequest &request, JobContext *job)
{
    // Read (and refuse) before anything is created: a hostile pickle leaves no trace here.
    auto checkpoint = readTorchCheckpoint(request.source, TorchReadOptions{request.torchKey});
    if (!checkpoint)
        return checkpoint.error();
    // A taken name costs no conversion. Without a version the import picks a free one, and
    // with createType the type does not exist yet.
    if (!request.modelType.isEmpty() && !request.version.isEmpty() && !request.createType) {
        auto data = m_registry.load();
        if (!data)
            return data.error();
        if (auto free = checkNewVersion(*data, request.modelType, request.version, false); !free)
            return free.error();
    }
    // On the weights' file system, so the import's move is a rename; removed either way.
    QTemporaryDir scratch(m_workspace.absolutePath(QStringLiteral("Model/.derived-XXXXXX")));
    if (!scratch.isValid())
        return makeError(m_workspace.absolutePath(QStringLiteral("Model")),
                         QStringLiteral("cannot create a scratch folder: ") + scratch.errorString());
    // Named after the checkpoint: a type made from it (createType) says where it came from.
    const QString converted = scratch.filePath(safetensorsNameFor(request.source));
    if (auto written = convertTorchCheckpoint(*checkpoint, converted, job); !written)
        return written.error();
    ImportRequest into = request;
    into.source = converted;
    into.move = true;
    into.torchKey.clear();
    if (into.sourceNote.isEmpty())
        into.sourceNote = torchSourceNote(request.source);
    return importWeight(into, job);
}

} // namespace tantra
