#include "configfromtensors.h"

#include "dtype.h"
#include "modelconfig.h"

#include <QHash>
#include <QMap>
#include <QStringList>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <string_view>
#include <optional>
#include <set>

namespace tantra {

namespace {

// A name with a number for one of its dot-separated parts: "h.3.attn.weight" is h.{3}.attn.weight.
struct Numbered
{
    QString prefix; // "h", empty when the number comes first
    QString pattern; // "h.{i}.attn.weight"
    qint64 index = 0;
};

// The first part that a placeholder could have produced: digits without a leading zero (the
// validator writes 0 … n-1 plainly), short enough to be a count of layers, not a date.
std::optional<Numbered> firstNumber(const QString &name)
{
    const QStringList parts = name.split(QLatin1Char('.'));
    for (qsizetype i = 0; i < parts.size(); ++i) {
        const QString &p = parts.at(i);
        if (p.isEmpty() || p.size() > 6 || (p.size() > 1 && p.at(0) == QLatin1Char('0')))
            continue;
        if (!std::all_of(p.begin(), p.end(), [](QChar c) { return c >= QLatin1Char('0') && c <= QLatin1Char('9'); }))
            continue;
        QStringList withPlaceholder = parts;
        withPlaceholder[i] = QStringLiteral("{i}");
        return Numbered{parts.mid(0, i).join(QLatin1Char('.')), withPlaceholder.join(QLatin1Char('.')), p.toLongLong()};
    }
    return std::nullopt;
}

// As YAML writes the text: plain when it reads back the same, quoted otherwise.
QString yamlScalar(const QString &text)
{
    YAML::Emitter out;
    out << text.toStdString();
    return QString::fromStdString(out.c_str());
}

QString shapeList(const std::vector<std::uint64_t> &shape)
{
    QStringList dims;
    for (std::uint64_t d : shape)
        dims << QString::number(d);
    return QLatin1Char('[') + dims.join(QStringLiteral(", ")) + QLatin1Char(']');
}

// "n_h" for the parts before the number "transformer.h"; letters, digits and '_' only.
QString countName(const QString &prefix)
{
    QString last = prefix.section(QLatin1Char('.'), -1);
    for (QChar &c : last) {
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != QLatin1Char('_'))
            c = QLatin1Char('_');
    }
    return last.isEmpty() ? QStringLiteral("n") : QStringLiteral("n_") + last;
}

struct Group
{
    std::vector<std::size_t> members; // indices into the tensors, in file order
    QString prefix;
    bool repeatable = false;
    QString count; // the architecture name of its count
    bool written = false;
};

// "h.2.x" before "h.10.x": names compared part by part, numbers by value.
bool naturalLess(const std::string &a, const std::string &b)
{
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        const bool da = std::isdigit(static_cast<unsigned char>(a[i])), db = std::isdigit(static_cast<unsigned char>(b[j]));
        if (da && db) {
            std::size_t ei = i, ej = j;
            while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei])))
                ++ei;
            while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej])))
                ++ej;
            // Without leading zeros the longer run is the larger number; equal lengths compare as text.
            std::string_view na(a.data() + i, ei - i), nb(b.data() + j, ej - j);
            while (na.size() > 1 && na.front() == '0')
                na.remove_prefix(1);
            while (nb.size() > 1 && nb.front() == '0')
                nb.remove_prefix(1);
            if (na.size() != nb.size())
                return na.size() < nb.size();
            if (na != nb)
                return na < nb;
            i = ei;
            j = ej;
            continue;
        }
        if (a[i] != b[j])
            return a[i] < b[j];
        ++i;
        ++j;
    }
    return a.size() - i < b.size() - j || (a.size() - i == b.size() - j && a < b);
}

} // namespace

Result<QByteArray> configFromTensors(const QString &type, const std::vector<TensorShape> &fileTensors, const QString &origin)
{
    // A file's order is its writer's (safetensors sorts by dtype first): rules read better by name.
    std::vector<TensorShape> tensors = fileTensors;
    std::sort(tensors.begin(), tensors.end(), [](const TensorShape &x, const TensorShape &y) { return naturalLess(x.name, y.name); });
    if (tensors.empty())
        return makeError(origin, QStringLiteral("holds no tensors, so there is nothing for a config to describe"));
    for (const TensorShape &t : tensors) {
        const QString name = QString::fromStdString(t.name);
        if (name.contains(QLatin1Char('{')) || name.contains(QLatin1Char('}')))
            return makeError(origin, QStringLiteral("tensor '%1' has '{' or '}' in its name, which a shape rule cannot spell").arg(name));
    }

    // Tensors that differ only in their first number, by pattern, in order of appearance.
    QHash<QString, Group> groups;
    QStringList order;
    std::vector<QString> patternOf(tensors.size());
    for (std::size_t k = 0; k < tensors.size(); ++k) {
        const auto numbered = firstNumber(QString::fromStdString(tensors[k].name));
        if (!numbered)
            continue;
        patternOf[k] = numbered->pattern;
        auto it = groups.find(numbered->pattern);
        if (it == groups.end()) {
            Group group;
            group.prefix = numbered->prefix;
            it = groups.insert(numbered->pattern, group);
            order << numbered->pattern;
        }
        it->members.push_back(k);
    }
    // A group is one rule when its numbers are exactly 0 … n-1 (n ≥ 2) and every member has
    // the same shape; "conv.0.weight" alone, or layers of different widths, stay listed.
    QMap<QString, std::pair<QString, qint64>> counts; // architecture name -> (prefix, value)
    for (const QString &pattern : order) {
        Group &g = groups[pattern];
        const qint64 n = qint64(g.members.size());
        std::set<qint64> seen;
        bool sameShape = true;
        for (std::size_t k : g.members) {
            seen.insert(firstNumber(QString::fromStdString(tensors[k].name))->index);
            sameShape = sameShape && tensors[k].shape == tensors[g.members.front()].shape;
        }
        g.repeatable = n >= 2 && sameShape && qint64(seen.size()) == n && *seen.rbegin() == n - 1;
        if (!g.repeatable)
            continue;
        // One count per prefix and size: every layer's tensors share n_layers.
        const QString base = countName(g.prefix);
        QString name = base;
        for (int suffix = 2; counts.contains(name) && counts.value(name) != std::make_pair(g.prefix, n); ++suffix)
            name = base + QLatin1Char('_') + QString::number(suffix);
        counts.insert(name, {g.prefix, n});
        g.count = name;
    }

    const QString from = QString(origin).replace(QLatin1Char('\n'), QLatin1Char(' '));
    QString y;
    y += QStringLiteral("# Model type %1, made by Tantra Weight Manager from the %2 tensors of\n# %3.\n")
                 .arg(type)
                 .arg(tensors.size())
                 .arg(from);
    y += QStringLiteral("# Shapes are the file's numbers. To let the config describe other sizes, name the\n"
                        "# dimensions under architecture and use them in the rules (docs/CONFIG.md).\n");
    y += QStringLiteral("model_type: %1\n").arg(yamlScalar(type));
    y += QStringLiteral("description: %1\n\n").arg(yamlScalar(QStringLiteral("Made from ") + from));
    if (counts.isEmpty()) {
        y += QStringLiteral("architecture: {}\n\n");
    } else {
        y += QStringLiteral("architecture:\n");
        // In the order the groups first appear, not alphabetically.
        QStringList written;
        for (const QString &pattern : order) {
            const Group &g = groups[pattern];
            if (g.repeatable && !written.contains(g.count)) {
                y += QStringLiteral("  %1: %2\n").arg(g.count).arg(counts.value(g.count).second);
                written << g.count;
            }
        }
        y += QLatin1Char('\n');
    }

    const QStringList defaults = defaultRuleDtypes();
    const auto dtypesLine = [&](const std::vector<std::size_t> &members) {
        QStringList names;
        bool allDefault = true;
        for (std::size_t k : members) {
            const QString d = QString::fromLatin1(dtypeName(tensors[k].dtype));
            allDefault = allDefault && defaults.contains(d);
            if (!names.contains(d))
                names << d;
        }
        return allDefault ? QString() : QStringLiteral("    dtypes: [%1]\n").arg(names.join(QStringLiteral(", ")));
    };
    y += QStringLiteral("tensors:\n");
    for (std::size_t k = 0; k < tensors.size(); ++k) {
        if (!patternOf[k].isEmpty()) {
            Group &g = groups[patternOf[k]];
            if (g.repeatable) {
                if (g.written)
                    continue;
                g.written = true;
                y += QStringLiteral("  - name: %1\n    repeat: {i: %2}\n    shape: %3\n")
                             .arg(yamlScalar(patternOf[k]), g.count, shapeList(tensors[k].shape));
                y += dtypesLine(g.members);
                continue;
            }
        }
        y += QStringLiteral("  - name: %1\n    shape: %2\n").arg(yamlScalar(QString::fromStdString(tensors[k].name)), shapeList(tensors[k].shape));
        y += dtypesLine({k});
    }
    return y.toUtf8();
}

} // namespace tantra
