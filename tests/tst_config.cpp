#include "configmanager.h"
#include "shapevalidator.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace tantra;

namespace {

// A small valid config; error rows below change one line of it.
const char kBase[] = R"(model_type: t
architecture:
  d_model: 8
  n_layer: 2
derived:
  d_inner: 2 * d_model
tensors:
  - name: layers.{i}.w
    repeat: {i: n_layer}
    shape: [d_inner, d_model]
)";

QByteArray base()
{
    return QByteArray(kBase);
}

// kBase with line `line` (1-based) replaced by `text` (which may hold several lines).
QByteArray withLine(int line, const char *text)
{
    QList<QByteArray> lines = base().split('\n');
    lines[line - 1] = QByteArray(text);
    return lines.join('\n');
}

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return QByteArray();
    return f.readAll();
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QCOMPARE(f.write(bytes), bytes.size());
}

// 1-based number of the first line of `path` starting with `prefix`.
int lineOf(const QString &path, const QByteArray &prefix)
{
    const QList<QByteArray> lines = readFile(path).split('\n');
    for (qsizetype i = 0; i < lines.size(); ++i) {
        if (lines[i].startsWith(prefix))
            return int(i) + 1;
    }
    return 0;
}

QString shippedDir()
{
    return ConfigManager::defaultConfigDir();
}

} // namespace

class TestConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        qunsetenv("TANTRA_DEFAULT_CONFIG_DIR");
        QVERIFY2(QFileInfo::exists(shippedDir() + QStringLiteral("/mamba.yaml")), qPrintable(shippedDir()));
    }

    void baseParses()
    {
        const auto config = ConfigManager::parseConfig(base(), QStringLiteral("Config/t.yaml"));
        QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.errorString()));
        QCOMPARE(config->type, QStringLiteral("t"));
        QCOMPARE(config->architecture.value(QStringLiteral("d_model")), QVariant(qint64(8)));
        QCOMPARE(config->derived.at(QStringLiteral("d_inner")), qint64(16));
        QCOMPARE(config->tensors.size(), std::size_t(1));
        const ShapeRule &rule = config->tensors.front();
        QCOMPARE(rule.pattern, QStringLiteral("layers.{i}.w"));
        QCOMPARE(rule.shape, (QStringList{QStringLiteral("d_inner"), QStringLiteral("d_model")}));
        QCOMPARE(rule.dtypes, defaultRuleDtypes());
        QCOMPARE(rule.repeat.size(), std::size_t(1));
        QCOMPARE(rule.repeat.front().first, QStringLiteral("i"));
        QCOMPARE(rule.repeat.front().second, QStringLiteral("n_layer"));
        QCOMPARE(rule.line, 8);
        QCOMPARE(config->yaml, QString::fromUtf8(base()));
        QCOMPARE(config->filePath, QStringLiteral("Config/t.yaml"));
    }

    // Every section's values keep their YAML types; the key order is kept beside the maps.
    void sectionsAndScalarTypes()
    {
        const QByteArray text = base() + R"(description: |
  two
  lines
training:
  lr: 1.5e-3
  steps: 100
  quoted: "100"
  enabled: true
  nothing: ~
  hex: 0x10
  list: [1, two, 3.5]
  nested: {a: 1, b: [x]}
  version: 1.2.3
serve:
  port: 8080
  host: 127.0.0.1
paths:
  data: data/t
  checkpoints: '2024'
extra:
  zebra: 1
  apple: 2
)";
        const auto config = ConfigManager::parseConfig(text, QStringLiteral("t.yaml"));
        QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.errorString()));
        QCOMPARE(config->description, QStringLiteral("two\nlines"));
        const QVariantMap &t = config->training;
        QCOMPARE(t.value(QStringLiteral("lr")).typeId(), int(QMetaType::Double));
        QCOMPARE(t.value(QStringLiteral("lr")).toDouble(), 1.5e-3);
        QCOMPARE(t.value(QStringLiteral("steps")), QVariant(qint64(100)));
        QCOMPARE(t.value(QStringLiteral("quoted")), QVariant(QStringLiteral("100")));
        QCOMPARE(t.value(QStringLiteral("enabled")), QVariant(true));
        QVERIFY(t.contains(QStringLiteral("nothing")));
        QVERIFY(!t.value(QStringLiteral("nothing")).isValid());
        QCOMPARE(t.value(QStringLiteral("hex")), QVariant(qint64(16)));
        QCOMPARE(t.value(QStringLiteral("list")), QVariant(QVariantList{qint64(1), QStringLiteral("two"), 3.5}));
        const QVariantMap nested = t.value(QStringLiteral("nested")).toMap();
        QCOMPARE(nested.value(QStringLiteral("a")), QVariant(qint64(1)));
        QCOMPARE(nested.value(QStringLiteral("b")), QVariant(QVariantList{QStringLiteral("x")}));
        QCOMPARE(t.value(QStringLiteral("version")), QVariant(QStringLiteral("1.2.3")));
        QCOMPARE(config->serve.value(QStringLiteral("port")), QVariant(qint64(8080)));
        QCOMPARE(config->serve.value(QStringLiteral("host")), QVariant(QStringLiteral("127.0.0.1")));
        QCOMPARE(config->paths.value(QStringLiteral("checkpoints")), QVariant(QStringLiteral("2024")));
        QCOMPARE(config->keyOrder.value(QStringLiteral("extra")), (QStringList{QStringLiteral("zebra"), QStringLiteral("apple")}));
        QCOMPARE(config->keyOrder.value(QStringLiteral("architecture")), (QStringList{QStringLiteral("d_model"), QStringLiteral("n_layer")}));
        QCOMPARE(config->keyOrder.value(QStringLiteral("derived")), (QStringList{QStringLiteral("d_inner")}));
        QCOMPARE(config->keyOrder.value(QStringLiteral("training")).first(), QStringLiteral("lr"));
    }

    void shippedConfigs_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<int>("required");
        QTest::newRow("mamba") << "mamba" << 42;
        // 42 backbone + 30 vision encoder + 4 projector + 2 MoE layers × (norm + gate + 4 experts × 3).
        QTest::newRow("mamba_multimodal") << "mamba_multimodal" << 42 + 30 + 4 + 28;
        QTest::newRow("ocr_native") << "ocr_native" << 42 + 5;
    }
    void shippedConfigs()
    {
        QFETCH(QString, type);
        QFETCH(int, required);
        const ConfigManager manager(shippedDir());
        const auto config = manager.getConfig(type);
        QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.errorString()));
        QCOMPARE(config->type, type);
        QCOMPARE(config->filePath, QDir(shippedDir()).filePath(type + QStringLiteral(".yaml")));
        QVERIFY(!config->description.isEmpty());
        // The real Mamba v1 derivations, on the small defaults: d_model 128, vocab padded to 8.
        QCOMPARE(config->derived.at(QStringLiteral("d_inner")), qint64(256));
        QCOMPARE(config->derived.at(QStringLiteral("dt_rank")), qint64(8));
        QVERIFY(config->derived.at(QStringLiteral("V")) % 8 == 0);
        QVERIFY(!config->training.isEmpty());
        QVERIFY(!config->serve.isEmpty());
        QCOMPARE(config->paths.value(QStringLiteral("checkpoints")).toString(), QStringLiteral("checkpoints/") + type);
        QVERIFY(!config->extra.isEmpty());

        const ShapeValidator validator(*config);
        QVERIFY2(!validator.fault(), qPrintable(validator.faultText()));
        const auto &expected = validator.expectedTensors();
        const int requiredCount = int(std::count_if(expected.begin(), expected.end(), [](const ExpectedTensor &t) { return !t.optional; }));
        QCOMPARE(requiredCount, required);
        // Every shipped type ties its head to the embedding.
        const ExpectedTensor *head = validator.find(QStringLiteral("lm_head.weight"));
        QVERIFY(head);
        QVERIFY(head->optional);
        QCOMPARE(head->tiedTo, QStringLiteral("backbone.embedding.weight"));
    }

    void mambaDerivedValues()
    {
        const auto config = ConfigManager(shippedDir()).getConfig(QStringLiteral("mamba"));
        QVERIFY(config.ok());
        QCOMPARE(config->architecture.value(QStringLiteral("vocab_size")), QVariant(qint64(4090)));
        QCOMPARE(config->derived.at(QStringLiteral("V")), qint64(4096));
        QCOMPARE(config->derivedExpressions.front().first, QStringLiteral("d_inner"));
        QCOMPARE(config->derivedExpressions.front().second, QStringLiteral("expand * d_model"));
    }

    void parseErrors_data()
    {
        QTest::addColumn<QByteArray>("yaml");
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("message");
        QTest::addColumn<QString>("key");

        const QString f = QStringLiteral("Config/t.yaml");

        // --- the document ---
        QTest::newRow("invalid YAML") << QByteArray("model_type: t\narchitecture: [1, 2\n") << f
                                      << "Config/t.yaml:3:1: invalid YAML: end of sequence flow not found" << "";
        QTest::newRow("bad indentation") << QByteArray("model_type: t\n architecture: 1\n") << f
                                         << "Config/t.yaml:2:14: invalid YAML: illegal map value" << "";
        QTest::newRow("empty file") << QByteArray() << f
                                    << "Config/t.yaml: the file is empty; a config needs model_type, architecture and tensors" << "";
        QTest::newRow("only comments") << QByteArray("# nothing\n") << f
                                       << "Config/t.yaml: the file is empty; a config needs model_type, architecture and tensors" << "";
        QTest::newRow("two documents") << base() + "---\nmodel_type: u\n" << f
                                       << "Config/t.yaml:12:1: a config holds one YAML document, and this file has 2 (separated by '---')" << "";
        QTest::newRow("root is a list") << QByteArray("- model_type\n- t\n") << f
                                        << "Config/t.yaml:1:1: a config must be a mapping of sections (model_type, architecture, tensors, …), not a list"
                                        << "";
        QTest::newRow("root is text") << QByteArray("hello\n") << f
                                      << "Config/t.yaml:1:1: a config must be a mapping of sections (model_type, architecture, tensors, …), not 'hello'"
                                      << "";
        QTest::newRow("unknown section") << base() + "archtecture:\n  x: 1\n" << f
                                         << "Config/t.yaml:11:1: unknown section 'archtecture' (sections: model_type, description, architecture, derived, tensors, training, serve, paths, extra)"
                                         << "archtecture";
        QTest::newRow("section twice") << base() + "derived:\n  y: 1\n" << f
                                       << "Config/t.yaml:11:1: derived appears twice (first on line 5)" << "derived";

        // --- model_type ---
        QTest::newRow("model_type missing") << withLine(1, "# no type") << f
                                            << "Config/t.yaml: model_type is missing; it names the type and must match the file name"
                                            << "model_type";
        QTest::newRow("model_type differs from the file name") << withLine(1, "model_type: mamba") << f
                                                               << "Config/t.yaml:1:13: model_type is 'mamba' but the file is t.yaml; they must match (rename the file or change model_type)"
                                                               << "model_type";
        QTest::newRow("model_type with a slash") << withLine(1, "model_type: a/b") << QStringLiteral("a/b.yaml")
                                                 << "a/b.yaml:1:13: model_type 'a/b' is not a valid type name: use letters, digits, '_', '.' and '-'"
                                                 << "model_type";
        QTest::newRow("model_type a list") << withLine(1, "model_type: [t]") << f
                                           << "Config/t.yaml:1:13: model_type must be a name, not a list" << "model_type";
        QTest::newRow("model_type empty") << withLine(1, "model_type:") << f
                                          << "Config/t.yaml:1:1: model_type must be a name, not empty" << "model_type";

        // --- description ---
        QTest::newRow("description a mapping") << base() + "description:\n  a: 1\n" << f
                                               << "Config/t.yaml:12:3: description must be text, not a mapping" << "description";

        // --- architecture ---
        QTest::newRow("architecture missing") << QByteArray("model_type: t\ntensors:\n  - name: a\n    shape: [1]\n") << f
                                              << "Config/t.yaml: architecture is missing; it holds the model's dimensions (d_model, n_layer, …)"
                                              << "architecture";
        QTest::newRow("architecture a list") << QByteArray("model_type: t\narchitecture: [8, 2]\ntensors:\n  - name: a\n    shape: [1]\n") << f
                                             << "Config/t.yaml:2:15: architecture must be a mapping of dimension names to values, not a list"
                                             << "architecture";
        QTest::newRow("dimension not a number") << withLine(3, "  d_model: abc") << f
                                                << "Config/t.yaml:3:12: architecture.d_model must be a positive integer, not 'abc'"
                                                << "architecture.d_model";
        QTest::newRow("dimension zero") << withLine(4, "  n_layer: 0") << f
                                        << "Config/t.yaml:4:12: architecture.n_layer must be a positive integer, not '0'"
                                        << "architecture.n_layer";
        QTest::newRow("dimension negative") << withLine(4, "  n_layer: -2") << f
                                            << "Config/t.yaml:4:12: architecture.n_layer must be a positive integer, not '-2'"
                                            << "architecture.n_layer";
        QTest::newRow("dimension fractional") << withLine(3, "  d_model: 2.5") << f
                                              << "Config/t.yaml:3:12: architecture.d_model must be a positive integer, not '2.5'"
                                              << "architecture.d_model";
        QTest::newRow("dimension quoted") << withLine(3, "  d_model: \"8\"") << f
                                          << "Config/t.yaml:3:12: architecture.d_model must be a positive integer, not '8'"
                                          << "architecture.d_model";
        QTest::newRow("dimension in exponent form") << withLine(4, "  n_layer: 1.0e+1") << f
                                                   << "Config/t.yaml:4:12: architecture.n_layer must be a positive integer, not '1.0e+1'"
                                                   << "architecture.n_layer";
        QTest::newRow("dimension boolean") << withLine(4, "  n_layer: true") << f
                                           << "Config/t.yaml:4:12: architecture.n_layer must be a positive integer, not 'true'"
                                           << "architecture.n_layer";
        QTest::newRow("dimension a list") << withLine(3, "  d_model: [8]") << f
                                          << "Config/t.yaml:3:12: architecture.d_model must be a single value (a number, true/false or text), not a list"
                                          << "architecture.d_model";
        QTest::newRow("dimension empty") << withLine(3, "  d_model:") << f
                                         << "Config/t.yaml:3:3: architecture.d_model has no value" << "architecture.d_model";
        QTest::newRow("dimension name not usable") << withLine(3, "  d-model: 8") << f
                                                   << "Config/t.yaml:3:3: architecture.d-model: the name must be letters, digits and '_' (not starting with a digit) so that shape rules can use it"
                                                   << "architecture.d-model";
        QTest::newRow("dimension twice") << withLine(4, "  d_model: 9") << f
                                         << "Config/t.yaml:4:3: architecture.d_model appears twice (first on line 3)" << "architecture.d_model";
        QTest::newRow("dimension missing (used by a rule)") << withLine(4, "  n_layers: 2") << f
                                                            << "Config/t.yaml:9:17: tensors[0].repeat.i (layers.{i}.w): unknown name 'n_layer' in 'n_layer'; it is not in architecture or derived"
                                                            << "tensors[0].repeat.i";
        // Values no rule reads may be anything.
        // (covered by the shipped configs: rms_norm: true)

        // --- derived ---
        QTest::newRow("derived unknown name") << withLine(6, "  d_inner: expand * d_model") << f
                                              << "Config/t.yaml:6:12: derived.d_inner: unknown name 'expand' in 'expand * d_model'; it is not in architecture nor above in derived"
                                              << "derived.d_inner";
        QTest::newRow("derived used before defined") << withLine(6, "  d_inner: 2 * half\n  half: d_model / 2") << f
                                                     << "Config/t.yaml:6:16: derived.d_inner uses 'half', which is defined below it; derived values may only use those above them"
                                                     << "derived.d_inner";
        QTest::newRow("derived uses itself") << withLine(6, "  d_inner: d_inner + 1") << f
                                             << "Config/t.yaml:6:12: derived.d_inner uses itself" << "derived.d_inner";
        QTest::newRow("derived syntax error") << withLine(6, "  d_inner: 2 * (d_model") << f
                                              << "Config/t.yaml:6:24: derived.d_inner: expected ')' but found end of the expression at position 13 in '2 * (d_model'"
                                              << "derived.d_inner";
        QTest::newRow("derived syntax error quoted") << withLine(6, "  d_inner: \"2 $ d_model\"") << f
                                                     << "Config/t.yaml:6:15: derived.d_inner: unexpected character '$' at position 3 in '2 $ d_model'"
                                                     << "derived.d_inner";
        QTest::newRow("derived division by zero") << withLine(6, "  d_inner: d_model / (n_layer - 2)") << f
                                                  << "Config/t.yaml:6:12: derived.d_inner: division by zero: '(n_layer - 2)' is 0"
                                                  << "derived.d_inner";
        QTest::newRow("derived shadows architecture") << withLine(6, "  d_model: 4") << f
                                                      << "Config/t.yaml:6:3: derived.d_model has the name of an architecture value; give it another name"
                                                      << "derived.d_model";
        QTest::newRow("derived not an expression") << withLine(6, "  d_inner: [1]") << f
                                                   << "Config/t.yaml:6:12: derived.d_inner must be an expression such as 'expand * d_model', not a list"
                                                   << "derived.d_inner";
        QTest::newRow("derived reads a non-integer dimension") << withLine(4, "  n_layer: 2\n  act: silu").replace("2 * d_model", "act * 2") << f
                                                              << "Config/t.yaml:5:8: architecture.act must be a positive integer, not 'silu'"
                                                              << "architecture.act";

        // --- tensors: the list ---
        QTest::newRow("tensors missing") << base().left(base().indexOf("tensors:")) << f
                                         << "Config/t.yaml: tensors is missing; it lists the shape rules (see docs/CONFIG.md)" << "tensors";
        QTest::newRow("tensors empty") << base().left(base().indexOf("tensors:")) + "tensors: []\n" << f
                                       << "Config/t.yaml:7:10: tensors must be a non-empty list of shape rules, not an empty list" << "tensors";
        QTest::newRow("tensors a mapping") << base().left(base().indexOf("tensors:")) + "tensors:\n  a: 1\n" << f
                                           << "Config/t.yaml:8:3: tensors must be a non-empty list of shape rules, not a mapping" << "tensors";
        QTest::newRow("rule not a mapping") << withLine(8, "  - layers.w\n  - name: layers.{i}.w") << f
                                            << "Config/t.yaml:8:5: tensors[0] must be a mapping with name and shape, not 'layers.w'" << "tensors[0]";

        // --- tensors: keys of a rule ---
        QTest::newRow("unknown key") << withLine(10, "    shap: [d_inner, d_model]") << f
                                     << "Config/t.yaml:10:5: tensors[0] (layers.{i}.w): unknown key 'shap' (keys: name, shape, dtypes, optional, tied_to, aliases, repeat, when, init)"
                                     << "tensors[0].shap";
        QTest::newRow("key twice") << withLine(10, "    shape: [d_inner, d_model]\n    shape: [1]") << f
                                   << "Config/t.yaml:11:5: tensors[0].shape appears twice (first on line 10)" << "tensors[0].shape";
        QTest::newRow("no name") << withLine(8, "  - repeat: {i: n_layer}").replace("    repeat: {i: n_layer}\n", "") << f
                                 << "Config/t.yaml:8:5: tensors[0] has no name" << "tensors[0].name";
        QTest::newRow("name a list") << withLine(8, "  - name: [a]") << f
                                     << "Config/t.yaml:8:11: tensors[0].name must be a tensor name pattern, not a list" << "tensors[0].name";
        QTest::newRow("no shape") << withLine(10, "    dtypes: [F32]") << f
                                  << "Config/t.yaml:8:5: tensors[0] (layers.{i}.w) has no shape; write shape: [] for a scalar" << "tensors[0].shape";
        QTest::newRow("shape not a list") << withLine(10, "    shape: d_model") << f
                                          << "Config/t.yaml:10:12: tensors[0].shape (layers.{i}.w) must be a list of expressions such as [d_inner, d_model], not 'd_model'"
                                          << "tensors[0].shape";
        QTest::newRow("shape element a mapping") << withLine(10, "    shape: [d_inner, {a: 1}]") << f
                                                 << "Config/t.yaml:10:22: tensors[0].shape[1] (layers.{i}.w): each dimension must be an expression, not a mapping"
                                                 << "tensors[0].shape[1]";
        QTest::newRow("optional not boolean") << base() + "    optional: yes\n" << f
                                              << "Config/t.yaml:11:15: tensors[0].optional (layers.{i}.w) must be true or false, not 'yes'"
                                              << "tensors[0].optional";
        QTest::newRow("dtypes empty") << base() + "    dtypes: []\n" << f
                                      << "Config/t.yaml:11:13: tensors[0].dtypes (layers.{i}.w) is empty; leave dtypes out to allow F32, BF16, F16"
                                      << "tensors[0].dtypes";
        QTest::newRow("dtypes element a list") << base() + "    dtypes: [F32, [F16]]\n" << f
                                               << "Config/t.yaml:11:19: tensors[0].dtypes[1] must be a single value, not a list"
                                               << "tensors[0].dtypes[1]";
        QTest::newRow("unknown dtype") << base() + "    dtypes: [F32, FP16]\n" << f
                                       << "Config/t.yaml:11:19: tensors[0].dtypes[1] (layers.{i}.w): unknown dtype 'FP16' (dtypes are named as in safetensors: F32, BF16, F16, I64, …)"
                                       << "tensors[0].dtypes[1]";
        QTest::newRow("tied_to a list") << base() + "    tied_to: [a]\n" << f
                                        << "Config/t.yaml:11:14: tensors[0].tied_to (layers.{i}.w) must be a tensor name, not a list"
                                        << "tensors[0].tied_to";
        QTest::newRow("repeat not a mapping") << withLine(9, "    repeat: n_layer") << f
                                              << "Config/t.yaml:9:13: tensors[0].repeat (layers.{i}.w) must map each placeholder to a count, as in {i: n_layer}, not 'n_layer'"
                                              << "tensors[0].repeat";
        QTest::newRow("repeat count a list") << withLine(9, "    repeat: {i: [2]}") << f
                                             << "Config/t.yaml:9:17: tensors[0].repeat.i (layers.{i}.w): the count must be an expression such as n_layer, not a list"
                                             << "tensors[0].repeat.i";
        QTest::newRow("when a list") << base() + "    when: [1]\n" << f
                                     << "Config/t.yaml:11:11: tensors[0].when (layers.{i}.w) must be a condition such as \"i % 2 == 1\", not a list"
                                     << "tensors[0].when";
        QTest::newRow("init unknown") << base() + "    init: gaussian\n" << f
                                      << "Config/t.yaml:11:11: tensors[0].init (layers.{i}.w): unknown init 'gaussian' (normal, normal(σ), small, ones, zeros, a_log, dt_bias)"
                                      << "tensors[0].init";
        QTest::newRow("init bad sigma") << base() + "    init: normal(-1)\n" << f
                                        << "Config/t.yaml:11:11: tensors[0].init (layers.{i}.w): the standard deviation in 'normal(-1)' must be a positive number"
                                        << "tensors[0].init";

        // --- tensors: what the rules mean ---
        QTest::newRow("unknown name in shape") << withLine(10, "    shape: [d_inner, d_modl]") << f
                                               << "Config/t.yaml:10:22: tensors[0].shape[1] (layers.{i}.w): unknown name 'd_modl' in 'd_modl'; it is not in architecture or derived nor a placeholder of the rule"
                                               << "tensors[0].shape[1]";
        QTest::newRow("unknown name inside an expression") << withLine(10, "    shape: [d_inner, 2 * d_modl]") << f
                                                           << "Config/t.yaml:10:26: tensors[0].shape[1] (layers.{i}.w): unknown name 'd_modl' in '2 * d_modl'; it is not in architecture or derived nor a placeholder of the rule"
                                                           << "tensors[0].shape[1]";
        QTest::newRow("syntax error in shape") << withLine(10, "    shape: [d_inner, \"d_model +\"]") << f
                                               << "Config/t.yaml:10:32: tensors[0].shape[1] (layers.{i}.w): expected a number, a name or '(' but found end of the expression at position 10 in 'd_model +'"
                                               << "tensors[0].shape[1]";
        QTest::newRow("negative dimension") << withLine(10, "    shape: [d_model - 9]") << f
                                            << "Config/t.yaml:10:13: tensors[0].shape[0] (layers.{i}.w): 'd_model - 9' is -1 (for i=0); a dimension cannot be negative"
                                            << "tensors[0].shape[0]";
        QTest::newRow("division by zero in a layer") << withLine(10, "    shape: [d_model / (1 - i)]") << f
                                                     << "Config/t.yaml:10:13: tensors[0].shape[0] (layers.{i}.w): division by zero: '(1 - i)' is 0 (for i=1)"
                                                     << "tensors[0].shape[0]";
        QTest::newRow("placeholder without range") << withLine(8, "  - name: layers.{i}.experts.{e}.w") << f
                                                   << "Config/t.yaml:8:30: tensors[0].name (layers.{i}.experts.{e}.w): placeholder {e} has no range; add it to repeat"
                                                   << "tensors[0].name";
        QTest::newRow("unclosed placeholder") << withLine(8, "  - name: layers.{i.w") << f
                                              << "Config/t.yaml:8:18: tensors[0].name (layers.{i.w): '{' without a matching '}'"
                                              << "tensors[0].name";
        QTest::newRow("placeholder not a name") << withLine(8, "  - name: layers.{1}.w") << f
                                                << "Config/t.yaml:8:18: tensors[0].name (layers.{1}.w): placeholder {1} must be a name (letters, digits and '_')"
                                                << "tensors[0].name";
        QTest::newRow("repeat placeholder unused") << withLine(9, "    repeat: {i: n_layer, e: 2}") << f
                                                   << "Config/t.yaml:9:29: tensors[0].repeat.e (layers.{i}.w): placeholder 'e' is not used in the name, so every value would give the same tensor"
                                                   << "tensors[0].repeat.e";
        QTest::newRow("placeholder named like a dimension") << withLine(8, "  - name: layers.{d_model}.w").replace("{i: n_layer}", "{d_model: n_layer}") << f
                                                            << "Config/t.yaml:9:23: tensors[0].repeat.d_model (layers.{d_model}.w): placeholder 'd_model' has the name of an architecture or derived value; rename it"
                                                            << "tensors[0].repeat.d_model";
        QTest::newRow("repeat count negative") << withLine(9, "    repeat: {i: n_layer - 3}") << f
                                               << "Config/t.yaml:9:17: tensors[0].repeat.i (layers.{i}.w): the count 'n_layer - 3' is -1; it cannot be negative"
                                               << "tensors[0].repeat.i";
        QTest::newRow("repeat count uses a placeholder") << withLine(9, "    repeat: {i: n_layer, j: i}").replace("layers.{i}.w", "layers.{i}.{j}.w") << f
                                                         << "Config/t.yaml:9:29: tensors[0].repeat.j (layers.{i}.{j}.w): a repeat count cannot use the placeholder 'i'"
                                                         << "tensors[0].repeat.j";
        QTest::newRow("too many tensors") << withLine(4, "  n_layer: 2000000") << f
                                          << "Config/t.yaml:9:17: tensors[0].repeat.i (layers.{i}.w): the rules expand to more than 1000000 tensors"
                                          << "tensors[0].repeat.i";
        QTest::newRow("condition error") << base() + "    when: i % (n_layer - 2) == 0\n" << f
                                         << "Config/t.yaml:11:11: tensors[0].when (layers.{i}.w): division by zero: '(n_layer - 2)' is 0 (for i=0)"
                                         << "tensors[0].when";
        QTest::newRow("condition unknown name") << base() + "    when: i % every == 0\n" << f
                                                << "Config/t.yaml:11:15: tensors[0].when (layers.{i}.w): unknown name 'every' in 'i % every == 0'; it is not in architecture or derived nor a placeholder of the rule"
                                                << "tensors[0].when";
        QTest::newRow("two rules name one tensor") << base() + "  - name: layers.1.w\n    shape: [1]\n" << f
                                                   << "Config/t.yaml:11:11: tensors[1].name (layers.1.w): 'layers.1.w' is already a tensor of tensors[0] (line 8)"
                                                   << "tensors[1].name";
        QTest::newRow("alias names another tensor") << base() + "    aliases: [\"layers.{i}.v\"]\n  - name: layers.0.v\n    shape: [1]\n" << f
                                                    << "Config/t.yaml:12:11: tensors[1].name (layers.0.v): 'layers.0.v' is already a tensor of tensors[0] (line 8)"
                                                    << "tensors[1].name";
        QTest::newRow("alias without the placeholder") << base() + "    aliases: [layers.w]\n" << f
                                                       << "Config/t.yaml:11:15: tensors[0].aliases[0] (layers.{i}.w): an alias must use every placeholder of the name, and {i} is missing"
                                                       << "tensors[0].aliases[0]";
        QTest::newRow("tied to nothing") << base() + "  - name: head\n    shape: [1]\n    tied_to: embedding\n" << f
                                         << "Config/t.yaml:13:14: tensors[1].tied_to (head): 'embedding' is not a tensor of this config"
                                         << "tensors[1].tied_to";
        QTest::newRow("tied to itself") << base() + "  - name: head\n    shape: [1]\n    tied_to: head\n" << f
                                        << "Config/t.yaml:13:14: tensors[1].tied_to (head): a tensor cannot be tied to itself"
                                        << "tensors[1].tied_to";

        // --- the free sections ---
        QTest::newRow("training a list") << base() + "training: [1]\n" << f
                                         << "Config/t.yaml:11:11: training must be a mapping of settings, not a list" << "training";
        QTest::newRow("serve text") << base() + "serve: fast\n" << f
                                    << "Config/t.yaml:11:8: serve must be a mapping of settings, not 'fast'" << "serve";
        QTest::newRow("key twice in extra") << base() + "extra:\n  a: 1\n  a: 2\n" << f
                                            << "Config/t.yaml:13:3: extra.a appears twice (first on line 12)" << "extra.a";
        QTest::newRow("key twice nested") << base() + "training:\n  opt:\n    lr: 1\n    lr: 2\n" << f
                                          << "Config/t.yaml:14:5: training.opt.lr appears twice (first on line 13)" << "training.opt.lr";
        QTest::newRow("path not text") << base() + "paths:\n  data: [a, b]\n" << f
                                       << "Config/t.yaml:12:9: paths.data must be a path (text), not a list" << "paths.data";
        QTest::newRow("path a number") << base() + "paths:\n  data: 12\n" << f
                                       << "Config/t.yaml:12:9: paths.data must be a path (text), not '12'" << "paths.data";
        QTest::newRow("path empty") << base() + "paths:\n  data:\n" << f
                                    << "Config/t.yaml:12:3: paths.data must be a path (text), not empty" << "paths.data";
        // The conversion of a free section followed aliases into themselves until the stack overflowed.
        QTest::newRow("alias inside its own anchor") << base() + "extra:\n  a: &a [*a]\n" << f
                                                     << "Config/t.yaml:12:6: extra.a[0] contains itself through a YAML alias (*name inside the value its &name anchors); a config cannot be recursive"
                                                     << "extra.a[0]";
        QTest::newRow("alias cycle through a mapping") << base() + "training:\n  opt: &o\n    inner: {back: *o}\n" << f
                                                       << "Config/t.yaml:12:8: training.opt.inner.back contains itself through a YAML alias (*name inside the value its &name anchors); a config cannot be recursive"
                                                       << "training.opt.inner.back";
    }
    void parseErrors()
    {
        QFETCH(QByteArray, yaml);
        QFETCH(QString, file);
        QFETCH(QString, message);
        QFETCH(QString, key);
        const auto result = ConfigManager::parseConfig(yaml, file);
        QVERIFY2(!result.ok(), "the config was accepted");
        QCOMPARE(result.errorString(), message);
        const auto detailed = ConfigManager::parseConfigDetailed(yaml, file);
        QVERIFY(std::holds_alternative<ConfigError>(detailed));
        const ConfigError &error = std::get<ConfigError>(detailed);
        QCOMPARE(error.key, key);
        QCOMPARE(error.file, file);
        QCOMPARE(error.text(), message);
    }

    // Ten aliases of ten aliases of …: a few kilobytes that expand to 10^9 values. The parse
    // ran for minutes and took gigabytes; it must stop at the bound, at once, saying where.
    void aliasBombRefusedAfterBoundedWork()
    {
        QByteArray yaml = base() + "extra:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (int level = 1; level < 10; ++level) {
            QByteArray items;
            for (int k = 0; k < 10; ++k)
                items += (k ? ", *l" : "*l") + QByteArray::number(level - 1);
            yaml += "  l" + QByteArray::number(level) + ": &l" + QByteArray::number(level) + " [" + items + "]\n";
        }
        QVERIFY(yaml.size() < 4096);
        // Expanded, this is 10^10 values (hours). What bounds the work is the walk's count, and
        // the message below comes only from that count reaching its limit, so it proves the walk
        // stopped after 100,000 values. The clock is only a guard against a hang: a bound of a
        // few seconds failed under ASan on a loaded CI machine (6.5 s; 2.7 s alone).
        QElapsedTimer timer;
        timer.start();
        const auto detailed = ConfigManager::parseConfigDetailed(yaml, QStringLiteral("Config/t.yaml"));
        QVERIFY2(timer.elapsed() < 120'000, qPrintable(QStringLiteral("took %1 ms").arg(timer.elapsed())));
        QVERIFY(std::holds_alternative<ConfigError>(detailed));
        const ConfigError &error = std::get<ConfigError>(detailed);
        QVERIFY2(error.message.endsWith(QStringLiteral(": the section expands to more than 100000 values through YAML aliases (*name); refusing it")),
                 qPrintable(error.text()));
        QVERIFY2(error.key.startsWith(QStringLiteral("extra.l")), qPrintable(error.key));
        QVERIFY2(error.line >= 12 && error.column > 0, qPrintable(error.text()));
    }

    void deepNestingRefused()
    {
        const QByteArray yaml = base() + "extra:\n  deep: " + QByteArray(100, '[') + QByteArray(100, ']') + "\n";
        const auto detailed = ConfigManager::parseConfigDetailed(yaml, QStringLiteral("Config/t.yaml"));
        QVERIFY(std::holds_alternative<ConfigError>(detailed));
        const ConfigError &error = std::get<ConfigError>(detailed);
        QString key = QStringLiteral("extra.deep");
        for (int i = 0; i < 63; ++i)
            key += QStringLiteral("[0]");
        QCOMPARE(error.key, key);
        QCOMPARE(error.message, key + QStringLiteral(" is nested more than 64 levels deep"));
        QCOMPARE(error.line, 12);
        QCOMPARE(error.column, 9 + 63);
    }

    // The GUI editor marks errors at line and column: check the fields, not only the text.
    void detailedErrorPosition()
    {
        const auto detailed = ConfigManager::parseConfigDetailed(withLine(3, "  d_model: abc"), QStringLiteral("Config/t.yaml"));
        QVERIFY(std::holds_alternative<ConfigError>(detailed));
        const ConfigError &error = std::get<ConfigError>(detailed);
        QCOMPARE(error.line, 3);
        QCOMPARE(error.column, 12);
        QCOMPARE(error.key, QStringLiteral("architecture.d_model"));
        QCOMPARE(error.message, QStringLiteral("architecture.d_model must be a positive integer, not 'abc'"));
    }

    // Values no rule reads may be text, booleans or fractions.
    void unusedArchitectureValuesMayBeAnything()
    {
        const auto config = ConfigManager::parseConfig(withLine(4, "  n_layer: 2\n  act: silu\n  eps: 1.0e-5\n  rms: true"),
                                                       QStringLiteral("t.yaml"));
        QVERIFY2(config.ok(), qPrintable(config.ok() ? QString() : config.errorString()));
        QCOMPARE(config->architecture.value(QStringLiteral("act")), QVariant(QStringLiteral("silu")));
        QCOMPARE(config->architecture.value(QStringLiteral("eps")).toDouble(), 1.0e-5);
        QVERIFY(!config->dimension(QStringLiteral("act")));
        QCOMPARE(config->dimension(QStringLiteral("n_layer")), std::optional<qint64>(2));
    }

    // A file not ending in .yaml (text from the editor before saving) skips the name check.
    void typeCheckedOnlyAgainstYamlFiles()
    {
        QVERIFY(ConfigManager::parseConfig(base(), QStringLiteral("(unsaved)")).ok());
        QVERIFY(ConfigManager::parseConfig(base(), QString()).ok());
    }

    // ---------------- ConfigManager ----------------

    void modelTypesListsYamlFilesSorted()
    {
        QTemporaryDir dir;
        for (const char *name : {"zeta.yaml", "alpha.yaml", "notes.txt", "bad name.yaml", "Beta.yml"})
            writeFile(dir.filePath(QLatin1String(name)), "x");
        QDir().mkpath(dir.filePath(QStringLiteral("folder.yaml")));
        const ConfigManager manager(dir.path());
        QCOMPARE(manager.modelTypes(), (QStringList{QStringLiteral("alpha"), QStringLiteral("zeta")}));
        QCOMPARE(manager.configDir(), dir.path());
        QVERIFY(manager.hasType(QStringLiteral("alpha")));
        QVERIFY(!manager.hasType(QStringLiteral("folder")));
        QVERIFY(!manager.hasType(QStringLiteral("../alpha")));
    }

    void shippedTypes()
    {
        const QStringList types = ConfigManager(shippedDir()).modelTypes();
        QVERIFY2(types.contains(QStringLiteral("mamba")) && types.contains(QStringLiteral("mamba_multimodal"))
                     && types.contains(QStringLiteral("ocr_native")),
                 qPrintable(types.join(QLatin1Char(','))));
    }

    void getConfigErrors_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("message"); // %1 = the config folder
        QTest::newRow("unknown") << "gpt" << "unknown model type 'gpt' (no %1/gpt.yaml; known types: mamba)";
        QTest::newRow("path traversal") << "../mamba"
                                        << "invalid model type name '../mamba': use letters, digits, '_', '.' and '-' (at most 64, not starting with '.' or '-', no '..')";
        QTest::newRow("slash") << "a/b" << "invalid model type name 'a/b': use letters, digits, '_', '.' and '-' (at most 64, not starting with '.' or '-', no '..')";
        QTest::newRow("empty") << "" << "invalid model type name '': use letters, digits, '_', '.' and '-' (at most 64, not starting with '.' or '-', no '..')";
        QTest::newRow("broken file") << "broken" << "%1/broken.yaml:2:15: architecture must be a mapping of dimension names to values, not a list";
    }
    void getConfigErrors()
    {
        QFETCH(QString, type);
        QFETCH(QString, message);
        QTemporaryDir dir;
        QVERIFY(QFile::copy(shippedDir() + QStringLiteral("/mamba.yaml"), dir.filePath(QStringLiteral("mamba.yaml"))));
        if (type == QLatin1String("broken"))
            writeFile(dir.filePath(QStringLiteral("broken.yaml")), "model_type: broken\narchitecture: [1]\n");
        const ConfigManager manager(dir.path());
        const auto config = manager.getConfig(type);
        QVERIFY(!config.ok());
        QCOMPARE(config.errorString(), message.contains(QLatin1String("%1")) ? message.arg(dir.path()) : message);
        QVERIFY(!manager.getPaths(type).ok());
        QVERIFY(!manager.getTrainingConfig(type).ok());
        QVERIFY(!manager.getServeConfig(type).ok());
    }

    void sectionGetters()
    {
        const ConfigManager manager(shippedDir());
        const auto paths = manager.getPaths(QStringLiteral("mamba"));
        QVERIFY(paths.ok());
        QCOMPARE(paths->value(QStringLiteral("data")), QVariant(QStringLiteral("data/mamba")));
        const auto training = manager.getTrainingConfig(QStringLiteral("mamba"));
        QVERIFY(training.ok());
        QCOMPARE(training->value(QStringLiteral("batch_size")), QVariant(qint64(32)));
        const auto serve = manager.getServeConfig(QStringLiteral("ocr_native"));
        QVERIFY(serve.ok());
        QCOMPARE(serve->value(QStringLiteral("port")), QVariant(qint64(8082)));
    }

    void loadAllReportsBrokenFiles()
    {
        QTemporaryDir dir;
        QVERIFY(QFile::copy(shippedDir() + QStringLiteral("/mamba.yaml"), dir.filePath(QStringLiteral("mamba.yaml"))));
        writeFile(dir.filePath(QStringLiteral("broken.yaml")), "model_type: other\n");
        QStringList errors;
        const auto configs = ConfigManager(dir.path()).loadAll(&errors);
        QCOMPARE(configs.size(), std::size_t(1));
        QCOMPARE(configs.front().type, QStringLiteral("mamba"));
        QCOMPARE(errors, QStringList{dir.filePath(QStringLiteral("broken.yaml"))
                                     + QStringLiteral(":1:13: model_type is 'other' but the file is broken.yaml; they must match (rename the file or change model_type)")});
    }

    void createFromShippedWithOverrides()
    {
        QTemporaryDir dir;
        QVERIFY(ConfigManager::installDefaults(dir.path()).ok());
        ConfigManager manager(dir.path());
        const auto created = manager.createModelConfig(QStringLiteral("mamba-370m"), QStringLiteral("mamba"),
                                                       {QStringLiteral("d_model=1024"), QStringLiteral("n_layer = 48"),
                                                        QStringLiteral("architecture.vocab_size=50277"),
                                                        QStringLiteral("training.batch_size=64"), QStringLiteral("serve.port=9000"),
                                                        QStringLiteral("paths.checkpoints=checkpoints/mamba-370m"),
                                                        QStringLiteral("extra.note=made by: the test"),
                                                        QStringLiteral("training.new_setting=true"),
                                                        QStringLiteral("derived.dt_rank=ceil(d_model / 32)"),
                                                        QStringLiteral("description=Mamba 370M")});
        QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.errorString()));
        QCOMPARE(created->type, QStringLiteral("mamba-370m"));
        QCOMPARE(created->architecture.value(QStringLiteral("d_model")), QVariant(qint64(1024)));
        QCOMPARE(created->architecture.value(QStringLiteral("n_layer")), QVariant(qint64(48)));
        QCOMPARE(created->derived.at(QStringLiteral("d_inner")), qint64(2048));
        QCOMPARE(created->derived.at(QStringLiteral("dt_rank")), qint64(32));
        QCOMPARE(created->derived.at(QStringLiteral("V")), qint64(50280));
        QCOMPARE(created->training.value(QStringLiteral("batch_size")), QVariant(qint64(64)));
        QCOMPARE(created->training.value(QStringLiteral("new_setting")), QVariant(true));
        QCOMPARE(created->serve.value(QStringLiteral("port")), QVariant(qint64(9000)));
        QCOMPARE(created->paths.value(QStringLiteral("checkpoints")), QVariant(QStringLiteral("checkpoints/mamba-370m")));
        QCOMPARE(created->extra.value(QStringLiteral("note")), QVariant(QStringLiteral("made by: the test")));
        QCOMPARE(created->description, QStringLiteral("Mamba 370M"));

        // Written, readable back, and still carrying the comments of the copied file.
        const QString path = dir.filePath(QStringLiteral("mamba-370m.yaml"));
        QCOMPARE(created->filePath, path);
        const QByteArray text = readFile(path);
        QVERIFY(text.contains("# hidden size"));
        QVERIFY(text.contains("  d_model: 1024                # hidden size"));
        QVERIFY(text.contains("model_type: mamba-370m\n"));
        const auto reread = manager.getConfig(QStringLiteral("mamba-370m"));
        QVERIFY2(reread.ok(), qPrintable(reread.ok() ? QString() : reread.errorString()));
        QCOMPARE(reread->architecture, created->architecture);
        QCOMPARE(reread->tensors.size(), created->tensors.size());
        QVERIFY(manager.modelTypes().contains(QStringLiteral("mamba-370m")));
        // The source is untouched.
        QCOMPARE(readFile(dir.filePath(QStringLiteral("mamba.yaml"))), readFile(shippedDir() + QStringLiteral("/mamba.yaml")));
    }

    void createFromTemplate()
    {
        QTemporaryDir dir;
        ConfigManager manager(dir.filePath(QStringLiteral("Config")));
        const auto created = manager.createModelConfig(QStringLiteral("tiny"), QString(), {QStringLiteral("d_model=64"), QStringLiteral("serve.port=7000")});
        QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.errorString()));
        QCOMPARE(created->type, QStringLiteral("tiny"));
        QCOMPARE(created->architecture.value(QStringLiteral("d_model")), QVariant(qint64(64)));
        QCOMPARE(created->serve.value(QStringLiteral("port")), QVariant(qint64(7000)));
        const ShapeValidator validator(*created);
        QVERIFY(!validator.fault());
        QCOMPARE(validator.find(QStringLiteral("layers.3.proj.weight"))->shape, (std::vector<std::uint64_t>{64, 64}));
        QVERIFY(QFileInfo::exists(dir.filePath(QStringLiteral("Config/tiny.yaml"))));
        QVERIFY(ConfigManager::parseConfig(ConfigManager::minimalTemplate(QStringLiteral("x")), QStringLiteral("x.yaml")).ok());
    }

    // A section in flow style cannot be edited as text; the emitter takes over.
    void overrideOfFlowStyleSection()
    {
        QTemporaryDir dir;
        ConfigManager manager(dir.path());
        QVERIFY(manager.saveConfigText(QStringLiteral("flow"), "model_type: flow\narchitecture: {d: 4}\nserve: {port: 1}\ntensors:\n  - {name: w, shape: [d]}\n").ok());
        const auto created = manager.createModelConfig(QStringLiteral("flow2"), QStringLiteral("flow"), {QStringLiteral("serve.port=2"), QStringLiteral("d=6")});
        QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.errorString()));
        QCOMPARE(created->serve.value(QStringLiteral("port")), QVariant(qint64(2)));
        QCOMPARE(created->architecture.value(QStringLiteral("d")), QVariant(qint64(6)));
        QCOMPARE(created->type, QStringLiteral("flow2"));
    }

    // Editors on some systems start UTF-8 files with a byte-order mark.
    void createFromFileWithByteOrderMark()
    {
        QTemporaryDir dir;
        ConfigManager manager(dir.path());
        QVERIFY(manager.saveConfigText(QStringLiteral("t"), QByteArray("\xEF\xBB\xBF") + base()).ok());
        const auto created = manager.createModelConfig(QStringLiteral("u"), QStringLiteral("t"), {QStringLiteral("d_model=4")});
        QVERIFY2(created.ok(), qPrintable(created.ok() ? QString() : created.errorString()));
        QCOMPARE(created->type, QStringLiteral("u"));
        QCOMPARE(readFile(dir.filePath(QStringLiteral("u.yaml"))), withLine(1, "model_type: u").replace("d_model: 8", "d_model: 4"));
    }

    void createErrors_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("from");
        QTest::addColumn<QStringList>("overrides");
        // %1 = the config folder; %2, %3, %4 = the lines of derived.V, paths.data and
        // architecture.d_model in the shipped mamba.yaml, which the copy keeps.
        QTest::addColumn<QString>("message");

        const QString badName = QStringLiteral("invalid model type name '%1': use letters, digits, '_', '.' and '-' (at most 64, not starting with '.' or '-', no '..')");
        QTest::newRow("existing type") << "mamba" << "mamba" << QStringList() << "model type 'mamba' already exists (%1/mamba.yaml)";
        QTest::newRow("path separator") << "a/b" << "mamba" << QStringList() << badName.arg(QStringLiteral("a/b"));
        QTest::newRow("backslash") << "a\\b" << "mamba" << QStringList() << badName.arg(QStringLiteral("a\\b"));
        QTest::newRow("dot dot") << "a..b" << "mamba" << QStringList() << badName.arg(QStringLiteral("a..b"));
        QTest::newRow("parent") << ".." << "mamba" << QStringList() << badName.arg(QStringLiteral(".."));
        QTest::newRow("hidden") << ".x" << "mamba" << QStringList() << badName.arg(QStringLiteral(".x"));
        QTest::newRow("option-like") << "-x" << "mamba" << QStringList() << badName.arg(QStringLiteral("-x"));
        QTest::newRow("control character") << "a\nb" << "mamba" << QStringList() << badName.arg(QStringLiteral("a\nb"));
        QTest::newRow("space") << "a b" << "mamba" << QStringList() << badName.arg(QStringLiteral("a b"));
        QTest::newRow("too long") << QString(65, QLatin1Char('a')) << "mamba" << QStringList() << badName.arg(QString(65, QLatin1Char('a')));
        QTest::newRow("unknown source") << "new" << "gpt" << QStringList() << "unknown model type 'gpt' (no %1/gpt.yaml; known types: mamba)";
        QTest::newRow("override without =") << "new" << "mamba" << QStringList{QStringLiteral("d_model")}
                                            << "override 'd_model' must be key=value or section.key=value";
        QTest::newRow("override without key") << "new" << "mamba" << QStringList{QStringLiteral("=5")}
                                              << "override '=5' must be key=value or section.key=value";
        QTest::newRow("unknown section") << "new" << "mamba" << QStringList{QStringLiteral("trainig.lr=1")}
                                         << "override 'trainig.lr=1': unknown section 'trainig' (sections: architecture, derived, training, serve, paths, extra)";
        QTest::newRow("shape rules") << "new" << "mamba" << QStringList{QStringLiteral("tensors.x=1")}
                                     << "override 'tensors.x=1': shape rules cannot be overridden; edit the tensors section of the YAML";
        QTest::newRow("model_type") << "new" << "mamba" << QStringList{QStringLiteral("model_type=x")}
                                    << "override 'model_type=x': model_type is the new type's name and cannot be overridden";
        QTest::newRow("whole section") << "new" << "mamba" << QStringList{QStringLiteral("training=1")}
                                       << "override 'training=1': training is a section; name a key in it, as in training.name=value";
        QTest::newRow("nested key") << "new" << "mamba" << QStringList{QStringLiteral("training.opt.lr=1")}
                                    << "override 'training.opt.lr=1': only one level of keys can be set; edit the YAML for nested settings";
        QTest::newRow("empty key") << "new" << "mamba" << QStringList{QStringLiteral("serve.=1")} << "override 'serve.=1' names no key";
        QTest::newRow("unknown dimension") << "new" << "mamba" << QStringList{QStringLiteral("d_modle=256")}
                                           << "override 'd_modle=256': architecture has no key 'd_modle' in %1/mamba.yaml (keys: d_conv, d_model, d_state, expand, fused_add_norm, n_layer, pad_vocab_size_multiple, residual_in_fp32, rms_norm, tie_embeddings, vocab_size); add new dimensions by editing the YAML";
        QTest::newRow("invalid value") << "new" << "mamba" << QStringList{QStringLiteral("d_model=abc")}
                                       << "override 'd_model=abc': %1/new.yaml:%4:12: architecture.d_model must be a positive integer, not 'abc'";
        QTest::newRow("invalid derived") << "new" << "mamba" << QStringList{QStringLiteral("derived.V=vocab_size / 0")}
                                         << "override 'derived.V=vocab_size / 0': %1/new.yaml:%2:6: derived.V: division by zero: '0' is 0";
        QTest::newRow("path not text") << "new" << "mamba" << QStringList{QStringLiteral("paths.data=12")}
                                       << "override 'paths.data=12': %1/new.yaml:%3:9: paths.data must be a path (text), not '12'";
    }
    void createErrors()
    {
        QFETCH(QString, type);
        QFETCH(QString, from);
        QFETCH(QStringList, overrides);
        QFETCH(QString, message);
        QTemporaryDir dir;
        QVERIFY(QFile::copy(shippedDir() + QStringLiteral("/mamba.yaml"), dir.filePath(QStringLiteral("mamba.yaml"))));
        ConfigManager manager(dir.path());
        const auto created = manager.createModelConfig(type, from, overrides);
        QVERIFY(!created.ok());
        QString expected = message;
        expected.replace(QStringLiteral("%1"), dir.path());
        expected.replace(QStringLiteral("%2"), QString::number(lineOf(shippedDir() + QStringLiteral("/mamba.yaml"), "  V:")));
        expected.replace(QStringLiteral("%3"), QString::number(lineOf(shippedDir() + QStringLiteral("/mamba.yaml"), "  data:")));
        expected.replace(QStringLiteral("%4"), QString::number(lineOf(shippedDir() + QStringLiteral("/mamba.yaml"), "  d_model:")));
        QCOMPARE(created.errorString(), expected);
        // Nothing written, nothing changed.
        QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot), QStringList{QStringLiteral("mamba.yaml")});
        QCOMPARE(readFile(dir.filePath(QStringLiteral("mamba.yaml"))), readFile(shippedDir() + QStringLiteral("/mamba.yaml")));
    }

    void saveConfigText()
    {
        QTemporaryDir dir;
        ConfigManager manager(dir.path());
        const QString path = dir.filePath(QStringLiteral("t.yaml"));
        QVERIFY(manager.saveConfigText(QStringLiteral("t"), base()).ok());
        QCOMPARE(readFile(path), base());

        // Invalid text is refused with the file, line and column, and the file keeps its content.
        const auto refused = manager.saveConfigText(QStringLiteral("t"), withLine(3, "  d_model: abc"));
        QVERIFY(!refused.ok());
        QCOMPARE(refused.errorString(), path + QStringLiteral(":3:12: architecture.d_model must be a positive integer, not 'abc'"));
        QCOMPARE(readFile(path), base());

        // Text for another type is refused.
        const auto wrongType = manager.saveConfigText(QStringLiteral("u"), base());
        QVERIFY(!wrongType.ok());
        QCOMPARE(wrongType.errorString(), dir.filePath(QStringLiteral("u.yaml"))
                                              + QStringLiteral(":1:13: model_type is 't' but the file is u.yaml; they must match (rename the file or change model_type)"));
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("u.yaml"))));

        const auto badName = manager.saveConfigText(QStringLiteral("../t"), base());
        QVERIFY(!badName.ok());
        QVERIFY(badName.errorString().startsWith(QStringLiteral("invalid model type name '../t'")));

        // A valid edit replaces the file.
        const QByteArray edited = withLine(3, "  d_model: 16");
        QVERIFY(manager.saveConfigText(QStringLiteral("t"), edited).ok());
        QCOMPARE(readFile(path), edited);
        QCOMPARE(manager.getConfig(QStringLiteral("t"))->derived.at(QStringLiteral("d_inner")), qint64(32));
    }

    void installDefaultsCopiesMissingOnly()
    {
        QTemporaryDir dir;
        const QString target = dir.filePath(QStringLiteral("ws/Config"));
        const auto first = ConfigManager::installDefaults(target);
        QVERIFY2(first.ok(), qPrintable(first.ok() ? QString() : first.errorString()));
        QCOMPARE(*first, (QStringList{QStringLiteral("mamba"), QStringLiteral("mamba_multimodal"), QStringLiteral("ocr_native")}));
        // A user's edit survives a second install.
        writeFile(target + QStringLiteral("/mamba.yaml"), "edited");
        QFile::remove(target + QStringLiteral("/ocr_native.yaml"));
        const auto second = ConfigManager::installDefaults(target);
        QVERIFY(second.ok());
        QCOMPARE(*second, QStringList{QStringLiteral("ocr_native")});
        QCOMPARE(readFile(target + QStringLiteral("/mamba.yaml")), QByteArray("edited"));
    }

    void defaultConfigDirFollowsEnvironment()
    {
        QTemporaryDir dir;
        qputenv("TANTRA_DEFAULT_CONFIG_DIR", dir.path().toUtf8());
        QCOMPARE(ConfigManager::defaultConfigDir(), dir.path());
        const auto none = ConfigManager::installDefaults(dir.filePath(QStringLiteral("out")));
        QVERIFY(!none.ok());
        QCOMPARE(none.errorString(), QStringLiteral("no shipped configs found in %1; set TANTRA_DEFAULT_CONFIG_DIR to the folder holding mamba.yaml").arg(dir.path()));
        qunsetenv("TANTRA_DEFAULT_CONFIG_DIR");
        QVERIFY(ConfigManager::defaultConfigDir().endsWith(QStringLiteral("/Config")));
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
