#pragma once

#include <QString>

namespace tantra {

// What the main window asks of a page (a tab). Pages are QWidgets that also implement this;
// the window reaches them with dynamic_cast, so a page that forgets to implement a call
// gets the default instead of a method looked up by name at run time.
class Page
{
public:
    virtual ~Page() = default;

    // Whether the page may close now; a page with unsaved edits asks the user (and may save).
    virtual bool canClose() { return true; }
    // The file or folder the page shows, canonical, or empty: one page per source.
    virtual QString sourcePath() const { return {}; }
    // A permanent page (the workspace) has no close button and is not closed by Ctrl+W.
    virtual bool isPermanent() const { return false; }
};

} // namespace tantra
