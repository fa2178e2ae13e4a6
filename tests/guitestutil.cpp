#include "guitestutil.h"

#include <QApplication>
#include <QDialog>
#include <QTimer>

namespace tantra::test {

void whenDialogOpens(std::function<void(QWidget *)> onDialog)
{
    auto *timer = new QTimer;
    timer->setInterval(20);
    QObject::connect(timer, &QTimer::timeout, [timer, onDialog] {
        QWidget *modal = QApplication::activeModalWidget();
        if (!modal)
            return;
        timer->stop();
        timer->deleteLater();
        onDialog(modal);
        if (auto *dialog = qobject_cast<QDialog *>(modal); dialog && dialog->isVisible())
            dialog->reject();
    });
    timer->start();
}

} // namespace tantra::test
