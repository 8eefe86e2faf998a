#include "common/InputFile.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/Error.h"

namespace circnn {

namespace {

std::string fileKind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "is a directory";
    if (S_ISFIFO(mode))
        return "is a named pipe (FIFO), not a regular file";
    if (S_ISCHR(mode))
        return "is a character device, not a regular file";
    if (S_ISBLK(mode))
        return "is a block device, not a regular file";
    if (S_ISSOCK(mode))
        return "is a socket, not a regular file";
    return "is not a regular file";
}

std::string describeOpenError(int e)
{
    switch (e) {
    case ENOENT:
        return "cannot open: no such file";
    case EACCES:
    case EPERM:
        return "cannot open: permission denied";
    case ENOTDIR:
        return "a component of the path is not a folder";
    case ELOOP:
        return "too many levels of symbolic links";
    default:
        return std::strerror(e);
    }
}

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, const std::string& why)
{
    throw FormatError(what + " '" + path.string() + "': " + why);
}

} // namespace

void requireRegularFile(const std::filesystem::path& path, const std::string& what)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        fail(path, what, describeOpenError(errno));
    if (!S_ISREG(st.st_mode))
        fail(path, what, fileKind(st.st_mode));
}

std::string readTextInput(const std::filesystem::path& path, const std::string& what, std::size_t maxBytes)
{
    requireRegularFile(path, what);
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        fail(path, what, describeOpenError(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        fail(path, what, fileKind(st.st_mode));
    if (static_cast<std::uint64_t>(st.st_size) > maxBytes)
        fail(path, what,
             "is " + std::to_string(st.st_size) + " bytes, more than the " + std::to_string(maxBytes >> 20) +
                 " MiB allowed for this kind of file");
    std::string text;
    text.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    char extra[4096];
    for (;;) {
        char* dst = got < text.size() ? text.data() + got : extra;
        const std::size_t room = got < text.size() ? text.size() - got : sizeof extra;
        const ssize_t r = ::read(fd, dst, room);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fail(path, what, describeOpenError(errno));
        }
        if (r == 0)
            break;
        if (dst == extra)
            text.append(extra, static_cast<std::size_t>(r)); // the file grew while being read
        got += static_cast<std::size_t>(r);
        if (got > maxBytes)
            fail(path, what,
                 "is larger than the " + std::to_string(maxBytes >> 20) + " MiB allowed for this kind of file");
    }
    text.resize(got);
    return text;
}

} // namespace circnn
