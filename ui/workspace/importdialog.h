#pragma once

#include "shapevalidator.h"
#include "weightmanager.h"

#include <QDialog>

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QTextBrowser;
class QDialogButtonBox;
class QFormLayout;

namespace tantra {

class JobRunner;

// What the import dialog learns about a dropped or chosen file, off the GUI thread.
struct ImportAnalysis
{
    QString error;           // the file is not a usable weight: why
    int tensors = 0;
    quint64 bytes = 0;
    QString dtypes;          // "F32 ×10, BF16 ×5"
    bool sharded = false;
    std::vector<TypeGuess> guesses; // best first
    bool torch = false;      // a PyTorch checkpoint, converted as it is imported
    QStringList torchNotes;  // what its reader left aside (TorchCheckpoint::notes)
};

// Shows what is being imported (tensor count, size, dtypes), the model type guessed from the
// configs' shape rules (with the mismatches for the other types on request), a suggested
// version, copy or move, and whether to make it active. A file that fits no type can become a
// new model type of its own (a config made from its tensors) or be imported under a type it
// does not fit, marked unvalidated. A file that is no weight at all gets only the reason: the
// form is shown once the file has been read and found usable.
class ImportDialog : public QDialog
{
    Q_OBJECT
public:
    ImportDialog(WeightManager *manager, const QString &source, QWidget *parent = nullptr);
    ~ImportDialog() override;

    ImportRequest request() const;
    // For tests: true once the background analysis has been shown.
    bool isAnalysed() const { return m_analysed; }
    QComboBox *typeCombo() const { return m_type; }
    // The combo's last entry: create a model type from the file (named in newTypeEdit()).
    int newTypeIndex() const;
    QLineEdit *newTypeEdit() const { return m_newType; }
    // Shown when the chosen type does not fit: import anyway, marked unvalidated.
    QCheckBox *unvalidatedCheck() const { return m_unvalidated; }
    // Under the type: why it does not fit, or what choosing a new type does.
    QLabel *fitNote() const { return m_fitNote; }
    // The form (hidden while the file is read, and for a file that cannot be imported).
    QWidget *form() const { return m_form; }
    // "Reading …", or why the file cannot be imported.
    QLabel *statusLabel() const { return m_status; }
    QLineEdit *versionEdit() const { return m_version; }
    QLabel *summaryLabel() const { return m_summary; }
    // Under the version field: why the version cannot be used and a free one to use instead.
    QLabel *versionNote() const { return m_versionNote; }
    // The free version offered by the note (empty while the version is fine).
    QString suggestedVersion() const { return m_suggestion; }

    static ImportAnalysis analyse(const QString &source, const std::vector<ModelConfig> &configs);
    // analyse() of a PyTorch checkpoint: read without running it, so a hostile pickle comes
    // back as the error naming what it calls.
    static ImportAnalysis analyseTorch(const QString &source, const std::vector<ModelConfig> &configs);

private:
    // For a checkpoint: says it is converted and never moved (the move option is disabled).
    void showTorchNote(const ImportAnalysis &analysis);
    void showAnalysis(const ImportAnalysis &analysis);
    void updateMismatches();
    // A "<type>_<version>" file name gives the version for that type.
    void suggestVersion();
    // As high as the rows now shown need.
    void fitToContents();
    // The type the weight goes to: the chosen one, or the new type's name.
    QString currentType() const;
    bool isNewTypeChosen() const;
    // Why the new type's name cannot be used, empty when it can.
    QString newTypeProblem() const;
    // Checks the version against `m_known` (the registry as read when the dialog opened, or
    // just now before closing): marks the field and offers a free version. True when usable.
    bool checkVersion();
    void updateImportButton();
    // Import: re-reads the registry (the CLI may have added the version meanwhile) and closes
    // only when the version is still free; otherwise the dialog stays, the field marked.
    void tryAccept();

    WeightManager *m_manager;
    QString m_source;
    QLabel *m_status;
    QWidget *m_form;
    QLabel *m_summary;
    QComboBox *m_type;
    QFormLayout *m_typeForm = nullptr;
    QLineEdit *m_newType;
    QLabel *m_newTypeNote;
    QLabel *m_fitNote;
    QCheckBox *m_unvalidated;
    QLineEdit *m_version;
    QLabel *m_versionNote;
    QAction *m_versionMark;
    QRadioButton *m_copy;
    QRadioButton *m_move;
    QCheckBox *m_activate;
    QCheckBox *m_showMismatches;
    QTextBrowser *m_mismatches;
    QDialogButtonBox *m_buttons;
    JobRunner *m_jobs;
    ImportAnalysis m_analysis;
    QStringList m_brokenConfigs; // configs that do not parse, so their types cannot be offered
    bool m_analysed = false;
    bool m_fits = false;
    RegistryData m_known;
    QStringList m_knownTypes;
    QString m_stem; // the file's name without extensions, for suggestions
    int m_shownRows = 0; // which rows of the form are shown, one bit each, as last fitted
    QString m_suggestion;
};

} // namespace tantra
