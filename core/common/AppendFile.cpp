#include "common/AppendFile.h"

#include <cerrno>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/WriteAll.h"

namespace circnn {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void failAppend(const fs::path& path, int errorNumber, const std::string& doing)
{
    throw Error("cannot " + doing + " '" + path.string() + "': " + describeWriteError(errorNumber));
}

// Opens `target` (already resolved) for appending; refuses anything but a regular file, checked on
// the descriptor (O_NONBLOCK: a FIFO swapped in cannot block the open).
int openRegularForAppend(const fs::path& destination, const fs::path& target)
{
    const int fd = ::open(target.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        failAppend(destination, errno, "open for appending");
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        throw Error("cannot append to '" + destination.string() + "': not a regular file");
    }
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0)
        (void)::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

} // namespace

AppendFile::AppendFile(fs::path path, int fd) : m_path(std::move(path)), m_fd(fd) {}

AppendFile::AppendFile(AppendFile&& other) noexcept : m_path(std::move(other.m_path)), m_fd(other.m_fd)
{
    other.m_fd = -1;
}

AppendFile& AppendFile::operator=(AppendFile&& other) noexcept
{
    if (this != &other) {
        if (m_fd >= 0)
            ::close(m_fd);
        m_path = std::move(other.m_path);
        m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
}

AppendFile::~AppendFile()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

AppendFile AppendFile::create(const fs::path& destination, const std::string& firstRecord)
{
    writeTextFileAtomically(destination, firstRecord);
    return AppendFile(destination, openRegularForAppend(destination, resolveWriteTarget(destination)));
}

AppendFile AppendFile::openForAppend(const fs::path& destination, std::optional<std::uint64_t> keepBytes)
{
    const int fd = openRegularForAppend(destination, resolveWriteTarget(destination));
    AppendFile file(destination, fd);
    if (keepBytes) {
        struct stat st {};
        if (::fstat(fd, &st) == 0 && static_cast<std::uint64_t>(st.st_size) > *keepBytes &&
            ::ftruncate(fd, static_cast<off_t>(*keepBytes)) != 0)
            failAppend(destination, errno, "drop the cut-short last record of");
    }
    return file;
}

void AppendFile::append(const std::string& record)
{
    std::lock_guard lock(m_mutex);
    struct stat st {};
    if (::fstat(m_fd, &st) != 0)
        failAppend(m_path, errno, "append to");
    if (const int err = writeAllBytes(m_fd, record.data(), record.size())) {
        // Undo the part written, so the file never ends in half a record.
        (void)!::ftruncate(m_fd, st.st_size);
        failAppend(m_path, err, "append to");
    }
    if (::fdatasync(m_fd) != 0 && errno != EINVAL) {
        const int err = errno;
        (void)!::ftruncate(m_fd, st.st_size);
        failAppend(m_path, err, "flush");
    }
}

} // namespace circnn
