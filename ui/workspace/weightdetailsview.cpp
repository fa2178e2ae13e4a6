#include "weightdetailsview.h"

#include "registry.h"

#include <QDir>
#include <QHelpEvent>
#include <QLocale>
#include <QTextCursor>
#include <QToolTip>

namespace tantra {

namespace {

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

QString row(const QString &key, const QString &value)
{
    return QStringLiteral("<tr><td style='padding-right:12px; opacity:0.7'>%1</td><td>%2</td></tr>").arg(esc(key), value);
}

// A path as the workspace names it ("Model/weights/x.safetensors"), with the whole path in
// its tooltip: absolute paths wrapped over many lines of a narrow pane.
QString pathHtml(const QString &relative, const QString &root)
{
    const QString absolute = QDir::toNativeSeparators(QDir(root).absoluteFilePath(relative));
    return QStringLiteral("<span title=\"%1\">%2</span>").arg(esc(absolute), esc(QDir::toNativeSeparators(relative)));
}

// Text that names files under `root` by their absolute path, with those paths made relative.
QString withRelativePaths(const QString &text, const QString &root)
{
    const QString prefix = QDir::cleanPath(root) + QLatin1Char('/');
    QString out = text;
    return out.replace(prefix, QString());
}

QString when(const QDateTime &t)
{
    return t.isValid() ? esc(QLocale().toString(t.toLocalTime(), QLocale::ShortFormat)) : QStringLiteral("—");
}

} // namespace

WeightDetailsView::WeightDetailsView(QWidget *parent) : QTextBrowser(parent)
{
    setOpenLinks(false);
    setFrameShape(QFrame::NoFrame);
    showNothing(tr("Select a weight to see its details."));
}

bool WeightDetailsView::event(QEvent *event)
{
    // QTextBrowser does not show the title="" of rich text; the paths keep their full form there.
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const QString tip = toolTipAt(viewport()->mapFrom(this, help->pos()));
        if (tip.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(help->globalPos(), tip, this);
        return true;
    }
    return QTextBrowser::event(event);
}

QString WeightDetailsView::toolTipAt(const QPoint &viewportPos) const
{
    return cursorForPosition(viewportPos).charFormat().toolTip();
}

void WeightDetailsView::showNothing(const QString &hint)
{
    setHtml(QStringLiteral("<p style='opacity:0.6'>%1</p>").arg(esc(hint)));
}

void WeightDetailsView::showWeight(const WeightEntry &w, const RegistryData &registry, const QString &root, bool validationOutdated)
{
    const bool active = registry.activeOf(w.modelType) == w.name;
    QString html = QStringLiteral("<h3>%1%2</h3><table>").arg(esc(w.name), active ? tr(" <small>(active)</small>") : QString());
    html += row(tr("Model type"), esc(w.modelType));
    html += row(tr("Version"), esc(w.version));
    html += row(tr("File"), pathHtml(w.path, root));
    html += row(tr("Format"), w.sharded ? tr("shard set (%n file(s))", nullptr, int(w.files.size())) : tr("single file"));
    html += row(tr("Size"), esc(QLocale().formattedDataSize(qint64(w.size))) + tr(" (%1 bytes)").arg(w.size));
    html += row(tr("SHA-256"), QStringLiteral("<code>%1</code>").arg(esc(w.sha256)));
    html += row(tr("Created"), when(w.created));
    if (w.restored.isValid())
        html += row(tr("Restored"), when(w.restored));
    html += row(tr("Source"), esc(withRelativePaths(w.source, root)));
    html += QStringLiteral("</table>");

    html += tr("<h4>Last validation</h4>");
    if (w.validation.status == ValidationStatus::NotValidated) {
        html += tr("<p>Never validated.</p>");
    } else {
        html += QStringLiteral("<p><b>%1</b> %2%3</p>")
                        .arg(w.validation.status == ValidationStatus::Passed ? tr("passed") : tr("failed"), when(w.validation.checkedAt),
                             w.validation.deep ? tr(" — deep (checksum, NaN/Inf)") : QString());
        if (w.validation.unvalidatedImport)
            html += tr("<p><b>Unvalidated:</b> imported although it does not fit the %1 config. Fix the config or the file, "
                       "then validate it.</p>")
                            .arg(esc(w.modelType));
        if (validationOutdated)
            html += tr("<p><b>Outdated:</b> the config of %1 changed after this validation. Validate again to check the "
                       "weight against the config as it is now.</p>")
                            .arg(esc(w.modelType));
        if (!w.validation.issues.isEmpty()) {
            html += QStringLiteral("<ul>");
            for (const QString &issue : w.validation.issues)
                html += QStringLiteral("<li><code>%1</code></li>").arg(esc(withRelativePaths(issue, root)));
            html += QStringLiteral("</ul>");
        }
    }

    html += tr("<h4>Metadata</h4>");
    if (w.metadata.empty()) {
        html += tr("<p>The file has no __metadata__.</p>");
    } else {
        html += QStringLiteral("<table>");
        for (const auto &[k, v] : w.metadata)
            html += row(k, QStringLiteral("<code>%1</code>").arg(esc(v.size() > 500 ? v.left(500) + QStringLiteral("…") : v)));
        html += QStringLiteral("</table>");
    }

    html += tr("<h4>Activations of %1</h4>").arg(esc(w.modelType));
    const auto it = registry.history.find(w.modelType);
    if (it == registry.history.end() || it->second.empty()) {
        html += tr("<p>None recorded.</p>");
    } else {
        html += QStringLiteral("<table>");
        const auto &list = it->second;
        for (auto a = list.rbegin(); a != list.rend(); ++a) {
            const QString weight = a->weight == w.name ? QStringLiteral("<b>%1</b>").arg(esc(a->weight)) : esc(a->weight);
            html += row(QLocale().toString(a->at.toLocalTime(), QLocale::ShortFormat),
                        weight + (a->previous.isEmpty() ? QString() : tr(" <span style='opacity:0.6'>(replaced %1)</span>").arg(esc(a->previous))));
        }
        html += QStringLiteral("</table>");
    }
    setHtml(html);
}

} // namespace tantra
