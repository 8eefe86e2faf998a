#pragma once
// Append-only record files (the sweep results' JSON Lines): the one exception to "every write
// replaces the whole file" (AtomicFile.h), because a sweep must keep every finished point when it
// is killed, and rewriting the whole file per point would cost O(points²). Appends stay safe:
//   - a new file is created through writeBytesAtomically with its first record (the header), so
//     it is either complete with that record or absent; the destination is resolved as there
//     (a symbolic link is written through, a device node, FIFO, socket or directory is refused);
//   - an existing file is opened only when it is a regular file (checked on the open descriptor);
//   - each record is written with one write() call series under a lock and fdatasync'ed before
//     append() returns, so a finished record survives a crash of the process or the machine;
//   - a write that fails part-way (disk full, quota, I/O error) is undone: the file is cut back to
//     its length before the record (ftruncate), so no half record is left, and Error says why in
//     words ("disk full", ...). A record cut short by a kill -9 (no final newline) is the reader's
//     to recognise; `openForAppend(path, keepBytes)` drops it on resume.

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

namespace circnn {

class AppendFile {
public:
    // Creates (or, when empty, replaces) `destination` holding `firstRecord`, atomically, and
    // opens it for appending. Throws Error when the destination cannot be written.
    static AppendFile create(const std::filesystem::path& destination, const std::string& firstRecord);
    // Opens an existing regular file for appending. With keepBytes, the file is first cut to that
    // many bytes (a partial last record from a killed run). Throws Error naming the file.
    static AppendFile openForAppend(const std::filesystem::path& destination,
                                    std::optional<std::uint64_t> keepBytes = std::nullopt);

    AppendFile(AppendFile&& other) noexcept;
    AppendFile& operator=(AppendFile&& other) noexcept;
    AppendFile(const AppendFile&) = delete;
    AppendFile& operator=(const AppendFile&) = delete;
    ~AppendFile();

    // Appends `record` (bytes as given; add the newline yourself) and flushes it to the disk.
    // All or nothing: on failure the file keeps its previous length and Error says why.
    // Safe to call from several threads.
    void append(const std::string& record);

    const std::filesystem::path& path() const { return m_path; }

private:
    AppendFile(std::filesystem::path path, int fd);
    std::filesystem::path m_path;
    int m_fd = -1;
    std::mutex m_mutex;
};

} // namespace circnn
