#include "samplegenerator.h"

#include "shapevalidator.h"

#include <QFloat16>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace tantra {

namespace {

// SplitMix64 with Box–Muller: spelled out instead of <random>'s distributions, whose output
// differs between standard libraries, so that a seed names the same weights everywhere.
class SampleRandom
{
public:
    explicit SampleRandom(std::uint64_t seed) : m_state(seed) {}

    std::uint64_t next()
    {
        std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // In (0, 1): never 0, so its logarithm is finite.
    double uniform() { return (double(next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
    double gauss()
    {
        if (m_hasSpare) {
            m_hasSpare = false;
            return m_spare;
        }
        const double r = std::sqrt(-2.0 * std::log(uniform()));
        const double theta = 2.0 * M_PI * uniform();
        m_spare = r * std::sin(theta);
        m_hasSpare = true;
        return r * std::cos(theta);
    }

private:
    std::uint64_t m_state;
    double m_spare = 0;
    bool m_hasSpare = false;
};

std::uint64_t nameHash(const std::string &name)
{
    std::uint64_t h = 0xCBF29CE484222325ull; // FNV-1a
    for (unsigned char c : name) {
        h ^= c;
        h *= 0x100000001B3ull;
    }
    return h;
}

void storeLittleEndian(std::uint64_t bits, int bytes, std::byte *out)
{
    for (int b = 0; b < bytes; ++b)
        out[b] = std::byte((bits >> (8 * b)) & 0xFF);
}

QString byteText(std::uint64_t bytes)
{
    if (bytes < (1u << 20))
        return QStringLiteral("%1 bytes").arg(bytes);
    return QStringLiteral("%1 MiB").arg(double(bytes) / double(1u << 20), 0, 'f', 1);
}

bool canGenerate(Dtype dtype)
{
    switch (dtype) {
    case Dtype::F64: case Dtype::F32: case Dtype::F16: case Dtype::BF16:
    case Dtype::I8: case Dtype::I16: case Dtype::I32: case Dtype::I64:
    case Dtype::U8: case Dtype::U16: case Dtype::U32: case Dtype::U64:
    case Dtype::BOOL:
        return true;
    default:
        return false;
    }
}

std::uint64_t toBits(Dtype dtype, double v)
{
    switch (dtype) {
    case Dtype::F64: {
        std::uint64_t bits;
        std::memcpy(&bits, &v, 8);
        return bits;
    }
    case Dtype::F32: {
        const float f = float(v);
        std::uint32_t bits;
        std::memcpy(&bits, &f, 4);
        return bits;
    }
    case Dtype::F16: {
        const qfloat16 h{float(v)};
        std::uint16_t bits;
        std::memcpy(&bits, &h, 2);
        return bits;
    }
    case Dtype::BF16: {
        const float f = float(v);
        std::uint32_t bits;
        std::memcpy(&bits, &f, 4);
        if (std::isnan(f))
            return 0x7FC0;
        return (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16; // round to nearest, ties to even
    }
    case Dtype::BOOL:
        return v != 0 ? 1 : 0;
    default:
        break;
    }
    // Integer types: rounded and clamped to the type's range.
    const int bits = dtypeBits(dtype);
    const bool isSigned = dtype == Dtype::I8 || dtype == Dtype::I16 || dtype == Dtype::I32 || dtype == Dtype::I64;
    const double lo = isSigned ? -std::ldexp(1.0, bits - 1) : 0.0;
    const double hi = isSigned ? std::ldexp(1.0, bits - 1) - 1 : std::ldexp(1.0, bits) - 1;
    const double r = std::clamp(std::round(v), lo, hi);
    return isSigned ? std::uint64_t(std::int64_t(r)) : std::uint64_t(r);
}

} // namespace

Result<SampleInit> parseSampleInit(const QString &text)
{
    const QString t = text.trimmed();
    SampleInit init;
    if (t.isEmpty() || t == QLatin1String("normal"))
        return init;
    if (t == QLatin1String("small")) {
        init.sigma = 0.002;
        return init;
    }
    if (t == QLatin1String("ones") || t == QLatin1String("zeros") || t == QLatin1String("a_log") || t == QLatin1String("dt_bias")) {
        init.kind = t == QLatin1String("ones")    ? SampleInit::Kind::Ones
            : t == QLatin1String("zeros")         ? SampleInit::Kind::Zeros
            : t == QLatin1String("a_log")         ? SampleInit::Kind::ALog
                                                  : SampleInit::Kind::DtBias;
        return init;
    }
    static const QRegularExpression normalRe(QStringLiteral("^normal\\s*\\(\\s*([^()\\s]+)\\s*\\)$"));
    const auto m = normalRe.match(t);
    if (m.hasMatch()) {
        bool ok = false;
        const double sigma = m.captured(1).toDouble(&ok);
        if (!ok || !std::isfinite(sigma) || sigma <= 0)
            return makeError(QStringLiteral("the standard deviation in '%1' must be a positive number").arg(t));
        init.sigma = sigma;
        return init;
    }
    return makeError(QStringLiteral("unknown init '%1' (normal, normal(σ), small, ones, zeros, a_log, dt_bias)").arg(t));
}

Result<SampleWeights> generateSampleWeights(const ModelConfig &config, std::uint64_t seed, std::uint64_t maxBytes)
{
    const ShapeValidator validator(config);
    if (validator.fault())
        return makeError(validator.faultText());
    const QString where = config.filePath.isEmpty() ? config.type : config.filePath;

    struct Plan
    {
        const ExpectedTensor *tensor;
        Dtype dtype;
        SampleInit init;
        std::uint64_t elements;
        std::uint64_t bytes;
    };
    std::vector<Plan> plans;
    std::uint64_t total = 0;
    for (const ExpectedTensor &t : validator.expectedTensors()) {
        if (t.optional)
            continue;
        const ShapeRule &rule = config.tensors[std::size_t(t.rule)];
        const Dtype dtype = validator.allowedDtypes(t.rule).front();
        if (!canGenerate(dtype))
            return makeError(QStringLiteral("%1: cannot make sample values of dtype %2 for %3; list a float dtype first in the rule's dtypes")
                                 .arg(where, QLatin1String(dtypeName(dtype)), t.name));
        auto init = parseSampleInit(rule.init);
        if (!init)
            return makeError(QStringLiteral("%1: %2: %3").arg(where, t.name, init.errorString()));
        std::uint64_t elements = 1;
        for (std::uint64_t d : t.shape) {
            if (d != 0 && elements > std::numeric_limits<std::uint64_t>::max() / d)
                return makeError(QStringLiteral("%1: %2 has more elements than 64 bits can count").arg(where, t.name));
            elements *= d;
        }
        // Saturating sums: the total is only compared with the limit, and reported.
        const std::uint64_t width = std::uint64_t(dtypeBits(dtype) / 8);
        const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
        const std::uint64_t bytes = elements > max / width ? max : elements * width;
        total = total > max - bytes ? max : total + bytes;
        plans.push_back(Plan{&t, dtype, *init, elements, bytes});
    }
    if (total > maxBytes)
        return makeError(QStringLiteral("%1: a sample of %2 would take %3, more than the limit of %4; make the architecture dimensions smaller")
                             .arg(where, config.type, byteText(total), byteText(maxBytes)));

    SampleWeights out;
    out.bytes = total;
    out.buffers.reserve(plans.size());
    out.tensors.reserve(plans.size());
    for (const Plan &plan : plans) {
        const ExpectedTensor &t = *plan.tensor;
        const std::string name = t.name.toStdString();
        SampleRandom random(seed ^ nameHash(name));
        random.next(); // decorrelate seeds that differ in few bits
        std::vector<std::byte> buffer(std::size_t(plan.bytes));
        const int width = dtypeBits(plan.dtype) / 8;
        const std::uint64_t lastDim = t.shape.empty() ? 1 : std::max<std::uint64_t>(t.shape.back(), 1);
        for (std::uint64_t k = 0; k < plan.elements; ++k) {
            double v = 0;
            switch (plan.init.kind) {
            case SampleInit::Kind::Normal:
                v = plan.init.sigma * random.gauss();
                break;
            case SampleInit::Kind::Ones:
                v = 1;
                break;
            case SampleInit::Kind::Zeros:
                v = 0;
                break;
            case SampleInit::Kind::ALog:
                // Mamba's S4D-real start: A = -(1 … d_state) on every row, stored as log(-A).
                v = std::log(double(k % lastDim + 1));
                break;
            case SampleInit::Kind::DtBias: {
                // Mamba's dt_proj bias: a step dt drawn log-uniformly from [0.001, 0.1], stored
                // as softplus⁻¹(dt) so that softplus(bias) gives dt back.
                const double dt = std::max(1e-4, std::exp(random.uniform() * (std::log(0.1) - std::log(0.001)) + std::log(0.001)));
                v = dt + std::log(-std::expm1(-dt));
                break;
            }
            }
            storeLittleEndian(toBits(plan.dtype, v), width, buffer.data() + k * std::uint64_t(width));
        }
        out.buffers.push_back(std::move(buffer));
        const auto &stored = out.buffers.back();
        out.tensors.push_back(TensorWrite{name, plan.dtype, t.shape, std::span<const std::byte>(stored.data(), stored.size())});
    }
    out.metadata = {{"format", "pt"},
                    {"tantra.model_type", config.type.toStdString()},
                    {"tantra.sample_seed", std::to_string(seed)}};
    return out;
}

} // namespace tantra
