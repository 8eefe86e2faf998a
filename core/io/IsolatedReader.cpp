#include "io/IsolatedReader.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "common/Environment.h"
#include "common/Error.h"
#include "common/InputFile.h"
#include "common/MemoryBudget.h"
#include "io/NativeFormat.h"
#include "io/Transfer.h"
#include "model/JsonIntegers.h"
#include "model/ShapeInference.h"

extern char** environ;

namespace circnn {

namespace fs = std::filesystem;

namespace {

// -1: not set (environment decides), 0: off, 1: on.
std::atomic<int> g_isolation{-1};

// ---- the parent side ----

class UniqueFd {
public:
    explicit UniqueFd(int fd = -1) : m_fd(fd) {}
    ~UniqueFd()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    int get() const { return m_fd; }

private:
    int m_fd;
};

// The child's result, mapped read-only.
class Mapping {
public:
    Mapping(int fd, const std::string& source)
    {
        struct stat st {};
        if (::fstat(fd, &st) != 0)
            throw Error(source + ": cannot read the isolated reader's result: " + std::strerror(errno));
        m_size = static_cast<std::size_t>(st.st_size);
        if (m_size == 0)
            return;
        // MAP_POPULATE: the pages are mapped in one go rather than faulted in one by one.
        void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (p == MAP_FAILED)
            throw Error(source + ": cannot map the isolated reader's result: " + std::strerror(errno));
        m_data = static_cast<const char*>(p);
    }
    ~Mapping()
    {
        if (m_data)
            ::munmap(const_cast<char*>(m_data), m_size);
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    const char* data() const { return m_data ? m_data : ""; }
    std::size_t size() const { return m_size; }

private:
    const char* m_data = nullptr;
    std::size_t m_size = 0;
};

std::string signalName(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV, invalid memory access";
    case SIGBUS:
        return "SIGBUS";
    case SIGABRT:
        return "SIGABRT, aborted";
    case SIGFPE:
        return "SIGFPE";
    case SIGILL:
        return "SIGILL";
    case SIGKILL:
        return "SIGKILL";
    case SIGXCPU:
        return "SIGXCPU, CPU time limit";
    default:
        return "signal " + std::to_string(sig);
    }
}

bool hasHdf5Signature(const fs::path& path)
{
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    char head[8] = {};
    return fd.get() >= 0 && ::read(fd.get(), head, 8) == 8 && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0;
}

// How often a waiting parent asks its ProgressFn whether to go on (the latency of a cancel).
constexpr std::chrono::milliseconds kCancelPoll{20};

enum class WaitResult { Exited, TimedOut, Cancelled };

// Waits for `pid` at most `seconds`: Exited (status filled), TimedOut, or Cancelled when
// `progress` (asked with (0, 0), the total unknown, every kCancelPoll) returned false. The child
// is not touched here; on TimedOut / Cancelled the caller kills and reaps it.
WaitResult waitForChild(pid_t pid, double seconds, int& status, const ProgressFn& progress)
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    const auto stopRequested = [&progress] { return progress && !progress(0, 0); };
#ifdef SYS_pidfd_open
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
        UniqueFd guard(pidfd);
        for (;;) {
            if (stopRequested())
                return WaitResult::Cancelled;
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            const auto slice = progress ? std::min(left, kCancelPoll) : left;
            pollfd p{pidfd, POLLIN, 0};
            const int r = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(0, slice.count())));
            if (r < 0 && errno == EINTR)
                continue;
            if (r == 0 && left.count() <= 0)
                return WaitResult::TimedOut;
            if (r == 0)
                continue;
            break;
        }
        while (::waitpid(pid, &status, 0) < 0)
            if (errno != EINTR)
                return WaitResult::Exited;
        return WaitResult::Exited;
    }
#endif
    // No pidfd (kernel < 5.3): poll waitpid with a growing pause.
    auto pause = std::chrono::microseconds(200);
    for (;;) {
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return WaitResult::Exited;
        if (stopRequested())
            return WaitResult::Cancelled;
        if (std::chrono::steady_clock::now() >= deadline)
            return WaitResult::TimedOut;
        std::this_thread::sleep_for(pause);
        pause = std::min<std::chrono::microseconds>(pause * 2, kCancelPoll);
    }
}

// Stops a child that is still running and reaps it (no zombie is left).
void killAndReap(pid_t pid, int& status)
{
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

// Runs circnn-reader on `path` and returns the memory file holding its transfer message.
// Throws FormatError for a crash, a hang or a limit; the message of a cleanly reported error is
// rethrown by the transfer readers. Cancelled (the child killed and reaped, its result file
// closed) when `progress` asks to stop while the child runs.
int runChild(const std::string& request, const fs::path& path, const std::string& extra,
             const ProgressFn& progress = {})
{
    const std::string source = path.string();
    requireRegularFile(path, request == "dataset" ? "dataset" : "model");
    std::error_code ec;
    const auto fileBytes = static_cast<std::int64_t>(fs::file_size(path, ec));
    const IsolationLimits limits = isolationLimitsFor(ec ? 0 : fileBytes);
    const fs::path exe = readerExecutable();

    const int memfd = static_cast<int>(::syscall(SYS_memfd_create, "circnn-reader-result", MFD_CLOEXEC));
    if (memfd < 0)
        throw Error(source + ": cannot create the isolated reader's result file: " + std::strerror(errno));

    const std::string memoryArg = std::to_string(limits.memoryBytes);
    const std::string budgetArg = std::to_string(memoryLimitBytes());
    const std::string cpuArg = std::to_string(static_cast<long>(std::ceil(limits.seconds)) + 1);
    std::vector<std::string> args{exe.string(), request, source, memoryArg, budgetArg, cpuArg};
    if (!extra.empty())
        args.push_back(extra);
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    // The child computes on one thread: no worker pools to start for a file read.
    std::vector<std::string> envStore;
    for (char** e = environ; e && *e; ++e) {
        const std::string v(*e);
        if (v.rfind("CIRCNN_THREADS=", 0) != 0 && v.rfind("OPENBLAS_NUM_THREADS=", 0) != 0 &&
            v.rfind("OMP_NUM_THREADS=", 0) != 0)
            envStore.push_back(v);
    }
    envStore.insert(envStore.end(), {"CIRCNN_THREADS=1", "OPENBLAS_NUM_THREADS=1", "OMP_NUM_THREADS=1"});
    std::vector<char*> envp;
    for (auto& e : envStore)
        envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, memfd, 3); // dup2 clears close-on-exec
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigaddset(&defaults, SIGXCPU);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    const int spawnError = ::posix_spawn(&pid, exe.c_str(), &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (spawnError != 0) {
        ::close(memfd);
        throw Error(source + ": cannot start the isolated reader '" + exe.string() + "': " + std::strerror(spawnError));
    }

    int status = 0;
    // limits.seconds is the child's CPU-time limit (RLIMIT_CPU: a busy loop in the library ends
    // in SIGXCPU after that much computing, however loaded the machine is). The wall-clock limit
    // only catches a child that blocks without computing, so it is generous: on a machine loaded
    // with other work a large legitimate file takes many times its CPU time in wall time.
    const double wallSeconds = std::max(4 * limits.seconds, limits.seconds + 15);
    const WaitResult waited = waitForChild(pid, wallSeconds, status, progress);
    if (waited == WaitResult::Cancelled) {
        killAndReap(pid, status);
        ::close(memfd);
        throw Cancelled();
    }
    if (waited == WaitResult::TimedOut) {
        killAndReap(pid, status);
        ::close(memfd);
        char secs[32];
        std::snprintf(secs, sizeof secs, "%.0f", wallSeconds);
        throw FormatError(source +
                          " is damaged: the HDF5 library stopped responding while reading it (no result "
                          "after " +
                          std::string(secs) + " s; the reader process was stopped)");
    }
    if (WIFSIGNALED(status)) {
        ::close(memfd);
        const int sig = WTERMSIG(status);
        if (sig == SIGXCPU)
            throw FormatError(source + " is damaged: the HDF5 library stopped responding while reading it "
                                       "(CPU time limit reached; the reader process was stopped)");
        if (sig == SIGKILL)
            throw FormatError(source + ": the isolated reader was killed (out of memory?) while reading it");
        throw FormatError(source + " is damaged: the HDF5 library crashed while reading it (" + signalName(sig) +
                          " in the isolated reader process; nothing was lost)");
    }
    if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 1)) {
        ::close(memfd);
        throw FormatError(source + ": the isolated reader failed (exit code " +
                          std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
    }
    return memfd;
}

// Formats found by the isolated reader, so that detectModelFormat after readModel does not
// start a second child. Keyed by path and the file's identity and modification time.
struct FormatCache {
    std::mutex mutex;
    std::map<std::string, ModelFormat> formats;
};
FormatCache& formatCache()
{
    static FormatCache* cache = new FormatCache;
    return *cache;
}

std::string cacheKey(const fs::path& path)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return {};
    return path.string() + "|" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
           std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec);
}

void rememberFormat(const fs::path& path, ModelFormat format)
{
    const std::string key = cacheKey(path);
    if (key.empty())
        return;
    std::lock_guard lock(formatCache().mutex);
    if (formatCache().formats.size() > 256)
        formatCache().formats.clear();
    formatCache().formats[key] = format;
}

} // namespace

bool isolationEnabled()
{
    const int set = g_isolation.load();
    if (set >= 0)
        return set == 1;
    try {
        return booleanFromEnvironment("CIRCNN_ISOLATION").value_or(true);
    } catch (const Error&) {
        return true; // malformed: reported by validateEnvironment(); stay safe
    }
}

void setIsolationEnabled(bool enabled)
{
    g_isolation = enabled ? 1 : 0;
}

IsolationLimits isolationLimitsFor(std::int64_t fileBytes)
{
    IsolationLimits l;
    l.seconds = 5.0 + static_cast<double>(std::max<std::int64_t>(0, fileBytes)) / 20e6;
    if (const char* t = std::getenv("CIRCNN_READER_TIMEOUT"); t && *t) {
        char* end = nullptr;
        const double v = std::strtod(t, &end);
        if (*end == '\0' && std::isfinite(v) && v > 0)
            l.seconds = v;
    }
    l.memoryBytes = saturatingAdd(memoryLimitBytes(), std::int64_t(1) << 30);
    return l;
}

fs::path readerExecutable()
{
    if (const char* env = std::getenv("CIRCNN_READER"); env && *env) {
        if (::access(env, X_OK) != 0)
            throw Error(std::string("CIRCNN_READER='") + env + "' is not an executable file");
        return env;
    }
    std::vector<fs::path> tried;
    std::error_code ec;
    const fs::path self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
        tried.push_back(self.parent_path() / "circnn-reader");
#ifdef CIRCNN_READER_BUILD_PATH
    tried.emplace_back(CIRCNN_READER_BUILD_PATH);
#endif
    for (const auto& p : tried)
        if (::access(p.c_str(), X_OK) == 0)
            return p;
    std::string where;
    for (const auto& p : tried)
        where += (where.empty() ? "" : ", ") + p.string();
    throw Error("the isolated reader 'circnn-reader' was not found (looked at " + where +
                "); install it beside the program, set CIRCNN_READER, or read trusted files with --no-isolation");
}

ModelSpec readModelIsolated(const fs::path& path, ModelFormat* format, const ProgressFn& progress)
{
    requireRegularFile(path, "model");
    // Opened before the child starts: tensors the child leaves in the file are read from this
    // descriptor, after checking it is the file the child read (io/Transfer.h).
    UniqueFd model(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (model.get() < 0)
        throw FormatError(path.string() + ": cannot open: " + std::strerror(errno));
    UniqueFd fd(runChild("model", path, {}, progress));
    Mapping result(fd.get(), path.string());
    ModelFormat f = ModelFormat::Native;
    ModelSpec spec = transfer::readModel(result.data(), result.size(), path.string(), &f, model.get());
    // The child ran inferShapes too, but its result is checked again here: the parent trusts
    // nothing that came out of a process that parsed untrusted bytes.
    try {
        inferShapes(spec);
    } catch (const ShapeError& e) {
        throw FormatError(path.string() + ": " + e.what());
    }
    rememberFormat(path, f);
    if (format)
        *format = f;
    return spec;
}

ModelSpec readModelArchitectureIsolated(const fs::path& path, ModelFormat* format, const ProgressFn& progress)
{
    UniqueFd fd(runChild("architecture", path, {}, progress));
    Mapping result(fd.get(), path.string());
    ModelFormat f = ModelFormat::Native;
    ModelSpec spec = transfer::readModel(result.data(), result.size(), path.string(), &f);
    if (spec.weightsLoaded)
        throw FormatError(path.string() + ": the isolated reader's result is malformed (weights in an "
                                          "architecture-only result)");
    // Checked here again (recorded weight shapes included), as readModelIsolated does.
    try {
        inferShapes(spec);
    } catch (const ShapeError& e) {
        throw FormatError(path.string() + ": " + e.what());
    }
    rememberFormat(path, f);
    if (format)
        *format = f;
    return spec;
}

Dataset readDatasetIsolated(const fs::path& path, const DatasetOptions& options)
{
    const nlohmann::json o{{"labels_path", options.labelsPath.string()},
                           {"images_key", options.imagesKey},
                           {"labels_key", options.labelsKey},
                           {"read_labels", options.readLabels},
                           {"targets_key", options.targetsKey},
                           {"scale", options.scale},
                           {"integer_values", integerValuesName(options.integerValues)},
                           {"lengths_key", options.lengthsKey},
                           {"mask_key", options.maskKey},
                           {"limit", options.limit}};
    UniqueFd fd(runChild("dataset", path, o.dump()));
    Mapping result(fd.get(), path.string());
    return transfer::readDataset(result.data(), result.size(), path.string());
}

ModelFormat detectModelFormatIsolated(const fs::path& path)
{
    if (const std::string key = cacheKey(path); !key.empty()) {
        std::lock_guard lock(formatCache().mutex);
        if (auto it = formatCache().formats.find(key); it != formatCache().formats.end())
            return it->second;
    }
    if (!hasHdf5Signature(path))
        return detectModelFormatInProcess(path); // not HDF5: our own signature check only
    UniqueFd fd(runChild("detect", path, {}));
    Mapping result(fd.get(), path.string());
    const ModelFormat f = transfer::readFormat(result.data(), result.size(), path.string());
    rememberFormat(path, f);
    return f;
}

// ---- the child side ----

int runReaderChild(int argc, char** argv)
{
    if (argc < 6) {
        const char usage[] = "circnn-reader: internal helper of circnn (reads one HDF5-based file in isolation)\n";
        (void)!::write(2, usage, sizeof usage - 1);
        return 2;
    }
    const std::string request = argv[1], path = argv[2];
    const auto number = [](const char* s) { return std::strtoll(s, nullptr, 10); };
    // No core dumps of damaged files; CPU time as a second guard beside the parent's clock.
    rlimit core{0, 0};
    ::setrlimit(RLIMIT_CORE, &core);
    const rlim_t cpu = static_cast<rlim_t>(std::max<long long>(1, number(argv[5])));
    rlimit cpuLimit{cpu, cpu + 1};
    ::setrlimit(RLIMIT_CPU, &cpuLimit);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#if defined(__has_feature)
#if !__has_feature(address_sanitizer) && !__has_feature(thread_sanitizer) && !__has_feature(memory_sanitizer)
#define CIRCNN_READER_LIMIT_AS 1
#endif
#else
#define CIRCNN_READER_LIMIT_AS 1
#endif
#endif
#ifdef CIRCNN_READER_LIMIT_AS
    // Address space (sanitizers reserve terabytes of shadow memory: not under them).
    const rlim_t as = static_cast<rlim_t>(std::max<long long>(std::int64_t(256) << 20, number(argv[3])));
    rlimit asLimit{as, as};
    ::setrlimit(RLIMIT_AS, &asLimit);
#endif
    setMemoryLimitBytes(number(argv[4]));
    setIsolationEnabled(false);
    const int out = 3;
    try {
        if (request == "model") {
            ModelFormat format = ModelFormat::Native;
            std::vector<native::DeferredTensor> deferred;
            const ModelSpec m = native::readModelDeferred(path, &format, deferred);
            transfer::writeModel(out, m, format, deferred, path);
        } else if (request == "architecture") {
            ModelFormat format = ModelFormat::Native;
            const ModelSpec m = readModelArchitectureInProcess(path, &format);
            transfer::writeModel(out, m, format);
        } else if (request == "detect") {
            transfer::writeFormat(out, detectModelFormatInProcess(path));
        } else if (request == "dataset") {
            if (argc < 7)
                throw Error("circnn-reader: dataset options missing");
            const auto o = nlohmann::json::parse(argv[6]);
            DatasetOptions options;
            options.labelsPath = o.at("labels_path").get<std::string>();
            options.imagesKey = o.at("images_key").get<std::string>();
            options.labelsKey = o.at("labels_key").get<std::string>();
            options.readLabels = o.at("read_labels").get<bool>();
            options.targetsKey = o.at("targets_key").get<std::string>();
            options.scale = o.at("scale").get<double>();
            options.integerValues = parseIntegerValues(o.at("integer_values").get<std::string>());
            options.lengthsKey = o.at("lengths_key").get<std::string>();
            options.maskKey = o.at("mask_key").get<std::string>();
            options.limit = json_integers::get<std::int64_t>(o.at("limit"));
            transfer::writeDataset(out, readDatasetInProcess(path, options));
        } else {
            throw Error("circnn-reader: unknown request '" + request + "'");
        }
        return 0;
    } catch (const FormatError& e) {
        transfer::writeError(out, "format", e.what());
    } catch (const ShapeError& e) {
        transfer::writeError(out, "shape", e.what());
    } catch (const Error& e) {
        transfer::writeError(out, "error", e.what());
    } catch (const std::bad_alloc&) {
        transfer::writeError(out, "format",
                             path + ": out of memory while reading (limit " + formatBytes(number(argv[3])) +
                                 "): the file announces absurd sizes, or needs --memory-limit");
    } catch (const std::exception& e) {
        transfer::writeError(out, "format", path + ": cannot read: " + e.what());
    }
    return 1;
}

} // namespace circnn
