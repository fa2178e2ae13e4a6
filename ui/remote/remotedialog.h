#pragma once

#include "remotelist.h"

#include <QDialog>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace tantra {

// Add Remote…: a name, an s3://BUCKET/PREFIX address, the server's endpoint, its region and
// the addressing style. What can be checked without the server is checked as the user types
// (OK stays disabled, the line under the form says why); RemoteList::add checks it all again.
class RemoteDialog : public QDialog
{
    Q_OBJECT
public:
    explicit RemoteDialog(QWidget *parent = nullptr);

    // Fills the form (after a failed add, so the user corrects rather than retypes).
    void setRemote(const Remote &remote);
    // The remote as entered; valid once OK is enabled.
    Remote remote() const;

    QLineEdit *nameEdit() const { return m_name; }
    QLineEdit *urlEdit() const { return m_url; }
    QLineEdit *endpointEdit() const { return m_endpoint; }
    QLabel *problem() const { return m_problem; }
    QDialogButtonBox *buttons() const { return m_buttons; }

private:
    void check();
    // The form's fields into `r`; fails when the address does not parse.
    Status read(Remote &r) const;

    QLineEdit *m_name;
    QLineEdit *m_url;
    QLineEdit *m_endpoint;
    QLineEdit *m_region;
    QCheckBox *m_pathStyle;
    QLabel *m_problem;
    QDialogButtonBox *m_buttons;
};

} // namespace tantra
