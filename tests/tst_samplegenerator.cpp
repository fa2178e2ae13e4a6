#include "configmanager.h"
#include "dtype.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "samplegenerator.h"
#include "shapevalidator.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace tantra;

namespace {

ModelConfig shipped(const QString &type)
{
    auto config = ConfigManager(ConfigManager::defaultConfigDir()).getConfig(type);
    if (!config)
        qFatal("%s", qPrintable(config.errorString()));
    return std::move(config).value();
}

ModelConfig parse(const QByteArray &yaml)
{
    auto config = ConfigManager::parseConfig(yaml, QString());
    if (!config)
        qFatal("test config does not parse: %s", qPrintable(config.errorString()));
    return std::move(config).value();
}

const TensorWrite *findTensor(const SampleWeights &sample, const std::string &name)
{
    for (const TensorWrite &t : sample.tensors) {
        if (t.name == name)
            return &t;
    }
    return nullptr;
}

std::vector<double> valuesOf(const TensorWrite &t)
{
    std::uint64_t n = 1;
    for (std::uint64_t d : t.shape)
        n *= d;
    std::vector<double> out(n);
    for (std::uint64_t k = 0; k < n; ++k)
        out[k] = decodeValue(t.dtype, t.data.data(), k);
    return out;
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestSampleGenerator : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString writeSample(const ModelConfig &config, std::uint64_t seed, const QString &name)
    {
        auto sample = generateSampleWeights(config, seed);
        if (!sample)
            qFatal("%s", qPrintable(sample.errorString()));
        const QString path = m_dir.filePath(name);
        const auto written = writeSafetensors(path, sample->tensors, sample->metadata);
        if (!written)
            qFatal("%s", qPrintable(written.errorString()));
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        qunsetenv("TANTRA_DEFAULT_CONFIG_DIR");
        QVERIFY(m_dir.isValid());
    }

    void shippedSampleValidates_data()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("mamba") << "mamba";
        QTest::newRow("mamba_multimodal") << "mamba_multimodal";
        QTest::newRow("ocr_native") << "ocr_native";
    }
    // Written to disk and read back by the engine: the file a user gets passes its own config.
    void shippedSampleValidates()
    {
        QFETCH(QString, type);
        const ModelConfig config = shipped(type);
        const QString path = writeSample(config, 42, type + QStringLiteral(".safetensors"));
        QVERIFY(QFileInfo(path).size() < 20 * 1024 * 1024);

        auto model = SafetensorsModel::open(path);
        QVERIFY2(model.ok(), qPrintable(model.ok() ? QString() : model.errorString()));
        const ShapeReport report = validateShapes(config, tensorShapesOf(*model));
        QVERIFY2(report.ok(), qPrintable(report.summary()));
        QVERIFY(report.expected > 0);
        QCOMPARE(report.matched, report.expected);
        // Required tensors only: the tied head is left to the embedding.
        QCOMPARE(int(model->tensors().size()), report.expected);
        QVERIFY(!model->find("lm_head.weight"));

        const auto &metadata = model->metadata();
        QVERIFY(std::find(metadata.begin(), metadata.end(), std::pair<std::string, std::string>("tantra.model_type", type.toStdString()))
                != metadata.end());
        QVERIFY(std::find(metadata.begin(), metadata.end(), std::pair<std::string, std::string>("tantra.sample_seed", "42")) != metadata.end());
        QVERIFY(std::find(metadata.begin(), metadata.end(), std::pair<std::string, std::string>("format", "pt")) != metadata.end());
    }

    void sizeIsAccounted()
    {
        auto sample = generateSampleWeights(shipped(QStringLiteral("mamba")), 3);
        QVERIFY(sample.ok());
        std::uint64_t sum = 0;
        for (const auto &buffer : sample->buffers)
            sum += buffer.size();
        QCOMPARE(sample->bytes, sum);
        QCOMPARE(sample->tensors.size(), sample->buffers.size());
        // The views point into the owned buffers, and survive a move of the whole.
        SampleWeights moved = std::move(sample).value();
        QCOMPARE(moved.tensors.front().data.data(), moved.buffers.front().data());
        // mamba defaults: 4096×128 embedding + 4 layers of 83,712 floats + the final norm.
        QCOMPARE(moved.bytes, std::uint64_t(4) * (4096 * 128 + 4 * (128 + 512 * 128 + 256 * 4 + 256 + 40 * 256 + 256 * 8 + 256 + 256 * 16 + 256 + 128 * 256) + 128));
    }

    void deterministicPerSeed()
    {
        const ModelConfig config = shipped(QStringLiteral("ocr_native"));
        const QByteArray a = readFile(writeSample(config, 1, QStringLiteral("a.safetensors")));
        const QByteArray b = readFile(writeSample(config, 1, QStringLiteral("b.safetensors")));
        const QByteArray c = readFile(writeSample(config, 2, QStringLiteral("c.safetensors")));
        QVERIFY(!a.isEmpty());
        QCOMPARE(a, b);
        QCOMPARE(a.size(), c.size());
        QVERIFY(a != c);
    }

    // Each tensor draws from its own stream: a new rule does not reshuffle the others.
    void tensorsIndependentOfOtherRules()
    {
        const ModelConfig one = parse("model_type: x\narchitecture: {d: 64}\ntensors:\n  - {name: w, shape: [d, d]}\n");
        const ModelConfig two = parse("model_type: x\narchitecture: {d: 64}\ntensors:\n  - {name: a, shape: [d]}\n  - {name: w, shape: [d, d]}\n");
        auto s1 = generateSampleWeights(one, 9);
        auto s2 = generateSampleWeights(two, 9);
        QVERIFY(s1.ok() && s2.ok());
        QCOMPARE(valuesOf(*findTensor(*s1, "w")), valuesOf(*findTensor(*s2, "w")));
    }

    // Statistics look like a freshly initialised Mamba, not like noise or zeros.
    void valuesLookReal()
    {
        auto sample = generateSampleWeights(shipped(QStringLiteral("mamba")), 5);
        QVERIFY(sample.ok());

        for (const char *name : {"backbone.layers.2.norm.weight", "backbone.norm_f.weight", "backbone.layers.0.mixer.D"}) {
            const auto values = valuesOf(*findTensor(*sample, name));
            QVERIFY2(std::all_of(values.begin(), values.end(), [](double v) { return v == 1.0; }), name);
        }

        const TensorWrite *aLog = findTensor(*sample, "backbone.layers.1.mixer.A_log");
        QCOMPARE(aLog->shape, (std::vector<std::uint64_t>{256, 16}));
        const auto a = valuesOf(*aLog);
        for (std::size_t row = 0; row < 256; ++row) {
            for (std::size_t col = 0; col < 16; ++col)
                QCOMPARE(a[row * 16 + col], double(float(std::log(double(col + 1)))));
        }

        // dt_proj.bias is softplus⁻¹ of a step in [0.001, 0.1].
        for (double b : valuesOf(*findTensor(*sample, "backbone.layers.0.mixer.dt_proj.bias"))) {
            const double dt = std::log1p(std::exp(b));
            QVERIFY2(dt >= 0.001 * 0.999 && dt <= 0.1 * 1.001, qPrintable(QString::number(dt)));
        }

        const auto bias = valuesOf(*findTensor(*sample, "backbone.layers.0.mixer.conv1d.bias"));
        QVERIFY(std::all_of(bias.begin(), bias.end(), [](double v) { return std::abs(v) < 0.002 * 6; }));
        QVERIFY(std::any_of(bias.begin(), bias.end(), [](double v) { return v != 0; }));

        // N(0, 0.02) over 65,536 values: mean within 0.001, standard deviation within 3%.
        const auto w = valuesOf(*findTensor(*sample, "backbone.layers.0.mixer.in_proj.weight"));
        double sum = 0, sq = 0;
        for (double v : w) {
            sum += v;
            sq += v * v;
        }
        const double mean = sum / double(w.size());
        const double sd = std::sqrt(sq / double(w.size()) - mean * mean);
        QVERIFY2(std::abs(mean) < 0.001, qPrintable(QString::number(mean)));
        QVERIFY2(std::abs(sd - 0.02) < 0.02 * 0.03, qPrintable(QString::number(sd)));
    }

    void layerNormBiasesAreZero()
    {
        auto sample = generateSampleWeights(shipped(QStringLiteral("mamba_multimodal")), 5);
        QVERIFY(sample.ok());
        const auto values = valuesOf(*findTensor(*sample, "vision_encoder.blocks.1.norm2.bias"));
        QCOMPARE(values.size(), std::size_t(96));
        QVERIFY(std::all_of(values.begin(), values.end(), [](double v) { return v == 0.0; }));
    }

    // The first allowed dtype is the one written, encoded correctly.
    void dtypesFollowTheRule_data()
    {
        QTest::addColumn<QString>("dtype");
        QTest::addColumn<QString>("init");
        QTest::addColumn<double>("expectedMean"); // NaN: check the spread instead
        QTest::addColumn<double>("expectedSd");
        QTest::newRow("BF16 ones") << "BF16" << "ones" << 1.0 << 0.0;
        QTest::newRow("F16 ones") << "F16" << "ones" << 1.0 << 0.0;
        QTest::newRow("F64 zeros") << "F64" << "zeros" << 0.0 << 0.0;
        QTest::newRow("F64 normal(0.5)") << "F64" << "normal(0.5)" << 0.0 << 0.5;
        QTest::newRow("BF16 normal") << "BF16" << "normal" << 0.0 << 0.02;
        QTest::newRow("F16 normal") << "F16" << "normal" << 0.0 << 0.02;
        QTest::newRow("I32 ones") << "I32" << "ones" << 1.0 << 0.0;
        QTest::newRow("U8 ones") << "U8" << "ones" << 1.0 << 0.0;
        QTest::newRow("BOOL ones") << "BOOL" << "ones" << 1.0 << 0.0;
        QTest::newRow("I64 normal rounds to zero") << "I64" << "normal" << 0.0 << 0.0;
    }
    void dtypesFollowTheRule()
    {
        QFETCH(QString, dtype);
        QFETCH(QString, init);
        QFETCH(double, expectedMean);
        QFETCH(double, expectedSd);
        const ModelConfig config = parse(QStringLiteral("model_type: x\narchitecture: {d: 128}\ntensors:\n  - {name: w, shape: [d, d], dtypes: [%1, F32], init: '%2'}\n")
                                             .arg(dtype, init)
                                             .toUtf8());
        auto sample = generateSampleWeights(config, 11);
        QVERIFY2(sample.ok(), qPrintable(sample.ok() ? QString() : sample.errorString()));
        const TensorWrite &w = sample->tensors.front();
        QCOMPARE(QLatin1String(dtypeName(w.dtype)), dtype);
        QCOMPARE(w.data.size(), std::size_t(128 * 128 * dtypeBits(w.dtype) / 8));
        const auto values = valuesOf(w);
        double sum = 0, sq = 0;
        for (double v : values) {
            sum += v;
            sq += v * v;
        }
        const double mean = sum / double(values.size());
        const double sd = std::sqrt(std::max(0.0, sq / double(values.size()) - mean * mean));
        QVERIFY2(std::abs(mean - expectedMean) < 0.01 + expectedSd * 0.02, qPrintable(QString::number(mean)));
        QVERIFY2(std::abs(sd - expectedSd) <= expectedSd * 0.03, qPrintable(QString::number(sd)));
    }

    void errors_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<qulonglong>("maxBytes");
        QTest::addColumn<QString>("message");
        QTest::newRow("over the size limit") << QByteArray("model_type: x\narchitecture: {d: 64}\ntensors:\n  - {name: w, shape: [d, d]}\n  - {name: v, shape: [d]}\n")
                                             << qulonglong(1000)
                                             << "x: a sample of x would take 16640 bytes, more than the limit of 1000 bytes; make the architecture dimensions smaller";
        QTest::newRow("real-size config") << QByteArray("model_type: x\narchitecture: {d: 65536}\ntensors:\n  - {name: w, shape: [d, d]}\n")
                                          << qulonglong(kMaxSampleBytes)
                                          << "x: a sample of x would take 16384.0 MiB, more than the limit of 1024.0 MiB; make the architecture dimensions smaller";
        QTest::newRow("more elements than 64 bits") << QByteArray("model_type: x\narchitecture: {d: 4294967296}\ntensors:\n  - {name: w, shape: [d, d, d]}\n")
                                                    << qulonglong(kMaxSampleBytes) << "x: w has more elements than 64 bits can count";
        QTest::newRow("8-bit float first") << QByteArray("model_type: x\narchitecture: {d: 4}\ntensors:\n  - {name: w, shape: [d], dtypes: [F8_E4M3, F32]}\n")
                                           << qulonglong(kMaxSampleBytes)
                                           << "x: cannot make sample values of dtype F8_E4M3 for w; list a float dtype first in the rule's dtypes";
        QTest::newRow("complex first") << QByteArray("model_type: x\narchitecture: {d: 4}\ntensors:\n  - {name: w, shape: [d], dtypes: [C64]}\n")
                                       << qulonglong(kMaxSampleBytes)
                                       << "x: cannot make sample values of dtype C64 for w; list a float dtype first in the rule's dtypes";
    }
    void errors()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(qulonglong, maxBytes);
        QFETCH(QString, message);
        const auto sample = generateSampleWeights(parse(yaml), 0, maxBytes);
        QVERIFY(!sample.ok());
        QCOMPARE(sample.errorString(), message);
    }

    void brokenRuleIsAnError()
    {
        ModelConfig config;
        config.type = QStringLiteral("code");
        config.filePath = QStringLiteral("Config/code.yaml");
        ShapeRule rule;
        rule.pattern = QStringLiteral("w");
        rule.shape = {QStringLiteral("d")};
        rule.line = 7;
        config.tensors.push_back(rule);
        const auto sample = generateSampleWeights(config, 0);
        QVERIFY(!sample.ok());
        QCOMPARE(sample.errorString(), QStringLiteral("Config/code.yaml:7: tensors[0].shape[0] (w): unknown name 'd' in 'd'; it is not in architecture or derived nor a placeholder of the rule"));
    }

    void initParsing_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("kind");
        QTest::addColumn<double>("sigma");
        QTest::newRow("default") << "" << int(SampleInit::Kind::Normal) << 0.02;
        QTest::newRow("normal") << "normal" << int(SampleInit::Kind::Normal) << 0.02;
        QTest::newRow("normal with sigma") << "normal( 0.1 )" << int(SampleInit::Kind::Normal) << 0.1;
        QTest::newRow("small") << "small" << int(SampleInit::Kind::Normal) << 0.002;
        QTest::newRow("ones") << "ones" << int(SampleInit::Kind::Ones) << 0.02;
        QTest::newRow("zeros") << "zeros" << int(SampleInit::Kind::Zeros) << 0.02;
        QTest::newRow("a_log") << "a_log" << int(SampleInit::Kind::ALog) << 0.02;
        QTest::newRow("dt_bias") << "dt_bias" << int(SampleInit::Kind::DtBias) << 0.02;
    }
    void initParsing()
    {
        QFETCH(QString, text);
        QFETCH(int, kind);
        QFETCH(double, sigma);
        const auto init = parseSampleInit(text);
        QVERIFY(init.ok());
        QCOMPARE(int(init->kind), kind);
        QCOMPARE(init->sigma, sigma);
    }

    void initErrors_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown") << "xavier" << "unknown init 'xavier' (normal, normal(σ), small, ones, zeros, a_log, dt_bias)";
        QTest::newRow("zero sigma") << "normal(0)" << "the standard deviation in 'normal(0)' must be a positive number";
        QTest::newRow("text sigma") << "normal(big)" << "the standard deviation in 'normal(big)' must be a positive number";
        QTest::newRow("infinite sigma") << "normal(inf)" << "the standard deviation in 'normal(inf)' must be a positive number";
        QTest::newRow("unclosed") << "normal(0.1" << "unknown init 'normal(0.1' (normal, normal(σ), small, ones, zeros, a_log, dt_bias)";
    }
    void initErrors()
    {
        QFETCH(QString, text);
        QFETCH(QString, message);
        const auto init = parseSampleInit(text);
        QVERIFY(!init.ok());
        QCOMPARE(init.errorString(), message);
    }
};

QTEST_GUILESS_MAIN(TestSampleGenerator)
#include "tst_samplegenerator.moc"
