#pragma once

#include <functional>

class QWidget;

namespace tantra::test {

// Runs `onDialog` on the next modal dialog that opens (exec() blocks the test otherwise). A
// dialog still open when it returns (a failed QVERIFY returns early) is rejected, so that the
// failure is reported instead of the test hanging in exec().
void whenDialogOpens(std::function<void(QWidget *)> onDialog);

} // namespace tantra::test
