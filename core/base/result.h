#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace tantra {

// What the user can do about an error, as a value. Each interface words it as one of its own
// actions (the CLI as a command line, the GUI as a menu path), so core never names a command
// the user of the other interface cannot type or click. Advice that reads the same in every
// interface ("is the disk full?", "try again when it has finished") stays in the problem.
enum class Remedy {
    None,
    RebuildRegistry,       // rebuild the registry from the weight files
    SetUpWorkspace,        // create the workspace's folders first
    RepairOrChooseVersion, // a stray file holds the name: repair the workspace, or take another version
    ChooseAnotherVersion,  // the weight name is taken
    VerifyWeight,          // re-hash the weight named by Error::subject against the registry
    ImportAsCopy,          // the file is registered already: import a copy instead of moving it
    RestoreAsAnotherVersion, // the backup's weight name is taken
    // No repair applies (a registry of a newer or unreadable schema, which a rebuild refuses to
    // touch): the problem itself says what to do, and no interface may suggest Repair.
    NoRepair,
};

// Which kind of failure, as a value, for an interface that maps failures onto types of its own
// (the Python module raises WeightNotFound, InvalidWeight, ConfigError, WorkspaceLocked).
// Tagged where the failure is decided; everything else is Other, never guessed from the text.
enum class ErrorKind {
    Other,
    NotFound,      // no such weight registered, a type with no active weight, no such object on a remote
    InvalidWeight, // a file that breaks the format, or a weight that does not fit its config
    Config,        // a model-type config that is unknown or does not parse
    Locked,        // another process holds the registry lock
};

// What went wrong: the file at fault, the problem in words for the user, and what to do about
// it. Interfaces show message() and word the remedy themselves; no caller takes a message
// apart to find the pieces again.
struct Error
{
    QString path;    // the file, folder or archive at fault; empty when there is none
    QString problem; // what is wrong with it (the rule broken, the JSON path, the system's reason)
    Remedy remedy = Remedy::None;
    QString subject = {}; // what the remedy applies to (a weight name) when it needs one
    ErrorKind kind = ErrorKind::Other;

    // "PATH: PROBLEM", or the problem alone; the remedy is left to the interface.
    QString message() const { return path.isEmpty() ? problem : path + QStringLiteral(": ") + problem; }
};

// Value or Error, returned across layer boundaries instead of throwing.
template<typename T>
class [[nodiscard]] Result
{
public:
    Result(T value) : m_data(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_data(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_data.index() == 0; }
    explicit operator bool() const { return ok(); }

    T &value() & { return std::get<0>(m_data); }
    const T &value() const & { return std::get<0>(m_data); }
    T &&value() && { return std::get<0>(std::move(m_data)); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }

    const Error &error() const { return std::get<1>(m_data); }
    QString errorString() const { return error().message(); }

private:
    std::variant<T, Error> m_data;
};

template<>
class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_ok(false) {}

    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const Error &error() const { return m_error; }
    QString errorString() const { return m_error.message(); }

private:
    Error m_error;
    bool m_ok = true;
};

using Status = Result<void>;

// A message with no one file at fault (a bad argument, a cancelled job).
inline Error makeError(QString message)
{
    return Error{QString(), std::move(message)};
}

inline Error makeError(QString path, QString problem, Remedy remedy = Remedy::None, QString subject = {})
{
    return Error{std::move(path), std::move(problem), remedy, std::move(subject)};
}

inline Error withKind(Error error, ErrorKind kind)
{
    error.kind = kind;
    return error;
}

} // namespace tantra
