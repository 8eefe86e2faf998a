#include "common/Environment.h"

#include <cctype>
#include <cstdlib>

#include "common/Error.h"
#include "common/MemoryBudget.h"

namespace circnn {

namespace {
std::string trimmed(const char* s)
{
    std::string t(s);
    while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back())))
        t.pop_back();
    std::size_t b = 0;
    while (b < t.size() && std::isspace(static_cast<unsigned char>(t[b])))
        ++b;
    return t.substr(b);
}
} // namespace

std::optional<std::int64_t> threadsFromEnvironment()
{
    const char* env = std::getenv("CIRCNN_THREADS");
    if (!env || !*env)
        return std::nullopt;
    const std::string t = trimmed(env);
    char* end = nullptr;
    const long long v = t.empty() ? 0 : std::strtoll(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || v < 1 || v > 4096)
        throw Error(std::string("CIRCNN_THREADS='") + env + "' is not a number of threads (an integer from 1 to 4096)");
    return v;
}

std::optional<bool> booleanFromEnvironment(const char* name)
{
    const char* env = std::getenv(name);
    if (!env || !*env)
        return std::nullopt;
    std::string t = trimmed(env);
    for (char& c : t)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (t == "1" || t == "on" || t == "yes" || t == "true")
        return true;
    if (t == "0" || t == "off" || t == "no" || t == "false")
        return false;
    throw Error(std::string(name) + "='" + env + "' is not a boolean (1/0, on/off, yes/no, true/false)");
}

void validateEnvironment()
{
    (void)threadsFromEnvironment();
    (void)memoryLimitBytes();
    (void)booleanFromEnvironment("CIRCNN_ISOLATION");
}

} // namespace circnn
