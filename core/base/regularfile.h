#pragma once

#include "result.h"

#include <QString>

class QFile;

namespace tantra {

// Every file this program reads from the workspace or the command line is opened here. The
// workspace is shared and untrusted: a FIFO opened for reading blocks until some process
// writes to it (forever, if none does), a device may never end (/dev/zero), a folder or a
// socket cannot be read as a file. So the open never blocks (O_NONBLOCK), fstat on the open
// descriptor (no race with a rename) decides, and only a regular file is kept, switched back
// to blocking reads. Anything else is refused with a message naming the path and what it is:
//   "Model/weights/x.safetensors: is a FIFO (named pipe), not a regular file"
// The descriptor is close-on-exec; the caller owns it.
Result<int> openRegularFile(const QString &path);

// The same, handed to `file` (opened ReadOnly; it closes the descriptor).
Status openRegularFile(QFile &file, const QString &path);

// What a file of this st_mode is, for messages: "a folder", "a FIFO (named pipe)", "a
// character device", "a block device", "a socket"; empty for a regular file.
QString fileKindOf(unsigned int mode);

// For a path this program creates or replaces but does not read first (a lock file): fine
// when absent or a regular file (or a link to one), otherwise the same message as above.
Status checkNotSpecialFile(const QString &path);

// The system error of a failed call, as a sentence fragment ("No such file or directory").
QString systemErrorString(int errnum);

// Whether two paths name the same file (after symbolic links: same device and inode), so that
// an output that would replace its own source, through a link or a hard link, is refused.
bool isSameFile(const QString &a, const QString &b);

} // namespace tantra
