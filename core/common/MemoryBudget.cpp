#include "common/MemoryBudget.h"

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include <unistd.h>

#include "common/Error.h"

namespace circnn {

namespace {
std::atomic<std::int64_t> g_limit{0};
constexpr std::int64_t kMaxBytes = std::int64_t(1) << 62;
} // namespace

std::int64_t physicalMemoryBytes()
{
    const long pages = ::sysconf(_SC_PHYS_PAGES), size = ::sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || size <= 0)
        return 0;
    return saturatingMultiply(pages, size);
}

std::int64_t memoryLimitBytes()
{
    if (const std::int64_t set = g_limit.load(); set > 0)
        return set;
    if (const char* env = std::getenv("CIRCNN_MEMORY_LIMIT"); env && *env) {
        const auto v = parseByteSize(env);
        if (!v)
            throw Error(std::string("CIRCNN_MEMORY_LIMIT='") + env + "' is not a memory size (e.g. 4G, 512M, 50%)");
        return *v;
    }
    const std::int64_t ram = physicalMemoryBytes();
    return ram > 0 ? ram / 2 : std::int64_t(4) << 30;
}

void setMemoryLimitBytes(std::int64_t bytes)
{
    g_limit = bytes > 0 ? bytes : 0;
}

std::int64_t memoryLimitOverride()
{
    return g_limit.load();
}

void checkMemoryBudget(std::int64_t bytes, const std::string& what)
{
    const std::int64_t limit = memoryLimitBytes();
    if (bytes >= 0 && bytes <= limit)
        return;
    throw Error(what + " needs " + (bytes < 0 ? std::string("more than 4 EiB") : formatBytes(bytes)) +
                ", more than the memory limit of " + formatBytes(limit) +
                " (--memory-limit or CIRCNN_MEMORY_LIMIT; default half of the physical memory)");
}

std::optional<std::int64_t> parseByteSize(const std::string& text)
{
    std::size_t b = 0, e = text.size();
    while (b < e && std::isspace(static_cast<unsigned char>(text[b])))
        ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1])))
        --e;
    const std::string s = text.substr(b, e - b);
    if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '.'))
        return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    std::string unit(end);
    for (char& c : unit)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    double factor = 1;
    if (unit.empty() || unit == "B")
        factor = 1;
    else if (unit == "K" || unit == "KB" || unit == "KIB")
        factor = 1024.0;
    else if (unit == "M" || unit == "MB" || unit == "MIB")
        factor = 1024.0 * 1024;
    else if (unit == "G" || unit == "GB" || unit == "GIB")
        factor = 1024.0 * 1024 * 1024;
    else if (unit == "T" || unit == "TB" || unit == "TIB")
        factor = 1024.0 * 1024 * 1024 * 1024;
    else if (unit == "%") {
        if (!(v > 0 && v <= 100) || physicalMemoryBytes() <= 0)
            return std::nullopt;
        return static_cast<std::int64_t>(static_cast<double>(physicalMemoryBytes()) * v / 100.0);
    } else
        return std::nullopt;
    const double bytes = v * factor;
    if (!std::isfinite(bytes) || bytes < 1 || bytes > static_cast<double>(kMaxBytes))
        return std::nullopt;
    return static_cast<std::int64_t>(bytes);
}

std::string formatBytes(std::int64_t bytes)
{
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 6) {
        v /= 1024;
        ++u;
    }
    char buf[64];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(bytes));
    else
        std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

std::int64_t saturatingMultiply(std::int64_t a, std::int64_t b)
{
    if (a < 0 || b < 0)
        return -1;
    if (a != 0 && b > std::numeric_limits<std::int64_t>::max() / a)
        return -1;
    return a * b;
}

std::int64_t saturatingAdd(std::int64_t a, std::int64_t b)
{
    if (a < 0 || b < 0 || a > std::numeric_limits<std::int64_t>::max() - b)
        return -1;
    return a + b;
}

} // namespace circnn
