#pragma once
// Options every `circnn` command accepts, wherever they appear on the command line:
//   --memory-limit SIZE   memory budget for sizes announced by files and architectures
//                         (common/MemoryBudget.h): 4G, 512M, 50% (of physical memory)
//   --no-isolation        read HDF5 files in-process instead of in a child process
//                         (io/IsolatedReader.h); for trusted files
// runCli removes them from the arguments before the command parses the rest, applies them for the
// duration of the command and restores the previous settings afterwards (tests run many commands
// in one process).

#include <cstdint>
#include <string>
#include <vector>

namespace circnn::cli {

class GlobalOptions {
public:
    // Removes the global options from `args` and applies them; throws ArgError for a bad value.
    explicit GlobalOptions(std::vector<std::string>& args);
    ~GlobalOptions();
    GlobalOptions(const GlobalOptions&) = delete;
    GlobalOptions& operator=(const GlobalOptions&) = delete;

    // The lines printed under "Global options" in every --help.
    static std::string helpText();

private:
    std::int64_t m_previousMemoryLimit = 0;
    bool m_previousIsolation = true;
    bool m_changedMemory = false, m_changedIsolation = false;
};

} // namespace circnn::cli
