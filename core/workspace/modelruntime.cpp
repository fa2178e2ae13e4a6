#include "modelruntime.h"

#include "shapevalidator.h"
#include "weightmanager.h"

namespace tantra {

Result<ModelRuntime> ModelRuntime::create(const WeightManager &manager, const QString &modelType, const QString &version)
{
    auto config = manager.configs().getConfig(modelType);
    if (!config)
        return config.error();
    auto weight = manager.findWeight(modelType, version);
    if (!weight)
        return weight.error();
    auto model = manager.loadWeights(modelType, weight->version);
    if (!model)
        return model.error();

    const ShapeValidator validator(*config);
    if (validator.fault())
        return makeError(validator.faultText());
    const ShapeReport report = validator.validate(tensorShapesOf(*model));
    if (!report.ok()) {
        QStringList lines;
        for (const auto &issue : report.issues)
            lines << QStringLiteral("  ") + issue.message;
        return withKind(makeError(model->path(), QStringLiteral("does not fit %1 (%2):\n").arg(config->filePath, report.summary())
                                      + lines.join(QLatin1Char('\n'))),
                        ErrorKind::InvalidWeight);
    }

    ModelRuntime runtime;
    runtime.m_config = *config;
    runtime.m_weight = *weight;
    runtime.m_model = std::move(model).value();
    const SafetensorsModel &m = runtime.m_model;
    const auto findInFile = [&m](const QString &name) { return m.find(name.toStdString()); };
    for (const ExpectedTensor &expected : validator.expectedTensors()) {
        const ModelTensor *found = findInFile(expected.name);
        QString fileName = expected.name;
        for (qsizetype a = 0; !found && a < expected.aliases.size(); ++a) {
            found = findInFile(expected.aliases[a]);
            fileName = expected.aliases[a];
        }
        if (!found && !expected.tiedTo.isEmpty()) {
            // Tied weights share storage: serve the tensor this one is tied to.
            const ExpectedTensor *target = validator.find(expected.tiedTo);
            found = findInFile(expected.tiedTo);
            fileName = expected.tiedTo;
            for (qsizetype a = 0; !found && target && a < target->aliases.size(); ++a) {
                found = findInFile(target->aliases[a]);
                fileName = target->aliases[a];
            }
        }
        if (!found) {
            if (expected.optional)
                continue;
            // The validator passed, so this cannot happen unless the file changed under us.
            return makeError(m.path(), QStringLiteral("tensor '%1' is missing").arg(expected.name));
        }
        const int index = int(runtime.m_tensors.size());
        runtime.m_tensors.push_back(BoundTensor{expected.name, fileName, found->info, m.data(*found)});
        runtime.m_index.insert(expected.name, index);
        for (const QString &alias : expected.aliases)
            runtime.m_index.insert(alias, index);
    }
    return runtime;
}

const BoundTensor *ModelRuntime::tensor(const QString &name) const
{
    const auto it = m_index.find(name);
    return it == m_index.end() ? nullptr : &m_tensors[std::size_t(*it)];
}

} // namespace tantra
