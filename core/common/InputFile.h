#pragma once
// Reading files named by the user. Only regular files are read: a FIFO would block forever, a
// device (/dev/zero) never ends, a directory or socket is not data. Each is refused with a clear
// message before the file is opened. Text inputs (plans, platforms, architecture descriptions,
// JSON configurations) are read whole with a size cap.

#include <cstddef>
#include <filesystem>
#include <string>

namespace circnn {

// Largest text input read by readTextInput (plans, platforms, architectures): 16 MiB.
constexpr std::size_t kMaxTextInputBytes = std::size_t(16) << 20;

// Throws Error("<what> 'PATH': ...") unless `path` (symbolic links followed) is an existing
// regular file: "no such file", "is a directory", "is a named pipe (FIFO), not a regular file", ...
// `what` names the role, e.g. "model", "dataset", "conversion plan".
void requireRegularFile(const std::filesystem::path& path, const std::string& what);

// The whole content of a regular file of at most maxBytes bytes; Error otherwise (the file is
// opened non-blocking and checked again after opening, so a file swapped for a FIFO in between
// cannot block).
std::string readTextInput(const std::filesystem::path& path, const std::string& what,
                          std::size_t maxBytes = kMaxTextInputBytes);

} // namespace circnn
