#pragma once

#include <QDialog>

class QLabel;
class QListWidget;
class QSpinBox;
class QDialogButtonBox;

namespace tantra {

class WeightManager;

// Cleanup of one model type: choose how many of the newest weights to keep and see exactly
// what would go and the space freed, computed by the same dry run the CLI offers. The active
// weight is always kept and never listed.
class CleanupDialog : public QDialog
{
    Q_OBJECT
public:
    CleanupDialog(WeightManager *manager, const QString &type, QWidget *parent = nullptr);

    int keep() const;
    QStringList toRemove() const { return m_toRemove; }
    QSpinBox *keepSpin() const { return m_keep; }
    QListWidget *preview() const { return m_preview; }

private:
    void updatePreview();

    WeightManager *m_manager;
    QString m_type;
    QSpinBox *m_keep;
    QListWidget *m_preview;
    QLabel *m_summary;
    QDialogButtonBox *m_buttons;
    QStringList m_toRemove;
};

} // namespace tantra
