// Linked into every GUI test: the app's start-up that a QTEST_MAIN does not do, so the tests see
// the texts users see ("1 weight", not "1 weight(s)").
#include "englishplurals.h"

#include <QCoreApplication>

namespace {

void setUpLikeTheApp()
{
    tantra::installEnglishPlurals(QCoreApplication::instance());
}

} // namespace

Q_COREAPP_STARTUP_FUNCTION(setUpLikeTheApp)
