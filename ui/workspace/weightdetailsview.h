#pragma once

#include <QTextBrowser>

namespace tantra {

struct RegistryData;
struct WeightEntry;

// The selected weight's registry entry, its file's __metadata__, the activation history of
// its type and the last validation report, as one readable page. Paths inside the workspace
// are shown relative to it, whole in their tooltips.
class WeightDetailsView : public QTextBrowser
{
    Q_OBJECT
public:
    explicit WeightDetailsView(QWidget *parent = nullptr);

    void showWeight(const WeightEntry &entry, const RegistryData &registry, const QString &root, bool validationOutdated = false);
    void showNothing(const QString &hint);
    // The tooltip of the text at a point of the viewport: a path's full form.
    QString toolTipAt(const QPoint &viewportPos) const;

protected:
    bool event(QEvent *event) override;
};

} // namespace tantra
