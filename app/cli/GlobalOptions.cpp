#include "GlobalOptions.h"

#include "ArgParser.h"
#include "common/MemoryBudget.h"
#include "io/IsolatedReader.h"

namespace circnn::cli {

GlobalOptions::GlobalOptions(std::vector<std::string>& args)
{
    std::vector<std::string> rest;
    std::optional<std::string> memory;
    bool noIsolation = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") { // everything after is positional
            rest.insert(rest.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
            break;
        }
        if (a == "--no-isolation") {
            noIsolation = true;
        } else if (a == "--memory-limit") {
            if (i + 1 >= args.size())
                throw ArgError("option --memory-limit needs a value SIZE (e.g. 4G, 512M, 50%)");
            memory = args[++i];
        } else if (a.rfind("--memory-limit=", 0) == 0) {
            memory = a.substr(15);
        } else {
            rest.push_back(a);
        }
    }
    if (memory) {
        const auto bytes = parseByteSize(*memory);
        if (!bytes)
            throw ArgError("--memory-limit expects a size such as 4G, 512M or 50%, got '" + *memory + "'");
        m_previousMemoryLimit = memoryLimitOverride();
        m_changedMemory = true;
        setMemoryLimitBytes(*bytes);
    }
    if (noIsolation) {
        m_previousIsolation = isolationEnabled();
        m_changedIsolation = true;
        setIsolationEnabled(false);
    }
    args = std::move(rest);
}

GlobalOptions::~GlobalOptions()
{
    if (m_changedMemory)
        setMemoryLimitBytes(m_previousMemoryLimit);
    if (m_changedIsolation)
        setIsolationEnabled(m_previousIsolation);
}

std::string GlobalOptions::helpText()
{
    return "Global options (every command):\n"
           "  --memory-limit SIZE       Memory budget for sizes announced by files and architectures, checked\n"
           "                            before allocating: 4G, 512M, 50% (default: CIRCNN_MEMORY_LIMIT, else\n"
           "                            half of the physical memory).\n"
           "  --no-isolation            Read HDF5 files (models, datasets) in this process instead of a\n"
           "                            time- and memory-limited child process; for trusted files only.\n";
}

} // namespace circnn::cli
