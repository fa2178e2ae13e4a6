#include "testutil.h"

#include "configmanager.h"
#include "samplegenerator.h"
#include "weightmanager.h"

#include <QCryptographicHash>
#include <QDir>
#include <QJsonDocument>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QtGlobal>

#include <array>
#include <cstring>
#include <random>

namespace tantra::test {

QString corpusDir()
{
    return qEnvironmentVariable("TANTRA_CORPUS_DIR");
}

QStringList corpusModels(const QString &dir)
{
    QFile manifest(QDir(dir).filePath(QStringLiteral("MANIFEST.tsv")));
    if (!manifest.open(QIODevice::ReadOnly))
        qFatal("cannot read %s: %s", qPrintable(manifest.fileName()), qPrintable(manifest.errorString()));
    QStringList models;
    manifest.readLine(); // the header
    while (!manifest.atEnd()) {
        const QStringList cells = QString::fromUtf8(manifest.readLine()).trimmed().split(QLatin1Char('\t'));
        if (cells.size() >= 2 && cells[1] == QLatin1String("valid"))
            models << cells[0];
    }
    models << QStringLiteral("sharded/SafeTensors.jl");
    return models;
}

void addCorpusModelRows(const QString &dir)
{
    QTest::addColumn<QString>("path");
    for (const QString &model : corpusModels(dir))
        QTest::newRow(qPrintable(model)) << QDir(dir).filePath(model);
}

QJsonObject torchCorpusExpected(const QString &dir)
{
    QFile file(QDir(dir).filePath(QStringLiteral("pytorch/EXPECTED.json")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

void addTorchCorpusRows(const QString &dir)
{
    const QJsonObject expected = torchCorpusExpected(dir);
    QVERIFY2(!expected.isEmpty(), "pytorch/EXPECTED.json is missing or not a JSON object");
    QTest::addColumn<QString>("file");
    for (auto it = expected.begin(); it != expected.end(); ++it)
        QTest::newRow(qPrintable(it.key())) << it.key();
}

QJsonObject parseJsonObject(const QString &text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError)
        qWarning("not JSON: %s", qPrintable(error.errorString()));
    return doc.object();
}

QString writeBytes(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
        qFatal("cannot write test fixture %s", qPrintable(path));
    return path;
}

QByteArray safetensorsBytes(const QByteArray &json, const QByteArray &data)
{
    QByteArray out(8, '\0');
    const std::uint64_t n = std::uint64_t(json.size());
    std::memcpy(out.data(), &n, 8);
    return out + json + data;
}

QString cliPath()
{
    return qEnvironmentVariable("TANTRA_CLI");
}

QByteArray randomBytes(qsizetype size, std::uint32_t seed)
{
    // mt19937 is specified bit for bit by the standard: the same bytes on every platform.
    // Four bytes per draw: tests ask for up to 80 MiB.
    std::mt19937 generator(seed);
    QByteArray out(size, Qt::Uninitialized);
    char *p = out.data();
    qsizetype i = 0;
    for (; i + 4 <= size; i += 4) {
        const std::uint32_t word = generator();
        std::memcpy(p + i, &word, 4);
    }
    for (; i < size; ++i)
        p[i] = char(generator() & 0xff);
    return out;
}


void makeWorkspace(const QString &root)
{
    if (!QDir().mkpath(root))
        qFatal("cannot create %s", qPrintable(root));
    WeightManager manager{Workspace(root)};
    const auto report = manager.setup();
    if (!report)
        qFatal("setup of the test workspace failed: %s", qPrintable(report.errorString()));
}

void copyTree(const QString &from, const QString &to)
{
    const QDir source(from);
    if (!QDir().mkpath(to))
        qFatal("cannot create %s", qPrintable(to));
    for (const QFileInfo &info : source.entryInfoList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot)) {
        const QString target = QDir(to).filePath(info.fileName());
        if (info.isSymLink()) {
            if (!QFile::link(info.symLinkTarget(), target))
                qFatal("cannot copy the link %s", qPrintable(info.filePath()));
        } else if (info.isDir()) {
            copyTree(info.filePath(), target);
        } else if (!QFile::copy(info.filePath(), target)) {
            qFatal("cannot copy %s to %s", qPrintable(info.filePath()), qPrintable(target));
        }
    }
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read %s", qPrintable(path));
    return f.readAll();
}

QString sha256Of(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("<unreadable %1>").arg(path);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(&f);
    return QString::fromLatin1(hash.result().toHex());
}

namespace {

// BLAKE2b is ten times faster than QCryptographicHash's SHA-256, and "did these bytes change"
// needs no particular hash: snapshots of whole workspaces stay cheap.
QString contentDigest(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("<unreadable>");
    QCryptographicHash hash(QCryptographicHash::Blake2b_256);
    hash.addData(&f);
    return QString::fromLatin1(hash.result().toHex());
}

} // namespace

QMap<QString, QString> treeSnapshot(const QString &root)
{
    QMap<QString, QString> out;
    const QDir base(root);
    QDirIterator it(root, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        const QFileInfo info = it.fileInfo();
        const QString rel = base.relativeFilePath(info.filePath());
        if (info.isSymLink())
            out.insert(rel, QStringLiteral("<link> ") + info.symLinkTarget());
        else if (info.isDir())
            out.insert(rel, QStringLiteral("<dir>"));
        else if (!info.isFile())
            out.insert(rel, QStringLiteral("<special>")); // a FIFO: reading it would block
        else
            out.insert(rel, contentDigest(info.filePath()));
    }
    return out;
}

QString treeDiff(const QMap<QString, QString> &before, const QMap<QString, QString> &after)
{
    QStringList lines;
    for (auto it = before.begin(); it != before.end(); ++it) {
        if (!after.contains(it.key()))
            lines << QStringLiteral("removed: ") + it.key();
        else if (after.value(it.key()) != it.value())
            lines << QStringLiteral("changed: ") + it.key();
    }
    for (auto it = after.begin(); it != after.end(); ++it) {
        if (!before.contains(it.key()))
            lines << QStringLiteral("added:   ") + it.key();
    }
    return lines.join(QLatin1Char('\n'));
}

QString writeSample(const QString &path, const QString &type, std::uint64_t seed, bool dropLastTensor)
{
    auto config = ConfigManager(ConfigManager::defaultConfigDir()).getConfig(type);
    auto sample = config ? generateSampleWeights(*config, seed) : Result<SampleWeights>(config.error());
    if (!sample)
        qFatal("%s", qPrintable(sample.errorString()));
    std::vector<TensorWrite> tensors = sample->tensors;
    if (dropLastTensor)
        tensors.pop_back();
    if (auto s = writeSafetensors(path, tensors, sample->metadata); !s)
        qFatal("%s", qPrintable(s.errorString()));
    return path;
}

CliRun runCliIn(QProcess &process, const QStringList &arguments, int timeoutMs)
{
    process.start(cliPath(), arguments);
    CliRun run;
    if (!process.waitForFinished(timeoutMs) || process.exitStatus() != QProcess::NormalExit) {
        process.kill();
        process.waitForFinished();
        run.err = QStringLiteral("the CLI did not finish normally: ") + process.errorString();
        return run;
    }
    run.exitCode = process.exitCode();
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

CliRun runCli(const QStringList &arguments, const QString &root, int timeoutMs)
{
    QProcess process;
    if (!root.isEmpty()) {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("TANTRA_ROOT"), root);
        process.setProcessEnvironment(env);
    }
    return runCliIn(process, arguments, timeoutMs);
}

quint32 crc32Of(const QByteArray &bytes)
{
    static const auto table = [] {
        std::array<quint32, 256> t{};
        for (quint32 i = 0; i < 256; ++i) {
            quint32 c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    quint32 crc = 0xffffffffu;
    for (const char ch : bytes)
        crc = table[(crc ^ quint8(ch)) & 0xff] ^ (crc >> 8);
    return crc ^ 0xffffffffu;
}

namespace {

void put16(QByteArray &out, quint32 v)
{
    out.append(char(v & 0xff)).append(char((v >> 8) & 0xff));
}

void put32(QByteArray &out, quint32 v)
{
    put16(out, v & 0xffff);
    put16(out, v >> 16);
}

} // namespace

QByteArray storedZip(const std::vector<ZipMember> &members)
{
    QByteArray out;
    QByteArray central;
    constexpr quint32 kDosDate = (0u << 9) | (1u << 5) | 1u; // 1980-01-01
    for (const ZipMember &m : members) {
        const quint32 crc = m.declaredCrc < 0 ? crc32Of(m.data) : quint32(m.declaredCrc);
        const quint32 size = m.declaredSize < 0 ? quint32(m.data.size()) : quint32(m.declaredSize);
        const quint32 offset = quint32(out.size());
        put32(out, 0x04034b50); // local file header
        put16(out, 20);         // version needed
        put16(out, 0);          // flags
        put16(out, 0);          // stored
        put16(out, 0);          // time
        put16(out, kDosDate);
        put32(out, crc);
        put32(out, size);
        put32(out, size);
        put16(out, quint32(m.name.size()));
        put16(out, 0);
        out += m.name;
        out += m.data;

        put32(central, 0x02014b50); // central directory header
        put16(central, 0x0314);     // made by: Unix, 2.0
        put16(central, 20);
        put16(central, 0);
        put16(central, 0);
        put16(central, 0);
        put16(central, kDosDate);
        put32(central, crc);
        put32(central, size);
        put32(central, size);
        put16(central, quint32(m.name.size()));
        put16(central, 0); // extra
        put16(central, 0); // comment
        put16(central, 0); // disk
        put16(central, 0); // internal attributes
        put32(central, 0100644u << 16);
        put32(central, offset);
        central += m.name;
    }
    const quint32 centralOffset = quint32(out.size());
    out += central;
    put32(out, 0x06054b50); // end of central directory
    put16(out, 0);
    put16(out, 0);
    put16(out, quint32(members.size()));
    put16(out, quint32(members.size()));
    put32(out, quint32(central.size()));
    put32(out, centralOffset);
    put16(out, 0);
    return out;
}

namespace pickle {

QByteArray le(std::uint64_t v, int n)
{
    QByteArray out;
    for (int i = 0; i < n; ++i)
        out.append(char((v >> (8 * i)) & 0xff));
    return out;
}

QByteArray str(const QByteArray &s)
{
    return 'X' + le(std::uint64_t(s.size()), 4) + s;
}

QByteArray integer(std::int64_t v)
{
    if (v >= 0 && v < (std::int64_t(1) << 31))
        return 'J' + le(std::uint64_t(v), 4);
    return QByteArray("\x8a\x08", 2) + le(std::uint64_t(v), 8);
}

QByteArray global(const QByteArray &module, const QByteArray &name)
{
    return 'c' + module + '\n' + name + '\n';
}

QByteArray intTuple(const std::vector<std::int64_t> &values)
{
    QByteArray out = "(";
    for (auto v : values)
        out += integer(v);
    return out + 't';
}

} // namespace pickle

using namespace pickle;

// What torch.save writes for {name: tensor} over a float32 storage "0" of `numel` elements.
QByteArray torchTensorDictPickle(std::int64_t numel, std::int64_t offset, const std::vector<std::int64_t> &shape,
                                 const std::vector<std::int64_t> &stride, const QByteArray &name)
{
    QByteArray p("\x80\x02}", 3);
    p += str(name);
    p += global("torch._utils", "_rebuild_tensor_v2");
    p += "((" + str("storage") + global("torch", "FloatStorage") + str("0") + str("cpu") + integer(numel) + "tQ";
    p += integer(offset) + intTuple(shape) + intTuple(stride) + '\x89';
    p += global("collections", "OrderedDict") + ")R";
    p += "tRs.";
    return p;
}

// {"payload": module.name(argument)}: what the corpus's hostile files do.
QByteArray torchCallingPickle(const QByteArray &module, const QByteArray &name, const QByteArray &argument)
{
    QByteArray p("\x80\x02}(", 4);
    p += str("payload") + global(module, name) + str(argument) + "\x85R";
    return p + "u.";
}

QByteArray torchZip(const QByteArray &pickle, const QByteArray &storage0)
{
    std::vector<ZipMember> members{{"archive/data.pkl", pickle}, {"archive/version", "3\n"}};
    if (!storage0.isNull())
        members.push_back({"archive/data/0", storage0});
    return storedZip(members);
}

QByteArray floatBytes(std::initializer_list<float> values)
{
    QByteArray out(qsizetype(values.size() * sizeof(float)), Qt::Uninitialized);
    std::memcpy(out.data(), values.begin(), std::size_t(out.size()));
    return out;
}

} // namespace tantra::test
