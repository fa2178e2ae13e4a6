#pragma once

#include <QDialog>

class QComboBox;
class QLineEdit;
class QPlainTextEdit;
class QLabel;

namespace tantra {

// "New model type…": a name, the type to start from, and key=value overrides (one per line).
class NewModelTypeDialog : public QDialog
{
    Q_OBJECT
public:
    NewModelTypeDialog(const QStringList &existingTypes, QWidget *parent = nullptr);

    QString typeName() const;
    QString fromType() const;
    QStringList overrides() const;

private:
    void validate();

    QLineEdit *m_name;
    QComboBox *m_from;
    QPlainTextEdit *m_overrides;
    QLabel *m_error;
    QStringList m_existing;
};

} // namespace tantra
