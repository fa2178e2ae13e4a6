// The real-world corpus: files written by other people's tools (../shared/corpus, read where
// it lies through $TANTRA_CORPUS_DIR). MANIFEST.tsv says what each file must give: tensor
// count and dtypes for valid ones, the reference implementation's error for invalid ones.

#include "safetensorsfile.h"
#include "safetensorsheader.h"
#include "safetensorsmodel.h"
#include "tensorstats.h"
#include "testutil.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>
#include <cstring>
#include <set>
#include <variant>

using namespace tantra;

namespace {

struct ManifestRow
{
    QString path; // relative to the corpus
    bool valid = false;
    int tensors = -1;
    QString detail; // dtypes ("A,B", "-" for none) or the reference's error name
};

QString dtypeSet(const std::vector<TensorInfo> &tensors)
{
    std::set<QString> names;
    for (const auto &t : tensors)
        names.insert(QString::fromLatin1(dtypeName(t.dtype)));
    if (names.empty())
        return QStringLiteral("-");
    return QStringList(names.begin(), names.end()).join(QLatin1Char(','));
}

} // namespace

class TestCorpus : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void manifestCoversTheCorpus();
    void validFiles_data();
    void validFiles();
    void invalidFiles_data();
    void invalidFiles();
    void shardedSet();
    void statsOverEveryTensor_data();
    void statsOverEveryTensor();

private:
    QString m_dir;
    std::vector<ManifestRow> m_rows;
};

void TestCorpus::initTestCase()
{
    m_dir = test::corpusDir();
    if (m_dir.isEmpty())
        QSKIP("TANTRA_CORPUS_DIR is not set: set it to ../shared/corpus (the folder with MANIFEST.tsv) to run the corpus tests");
    QFile manifest(QDir(m_dir).filePath(QStringLiteral("MANIFEST.tsv")));
    if (!manifest.open(QIODevice::ReadOnly))
        QFAIL(qPrintable(QStringLiteral("TANTRA_CORPUS_DIR is set to %1, but %2 cannot be read: %3")
                                 .arg(m_dir, manifest.fileName(), manifest.errorString())));
    const QStringList lines = QString::fromUtf8(manifest.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QVERIFY(lines.size() > 1);
    QCOMPARE(lines.first(), QStringLiteral("path\texpect\ttensors\tdtypes_or_reference_error"));
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QStringList cells = lines[i].split(QLatin1Char('\t'));
        QVERIFY2(cells.size() == 4, qPrintable(QStringLiteral("MANIFEST.tsv line %1: %2").arg(i + 1).arg(lines[i])));
        ManifestRow row;
        row.path = cells[0];
        QVERIFY2(cells[1] == QLatin1String("valid") || cells[1] == QLatin1String("invalid"), qPrintable(lines[i]));
        row.valid = cells[1] == QLatin1String("valid");
        bool isNumber = false;
        row.tensors = cells[2].toInt(&isNumber);
        QVERIFY2(isNumber == row.valid, qPrintable(lines[i]));
        row.detail = cells[3];
        m_rows.push_back(row);
    }
}

void TestCorpus::manifestCoversTheCorpus()
{
    // Every listed file exists, and every .safetensors in the corpus is listed: a file added
    // to the corpus without a manifest row would otherwise go untested.
    std::set<QString> listed;
    for (const auto &row : m_rows) {
        QVERIFY2(QFileInfo::exists(QDir(m_dir).filePath(row.path)), qPrintable(row.path));
        listed.insert(row.path);
    }
    QDirIterator it(m_dir, {QStringLiteral("*.safetensors")}, QDir::Files, QDirIterator::Subdirectories);
    int found = 0;
    while (it.hasNext()) {
        const QString relative = QDir(m_dir).relativeFilePath(it.next());
        QVERIFY2(listed.count(relative), qPrintable(relative + QStringLiteral(" is not in MANIFEST.tsv")));
        ++found;
    }
    QCOMPARE(std::size_t(found), listed.size());
}

void TestCorpus::validFiles_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("tensors");
    QTest::addColumn<QString>("dtypes");
    for (const auto &row : m_rows) {
        if (row.valid)
            QTest::newRow(qPrintable(row.path)) << QDir(m_dir).filePath(row.path) << row.tensors << row.detail;
    }
}

void TestCorpus::validFiles()
{
    QFETCH(QString, path);
    QFETCH(int, tensors);
    QFETCH(QString, dtypes);

    const auto file = SafetensorsFile::open(path);
    QVERIFY2(file.ok(), qPrintable(test::errorOf(file)));
    QCOMPARE(int((*file)->tensors().size()), tensors);
    QCOMPARE(dtypeSet((*file)->tensors()), dtypes);
    // Every tensor is found by name and its bytes lie inside the file.
    for (const auto &t : (*file)->tensors()) {
        QCOMPARE((*file)->find(t.name), &t);
        QVERIFY((*file)->header().dataStart() + t.end <= (*file)->fileSize());
    }

    // The same through the model API.
    const auto model = SafetensorsModel::open(path);
    QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
    QVERIFY(!model->isSharded());
    QCOMPARE(int(model->tensors().size()), tensors);
}

void TestCorpus::invalidFiles_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("rule");
    for (const auto &row : m_rows) {
        if (!row.valid)
            QTest::newRow(qPrintable(row.path)) << QDir(m_dir).filePath(row.path) << row.detail;
    }
}

void TestCorpus::invalidFiles()
{
    QFETCH(QString, path);
    QFETCH(QString, rule);

    QFile f(path);
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.errorString()));
    const QByteArray bytes = f.readAll();
    const auto parsed = parseSafetensorsHeader(test::bytesOf(bytes), std::uint64_t(bytes.size()));
    const auto *error = std::get_if<HeaderError>(&parsed);
    QVERIFY2(error, "the file was accepted");
    QCOMPARE(QString::fromLatin1(headerRuleName(error->rule)), rule);

    // The message names the file, then the problem.
    const auto opened = SafetensorsFile::open(path);
    QVERIFY(!opened.ok());
    // A file of another kind (text, a pickle, an LFS pointer) is named for what it is instead.
    const std::string foreign = recogniseForeignFile(test::bytesOf(bytes.left(64)));
    QCOMPARE(opened.errorString(),
             foreign.empty() ? formatHeaderError(path, *error) : path + QStringLiteral(": ") + QString::fromStdString(foreign));
    if (path.endsWith(QLatin1String("/text-placeholder.safetensors")))
        QVERIFY2(opened.errorString().contains(QLatin1String(": not a safetensors file: it starts with text ('# placeholder")),
                 qPrintable(opened.errorString()));
    QVERIFY(opened.errorString().startsWith(path + QStringLiteral(": ")));
    QCOMPARE(test::errorOf(SafetensorsModel::open(path)), opened.errorString());
}

void TestCorpus::shardedSet()
{
    const QString folder = QDir(m_dir).filePath(QStringLiteral("sharded/SafeTensors.jl"));
    const QString index = QDir(folder).filePath(QStringLiteral("model.safetensors.index.json"));

    // Which shard the index says holds each tensor, read independently of the engine.
    QFile indexFile(index);
    QVERIFY(indexFile.open(QIODevice::ReadOnly));
    const QJsonObject json = QJsonDocument::fromJson(indexFile.readAll()).object();
    const QJsonObject weightMap = json.value(QStringLiteral("weight_map")).toObject();
    QCOMPARE(weightMap.size(), qsizetype(36));

    // The same tensors, unsharded, as written by the same script.
    const auto single = SafetensorsFile::open(QDir(m_dir).filePath(QStringLiteral("valid/SafeTensors.jl__model.with_metadata.safetensors")));
    QVERIFY2(single.ok(), qPrintable(test::errorOf(single)));

    for (const QString &path : {folder, index}) {
        const auto model = SafetensorsModel::open(path);
        QVERIFY2(model.ok(), qPrintable(test::errorOf(model)));
        QVERIFY(model->isSharded());
        QCOMPARE(model->shards().size(), std::size_t(6));
        QCOMPARE(model->tensors().size(), std::size_t(36));
        QCOMPARE(model->tensorBytes(), std::uint64_t(4305));
        QCOMPARE(model->metadata(), (std::vector<std::pair<std::string, std::string>>{{"total_size", "4305"}}));

        std::vector<TensorInfo> infos;
        for (const auto &t : model->tensors()) {
            infos.push_back(*t.info);
            const QString name = QString::fromStdString(t.info->name);
            QCOMPARE(QFileInfo(model->shardOf(t).path()).fileName(), weightMap.value(name).toString());
            const TensorInfo *same = (*single)->find(t.info->name);
            QVERIFY2(same, qPrintable(name));
            QCOMPARE(t.info->dtype, same->dtype);
            QCOMPARE(t.info->shape, same->shape);
            const auto a = model->data(t);
            const auto b = (*single)->data(*same);
            QCOMPARE(a.size(), b.size());
            QVERIFY2(std::memcmp(a.data(), b.data(), a.size()) == 0, qPrintable(name));
        }
        QCOMPARE(dtypeSet(infos), QStringLiteral("BF16,BOOL,F16,F32,F64,F8_E4M3,F8_E5M2,I16,I32,I64,I8,U8"));
    }
}

void TestCorpus::statsOverEveryTensor_data()
{
    QTest::addColumn<QString>("path");
    for (const auto &row : m_rows) {
        if (row.valid)
            QTest::newRow(qPrintable(row.path)) << QDir(m_dir).filePath(row.path);
    }
}

void TestCorpus::statsOverEveryTensor()
{
    QFETCH(QString, path);
    const auto file = SafetensorsFile::open(path);
    QVERIFY2(file.ok(), qPrintable(test::errorOf(file)));
    for (const auto &t : (*file)->tensors()) {
        const auto stats = computeStats(t.dtype, (*file)->data(t));
        QVERIFY2(stats.ok(), qPrintable(test::errorOf(stats)));
        const std::uint64_t values = t.elementCount() * (t.dtype == Dtype::C64 ? 2 : 1);
        QCOMPARE(stats->values, values);
        QCOMPARE(stats->finite + stats->nan + stats->posInf + stats->negInf, values);
        QVERIFY(stats->zeros <= stats->finite);
        std::uint64_t binned = 0;
        for (auto c : stats->histogram)
            binned += c;
        QCOMPARE(binned, stats->finite);
        if (stats->finite) {
            // Within rounding: the mean of n equal values may differ from them in the last bit.
            const double slack = 1e-12 * std::max(std::abs(stats->min), std::abs(stats->max));
            QVERIFY2(stats->min - slack <= stats->mean && stats->mean <= stats->max + slack, t.name.c_str());
            QVERIFY(stats->std >= 0);
        }
    }
}

QTEST_GUILESS_MAIN(TestCorpus)
#include "tst_corpus.moc"
