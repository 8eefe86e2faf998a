#pragma once
// Shared by the libFuzzer harnesses (tests/fuzz, built with -DCIRCNN_FUZZ=ON and clang).
// Contract checked by every harness: a parser given any bytes either returns a value or throws
// circnn::Error; anything else (a crash, a sanitizer report, another exception type escaping,
// a hang) is a bug the fuzzer reports.

#include <cstddef>
#include <cstdint>
#include <string>

#include <sys/mman.h>
#include <unistd.h>

namespace circnn::fuzz {

// The input as a regular file without touching the disk: a memfd, reachable by path through
// /proc/self/fd/N (stat() sees a regular file, as the readers require).
class MemoryFile {
public:
    MemoryFile(const std::uint8_t* data, std::size_t size)
    {
        m_fd = ::memfd_create("circnn-fuzz", MFD_CLOEXEC);
        std::size_t done = 0;
        while (m_fd >= 0 && done < size) {
            const ssize_t w = ::write(m_fd, data + done, size - done);
            if (w <= 0)
                break;
            done += static_cast<std::size_t>(w);
        }
        m_path = "/proc/self/fd/" + std::to_string(m_fd);
    }
    ~MemoryFile()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;
    const std::string& path() const { return m_path; }

private:
    int m_fd = -1;
    std::string m_path;
};

inline std::string text(const std::uint8_t* data, std::size_t size)
{
    return std::string(reinterpret_cast<const char*>(data), size);
}

} // namespace circnn::fuzz
