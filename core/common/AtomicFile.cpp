#include "common/AtomicFile.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/Error.h"
#include "common/WriteAll.h"

namespace circnn {

namespace fs = std::filesystem;

namespace {

constexpr const char* kTempSuffix = ".circnn-tmp";
constexpr std::size_t kNamePrefix = 32; // bytes of the destination name kept in the temp name

std::atomic<int> g_injectedErrno{0};
std::atomic<int> g_injectedCount{0};

// FNV-1a, 32 bits: tells apart destinations whose first kNamePrefix bytes agree.
std::uint32_t nameHash(const std::string& s)
{
    std::uint32_t h = 2166136261u;
    for (unsigned char c : s)
        h = (h ^ c) * 16777619u;
    return h;
}

std::string hex8(std::uint32_t v)
{
    char buf[9];
    std::snprintf(buf, sizeof buf, "%08x", v);
    return buf;
}

// Start time of process `pid` in clock ticks since boot (field 22 of /proc/PID/stat); empty when
// the process does not exist or /proc is unavailable.
std::string processStartTime(long pid)
{
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line))
        return {};
    const auto close = line.rfind(')'); // the command name may hold spaces and parentheses
    if (close == std::string::npos)
        return {};
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    for (int i = 3; i <= 22 && rest >> field; ++i)
        if (i == 22)
            return field;
    return {};
}

const std::string& selfTag()
{
    static const std::string tag = std::to_string(::getpid()) + "-" + processStartTime(::getpid());
    return tag;
}

std::string tempPrefix(const std::string& name)
{
    std::string prefix(1, '.');
    prefix.append(name, 0, std::min(name.size(), kNamePrefix));
    prefix += '.';
    prefix += hex8(nameHash(name));
    prefix += '.';
    return prefix;
}

fs::path temporarySibling(const fs::path& target)
{
    static std::atomic<unsigned> counter{0};
    const std::string name = target.filename().string();
    return target.parent_path() / (tempPrefix(name) + selfTag() + "." + std::to_string(counter++) + kTempSuffix);
}

// "pid-start" of a temporary name of ours, or empty.
std::string ownerTag(const std::string& candidate, const std::string& destinationName)
{
    const std::string prefix = tempPrefix(destinationName);
    const std::size_t suffixLen = std::strlen(kTempSuffix);
    if (candidate.size() <= prefix.size() + suffixLen || candidate.compare(0, prefix.size(), prefix) != 0 ||
        candidate.compare(candidate.size() - suffixLen, suffixLen, kTempSuffix) != 0)
        return {};
    const std::string middle = candidate.substr(prefix.size(), candidate.size() - prefix.size() - suffixLen);
    const auto dot = middle.rfind('.');
    if (dot == std::string::npos || dot == 0)
        return {};
    return middle.substr(0, dot);
}

bool ownerAlive(const std::string& tag)
{
    const auto dash = tag.find('-');
    if (dash == std::string::npos)
        return false;
    char* end = nullptr;
    const long pid = std::strtol(tag.c_str(), &end, 10);
    if (end != tag.c_str() + dash || pid <= 0)
        return false;
    const std::string start = tag.substr(dash + 1);
    const std::string now = processStartTime(pid);
    if (!now.empty())
        return start.empty() || now == start; // same pid, same start: the same process
    std::error_code ec;
    if (fs::exists("/proc/self", ec))
        return false; // /proc is mounted and has no entry for the pid: gone
    // No /proc: ask the kernel (EPERM means it exists under another user).
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

std::string fileTypeName(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISFIFO(mode))
        return "a named pipe (FIFO)";
    if (S_ISSOCK(mode))
        return "a socket";
    return "not a regular file";
}

// Our own failures, already worded: passed through unchanged by writeFileAtomically.
class WriteError : public Error {
public:
    using Error::Error;
};

[[noreturn]] void fail(const fs::path& destination, const std::string& why)
{
    throw WriteError("cannot write '" + destination.string() + "': " + why);
}

[[noreturn]] void failErrno(const fs::path& destination, int err, const std::string& context = {})
{
    fail(destination, describeWriteError(err) + (context.empty() ? "" : " (" + context + ")"));
}

// True when the file system holding `folder` has no block left for an unprivileged writer.
bool fileSystemFull(const fs::path& folder)
{
    struct statvfs s {};
    return ::statvfs(folder.c_str(), &s) == 0 && s.f_bavail == 0;
}

// Removes the temporary file unless released (the rename took it).
class TempGuard {
public:
    explicit TempGuard(fs::path path) : m_path(std::move(path)) {}
    ~TempGuard()
    {
        if (!m_path.empty())
            ::unlink(m_path.c_str());
    }
    TempGuard(const TempGuard&) = delete;
    TempGuard& operator=(const TempGuard&) = delete;
    void release() { m_path.clear(); }

private:
    fs::path m_path;
};

// Closes a descriptor on scope exit (errors of close on the success path are checked explicitly).
class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return m_fd; }
    int closeNow()
    {
        const int r = ::close(m_fd);
        m_fd = -1;
        return r;
    }

private:
    int m_fd;
};

// Writes all bytes, retrying on EINTR and short writes; returns 0 or the errno.
int writeAll(int fd, const char* p, std::size_t n)
{
    if (const int injected = g_injectedErrno.load(); injected != 0 && g_injectedCount.fetch_sub(1) > 0) {
        if (n > 0)
            (void)!::write(fd, p, n / 2); // a partial file, as a real full disk leaves it
        return injected;
    }
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (w == 0)
            return ENOSPC;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return 0;
}

} // namespace

int writeAllBytes(int fd, const void* data, std::size_t size)
{
    return writeAll(fd, static_cast<const char*>(data), size);
}

std::string describeWriteError(int e)
{
    switch (e) {
    case ENOSPC:
        return "disk full";
    case EDQUOT:
        return "disk quota exceeded";
    case EACCES:
    case EPERM:
        return "permission denied";
    case EROFS:
        return "read-only file system";
    case ENAMETOOLONG:
        return "file name too long";
    case EIO:
        return "input/output error";
    case EFBIG:
        return "file too large for the file system";
    case ENOENT:
        return "folder does not exist";
    case ENOTDIR:
        return "a component of the path is not a folder";
    case EISDIR:
        return "is a directory";
    default:
        return std::strerror(e);
    }
}

void injectWriteFailureForTesting(int errorNumber, int count)
{
    g_injectedCount = count > 0 ? count : 0;
    g_injectedErrno = count > 0 ? errorNumber : 0;
}

fs::path resolveWriteTarget(const fs::path& destination)
{
    fs::path p = destination;
    for (int hops = 0; hops <= 40; ++hops) {
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) {
            if (errno == ENOENT)
                return p; // a new file (or a dangling link's target)
            failErrno(destination, errno);
        }
        if (S_ISREG(st.st_mode))
            return p;
        if (!S_ISLNK(st.st_mode)) {
            std::string why = p == destination ? "it is " : "its target '" + p.string() + "' is ";
            why += fileTypeName(st.st_mode);
            why += ", not a regular file; refusing to replace it";
            fail(destination, why);
        }
        std::error_code ec;
        const fs::path link = fs::read_symlink(p, ec);
        if (ec)
            failErrno(destination, ec.value(), "reading the symbolic link");
        p = link.is_absolute() ? link : p.parent_path() / link;
    }
    fail(destination, "too many levels of symbolic links");
}

bool isTemporaryFor(const fs::path& candidate, const fs::path& destination)
{
    return !ownerTag(candidate.filename().string(), destination.filename().string()).empty();
}

std::size_t removeStaleTemporaries(const fs::path& destination)
{
    const fs::path folder = destination.parent_path().empty() ? fs::path(".") : destination.parent_path();
    const std::string name = destination.filename().string();
    DIR* dir = ::opendir(folder.c_str());
    if (!dir)
        return 0;
    std::vector<std::string> stale;
    while (const dirent* e = ::readdir(dir)) {
        const std::string tag = ownerTag(e->d_name, name);
        if (!tag.empty() && tag != selfTag() && !ownerAlive(tag))
            stale.emplace_back(e->d_name);
    }
    ::closedir(dir);
    std::size_t removed = 0;
    for (const auto& s : stale) {
        const fs::path p = folder / s;
        struct stat st {};
        if (::lstat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::unlink(p.c_str()) == 0)
            ++removed;
    }
    return removed;
}

void writeFileAtomically(const fs::path& destination, const std::function<void(const fs::path&)>& write)
{
    if (destination.empty() || destination.filename().empty())
        fail(destination, "no file name given");
    const fs::path target = resolveWriteTarget(destination);
    const fs::path parent = target.parent_path().empty() ? fs::path(".") : target.parent_path();
    struct stat folder {};
    if (::stat(parent.c_str(), &folder) != 0 || !S_ISDIR(folder.st_mode))
        fail(destination, "folder '" + parent.string() + "' does not exist");
    struct stat old {};
    const bool replacing = ::stat(target.c_str(), &old) == 0;

    removeStaleTemporaries(target);
    const fs::path tmp = temporarySibling(target.parent_path().empty() ? fs::path(".") / target : target);
    {
        // O_EXCL: the name is ours alone; mode 0666 minus the umask, as any new file.
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
        if (fd.get() < 0)
            failErrno(destination, errno, "creating a temporary file in '" + parent.string() + "'");
    }
    TempGuard guard(tmp);
    try {
        errno = 0;
        write(tmp);
    } catch (const WriteError&) {
        throw;
    } catch (const std::exception& e) {
        const int err = errno;
        if (err == ENOSPC || err == EDQUOT || fileSystemFull(parent))
            failErrno(destination, err == EDQUOT ? EDQUOT : ENOSPC, e.what());
        throw;
    }
    Fd fd(::open(tmp.c_str(), O_RDWR | O_CLOEXEC));
    if (fd.get() < 0)
        failErrno(destination, errno, "reopening the temporary file");
    if (replacing) {
        // Keep the replaced file's permissions (and owner, when allowed: as root).
        if (::geteuid() == 0)
            (void)!::fchown(fd.get(), old.st_uid, old.st_gid);
        if (::fchmod(fd.get(), old.st_mode & 07777) != 0)
            failErrno(destination, errno, "setting the mode");
    }
    if (::fsync(fd.get()) != 0)
        failErrno(destination, errno);
    if (fd.closeNow() != 0)
        failErrno(destination, errno);
    if (::rename(tmp.c_str(), target.c_str()) != 0)
        failErrno(destination, errno, "renaming the temporary file");
    guard.release();
    // The rename is durable once the folder is synced (some file systems refuse: ignored).
    Fd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0)
        (void)::fsync(dir.get());
}

void writeBytesAtomically(const fs::path& destination, const void* data, std::size_t size)
{
    writeFileAtomically(destination, [&](const fs::path& tmp) {
        Fd fd(::open(tmp.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
        if (fd.get() < 0)
            failErrno(destination, errno);
        if (const int err = writeAll(fd.get(), static_cast<const char*>(data), size))
            failErrno(destination, err);
        if (fd.closeNow() != 0)
            failErrno(destination, errno);
    });
}

void writeTextFileAtomically(const fs::path& destination, const std::string& contents)
{
    writeBytesAtomically(destination, contents.data(), contents.size());
}

} // namespace circnn
