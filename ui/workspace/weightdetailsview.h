#pragma once

#include <QTextBrowser>

namespace tantra {

struct RegistryData;
struct WeightEntry;

// The selected weight's registry entry, its file's __metadata__, the activation history of
// its type and the last validation report, as one readable page.
class WeightDetailsView : public QTextBrowser
{
    Q_OBJECT
public:
    explicit WeightDetailsView(QWidget *parent = nullptr);

    void showWeight(const WeightEntry &entry, const RegistryData &registry, const QString &root, bool validationOutdated = false);
    void showNothing(const QString &hint);
};

} // namespace tantra
