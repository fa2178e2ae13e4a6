#include "configmanager.h"
#include "safetensorsmodel.h"
#include "safetensorswriter.h"
#include "samplegenerator.h"
#include "shapevalidator.h"

#include <QTemporaryDir>
#include <QTest>

using namespace tantra;

namespace {

// A small config exercising aliases, a tied tensor, an optional one, a dtype list and a scalar.
const char kToy[] = R"(model_type: toy
architecture:
  d_model: 8
  n_layer: 2
  vocab_size: 10
  pad: 4
derived:
  V: round_up(vocab_size, pad)
  d_inner: 2 * d_model
tensors:
  - name: embed.weight
    aliases: [embeddings.weight]
    shape: [V, d_model]
  - name: layers.{i}.proj.weight
    repeat: {i: n_layer}
    shape: [d_inner, d_model]
    dtypes: [F32, BF16]
  - name: layers.{i}.scale
    repeat: {i: n_layer}
    shape: []
  - name: head.weight
    shape: [V, d_model]
    tied_to: embed.weight
  - name: extra.bias
    shape: [d_model]
    optional: true
)";

ModelConfig parse(const QByteArray &yaml)
{
    auto config = ConfigManager::parseConfig(yaml, QString());
    if (!config)
        qFatal("test config does not parse: %s", qPrintable(config.errorString()));
    return std::move(config).value();
}

// "embed.weight:F32:12x8; layers.0.scale:F32:" → tensors (an empty shape is a scalar).
std::vector<TensorShape> tensorsOf(const QString &spec)
{
    std::vector<TensorShape> out;
    for (const QString &item : spec.split(QLatin1Char(';'), Qt::SkipEmptyParts)) {
        const QStringList parts = item.trimmed().split(QLatin1Char(':'));
        TensorShape t;
        t.name = parts[0].toStdString();
        t.dtype = *dtypeFromName(parts[1].toStdString());
        for (const QString &d : parts[2].split(QLatin1Char('x'), Qt::SkipEmptyParts))
            t.shape.push_back(d.toULongLong());
        out.push_back(std::move(t));
    }
    return out;
}

const char kToyValid[] = "embed.weight:F32:12x8; layers.0.proj.weight:F32:16x8; layers.1.proj.weight:BF16:16x8;"
                         "layers.0.scale:F32:; layers.1.scale:F16:";

QStringList messagesOf(const ShapeReport &report)
{
    QStringList out;
    for (const ShapeIssue &issue : report.issues)
        out << issue.message;
    return out;
}

// The tensors of state-spaces/mamba-130m, written out by hand from its checkpoint rather than
// from the rules under test.
std::vector<TensorSpec> mamba130m()
{
    std::vector<TensorSpec> specs;
    specs.push_back({"backbone.embedding.weight", Dtype::F32, {50280, 768}});
    for (int i = 0; i < 24; ++i) {
        const std::string p = "backbone.layers." + std::to_string(i) + ".";
        specs.push_back({p + "norm.weight", Dtype::F32, {768}});
        specs.push_back({p + "mixer.in_proj.weight", Dtype::F32, {3072, 768}});
        specs.push_back({p + "mixer.conv1d.weight", Dtype::F32, {1536, 1, 4}});
        specs.push_back({p + "mixer.conv1d.bias", Dtype::F32, {1536}});
        specs.push_back({p + "mixer.x_proj.weight", Dtype::F32, {80, 1536}});
        specs.push_back({p + "mixer.dt_proj.weight", Dtype::F32, {1536, 48}});
        specs.push_back({p + "mixer.dt_proj.bias", Dtype::F32, {1536}});
        specs.push_back({p + "mixer.A_log", Dtype::F32, {1536, 16}});
        specs.push_back({p + "mixer.D", Dtype::F32, {1536}});
        specs.push_back({p + "mixer.out_proj.weight", Dtype::F32, {768, 1536}});
    }
    specs.push_back({"backbone.norm_f.weight", Dtype::F32, {768}});
    return specs;
}

} // namespace

class TestShapeValidator : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::optional<ModelConfig> m_mamba130m;

    // mamba-130m's config, made the way a user would: from the shipped mamba with overrides.
    const ModelConfig &mamba130mConfig()
    {
        if (!m_mamba130m) {
            const QString configDir = m_dir.filePath(QStringLiteral("Config"));
            if (!ConfigManager::installDefaults(configDir).ok())
                qFatal("cannot install the shipped configs");
            auto config = ConfigManager(configDir).createModelConfig(
                QStringLiteral("mamba-130m"), QStringLiteral("mamba"),
                {QStringLiteral("d_model=768"), QStringLiteral("n_layer=24"), QStringLiteral("vocab_size=50277"),
                 QStringLiteral("pad_vocab_size_multiple=8")});
            if (!config)
                qFatal("%s", qPrintable(config.errorString()));
            m_mamba130m = std::move(config).value();
        }
        return *m_mamba130m;
    }

    // Writes `specs` as a header-only file and reads its tensors back through the engine.
    std::vector<TensorShape> throughFile(const std::vector<TensorSpec> &specs, const QString &name)
    {
        const QString path = m_dir.filePath(name);
        const auto written = writeSparseSafetensors(path, specs);
        if (!written)
            qFatal("%s", qPrintable(written.errorString()));
        auto model = SafetensorsModel::open(path);
        if (!model)
            qFatal("%s", qPrintable(model.errorString()));
        return tensorShapesOf(*model);
    }

private Q_SLOTS:
    void initTestCase()
    {
        qunsetenv("TANTRA_DEFAULT_CONFIG_DIR");
        QVERIFY(m_dir.isValid());
    }

    void mamba130mHeaderOnlyIsAccepted()
    {
        const auto tensors = throughFile(mamba130m(), QStringLiteral("mamba-130m.safetensors"));
        QCOMPARE(tensors.size(), std::size_t(242));
        const ShapeReport report = validateShapes(mamba130mConfig(), tensors);
        QVERIFY2(report.ok(), qPrintable(messagesOf(report).join(QLatin1Char('\n'))));
        QCOMPARE(report.expected, 242);
        QCOMPARE(report.matched, 242);
        QCOMPARE(report.type, QStringLiteral("mamba-130m"));
        QCOMPARE(report.summary(), QStringLiteral("mamba-130m: 242 of 242 required tensors match"));
    }

    void mamba130mVariantsAreAccepted_data()
    {
        QTest::addColumn<QString>("variant");
        QTest::newRow("untied lm_head present") << "lm_head";
        QTest::newRow("transformers embedding name") << "hf";
        QTest::newRow("bf16 weights") << "bf16";
    }
    void mamba130mVariantsAreAccepted()
    {
        QFETCH(QString, variant);
        auto specs = mamba130m();
        if (variant == QLatin1String("lm_head"))
            specs.push_back({"lm_head.weight", Dtype::F32, {50280, 768}});
        for (TensorSpec &s : specs) {
            if (variant == QLatin1String("hf") && s.name == "backbone.embedding.weight")
                s.name = "backbone.embeddings.weight";
            if (variant == QLatin1String("bf16"))
                s.dtype = Dtype::BF16;
        }
        const auto tensors = throughFile(specs, variant + QStringLiteral(".safetensors"));
        const ShapeReport report = validateShapes(mamba130mConfig(), tensors);
        QVERIFY2(report.ok(), qPrintable(messagesOf(report).join(QLatin1Char('\n'))));
        QCOMPARE(report.matched, 242);
    }

    void mamba130mMismatchIsNamedPrecisely()
    {
        auto specs = mamba130m();
        for (TensorSpec &s : specs) {
            if (s.name == "backbone.layers.3.mixer.x_proj.weight")
                s.shape = {40, 1536};
        }
        const auto tensors = throughFile(specs, QStringLiteral("mismatch.safetensors"));
        const ShapeReport report = validateShapes(mamba130mConfig(), tensors);
        QCOMPARE(report.issues.size(), std::size_t(1));
        const ShapeIssue &issue = report.issues.front();
        QCOMPARE(issue.message, QStringLiteral("backbone.layers.3.mixer.x_proj.weight: shape [40, 1536] expected "
                                               "[dt_rank + 2*d_state, d_inner] = [80, 1536] (dt_rank=48, d_state=16, d_inner=1536)"));
        QCOMPARE(issue.kind, ShapeIssue::Kind::ShapeMismatch);
        QCOMPARE(issue.tensor, QStringLiteral("backbone.layers.3.mixer.x_proj.weight"));
        QCOMPARE(issue.expected, QStringLiteral("[dt_rank + 2*d_state, d_inner] = [80, 1536] (dt_rank=48, d_state=16, d_inner=1536)"));
        QCOMPARE(issue.actual, QStringLiteral("[40, 1536]"));
        // The line of the x_proj rule in the config.
        const QStringList lines = mamba130mConfig().yaml.split(QLatin1Char('\n'));
        QVERIFY(issue.line > 0);
        QCOMPARE(lines[issue.line - 1].trimmed(), QStringLiteral("- name: backbone.layers.{i}.mixer.x_proj.weight      # x → (dt, B, C)"));
        QCOMPARE(report.matched, 241);
        QCOMPARE(report.summary(), QStringLiteral("mamba-130m: 241 of 242 required tensors match; 1 shape mismatch"));
    }

    void issues_data()
    {
        QTest::addColumn<QString>("tensors");
        QTest::addColumn<QStringList>("messages");
        QTest::addColumn<int>("matched");
        QTest::addColumn<QString>("summary");

        const QString valid = QLatin1String(kToyValid);
        QTest::newRow("all present") << valid << QStringList() << 5 << "toy: 5 of 5 required tensors match";
        QTest::newRow("tied tensor present") << valid + QStringLiteral(";head.weight:F32:12x8") << QStringList() << 5
                                             << "toy: 5 of 5 required tensors match";
        QTest::newRow("tied tensor wrong shape")
            << valid + QStringLiteral(";head.weight:F32:8x12")
            << QStringList{QStringLiteral("head.weight: shape [8, 12] expected [V, d_model] = [12, 8] (V=12, d_model=8)")} << 5
            << "toy: 5 of 5 required tensors match; 1 shape mismatch";
        QTest::newRow("optional present") << valid + QStringLiteral(";extra.bias:F32:8") << QStringList() << 5
                                          << "toy: 5 of 5 required tensors match";
        QTest::newRow("optional wrong shape") << valid + QStringLiteral(";extra.bias:F32:9")
                                              << QStringList{QStringLiteral("extra.bias: shape [9] expected [d_model] = [8] (d_model=8)")} << 5
                                              << "toy: 5 of 5 required tensors match; 1 shape mismatch";
        QTest::newRow("alias instead of the name")
            << QString(valid).replace(QStringLiteral("embed.weight"), QStringLiteral("embeddings.weight")) << QStringList() << 5
            << "toy: 5 of 5 required tensors match";
        QTest::newRow("name and alias both present")
            << valid + QStringLiteral(";embeddings.weight:F32:12x8")
            << QStringList{QStringLiteral("embeddings.weight: unexpected, 'embed.weight' is the same tensor under another name and is present too")}
            << 5 << "toy: 5 of 5 required tensors match; 1 unexpected";
        QTest::newRow("a tensor twice") << valid + QStringLiteral(";layers.0.scale:F32:")
                                        << QStringList{QStringLiteral("layers.0.scale: unexpected, it appears twice")} << 5
                                        << "toy: 5 of 5 required tensors match; 1 unexpected";
        QTest::newRow("missing")
            << QString(valid).remove(QStringLiteral("layers.1.proj.weight:BF16:16x8;"))
            << QStringList{QStringLiteral("layers.1.proj.weight: missing, expected [d_inner, d_model] = [16, 8] (d_inner=16, d_model=8)")} << 4
            << "toy: 4 of 5 required tensors match; 1 missing";
        QTest::newRow("missing with an alias")
            << QString(valid).remove(QStringLiteral("embed.weight:F32:12x8;"))
            << QStringList{QStringLiteral("embed.weight: missing (also accepted as embeddings.weight), expected [V, d_model] = [12, 8] (V=12, d_model=8)")}
            << 4 << "toy: 4 of 5 required tensors match; 1 missing";
        QTest::newRow("missing scalar") << QString(valid).remove(QStringLiteral("; layers.1.scale:F16:"))
                                        << QStringList{QStringLiteral("layers.1.scale: missing, expected []")} << 4
                                        << "toy: 4 of 5 required tensors match; 1 missing";
        QTest::newRow("unexpected") << valid + QStringLiteral(";layers.2.proj.weight:F32:16x8")
                                    << QStringList{QStringLiteral("layers.2.proj.weight: unexpected, no rule of 'toy' names it")} << 5
                                    << "toy: 5 of 5 required tensors match; 1 unexpected";
        QTest::newRow("dtype not allowed") << QString(valid).replace(QStringLiteral("layers.0.proj.weight:F32"), QStringLiteral("layers.0.proj.weight:F16"))
                                           << QStringList{QStringLiteral("layers.0.proj.weight: dtype F16 not allowed (allowed: F32, BF16)")} << 4
                                           << "toy: 4 of 5 required tensors match; 1 dtype not allowed";
        QTest::newRow("scalar given a dimension") << QString(valid).replace(QStringLiteral("layers.0.scale:F32:"), QStringLiteral("layers.0.scale:F32:1"))
                                                  << QStringList{QStringLiteral("layers.0.scale: shape [1] expected []")} << 4
                                                  << "toy: 4 of 5 required tensors match; 1 shape mismatch";
        QTest::newRow("wrong rank") << QString(valid).replace(QStringLiteral("embed.weight:F32:12x8"), QStringLiteral("embed.weight:F32:96"))
                                    << QStringList{QStringLiteral("embed.weight: shape [96] expected [V, d_model] = [12, 8] (V=12, d_model=8)")} << 4
                                    << "toy: 4 of 5 required tensors match; 1 shape mismatch";
        QTest::newRow("shape and dtype both wrong")
            << QString(valid).replace(QStringLiteral("layers.1.proj.weight:BF16:16x8"), QStringLiteral("layers.1.proj.weight:I8:8x16"))
            << QStringList{QStringLiteral("layers.1.proj.weight: shape [8, 16] expected [d_inner, d_model] = [16, 8] (d_inner=16, d_model=8)"),
                           QStringLiteral("layers.1.proj.weight: dtype I8 not allowed (allowed: F32, BF16)")}
            << 4 << "toy: 4 of 5 required tensors match; 1 shape mismatch, 1 dtype not allowed";
        // Everything wrong at once is reported at once: the input's order, then what is missing.
        QTest::newRow("every kind at once")
            << QStringLiteral("layers.9.x:F32:1; embed.weight:F32:12x9; layers.0.proj.weight:F64:16x8; layers.0.scale:F32:; layers.1.scale:F32:")
            << QStringList{QStringLiteral("layers.9.x: unexpected, no rule of 'toy' names it"),
                           QStringLiteral("embed.weight: shape [12, 9] expected [V, d_model] = [12, 8] (V=12, d_model=8)"),
                           QStringLiteral("layers.0.proj.weight: dtype F64 not allowed (allowed: F32, BF16)"),
                           QStringLiteral("layers.1.proj.weight: missing, expected [d_inner, d_model] = [16, 8] (d_inner=16, d_model=8)")}
            << 2 << "toy: 2 of 5 required tensors match; 1 missing, 1 shape mismatch, 1 dtype not allowed, 1 unexpected";
        QTest::newRow("nothing at all")
            << QString() << QStringList{QStringLiteral("embed.weight: missing (also accepted as embeddings.weight), expected [V, d_model] = [12, 8] (V=12, d_model=8)"),
                                        QStringLiteral("layers.0.proj.weight: missing, expected [d_inner, d_model] = [16, 8] (d_inner=16, d_model=8)"),
                                        QStringLiteral("layers.1.proj.weight: missing, expected [d_inner, d_model] = [16, 8] (d_inner=16, d_model=8)"),
                                        QStringLiteral("layers.0.scale: missing, expected []"),
                                        QStringLiteral("layers.1.scale: missing, expected []")}
            << 0 << "toy: 0 of 5 required tensors match; 5 missing";
    }
    void issues()
    {
        QFETCH(QString, tensors);
        QFETCH(QStringList, messages);
        QFETCH(int, matched);
        QFETCH(QString, summary);
        const ShapeReport report = validateShapes(parse(kToy), tensorsOf(tensors));
        QCOMPARE(messagesOf(report), messages);
        QCOMPARE(report.expected, 5);
        QCOMPARE(report.matched, matched);
        QCOMPARE(report.ok(), messages.isEmpty());
        QCOMPARE(report.summary(), summary);
    }

    // The structured fields beside the message, one issue of each kind.
    void issueFields()
    {
        const ModelConfig config = parse(kToy);
        const ShapeReport report = validateShapes(
            config, tensorsOf(QStringLiteral("layers.9.x:F32:1x2; embed.weight:F32:12x9; layers.0.proj.weight:F64:16x8; layers.0.scale:F32:; layers.1.scale:F32:")));
        QCOMPARE(report.issues.size(), std::size_t(4));
        const ShapeIssue &unexpected = report.issues[0];
        QCOMPARE(unexpected.kind, ShapeIssue::Kind::Unexpected);
        QCOMPARE(unexpected.tensor, QStringLiteral("layers.9.x"));
        QCOMPARE(unexpected.actual, QStringLiteral("[1, 2]"));
        QCOMPARE(unexpected.expected, QString());
        QCOMPARE(unexpected.line, 0);
        const ShapeIssue &mismatch = report.issues[1];
        QCOMPARE(mismatch.kind, ShapeIssue::Kind::ShapeMismatch);
        QCOMPARE(mismatch.expected, QStringLiteral("[V, d_model] = [12, 8] (V=12, d_model=8)"));
        QCOMPARE(mismatch.actual, QStringLiteral("[12, 9]"));
        QCOMPARE(mismatch.line, 11);
        const ShapeIssue &dtype = report.issues[2];
        QCOMPARE(dtype.kind, ShapeIssue::Kind::DtypeNotAllowed);
        QCOMPARE(dtype.tensor, QStringLiteral("layers.0.proj.weight"));
        QCOMPARE(dtype.expected, QStringLiteral("F32, BF16"));
        QCOMPARE(dtype.actual, QStringLiteral("F64"));
        QCOMPARE(dtype.line, 14);
        const ShapeIssue &missing = report.issues[3];
        QCOMPARE(missing.kind, ShapeIssue::Kind::Missing);
        QCOMPARE(missing.tensor, QStringLiteral("layers.1.proj.weight"));
        QCOMPARE(missing.expected, QStringLiteral("[d_inner, d_model] = [16, 8] (d_inner=16, d_model=8)"));
        QCOMPARE(missing.actual, QString());
        QCOMPARE(report.count(ShapeIssue::Kind::Missing), 1);
        QCOMPARE(issueKindName(ShapeIssue::Kind::DtypeNotAllowed), QStringLiteral("dtype not allowed"));
    }

    // A config built in code skips the parser's checks; a broken rule must still not crash or
    // pass silently.
    void ruleErrors_data()
    {
        QTest::addColumn<QStringList>("shape");
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QString>("message");
        QTest::newRow("division by zero") << QStringList{QStringLiteral("d / 0")} << "w"
                                         << "code: tensors[0].shape[0] (w): division by zero: '0' is 0";
        QTest::newRow("unknown name") << QStringList{QStringLiteral("e")} << "w"
                                      << "code: tensors[0].shape[0] (w): unknown name 'e' in 'e'; it is not in architecture or derived nor a placeholder of the rule";
        QTest::newRow("syntax") << QStringList{QStringLiteral("d +")} << "w"
                                << "code: tensors[0].shape[0] (w): expected a number, a name or '(' but found end of the expression at position 4 in 'd +'";
        QTest::newRow("placeholder without range") << QStringList{QStringLiteral("d")} << "w.{i}"
                                                   << "code: tensors[0].name (w.{i}): placeholder {i} has no range; add it to repeat";
        QTest::newRow("empty name") << QStringList{QStringLiteral("d")} << "" << "code: tensors[0].name: the rule has no name";
    }
    void ruleErrors()
    {
        QFETCH(QStringList, shape);
        QFETCH(QString, pattern);
        QFETCH(QString, message);
        ModelConfig config;
        config.type = QStringLiteral("code");
        config.architecture.insert(QStringLiteral("d"), qint64(4));
        ShapeRule rule;
        rule.pattern = pattern;
        rule.shape = shape;
        config.tensors.push_back(rule);

        const ShapeValidator validator(config);
        QVERIFY(validator.fault());
        QCOMPARE(validator.faultText(), message);
        const ShapeReport report = validator.validate(tensorsOf(QStringLiteral("w:F32:4")));
        QCOMPARE(report.issues.size(), std::size_t(1));
        QCOMPARE(report.issues.front().kind, ShapeIssue::Kind::RuleError);
        QCOMPARE(report.issues.front().message, message);
        QCOMPARE(report.expected, 0);
        QVERIFY(!report.ok());
        QCOMPARE(report.summary(), QStringLiteral("code: the shape rules cannot be used: ") + message);
        const auto single = checkTensor(config, tensorsOf(QStringLiteral("w:F32:4")).front());
        QVERIFY(single);
        QCOMPARE(single->kind, ShapeIssue::Kind::RuleError);
        QCOMPARE(single->message, message);
    }

    void checkSingleTensor()
    {
        const ModelConfig config = parse(kToy);
        QVERIFY(!checkTensor(config, tensorsOf(QStringLiteral("layers.1.proj.weight:BF16:16x8")).front()));
        const auto mismatch = checkTensor(config, tensorsOf(QStringLiteral("layers.1.proj.weight:BF16:16x9")).front());
        QVERIFY(mismatch);
        QCOMPARE(mismatch->kind, ShapeIssue::Kind::ShapeMismatch);
        QCOMPARE(mismatch->message, QStringLiteral("layers.1.proj.weight: shape [16, 9] expected [d_inner, d_model] = [16, 8] (d_inner=16, d_model=8)"));
        const auto unknown = checkTensor(config, tensorsOf(QStringLiteral("nope:F32:1")).front());
        QVERIFY(unknown);
        QCOMPARE(unknown->kind, ShapeIssue::Kind::Unexpected);

        // The GUI's tensor browser shows the expected shape beside a matching tensor.
        const ShapeValidator validator(config);
        const TensorCheck check = validator.check(tensorsOf(QStringLiteral("embeddings.weight:F32:12x8")).front());
        QVERIFY(check.issues.empty());
        QCOMPARE(check.expected, QStringLiteral("[V, d_model] = [12, 8] (V=12, d_model=8)"));
        QCOMPARE(validator.expectedTensors()[std::size_t(check.expectedIndex)].name, QStringLiteral("embed.weight"));
    }

    // The MoE rule of mamba_multimodal: experts only on every moe_every-th layer, layer-major.
    void conditionalRuleExpansion()
    {
        const auto config = ConfigManager(ConfigManager::defaultConfigDir()).getConfig(QStringLiteral("mamba_multimodal"));
        QVERIFY(config.ok());
        const ShapeValidator validator(*config);
        QVERIFY(!validator.fault());
        QVERIFY(!validator.find(QStringLiteral("backbone.layers.0.moe.gate.weight")));
        QVERIFY(!validator.find(QStringLiteral("backbone.layers.2.moe.experts.0.w1.weight")));
        const ExpectedTensor *w2 = validator.find(QStringLiteral("backbone.layers.3.moe.experts.3.w2.weight"));
        QVERIFY(w2);
        QCOMPARE(w2->shape, (std::vector<std::uint64_t>{128, 256}));
        QCOMPARE(w2->bindings, (std::vector<qint64>{3, 3}));
        QCOMPARE(validator.find(QStringLiteral("backbone.layers.1.moe.gate.weight"))->shape, (std::vector<std::uint64_t>{4, 128}));
        QCOMPARE(validator.find(QStringLiteral("vision_encoder.pos_embed"))->shape, (std::vector<std::uint64_t>{1, 17, 96}));
        QCOMPARE(validator.find(QStringLiteral("vision_encoder.patch_embed.proj.weight"))->shape, (std::vector<std::uint64_t>{96, 3, 16, 16}));
        QStringList w1;
        for (const ExpectedTensor &t : validator.expectedTensors()) {
            if (t.name.endsWith(QLatin1String(".w1.weight")))
                w1 << t.name;
        }
        QCOMPARE(w1, (QStringList{QStringLiteral("backbone.layers.1.moe.experts.0.w1.weight"), QStringLiteral("backbone.layers.1.moe.experts.1.w1.weight"),
                                  QStringLiteral("backbone.layers.1.moe.experts.2.w1.weight"), QStringLiteral("backbone.layers.1.moe.experts.3.w1.weight"),
                                  QStringLiteral("backbone.layers.3.moe.experts.0.w1.weight"), QStringLiteral("backbone.layers.3.moe.experts.1.w1.weight"),
                                  QStringLiteral("backbone.layers.3.moe.experts.2.w1.weight"), QStringLiteral("backbone.layers.3.moe.experts.3.w1.weight")}));
    }

    void guessPicksEachShippedType_data()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("mamba") << "mamba";
        QTest::newRow("mamba_multimodal") << "mamba_multimodal";
        QTest::newRow("ocr_native") << "ocr_native";
    }
    void guessPicksEachShippedType()
    {
        QFETCH(QString, type);
        const ConfigManager manager(ConfigManager::defaultConfigDir());
        QStringList errors;
        const std::vector<ModelConfig> configs = manager.loadAll(&errors);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
        QCOMPARE(configs.size(), std::size_t(3));
        const ModelConfig *config = nullptr;
        for (const ModelConfig &c : configs)
            config = c.type == type ? &c : config;
        QVERIFY(config);

        auto sample = generateSampleWeights(*config, 7);
        QVERIFY2(sample.ok(), qPrintable(sample.ok() ? QString() : sample.errorString()));
        std::vector<TensorShape> tensors;
        for (const TensorWrite &t : sample->tensors)
            tensors.push_back(TensorShape{t.name, t.dtype, t.shape});

        const std::vector<TypeGuess> guesses = guessModelType(configs, tensors);
        QCOMPARE(guesses.size(), std::size_t(3));
        QCOMPARE(guesses.front().type, type);
        QVERIFY2(guesses.front().report.ok(), qPrintable(guesses.front().report.summary()));
        // The other types see the differences.
        for (std::size_t k = 1; k < guesses.size(); ++k)
            QVERIFY2(!guesses[k].report.issues.empty(), qPrintable(guesses[k].type));
    }

    // What a plain Mamba looks like to the OCR config: the vocabulary and the missing encoder.
    void guessReportsMismatchesForOtherTypes()
    {
        const ConfigManager manager(ConfigManager::defaultConfigDir());
        const auto mamba = manager.getConfig(QStringLiteral("mamba"));
        QVERIFY(mamba.ok());
        auto sample = generateSampleWeights(*mamba, 1);
        QVERIFY(sample.ok());
        std::vector<TensorShape> tensors;
        for (const TensorWrite &t : sample->tensors)
            tensors.push_back(TensorShape{t.name, t.dtype, t.shape});
        const auto guesses = guessModelType(manager.loadAll(), tensors);
        const ShapeReport *ocr = nullptr;
        for (const TypeGuess &g : guesses)
            ocr = g.type == QLatin1String("ocr_native") ? &g.report : ocr;
        QVERIFY(ocr);
        const QStringList messages = messagesOf(*ocr);
        QVERIFY(messages.contains(QStringLiteral("backbone.embedding.weight: shape [4096, 128] expected [V, d_model] = [512, 128] (V=512, d_model=128)")));
        QVERIFY(messages.contains(QStringLiteral("encoder.patch_embed.weight: missing, expected [d_model, patch_dim] = [128, 256] (d_model=128, patch_dim=256)")));
        QCOMPARE(ocr->count(ShapeIssue::Kind::Missing), 5);
        QCOMPARE(ocr->count(ShapeIssue::Kind::ShapeMismatch), 1);
        QCOMPARE(ocr->count(ShapeIssue::Kind::Unexpected), 0);
    }

    // A type of which fewer than half the tensors match ranks below one that reaches half,
    // even with fewer issues.
    void guessRanksByPlausibilityFirst()
    {
        const ModelConfig a = parse("model_type: a\narchitecture: {n: 10}\ntensors:\n  - {name: 'a{i}', repeat: {i: n}, shape: [2]}\n");
        const ModelConfig b = parse("model_type: b\narchitecture: {n: 4}\ntensors:\n  - {name: 'x{i}', repeat: {i: n}, shape: [3]}\n");
        // a: 5 of 10 match (5 missing, 4 unexpected: 9 issues); b: 1 of 4 (3 mismatches, 5 unexpected: 8 issues).
        const auto tensors = tensorsOf(QStringLiteral("a0:F32:2; a1:F32:2; a2:F32:2; a3:F32:2; a4:F32:2; x0:F32:3; x1:F32:2; x2:F32:2; x3:F32:2"));
        const auto guesses = guessModelType({b, a}, tensors);
        QCOMPARE(guesses[0].type, QStringLiteral("a"));
        QCOMPARE(guesses[0].report.issues.size(), std::size_t(9));
        QCOMPARE(guesses[0].report.matched, 5);
        QCOMPARE(guesses[1].type, QStringLiteral("b"));
        QCOMPARE(guesses[1].report.issues.size(), std::size_t(8));
        QCOMPARE(guesses[1].report.matched, 1);

        // Neither plausible: fewest issues first.
        const auto foreign = tensorsOf(QStringLiteral("model.embed_tokens.weight:F32:2; x0:F32:3"));
        const auto ranked = guessModelType({a, b}, foreign);
        QCOMPARE(ranked[0].type, QStringLiteral("b")); // 3 missing + 1 unexpected
        QCOMPARE(ranked[1].type, QStringLiteral("a")); // 10 missing + 2 unexpected
        QVERIFY(guessModelType({}, foreign).empty());
    }
};

QTEST_GUILESS_MAIN(TestShapeValidator)
#include "tst_shapevalidator.moc"
