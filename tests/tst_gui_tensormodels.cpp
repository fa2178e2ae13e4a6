// The item models behind the tensor browser, checked by QAbstractItemModelTester from the
// moment they are created (before any data goes in), over files written by the engine.
#include "heatmaprenderer.h"
#include "metadatamodel.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "sliceselector.h"
#include "tensorsortfilterproxy.h"
#include "tensortablemodel.h"
#include "tensortext.h"
#include "tensortreemodel.h"
#include "tensorvaluemodel.h"
#include "valueformatter.h"
#include "valuegridview.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QIcon>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

using namespace tantra;

namespace {

// Owns the bytes of the tensors it describes until they are written.
struct Fixture
{
    std::vector<std::vector<std::byte>> buffers;
    std::vector<TensorWrite> tensors;

    template<typename T>
    void add(const std::string &name, Dtype dtype, std::vector<std::uint64_t> shape, const std::vector<T> &values)
    {
        std::vector<std::byte> bytes(values.size() * sizeof(T));
        if (!bytes.empty()) // memcpy from an empty vector's null data() is undefined, even for 0 bytes
            std::memcpy(bytes.data(), values.data(), bytes.size());
        buffers.push_back(std::move(bytes));
        tensors.push_back(TensorWrite{name, dtype, std::move(shape), buffers.back()});
    }
    void addF32(const std::string &name, std::vector<std::uint64_t> shape)
    {
        std::uint64_t n = 1;
        for (auto d : shape)
            n *= d;
        std::vector<float> values(n);
        for (std::uint64_t i = 0; i < n; ++i)
            values[i] = float(i);
        add(name, Dtype::F32, std::move(shape), values);
    }

    std::shared_ptr<const SafetensorsModel> write(const QString &path)
    {
        // Buffers must not move once spans point at them.
        for (std::size_t i = 0; i < tensors.size(); ++i)
            tensors[i].data = buffers[i];
        const Status written = writeSafetensors(path, tensors);
        if (!written)
            qFatal("%s", qPrintable(written.errorString()));
        auto model = SafetensorsModel::open(path);
        if (!model)
            qFatal("%s", qPrintable(model.errorString()));
        return std::make_shared<const SafetensorsModel>(std::move(model).value());
    }
};

QStringList columnTexts(const QAbstractItemModel &model, int column, int role = Qt::DisplayRole)
{
    QStringList texts;
    for (int row = 0; row < model.rowCount(); ++row)
        texts.push_back(model.index(row, column).data(role).toString());
    return texts;
}

// "a b c" -> {"a", "b", "c"}: data rows stay one line each.
QStringList words(const char *text)
{
    return QString::fromLatin1(text).split(QLatin1Char(' '), Qt::SkipEmptyParts);
}

QModelIndex childNamed(const QAbstractItemModel &model, const QModelIndex &parent, const QString &name)
{
    for (int row = 0; row < model.rowCount(parent); ++row) {
        const QModelIndex index = model.index(row, 0, parent);
        if (index.data().toString() == name)
            return index;
    }
    return {};
}

} // namespace

class TestGuiTensorModels : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void tableShowsEveryColumn();
    void tableShowsShardsOfAShardSet();
    void proxySortsBytesNumerically();
    void proxySortsNamesNaturally();
    void tableSortsEveryColumn_data();
    void tableSortsEveryColumn();
    void proxyFiltersGlobAndRegex();
    void treeGroupsByPrefix();
    void treeProxyKeepsAncestorsOfMatches();
    void treePlacesParametersInsideTheirModule_data();
    void treePlacesParametersInsideTheirModule();
    void metadataModelListsKeysInOrder();
    void issuesShowIconAndRule();
    void valueModelPagesRank3();
    void valueModelRank0AndRank1();
    void valueFormatting_data();
    void valueFormatting();
    void valueGridCopiesTsv();
    void sliceSelectorSwapsDimensions();
    void heatmapColoursAndDownsampling();

private:
    QTemporaryDir m_dir;
};

void TestGuiTensorModels::tableShowsEveryColumn()
{
    Fixture f;
    f.addF32("b.weight", {2, 3});
    f.add<std::uint16_t>("a.bias", Dtype::BF16, {4}, {0x3f80, 0x4000, 0x4040, 0x4080});
    f.add<std::int64_t>("c", Dtype::I64, {}, {42});
    auto model = f.write(m_dir.filePath(QStringLiteral("columns.safetensors")));

    TensorTableModel table;
    QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
    table.setModel(model);
    QCOMPARE(table.rowCount(), 3);
    QCOMPARE(table.columnCount(), int(TensorItemSource::ColumnCount));

    const int row = table.rowOf("b.weight");
    QVERIFY(row >= 0);
    const auto cell = [&](int column, int role = Qt::DisplayRole) { return table.index(row, column).data(role); };
    QCOMPARE(cell(TensorItemSource::NameColumn).toString(), QStringLiteral("b.weight"));
    QCOMPARE(cell(TensorItemSource::DtypeColumn).toString(), QStringLiteral("F32"));
    QCOMPARE(cell(TensorItemSource::ShapeColumn).toString(), QStringLiteral("[2, 3]"));
    QCOMPARE(cell(TensorItemSource::ElementsColumn).toString(), QStringLiteral("6"));
    QCOMPARE(cell(TensorItemSource::BytesColumn, TensorItemSource::SortRole).value<qulonglong>(), 24ull);
    QCOMPARE(cell(TensorItemSource::BytesColumn, TensorItemSource::SortRole).metaType(), QMetaType::fromType<qulonglong>());
    QCOMPARE(cell(TensorItemSource::ShardColumn).toString(), QStringLiteral("1 of 1"));
    QCOMPARE(QFileInfo(cell(TensorItemSource::ShardColumn, Qt::ToolTipRole).toString()).fileName(), QStringLiteral("columns.safetensors"));
    QCOMPARE(table.tensorAt(table.index(row, 0))->info->name, std::string("b.weight"));

    const int scalar = table.rowOf("c");
    QCOMPARE(table.index(scalar, TensorItemSource::ShapeColumn).data().toString(), QStringLiteral("[]"));
    QCOMPARE(table.index(scalar, TensorItemSource::ElementsColumn).data().toString(), QStringLiteral("1"));

    // A second load is one reset, and an empty model is allowed.
    table.setModel(nullptr);
    QCOMPARE(table.rowCount(), 0);
}

void TestGuiTensorModels::tableShowsShardsOfAShardSet()
{
    Fixture f;
    for (int i = 0; i < 6; ++i)
        f.addF32("layers." + std::to_string(i) + ".weight", {4, 4});
    for (std::size_t i = 0; i < f.tensors.size(); ++i)
        f.tensors[i].data = f.buffers[i];
    const QString folder = m_dir.filePath(QStringLiteral("sharded"));
    QVERIFY(QDir().mkpath(folder));
    auto set = writeShardSet(folder, QStringLiteral("model"), f.tensors, 128);
    QVERIFY2(set.ok(), qPrintable(set.ok() ? QString() : set.errorString()));
    QVERIFY(set->shardPaths.size() > 1);
    auto opened = SafetensorsModel::open(folder);
    QVERIFY2(opened.ok(), qPrintable(opened.ok() ? QString() : opened.errorString()));
    auto model = std::make_shared<const SafetensorsModel>(std::move(opened).value());

    TensorTableModel table;
    QAbstractItemModelTester tester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
    table.setModel(model);
    QCOMPARE(table.rowCount(), 6);
    QSet<QString> shards;
    for (const QString &shard : columnTexts(table, TensorItemSource::ShardColumn, Qt::ToolTipRole))
        shards.insert(QFileInfo(shard).fileName());
    QCOMPARE(table.index(0, TensorItemSource::ShardColumn).data().toString(),
             QStringLiteral("1 of %1").arg(set->shardPaths.size()));
    QCOMPARE(shards.size(), int(set->shardPaths.size()));
    for (const QString &path : set->shardPaths)
        QVERIFY(shards.contains(QFileInfo(path).fileName()));
}

void TestGuiTensorModels::proxySortsBytesNumerically()
{
    Fixture f;
    f.addF32("t_400", {100}); // 400 bytes
    f.addF32("t_8", {2});     // 8 bytes
    f.addF32("t_2000", {500}); // 2,000 bytes ("2.0 KiB")
    f.addF32("t_40", {10});   // 40 bytes
    auto model = f.write(m_dir.filePath(QStringLiteral("bytes.safetensors")));

    TensorTableModel table;
    TensorSortFilterProxy proxy;
    QAbstractItemModelTester tableTester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
    proxy.setSourceModel(&table);
    QAbstractItemModelTester proxyTester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    table.setModel(model);

    proxy.sort(TensorItemSource::BytesColumn, Qt::AscendingOrder);
    QCOMPARE(columnTexts(proxy, TensorItemSource::NameColumn),
             QStringList({QStringLiteral("t_8"), QStringLiteral("t_40"), QStringLiteral("t_400"), QStringLiteral("t_2000")}));
    // The display text would have sorted otherwise: the order comes from the typed role.
    QStringList shown = columnTexts(proxy, TensorItemSource::BytesColumn);
    QStringList sortedText = shown;
    sortedText.sort();
    QVERIFY(shown != sortedText);

    proxy.sort(TensorItemSource::BytesColumn, Qt::DescendingOrder);
    QCOMPARE(proxy.index(0, TensorItemSource::NameColumn).data().toString(), QStringLiteral("t_2000"));

    // The table sorted itself: rows, lookups and persistent indexes (a view's selection)
    // follow the tensors.
    QCOMPARE(table.sortColumn(), int(TensorItemSource::BytesColumn));
    QCOMPARE(table.index(table.rowOf("t_2000"), 0).data().toString(), QStringLiteral("t_2000"));
    const QPersistentModelIndex held = proxy.index(2, 0);
    const QString heldName = held.data().toString();
    proxy.sort(TensorItemSource::NameColumn, Qt::AscendingOrder);
    QVERIFY(held.isValid());
    QCOMPARE(held.data().toString(), heldName);
    // Column -1: the file's data order (the writer's: same dtype, so byte order of names).
    proxy.sort(-1);
    QCOMPARE(columnTexts(proxy, TensorItemSource::NameColumn),
             QStringList({QStringLiteral("t_2000"), QStringLiteral("t_40"), QStringLiteral("t_400"), QStringLiteral("t_8")}));

    // The generic path (a model that is not a TensorItemSource) also compares SortRole values.
    TensorSortFilterProxy generic;
    QSortFilterProxyModel identity; // hides the TensorItemSource interface
    identity.setSourceModel(&table);
    generic.setSourceModel(&identity);
    generic.sort(TensorItemSource::BytesColumn, Qt::AscendingOrder);
    QCOMPARE(generic.index(3, TensorItemSource::NameColumn).data().toString(), QStringLiteral("t_2000"));
}

void TestGuiTensorModels::proxySortsNamesNaturally()
{
    Fixture f;
    for (int i : {10, 2, 1, 11, 0})
        f.addF32("layers." + std::to_string(i) + ".weight", {1});
    auto model = f.write(m_dir.filePath(QStringLiteral("natural.safetensors")));
    TensorTableModel table;
    TensorSortFilterProxy proxy;
    proxy.setSourceModel(&table);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    table.setModel(model);
    proxy.sort(TensorItemSource::NameColumn, Qt::AscendingOrder);
    QCOMPARE(columnTexts(proxy, TensorItemSource::NameColumn),
             QStringList({QStringLiteral("layers.0.weight"), QStringLiteral("layers.1.weight"), QStringLiteral("layers.2.weight"),
                          QStringLiteral("layers.10.weight"), QStringLiteral("layers.11.weight")}));
    QVERIFY(TensorText::naturalCompare("a01", "a1") > 0);
    QVERIFY(TensorText::naturalCompare("a1", "a1") == 0);
}

void TestGuiTensorModels::tableSortsEveryColumn_data()
{
    QTest::addColumn<int>("column");
    QTest::addColumn<bool>("ascending");
    for (const auto &[column, name] : {std::pair{int(TensorItemSource::NameColumn), "name"},
                                       std::pair{int(TensorItemSource::DtypeColumn), "dtype"},
                                       std::pair{int(TensorItemSource::ShapeColumn), "shape"},
                                       std::pair{int(TensorItemSource::ElementsColumn), "elements"},
                                       std::pair{int(TensorItemSource::BytesColumn), "bytes"},
                                       std::pair{int(TensorItemSource::OffsetColumn), "offset"}}) {
        QTest::addRow("%s ascending", name) << column << true;
        QTest::addRow("%s descending", name) << column << false;
    }
}

// The table sorts numeric columns on precomputed keys and the others with a comparator; both
// must give the order of the column's values, ties in the file's data order, either way up.
void TestGuiTensorModels::tableSortsEveryColumn()
{
    QFETCH(int, column);
    QFETCH(bool, ascending);
    Fixture f;
    // Ties on every column but the name and the offset; two dtypes; shapes of two ranks.
    f.addF32("b.10", {4});
    f.addF32("b.9", {2, 2});
    f.addF32("a", {4});
    f.add<std::uint16_t>("c.2", Dtype::BF16, {4}, std::vector<std::uint16_t>(4, 0x3f80));
    f.add<std::uint16_t>("c.10", Dtype::BF16, {8}, std::vector<std::uint16_t>(8, 0x3f80));
    f.addF32("d", {1});
    auto model = f.write(m_dir.filePath(QStringLiteral("every-column.safetensors")));
    TensorTableModel table;
    TensorSortFilterProxy proxy;
    proxy.setSourceModel(&table);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    table.setModel(model);

    // The expected order, worked out here from the tensors themselves.
    std::vector<const ModelTensor *> want;
    for (const auto &t : model->tensors())
        want.push_back(&t);
    std::sort(want.begin(), want.end(), [](const ModelTensor *a, const ModelTensor *b) { return a->info->begin < b->info->begin; });
    const auto cmp = [column](const ModelTensor *a, const ModelTensor *b) {
        const TensorInfo &x = *a->info;
        const TensorInfo &y = *b->info;
        switch (column) {
        case TensorItemSource::NameColumn: return TensorText::naturalCompare(x.name, y.name);
        case TensorItemSource::DtypeColumn: return std::string_view(dtypeName(x.dtype)).compare(dtypeName(y.dtype));
        case TensorItemSource::ShapeColumn:
            if (x.shape.size() != y.shape.size())
                return x.shape.size() < y.shape.size() ? -1 : 1;
            return x.shape < y.shape ? -1 : (y.shape < x.shape ? 1 : 0);
        case TensorItemSource::ElementsColumn: return x.elementCount() < y.elementCount() ? -1 : (x.elementCount() > y.elementCount() ? 1 : 0);
        case TensorItemSource::BytesColumn: return x.byteSize() < y.byteSize() ? -1 : (x.byteSize() > y.byteSize() ? 1 : 0);
        default: return x.begin < y.begin ? -1 : (x.begin > y.begin ? 1 : 0);
        }
    };
    std::stable_sort(want.begin(), want.end(), [&](const ModelTensor *a, const ModelTensor *b) {
        const int c = cmp(a, b);
        return ascending ? c < 0 : c > 0;
    });
    QStringList wantNames;
    for (const ModelTensor *t : want)
        wantNames << QString::fromStdString(t->info->name);

    proxy.sort(column, ascending ? Qt::AscendingOrder : Qt::DescendingOrder);
    QCOMPARE(columnTexts(proxy, TensorItemSource::NameColumn), wantNames);
}

void TestGuiTensorModels::proxyFiltersGlobAndRegex()
{
    Fixture f;
    for (int layer = 0; layer < 12; ++layer) {
        f.addF32("backbone.layers." + std::to_string(layer) + ".mixer.in_proj.weight", {2});
        f.addF32("backbone.layers." + std::to_string(layer) + ".norm.weight", {2});
    }
    f.addF32("lm_head.weight", {2});
    auto model = f.write(m_dir.filePath(QStringLiteral("filter.safetensors")));
    TensorTableModel table;
    TensorSortFilterProxy proxy;
    proxy.setSourceModel(&table);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    table.setModel(model);
    QCOMPARE(proxy.rowCount(), 25);

    QVERIFY(proxy.setFilterPattern(QStringLiteral("*.mixer.*")));
    QCOMPARE(proxy.rowCount(), 12);
    // A plain word finds the names containing it; a glob must match the whole name.
    QVERIFY(proxy.setFilterPattern(QStringLiteral("proj")));
    QCOMPARE(proxy.rowCount(), 12);
    QVERIFY(proxy.setFilterPattern(QStringLiteral("head")));
    QCOMPARE(proxy.rowCount(), 1);
    QVERIFY(proxy.setFilterPattern(QStringLiteral("head*")));
    QCOMPARE(proxy.rowCount(), 0);
    QVERIFY(proxy.setFilterPattern(QStringLiteral("/layers\\.1[01]\\./")));
    QCOMPARE(proxy.rowCount(), 4);
    // An invalid regex is refused with the reason, and the previous filter stays.
    QVERIFY(!proxy.setFilterPattern(QStringLiteral("/layers[/")));
    QVERIFY(!proxy.filterError().isEmpty());
    QCOMPARE(proxy.rowCount(), 4);
    QVERIFY(proxy.setFilterPattern(QString()));
    QCOMPARE(proxy.rowCount(), 25);
}

void TestGuiTensorModels::treeGroupsByPrefix()
{
    Fixture f;
    f.addF32("backbone.layers.0.mixer.in_proj.weight", {4, 2});
    f.addF32("backbone.layers.0.mixer.out_proj.weight", {2, 2});
    f.addF32("backbone.layers.1.mixer.in_proj.weight", {4, 2});
    f.addF32("backbone.embedding.weight", {8, 2});
    f.add<std::uint16_t>("lm_head.weight", Dtype::BF16, {2}, {0, 0});
    auto model = f.write(m_dir.filePath(QStringLiteral("tree.safetensors")));

    TensorTreeModel tree;
    QAbstractItemModelTester tester(&tree, QAbstractItemModelTester::FailureReportingMode::QtTest);
    tree.setModel(model);

    QCOMPARE(tree.rowCount(), 2);
    const QModelIndex backbone = childNamed(tree, {}, QStringLiteral("backbone"));
    QVERIFY(backbone.isValid());
    QVERIFY(childNamed(tree, {}, QStringLiteral("lm_head.weight")).isValid());
    const QModelIndex layers = childNamed(tree, backbone, QStringLiteral("layers"));
    QVERIFY(childNamed(tree, backbone, QStringLiteral("embedding.weight")).isValid());
    const QModelIndex layer0 = childNamed(tree, layers, QStringLiteral("0"));
    QVERIFY(childNamed(tree, layers, QStringLiteral("1")).isValid());
    const QModelIndex mixer = childNamed(tree, layer0, QStringLiteral("mixer"));
    QCOMPARE(tree.rowCount(mixer), 2);
    const QModelIndex outProj = childNamed(tree, mixer, QStringLiteral("out_proj.weight"));
    QVERIFY(outProj.isValid());
    QCOMPARE(tree.tensorAt(outProj)->info->name, std::string("backbone.layers.0.mixer.out_proj.weight"));
    QCOMPARE(outProj.data(TensorItemSource::TensorNameRole).toString(), QStringLiteral("backbone.layers.0.mixer.out_proj.weight"));
    QCOMPARE(tree.indexOf("backbone.layers.0.mixer.out_proj.weight"), outProj);

    // Groups total what lies below them.
    QCOMPARE(tree.tensorAt(layers), nullptr);
    QCOMPARE(tree.index(layers.row(), TensorItemSource::BytesColumn, backbone).data(TensorItemSource::SortRole).value<qulonglong>(),
             qulonglong((8 + 4 + 8) * 4));
    QCOMPARE(tree.index(layers.row(), TensorItemSource::ShapeColumn, backbone).data().toString(), QStringLiteral("3 tensors"));
    QCOMPARE(tree.index(backbone.row(), TensorItemSource::DtypeColumn).data().toString(), QStringLiteral("F32"));
}

void TestGuiTensorModels::treeProxyKeepsAncestorsOfMatches()
{
    Fixture f;
    f.addF32("backbone.layers.0.mixer.in_proj.weight", {1});
    f.addF32("backbone.layers.0.mixer.out_proj.weight", {1});
    f.addF32("backbone.layers.1.mixer.in_proj.weight", {1});
    f.addF32("lm_head.weight", {1});
    auto model = f.write(m_dir.filePath(QStringLiteral("treefilter.safetensors")));
    TensorTreeModel tree;
    TensorSortFilterProxy proxy;
    proxy.setSourceModel(&tree);
    QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
    tree.setModel(model);

    QVERIFY(proxy.setFilterPattern(QStringLiteral("*out_proj*")));
    QCOMPARE(proxy.rowCount(), 1);
    QModelIndex index = childNamed(proxy, {}, QStringLiteral("backbone"));
    for (const char *segment : {"layers", "0", "mixer"}) {
        QCOMPARE(proxy.rowCount(index), 1);
        index = childNamed(proxy, index, QString::fromLatin1(segment));
        QVERIFY2(index.isValid(), segment);
    }
    QCOMPARE(proxy.rowCount(index), 1);
    QCOMPARE(proxy.index(0, 0, index).data().toString(), QStringLiteral("out_proj.weight"));

    // While filtered, a group counts its matches out of its tensors.
    const QModelIndex backbone = childNamed(proxy, {}, QStringLiteral("backbone"));
    QCOMPARE(proxy.index(backbone.row(), TensorItemSource::ShapeColumn).data().toString(), QStringLiteral("1 of 3 tensors"));
    QVERIFY(proxy.setFilterPattern(QString()));
    QCOMPARE(proxy.index(childNamed(proxy, {}, QStringLiteral("backbone")).row(), TensorItemSource::ShapeColumn).data().toString(),
             QStringLiteral("3 tensors"));
}

void TestGuiTensorModels::treePlacesParametersInsideTheirModule_data()
{
    // Each row: the tensor names, then where each one lands (its labels from the root, "/").
    QTest::addColumn<QStringList>("names");
    QTest::addColumn<QStringList>("paths");
    QTest::newRow("parameters of a module that has sub-modules")
            << words("layers.0.mixer.A_log layers.0.mixer.D layers.0.mixer.in_proj.weight")
            << words("layers/0/mixer/A_log layers/0/mixer/D layers/0/mixer/in_proj.weight");
    QTest::newRow("a bias beside the model's layers")
            << words("model.bias model.layers.0.q.weight") << words("model/bias model/layers/0/q.weight");
    QTest::newRow("a module of parameters only keeps them together")
            << words("encoder.norm.weight encoder.norm.bias") << words("encoder/norm.weight encoder/norm.bias");
    QTest::newRow("names without a folder stay at the root")
            << words("lm_head lm_head.weight") << words("lm_head lm_head.weight");
    QTest::newRow("a name ending in a dot")
            << words("a.b. a.b.c.d") << words("a/b. a/b/c.d");
    QTest::newRow("deep name") << words("x.y.z.w.v") << words("x/y/z/w.v");
}

void TestGuiTensorModels::treePlacesParametersInsideTheirModule()
{
    QFETCH(QStringList, names);
    QFETCH(QStringList, paths);
    Fixture f;
    for (const QString &name : names)
        f.addF32(name.toStdString(), {1});
    auto model = f.write(m_dir.filePath(QStringLiteral("placement.safetensors")));
    TensorTreeModel tree;
    QAbstractItemModelTester tester(&tree, QAbstractItemModelTester::FailureReportingMode::QtTest);
    tree.setModel(model);
    for (qsizetype i = 0; i < names.size(); ++i) {
        QStringList labels;
        for (QModelIndex index = tree.indexOf(names[i].toStdString()); index.isValid(); index = index.parent())
            labels.prepend(index.data().toString());
        QCOMPARE(labels.join(QLatin1Char('/')), paths[i]);
    }
}

void TestGuiTensorModels::metadataModelListsKeysInOrder()
{
    MetadataModel metadata;
    QAbstractItemModelTester tester(&metadata, QAbstractItemModelTester::FailureReportingMode::QtTest);
    metadata.setMetadata({{"format", "pt"}, {"config", "{\"d_model\": 64,\n \"n_layer\": 2}"}});
    QCOMPARE(metadata.rowCount(), 2);
    QCOMPARE(metadata.index(0, MetadataModel::KeyColumn).data().toString(), QStringLiteral("format"));
    QCOMPARE(metadata.index(1, MetadataModel::KeyColumn).data().toString(), QStringLiteral("config"));
    // One line in the cell, the exact text in the tooltip and on the clipboard.
    QCOMPARE(metadata.index(1, MetadataModel::ValueColumn).data().toString(), QStringLiteral("{\"d_model\": 64,\u23CE \"n_layer\": 2}"));
    QCOMPARE(metadata.index(1, MetadataModel::ValueColumn).data(Qt::ToolTipRole).toString(),
             QStringLiteral("{\"d_model\": 64,\n \"n_layer\": 2}"));
    QCOMPARE(metadata.text(), QStringLiteral("format: pt\nconfig: {\"d_model\": 64,\n \"n_layer\": 2}\n"));
    metadata.setMetadata({});
    QCOMPARE(metadata.rowCount(), 0);
}

void TestGuiTensorModels::issuesShowIconAndRule()
{
    Fixture f;
    f.addF32("model.layers.0.q_proj.weight", {4, 4});
    f.addF32("model.layers.0.k_proj.weight", {4, 4});
    f.addF32("lm_head.weight", {4, 4});
    auto model = f.write(m_dir.filePath(QStringLiteral("issues.safetensors")));
    TensorTableModel table;
    TensorTreeModel tree;
    QAbstractItemModelTester tableTester(&table, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QAbstractItemModelTester treeTester(&tree, QAbstractItemModelTester::FailureReportingMode::QtTest);
    table.setModel(model);
    tree.setModel(model);

    const QString rule = QStringLiteral("num_heads × head_dim = 6, but the shape has 4 rows");
    const QHash<QString, QString> issues{{QStringLiteral("model.layers.0.k_proj.weight"), rule}};
    QSignalSpy changed(&table, &QAbstractItemModel::dataChanged);
    table.setTensorIssues(issues);
    tree.setTensorIssues(issues);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(table.issueCount(), 1);

    const QModelIndex flagged = table.index(table.rowOf("model.layers.0.k_proj.weight"), 0);
    QVERIFY(flagged.data(Qt::ToolTipRole).toString().contains(QStringLiteral("6, but the shape has 4 rows")));
    QCOMPARE(flagged.data(TensorItemSource::IssueRole).toString(), rule);
    QVERIFY(!flagged.data(Qt::DecorationRole).value<QIcon>().isNull());
    const QModelIndex clean = table.index(table.rowOf("lm_head.weight"), 0);
    QVERIFY(clean.data(TensorItemSource::IssueRole).toString().isEmpty());
    QVERIFY(!clean.data(Qt::ToolTipRole).toString().contains(rule));

    const QModelIndex leaf = tree.indexOf("model.layers.0.k_proj.weight");
    QCOMPARE(leaf.data(TensorItemSource::IssueRole).toString(), rule);
    QVERIFY(tree.parent(leaf).data(Qt::ToolTipRole).toString().contains(QStringLiteral("1 tensor below")));

    // Only the flagged tensor passes the issues-only filter, in the table and in the tree.
    TensorSortFilterProxy tableProxy;
    tableProxy.setSourceModel(&table);
    tableProxy.setOnlyIssues(true);
    QCOMPARE(tableProxy.rowCount(), 1);
    TensorSortFilterProxy treeProxy;
    treeProxy.setSourceModel(&tree);
    treeProxy.setOnlyIssues(true);
    QCOMPARE(treeProxy.rowCount(), 1);
    QCOMPARE(treeProxy.index(0, 0).data().toString(), QStringLiteral("model"));

    table.setTensorIssues({});
    QCOMPARE(table.issueCount(), 0);
    QVERIFY(flagged.data(TensorItemSource::IssueRole).toString().isEmpty());
}

void TestGuiTensorModels::valueModelPagesRank3()
{
    Fixture f;
    f.addF32("cube", {2, 3, 4}); // value = linear index
    auto model = f.write(m_dir.filePath(QStringLiteral("cube.safetensors")));
    TensorValueModel values;
    QAbstractItemModelTester tester(&values, QAbstractItemModelTester::FailureReportingMode::QtTest);
    values.setTensor(model, model->find("cube"));

    // Default: the last two dimensions, the first held at 0.
    QCOMPARE(values.rowCount(), 3);
    QCOMPARE(values.columnCount(), 4);
    QCOMPARE(values.index(2, 3).data().toString(), QStringLiteral("11"));

    // Page along dim 0.
    TensorSlice slice = values.slice();
    slice.position[0] = 1;
    values.setSlice(slice);
    QCOMPARE(values.index(0, 0).data().toString(), QStringLiteral("12"));
    QCOMPARE(values.index(2, 3).data().toString(), QStringLiteral("23"));

    // Rows over dim 0, columns over dim 2, dim 1 held at 2: element [r, 2, c] = 12r + 8 + c.
    slice.rowDim = 0;
    slice.colDim = 2;
    slice.position = {0, 2, 0};
    values.setSlice(slice);
    QCOMPARE(values.rowCount(), 2);
    QCOMPARE(values.columnCount(), 4);
    QCOMPARE(values.index(1, 3).data().toString(), QStringLiteral("23"));
    QCOMPARE(values.index(0, 1).data(TensorValueModel::ValueRole).toDouble(), 9.0);
    QVERIFY(values.index(1, 3).data(Qt::ToolTipRole).toString().startsWith(QStringLiteral("[1, 2, 3] = 23")));

    // Columns over dim 0, rows over dim 1 (transposed), dim 2 at 3: element [c, r, 3].
    slice.rowDim = 1;
    slice.colDim = 0;
    slice.position = {0, 0, 3};
    values.setSlice(slice);
    QCOMPARE(values.rowCount(), 3);
    QCOMPARE(values.columnCount(), 2);
    QCOMPARE(values.index(2, 1).data().toString(), QStringLiteral("23"));

    // A slice outside the shape is ignored.
    TensorSlice bad = slice;
    bad.position[2] = 4;
    values.setSlice(bad);
    QCOMPARE(values.slice(), slice);
}

void TestGuiTensorModels::valueModelRank0AndRank1()
{
    Fixture f;
    f.add<double>("scalar", Dtype::F64, {}, {2.5});
    f.add<std::int32_t>("vector", Dtype::I32, {5}, {-2, -1, 0, 1, 2});
    f.add<float>("empty", Dtype::F32, {0, 3}, {});
    auto model = f.write(m_dir.filePath(QStringLiteral("ranks.safetensors")));
    TensorValueModel values;
    QAbstractItemModelTester tester(&values, QAbstractItemModelTester::FailureReportingMode::QtTest);

    values.setTensor(model, model->find("scalar"));
    QCOMPARE(values.rowCount(), 1);
    QCOMPARE(values.columnCount(), 1);
    QCOMPARE(values.index(0, 0).data().toString(), QStringLiteral("2.5"));

    values.setTensor(model, model->find("vector"));
    QCOMPARE(values.rowCount(), 5);
    QCOMPARE(values.columnCount(), 1);
    QCOMPARE(values.index(0, 0).data().toString(), QStringLiteral("-2"));
    QCOMPARE(values.index(4, 0).data().toString(), QStringLiteral("2"));

    values.setTensor(model, model->find("empty"));
    QCOMPARE(values.rowCount(), 0);

    values.clear();
    QCOMPARE(values.rowCount(), 0);
}

void TestGuiTensorModels::valueFormatting_data()
{
    QTest::addColumn<int>("dtype");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    const auto raw = [](auto value) { return QByteArray(reinterpret_cast<const char *>(&value), sizeof(value)); };

    QTest::newRow("f32 shortest") << int(Dtype::F32) << raw(0.1f) << QStringLiteral("0.1");
    QTest::newRow("f64 shortest") << int(Dtype::F64) << raw(0.1) << QStringLiteral("0.1");
    QTest::newRow("f64 nan") << int(Dtype::F64) << raw(std::numeric_limits<double>::quiet_NaN()) << QStringLiteral("nan");
    QTest::newRow("f32 -inf") << int(Dtype::F32) << raw(-std::numeric_limits<float>::infinity()) << QStringLiteral("-inf");
    // bf16 0x3eab = 0.333984375: 4 significant digits, not 9.
    QTest::newRow("bf16") << int(Dtype::BF16) << raw(std::uint16_t(0x3eab)) << QStringLiteral("0.334");
    // f16 0x2e66 = 0.0999755859375.
    QTest::newRow("f16") << int(Dtype::F16) << raw(std::uint16_t(0x2e66)) << QStringLiteral("0.099976");
    // e4m3 0x38 = 1.0, 0x3c = 1.5.
    QTest::newRow("fp8 e4m3") << int(Dtype::F8_E4M3) << raw(std::uint8_t(0x3c)) << QStringLiteral("1.5");
    QTest::newRow("i64 max") << int(Dtype::I64) << raw(std::numeric_limits<std::int64_t>::max()) << QStringLiteral("9223372036854775807");
    QTest::newRow("u64 max") << int(Dtype::U64) << raw(std::numeric_limits<std::uint64_t>::max()) << QStringLiteral("18446744073709551615");
    QTest::newRow("i8") << int(Dtype::I8) << raw(std::int8_t(-128)) << QStringLiteral("-128");
    QTest::newRow("bool true") << int(Dtype::BOOL) << raw(std::uint8_t(1)) << QStringLiteral("true");
    QTest::newRow("bool false") << int(Dtype::BOOL) << raw(std::uint8_t(0)) << QStringLiteral("false");
    const float complex[2] = {1.5f, -2.0f};
    QTest::newRow("c64") << int(Dtype::C64) << QByteArray(reinterpret_cast<const char *>(complex), 8) << QStringLiteral("1.5-2i");
    const float complex2[2] = {0.0f, 0.25f};
    QTest::newRow("c64 imaginary") << int(Dtype::C64) << QByteArray(reinterpret_cast<const char *>(complex2), 8) << QStringLiteral("0+0.25i");
}

void TestGuiTensorModels::valueFormatting()
{
    QFETCH(int, dtype);
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    QCOMPARE(ValueFormatter::format(Dtype(dtype), reinterpret_cast<const std::byte *>(bytes.constData()), 0), expected);
}

void TestGuiTensorModels::valueGridCopiesTsv()
{
    Fixture f;
    f.addF32("m", {3, 4});
    auto model = f.write(m_dir.filePath(QStringLiteral("grid.safetensors")));
    TensorValueModel values;
    QAbstractItemModelTester tester(&values, QAbstractItemModelTester::FailureReportingMode::QtTest);
    values.setTensor(model, model->find("m"));
    ValueGridView grid;
    grid.setValueModel(&values);
    grid.resize(600, 300);
    grid.show();
    QVERIFY(QTest::qWaitForWindowExposed(&grid));

    // Shift-click a 2×2 block, then Ctrl+C.
    QTest::mouseClick(grid.viewport(), Qt::LeftButton, {}, grid.visualRect(values.index(1, 1)).center());
    QTest::mouseClick(grid.viewport(), Qt::LeftButton, Qt::ShiftModifier, grid.visualRect(values.index(2, 2)).center());
    QCOMPARE(grid.selectionAsTsv(), QStringLiteral("5\t6\n9\t10\n"));
    QSignalSpy message(&grid, &ValueGridView::message);
    QTest::keyClick(&grid, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(message.count(), 1);
    QCOMPARE(message.first().first().toString(), QStringLiteral("Copied 4 values"));
}

void TestGuiTensorModels::sliceSelectorSwapsDimensions()
{
    SliceSelector selector;
    selector.setShape({2, 3, 4});
    QCOMPARE(selector.slice().rowDim, 1);
    QCOMPARE(selector.slice().colDim, 2);
    QVERIFY(selector.positionSpin(0));
    QVERIFY(!selector.positionSpin(1));
    selector.show();
    QVERIFY(QTest::qWaitForWindowExposed(&selector));

    // Picking the column dimension for the rows swaps the two (keyboard on the combo box).
    QSignalSpy changed(&selector, &SliceSelector::sliceChanged);
    selector.rowDimCombo()->setFocus();
    QTest::keyClick(selector.rowDimCombo(), Qt::Key_Down);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(selector.slice().rowDim, 2);
    QCOMPARE(selector.slice().colDim, 1);
    QCOMPARE(selector.colDimCombo()->currentIndex(), 1);

    QSpinBox *spin = selector.positionSpin(0);
    QVERIFY(spin);
    QTest::keyClick(spin, Qt::Key_Up);
    QCOMPARE(selector.slice().position[0], 1u);
    QCOMPARE(spin->maximum(), 1);
}

void TestGuiTensorModels::heatmapColoursAndDownsampling()
{
    const float values[4] = {-2.0f, 0.0f, 2.0f, std::numeric_limits<float>::quiet_NaN()};
    TensorSlice slice = TensorSlice::defaultFor({2, 2});
    const auto layout = slice.layout({2, 2});
    const HeatmapImage small = HeatmapRenderer::render(Dtype::F32, reinterpret_cast<const std::byte *>(values), layout);
    QCOMPARE(small.image.size(), QSize(2, 2));
    QVERIFY(!small.isDownsampled());
    QCOMPARE(small.limit, 2.0);
    QCOMPARE(QColor(small.image.pixel(0, 0)), QColor(33, 102, 172));  // most negative: blue end
    QCOMPARE(QColor(small.image.pixel(1, 0)), QColor(247, 247, 247)); // zero: white
    QCOMPARE(QColor(small.image.pixel(0, 1)), QColor(178, 24, 43));   // most positive: red end
    QCOMPARE(small.image.pixel(1, 1), HeatmapRenderer::nanColor());

    // A slice far larger than the image: bounded work, block ranges cover the slice.
    const std::uint64_t rows = 3000, cols = 2000;
    std::vector<float> big(rows * cols);
    for (std::uint64_t r = 0; r < rows; ++r)
        for (std::uint64_t c = 0; c < cols; ++c)
            big[r * cols + c] = float(r < rows / 2 ? -1 : 1);
    const auto bigLayout = TensorSlice::defaultFor({rows, cols}).layout({rows, cols});
    QVERIFY(HeatmapRenderer::sampleCount(bigLayout) <= std::uint64_t(HeatmapRenderer::kMaxSide) * HeatmapRenderer::kMaxSide * 16);
    const HeatmapImage reduced = HeatmapRenderer::render(Dtype::F32, reinterpret_cast<const std::byte *>(big.data()), bigLayout);
    QCOMPARE(reduced.image.width(), HeatmapRenderer::kMaxSide);
    QCOMPARE(reduced.image.height(), HeatmapRenderer::kMaxSide);
    QVERIFY(reduced.isDownsampled());
    QCOMPARE(reduced.rowRange(0).first, 0u);
    QCOMPARE(reduced.rowRange(HeatmapRenderer::kMaxSide - 1).second, rows);
    QCOMPARE(QColor(reduced.image.pixel(0, 0)), QColor(33, 102, 172));
    QCOMPARE(QColor(reduced.image.pixel(0, HeatmapRenderer::kMaxSide - 1)), QColor(178, 24, 43));

    // Cancelling stops the render.
    const HeatmapImage cancelled = HeatmapRenderer::render(Dtype::F32, reinterpret_cast<const std::byte *>(big.data()), bigLayout,
                                                           HeatmapRenderer::kMaxSide, [] { return true; });
    QVERIFY(cancelled.canceled);
    QVERIFY(cancelled.isNull());
}

QTEST_MAIN(TestGuiTensorModels)
#include "tst_gui_tensormodels.moc"
