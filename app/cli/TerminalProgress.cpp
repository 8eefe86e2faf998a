#include "TerminalProgress.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <mutex>

#include <unistd.h>

namespace circnn::cli {

ProgressFn terminalProgress(std::ostream& err, const std::string& label)
{
    if (&err != &std::cerr || !isatty(STDERR_FILENO))
        return {};
    auto mutex = std::make_shared<std::mutex>();
    return [mutex, label](std::size_t done, std::size_t total) {
        std::lock_guard lock(*mutex);
        std::fprintf(stderr, "\r%s %zu/%zu", label.c_str(), done, total);
        if (done >= total)
            std::fprintf(stderr, "\r%*s\r", static_cast<int>(label.size() + 24), "");
        std::fflush(stderr);
        return true;
    };
}

} // namespace circnn::cli
