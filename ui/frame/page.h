#pragma once

#include <QString>

namespace tantra {

// What the main window asks of a page (a tab). Pages are QWidgets that also implement this;
// the window reaches them with dynamic_cast, so a page that forgets to implement a call
// gets the default instead of a method looked up by name at run time.
class Page
{
public:
    // Why a page is asked to close, so that its question to the user can say what happens.
    enum class CloseReason { CloseTab, Quit, SwitchWorkspace };

    virtual ~Page() = default;

    // Whether the page may close now; a page with unsaved edits asks the user (and may save).
    virtual bool canClose(CloseReason reason)
    {
        static_cast<void>(reason);
        return true;
    }
    // The file or folder the page shows, canonical, or empty: one page per source.
    virtual QString sourcePath() const { return {}; }
    // A permanent page (the workspace) has no close button and is not closed by Ctrl+W.
    virtual bool isPermanent() const { return false; }
    // The root of the workspace whose files the page edits, or empty when it belongs to none.
    // Such a page lives and dies with its workspace: before another one opens it is asked
    // (canClose(SwitchWorkspace)) and closed, as on quitting.
    virtual QString workspaceRoot() const { return {}; }
    // Puts the keyboard in the page's filter box (the window's Ctrl+F, one action for every
    // page); false when the page has none.
    virtual bool focusFilter() { return false; }
};

} // namespace tantra
