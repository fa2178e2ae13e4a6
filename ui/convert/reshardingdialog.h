#pragma once

#include "registry.h"

#include <QDialog>

#include <cstdint>
#include <memory>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QRadioButton;

namespace tantra {

class SafetensorsModel;
class WeightManager;

// Weight ▸ Reshard…: shards of at most a size (Hugging Face's layout and names), or one file
// from a shard set, as a new version. The shard count the size gives is shown as it is typed.
class ReshardingDialog : public QDialog
{
    Q_OBJECT
public:
    ReshardingDialog(WeightManager *manager, RegistryData known, WeightEntry source, std::shared_ptr<const SafetensorsModel> model,
                     QWidget *parent = nullptr);

    bool single() const;
    std::uint64_t maxShardBytes() const; // 0 with single()
    QString sizeText() const;
    QString version() const;
    bool activate() const;

    QRadioButton *singleButton() const { return m_single; }
    QLineEdit *sizeEdit() const { return m_size; }
    QLineEdit *versionEdit() const { return m_version; }
    QLabel *planLabel() const { return m_plan; }
    QLabel *versionNote() const { return m_versionNote; }
    QDialogButtonBox *buttons() const { return m_buttons; }

    void accept() override;

private:
    void updatePlan();
    void suggestVersion();

    WeightManager *m_manager;
    RegistryData m_known;
    WeightEntry m_source;
    std::shared_ptr<const SafetensorsModel> m_model;
    QRadioButton *m_sharded;
    QRadioButton *m_single;
    QLineEdit *m_size;
    QLineEdit *m_version;
    QCheckBox *m_activate;
    QLabel *m_plan;
    QLabel *m_versionNote;
    QDialogButtonBox *m_buttons;
    bool m_versionEdited = false;
    bool m_planOk = false;
};

} // namespace tantra
