#pragma once

#include "modelconfig.h"
#include "shapevalidator.h"

#include <QMap>
#include <QWidget>

#include <memory>
#include <optional>
#include <vector>

class QComboBox;
class QLabel;
class QPushButton;
class QTreeWidget;

namespace tantra {

class JobRunner;
class WorkspaceSession;

// "Check against weights" for the config editor: one of the type's registered weights (the
// active one by default) is validated against the config being edited — its unsaved values —
// and every mismatch is listed with the tensor, the expected and the actual shape and the
// rule's line. The weight is opened off the GUI thread (only its header is read) and its tensor
// shapes are kept, so after the first check every edit re-checks at once ("live").
class ConfigCheckPanel : public QWidget
{
    Q_OBJECT
public:
    ConfigCheckPanel(WorkspaceSession *session, const QString &modelType, QWidget *parent = nullptr);
    ~ConfigCheckPanel() override;

    // The config as edited; nothing (with the reason) while the text does not parse.
    void setConfig(const std::optional<ModelConfig> &config, const QString &whyNot = QString());

    QString selectedWeight() const;
    void selectWeight(const QString &name);
    // Validates the edited config against the selected weight; checkFinished() follows.
    void check();
    bool isChecking() const;

    // The last report, for the weight reportWeight(); empty before the first check and after
    // an error (errorText()).
    const std::optional<ShapeReport> &report() const { return m_report; }
    const QString &reportWeight() const { return m_reportWeight; }
    const QString &errorText() const { return m_error; }

    QComboBox *weightBox() const { return m_weights; }
    QPushButton *checkButton() const { return m_check; }
    QLabel *summaryLabel() const { return m_summary; }
    QTreeWidget *issueView() const { return m_issues; }

Q_SIGNALS:
    void checkFinished();
    // 1-based line of the rule behind an issue the user double-clicked.
    void ruleLineActivated(int line);
    // Rule lines with issues (line → what is wrong), for the text's gutter.
    void issueLinesChanged(const QMap<int, QString> &lines);

private:
    struct Outcome;
    struct Shapes;

    void refreshWeights();
    void start();
    void finished(const Outcome &outcome);
    void showReport();
    void updateState();

    WorkspaceSession *m_session;
    QString m_type;
    std::optional<ModelConfig> m_config;
    QString m_whyNot;
    QString m_active; // the type's active weight, as last listed
    QComboBox *m_weights;
    QPushButton *m_check;
    QLabel *m_summary;
    QLabel *m_state;
    QTreeWidget *m_issues;

    std::shared_ptr<const Shapes> m_shapes; // the last weight's tensor shapes
    std::optional<ShapeReport> m_report;
    QString m_reportWeight;
    QString m_error;
    bool m_live = false;       // a check ran: later edits and selections re-check by themselves
    bool m_again = false;      // the config changed while a check ran
    // One check at a time (the first one reads the weight's header, which later ones reuse);
    // edits made meanwhile are checked when it ends.
    JobRunner *m_jobs;
};

} // namespace tantra
