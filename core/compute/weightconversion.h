#pragma once

#include "dtype.h"
#include "durability.h"
#include "result.h"
#include "shapevalidator.h"

#include <QString>
#include <QStringList>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

class QThreadPool;

namespace tantra {

class JobContext;
class SafetensorsModel;

struct ConvertOptions
{
    Dtype target = Dtype::BF16; // BF16, F16, F32, F8_E4M3 or F8_E5M2 (isConversionTarget)
    // Tensor-name globs or /regexes/ (TensorFilter). With includes, only tensors matching one
    // are converted; tensors matching an exclude are copied bit for bit.
    QStringList include;
    QStringList exclude;
    // Keeps 1-D tensors (norms, biases) and names containing "norm" as they are, as fp8
    // recipes do.
    bool keepSensitive = false;
    // F8 targets: overflow saturates to the largest finite value; false gives NaN (e4m3fn)
    // or ±Inf (e5m2). See floatrounding.h.
    bool saturate = true;
    // What the result's converted_from metadata names: a registered weight's name; empty: the
    // source's path.
    QString sourceName;
    // Flushed for anything the registry will name; NotFlushed for `--out` exports (see
    // AtomicFileWriter).
    Durability durability = Durability::Flushed;
};

// One tensor of the result. Integer and bool tensors, excluded and kept tensors, and those
// already in the target dtype are copied (converted false).
struct TensorConversion
{
    std::string name;
    Dtype from = Dtype::F32;
    Dtype to = Dtype::F32;
    bool converted = false;
    std::uint64_t elements = 0;
    std::uint64_t overflowed = 0; // finite inputs that saturated or became ±Inf/NaN
    std::uint64_t flushed = 0;    // non-zero finite inputs that became ±0
    // Over the positions where input and output are finite: max |x - y| and ||x - y|| / ||x||
    // (empty when ||x|| is 0).
    double maxAbsError = 0;
    std::optional<double> relL2Error;
};

struct ConversionReport
{
    QString source;
    QString output;
    Dtype target = Dtype::BF16;
    std::vector<TensorConversion> tensors; // in name order
    std::uint64_t bytesBefore = 0;         // tensor data of the source
    std::uint64_t bytesAfter = 0;          // tensor data of the result
    std::uint64_t convertedCount() const;
};

// The dtype's CLI name ("bf16", "f8_e4m3") and back.
std::optional<Dtype> conversionTargetFromName(const QString &name);
QString conversionTargetName(Dtype target);

// Which tensors of `source` the options convert, by name, or the error an include that
// selects no float tensor or an invalid pattern gets. For a dialog's live count, and the
// first step of convertWeight.
Result<std::vector<bool>> selectForConversion(const SafetensorsModel &source, const ConvertOptions &options);

// The names, dtypes and shapes the conversion would write, for a config check before writing.
std::vector<TensorShape> convertedShapes(const SafetensorsModel &source, const std::vector<bool> &selected, Dtype target);

// Writes `source` converted into the single file `outPath`, atomically (QSaveFile: an error
// or a cancel leaves nothing at outPath). Streams tensor by tensor, chunk by chunk, from the
// source's files (StreamReader) through the pool into the writer: memory holds a few chunks,
// never a tensor. The source's __metadata__ is kept and converted_from, dtype and the
// options are added. Progress counts source bytes; cancel gives "conversion cancelled".
Result<ConversionReport> convertWeight(const SafetensorsModel &source, const QString &outPath, const ConvertOptions &options,
                                       JobContext *job = nullptr, QThreadPool *pool = nullptr);

} // namespace tantra
