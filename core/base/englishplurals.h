#pragma once

#include <QTranslator>

class QCoreApplication;

namespace tantra {

// English plurals without shipping a .qm. Counted texts are written the Qt way,
//   tr("%n weight(s) deleted", nullptr, n)
// so a real translation can give each language its own plural forms; without one, Qt would
// print "1 weight(s)". This translator answers only such texts (a count is given and the text
// has "%n" or "%Ln", and "(s)" or "(es)") and turns each "(s)" into "" for one and "s" otherwise
// ("(es)": "" or "es", for "mismatch(es)"); every other text
// falls through to the source. A real translation installed after it is asked first.
// Chosen over an English .qm (lrelease from qt6-l10n-tools): no build tool, and no .ts file to
// keep in step with every new counted text; a text written the Qt way just works.
class EnglishPlurals : public QTranslator
{
    Q_OBJECT
public:
    using QTranslator::QTranslator;

    QString translate(const char *context, const char *sourceText, const char *disambiguation = nullptr,
                      int n = -1) const override;
    bool isEmpty() const override { return false; }

    // The English form of `sourceText` for count `n` (the rule above), or a null string.
    static QString resolve(const char *sourceText, int n);
};

// For the core's and the CLI's English-only texts: `text` for count `n` by the same rule, with
// %n replaced by the count. plural("%n file(s)", 1) == "1 file".
QString plural(const char *text, qint64 n);

// Installs one EnglishPlurals on `app` (owned by it). Both faces call this at start.
void installEnglishPlurals(QCoreApplication *app);

} // namespace tantra
