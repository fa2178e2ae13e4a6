#include "tensoritemsource.h"

#include <QObject>

namespace tantra {

QString TensorItemSource::columnTitle(int column)
{
    switch (column) {
    case NameColumn: return QObject::tr("Name");
    case DtypeColumn: return QObject::tr("Dtype");
    case ShapeColumn: return QObject::tr("Shape");
    case ElementsColumn: return QObject::tr("Elements");
    case BytesColumn: return QObject::tr("Size");
    case OffsetColumn: return QObject::tr("Offset");
    case ShardColumn: return QObject::tr("Shard");
    }
    return {};
}

QString TensorItemSource::columnToolTip(int column)
{
    switch (column) {
    case NameColumn: return QObject::tr("Tensor name as stored in the header");
    case DtypeColumn: return QObject::tr("Element type");
    case ShapeColumn: return QObject::tr("Dimensions, outermost first");
    case ElementsColumn: return QObject::tr("Number of elements (product of the shape)");
    case BytesColumn: return QObject::tr("Bytes of tensor data");
    case OffsetColumn: return QObject::tr("Start of the tensor's bytes within its file's data section");
    case ShardColumn: return QObject::tr("Shard file holding the tensor");
    }
    return {};
}

} // namespace tantra
