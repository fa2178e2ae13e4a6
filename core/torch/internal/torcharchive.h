#pragma once

#include "pickleinterpreter.h"
#include "result.h"
#include "torchcheckpoint.h"

#include <QString>

#include <vector>

namespace tantra {

// The two on-disk forms of torch.save, taken apart: the object pickle, interpreted, and where
// each of its storages lies in the file (parallel to pickle.storages()).
struct TorchArchive
{
    TorchCheckpoint::Format format = TorchCheckpoint::Format::Zip;
    PickleInterpreter pickle;
    std::vector<TorchCheckpoint::Storage> storages;
};

// PyTorch >= 1.6: a zip of `<name>/data.pkl` and one stored record `<name>/data/<key>` per
// storage. Nothing is extracted; storage records must be stored (torch never compresses them)
// so their bytes are read at their offset.
Result<TorchArchive> readTorchZip(const QString &path);

// Before 1.6: magic number, protocol version and system-info pickles, the object pickle, a
// pickle of storage keys, then each storage as an 8-byte element count and its raw bytes.
Result<TorchArchive> readTorchLegacy(const QString &path);

} // namespace tantra
