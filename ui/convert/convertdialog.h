#pragma once

#include "registry.h"
#include "weightconversion.h"

#include <QDialog>

#include <memory>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace tantra {

struct ModelConfig;
class SafetensorsModel;
class WeightManager;

// Weight ▸ Convert…: the target dtype, which tensors (include/exclude patterns, keep the
// sensitive ones), FP8 saturation and the new version's name. The count of tensors the choice
// converts and the size before → after follow every keystroke (names only: the header is
// already mapped, nothing is read). The version is checked against the registry before the
// dialog closes, as in the import dialog.
class ConvertDialog : public QDialog
{
    Q_OBJECT
public:
    ConvertDialog(WeightManager *manager, RegistryData known, WeightEntry source, std::shared_ptr<const SafetensorsModel> model,
                  QWidget *parent = nullptr);

    ConvertOptions options() const;
    QString version() const;
    bool activate() const;

    // For tests.
    QComboBox *dtypeCombo() const { return m_dtype; }
    QLineEdit *includeEdit() const { return m_include; }
    QLineEdit *excludeEdit() const { return m_exclude; }
    QCheckBox *keepSensitiveCheck() const { return m_keepSensitive; }
    QCheckBox *saturateCheck() const { return m_saturate; }
    QLineEdit *versionEdit() const { return m_version; }
    QLabel *selectionLabel() const { return m_selection; }
    QLabel *versionNote() const { return m_versionNote; }
    QDialogButtonBox *buttons() const { return m_buttons; }

    void accept() override;

private:
    void updateSelection();
    void suggestVersion();

    WeightManager *m_manager;
    RegistryData m_known;
    WeightEntry m_source;
    std::shared_ptr<const SafetensorsModel> m_model;
    std::shared_ptr<const ModelConfig> m_config; // null when it cannot be read
    QComboBox *m_dtype;
    QLineEdit *m_include;
    QLineEdit *m_exclude;
    QCheckBox *m_keepSensitive;
    QCheckBox *m_saturate;
    QLineEdit *m_version;
    QCheckBox *m_activate;
    QLabel *m_selection;
    QLabel *m_versionNote;
    QDialogButtonBox *m_buttons;
    bool m_versionEdited = false;
    bool m_selectionOk = false;
};

// Patterns typed into one line: separated by spaces or commas.
QStringList splitPatterns(const QString &text);

} // namespace tantra
