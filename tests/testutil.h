#pragma once

#include "dtype.h"
#include "safetensorswriter.h"

#include <QByteArray>
#include <QJsonObject>
#include <QMap>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTest>

#include <csignal>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace tantra::test {

// The real-world corpus (../shared/corpus), from $TANTRA_CORPUS_DIR. Returns an empty string
// when the variable is unset (a user's fresh clone): the caller then QSKIPs with a clear
// message. When the variable is set but the folder is missing, returns the path anyway so
// the test fails loudly instead of silently skipping in CI.
QString corpusDir();
// The corpus's files that must open (MANIFEST.tsv rows marked valid), relative to `dir`, and
// its shard set folder: every weight in it that a whole-model operation can take. Fatal when
// the manifest cannot be read.
QStringList corpusModels(const QString &dir);
// Adds a "path" column and a row per corpusModels(dir), absolute, for _data functions.
void addCorpusModelRows(const QString &dir);
// The corpus's pytorch/EXPECTED.json: per checkpoint file, its tensors (dtype, shape, SHA-256
// of the contiguous bytes) or "refused" and why. Empty when it cannot be read.
QJsonObject torchCorpusExpected(const QString &dir);
// Adds a "file" column and a row per checkpoint of EXPECTED.json, for _data functions; fails
// the test when the file is missing or not a JSON object.
void addTorchCorpusRows(const QString &dir);

// Writes raw bytes to a file (for hand-made malformed files). Returns the path.
QString writeBytes(const QString &path, const QByteArray &bytes);

// A safetensors file image: 8-byte little-endian length, then `json`, then `data`.
QByteArray safetensorsBytes(const QByteArray &json, const QByteArray &data = {});

// The CLI executable, from $TANTRA_CLI (set by CTest).
QString cliPath();

// Deterministic pseudo-random bytes (same seed, same bytes), so a failure reproduces.
QByteArray randomBytes(qsizetype size, std::uint32_t seed);

// A view of a QByteArray's bytes, for the span-taking engine API.
inline std::span<const std::byte> bytesOf(const QByteArray &bytes)
{
    return std::as_bytes(std::span(bytes.constData(), std::size_t(bytes.size())));
}

// The error text of a failed Result, or a marker when it unexpectedly succeeded: for
// QVERIFY2 messages and for comparing error texts in one line.
template<typename R>
QString errorOf(const R &result)
{
    return result.ok() ? QStringLiteral("<no error>") : result.errorString();
}


// ---------------- workspaces (tst_weightmanager, tst_backup, tst_cli_workspace, tst_robustness)

// Writes the seeded sample weight of a shipped model type (Config/<type>.yaml) to `path`,
// without its last tensor when `dropLastTensor` (a weight that does not fit). Returns the path.
QString writeSample(const QString &path, const QString &type, std::uint64_t seed, bool dropLastTensor = false);

// Runs WeightManager::setup() in `root`: the layout, the three shipped configs and their seeded
// samples. A fixture, not the subject: a failure is fatal.
void makeWorkspace(const QString &root);

// Copies a folder tree, hidden files included (a workspace is relocatable: its registry holds
// relative paths). Fatal on failure.
void copyTree(const QString &from, const QString &to);

// Every entry under `root`, hidden ones included: relative path -> a digest of a file's bytes,
// "<dir>" for a folder, "<link> target" for a symbolic link, "<special>" for a FIFO, a socket
// or a device (never read). Two equal snapshots mean nothing was written, removed or changed.
QMap<QString, QString> treeSnapshot(const QString &root);
// What differs between two snapshots, one line per path, for failure messages.
QString treeDiff(const QMap<QString, QString> &before, const QMap<QString, QString> &after);

// The file's bytes (fatal when unreadable) and their SHA-256 through QCryptographicHash,
// independent of the product's OpenSSL hashing.
QByteArray readFile(const QString &path);
QString sha256Of(const QString &path);

// ---------------- the CLI

// The JSON object a --json command printed (a warning when it is not JSON).
QJsonObject parseJsonObject(const QString &text);

struct CliRun
{
    int exitCode = -1; // -1 when it did not finish normally
    QString out;
    QString err;
};

// Runs the CLI with `arguments`; with `root`, $TANTRA_ROOT is set to it (--root in the
// arguments still wins).
CliRun runCli(const QStringList &arguments, const QString &root = {}, int timeoutMs = 120'000);
// Starts the CLI with `arguments` in `process` (set up by the caller: environment, working
// folder, a child modifier) and waits for it; a run that does not finish in time is killed.
CliRun runCliIn(QProcess &process, const QStringList &arguments, int timeoutMs = 120'000);

// ---------------- zip archives built byte by byte (hostile backups)

// One member of a stored (uncompressed) zip. The declared fields default to the truth; set
// them to make the headers lie.
struct ZipMember
{
    QByteArray name;
    QByteArray data;
    qint64 declaredSize = -1; // -1: data.size()
    qint64 declaredCrc = -1;  // -1: the CRC-32 of data
};

quint32 crc32Of(const QByteArray &bytes);
// A zip archive of stored members (local headers, central directory, end record), as any zip
// tool writes it; nothing is checked, so names like "../evil" go in as given.
QByteArray storedZip(const std::vector<ZipMember> &members);

// ---------------- PyTorch checkpoints written opcode by opcode (tst_torchreader, tst_cli_torch)

namespace pickle {
QByteArray le(std::uint64_t v, int n);                        // n-byte little-endian
QByteArray str(const QByteArray &s);                          // BINUNICODE
QByteArray integer(std::int64_t v);                           // BININT or LONG1
QByteArray global(const QByteArray &module, const QByteArray &name); // GLOBAL
QByteArray intTuple(const std::vector<std::int64_t> &values); // MARK ints TUPLE
} // namespace pickle

// What torch.save writes for {name: tensor} over a float32 storage "0" of `numel` elements.
QByteArray torchTensorDictPickle(std::int64_t numel, std::int64_t offset, const std::vector<std::int64_t> &shape,
                                 const std::vector<std::int64_t> &stride, const QByteArray &name = "w");
// {"payload": module.name(argument)}: what the corpus's hostile files do, with a command of
// the caller's choosing (one that would leave a marker file).
QByteArray torchCallingPickle(const QByteArray &module, const QByteArray &name, const QByteArray &argument);
// The zip format: archive/data.pkl, archive/version and, unless null, archive/data/0.
QByteArray torchZip(const QByteArray &pickle, const QByteArray &storage0);
// Float32 values as little-endian bytes.
QByteArray floatBytes(std::initializer_list<float> values);

// Lowers the file size limit for the scope, so that writes past it fail with EFBIG.
// (A disk that fills up mid-write; the limit binds root too.)
class FileSizeLimit
{
public:
    explicit FileSizeLimit(rlim_t bytes)
    {
        m_oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        ::getrlimit(RLIMIT_FSIZE, &m_old);
        rlimit limit = m_old;
        limit.rlim_cur = bytes;
        m_ok = ::setrlimit(RLIMIT_FSIZE, &limit) == 0;
    }
    ~FileSizeLimit()
    {
        ::setrlimit(RLIMIT_FSIZE, &m_old);
        std::signal(SIGXFSZ, m_oldHandler);
    }
    bool ok() const { return m_ok; }

private:
    rlimit m_old{};
    void (*m_oldHandler)(int) = nullptr;
    bool m_ok = false;
};

} // namespace tantra::test

// Lets QCOMPARE print std::string values (names, metadata) when they differ.
template<>
inline char *QTest::toString(const std::string &value)
{
    return qstrdup(value.c_str());
}
