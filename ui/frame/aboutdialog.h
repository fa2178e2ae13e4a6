#pragma once

#include <QDialog>

namespace tantra {

// Help › About: the application's version and the versions of the libraries it runs on
// (Qt at run time and at build time, yaml-cpp, QuaZip, OpenSSL), with a button that copies
// them for a bug report.
class AboutDialog : public QDialog
{
    Q_OBJECT
public:
    explicit AboutDialog(QWidget *parent = nullptr);

    // "Tantra Weight Manager 0.1.0\nQt 6.4.2 (built with 6.4.2)\n…", one component a line.
    static QString versionReport();
};

} // namespace tantra
