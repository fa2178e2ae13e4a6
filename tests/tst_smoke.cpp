#include "safetensorsfile.h"
#include "testutil.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tantra;

// The first brick: a hand-made file opens and an empty header is valid.
class TestSmoke : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void emptyHeaderIsValid()
    {
        QTemporaryDir dir;
        const QString path = test::writeBytes(dir.filePath(QStringLiteral("e.safetensors")), test::safetensorsBytes("{}"));
        auto file = SafetensorsFile::open(path);
        QVERIFY2(file.ok(), qPrintable(file.ok() ? QString() : file.errorString()));
        QCOMPARE((*file)->tensors().size(), std::size_t(0));
    }
};

QTEST_GUILESS_MAIN(TestSmoke)
#include "tst_smoke.moc"
