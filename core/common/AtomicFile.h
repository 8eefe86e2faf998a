#pragma once
// The one way the tool writes a file (models, datasets, plans, platforms, FFTW wisdom, reports,
// sweep results). A write either replaces the destination with the complete new content or leaves
// the previous file exactly as it was:
//   1. the destination is resolved: a symbolic link is followed to its target (the link stays a
//      link); a destination that exists but is not a regular file (device node, FIFO, socket,
//      directory) is refused before anything is created;
//   2. the content goes to a temporary file in the same folder with a short name
//      (".<first 32 bytes of the name>.<hash>.<pid>-<start>.<n>.circnn-tmp", under NAME_MAX for
//      any valid destination name);
//   3. the temporary file gets the replaced file's mode (and owner when running as root),
//      is fsync'ed, renamed over the destination, and the folder is fsync'ed;
//   4. on any failure the temporary file is removed and Error says why in words
//      ("disk full", "permission denied", "read-only file system", ...).
// Temporary files left by a killed process are recognised by their name (the process id and its
// start time are in it) and removed by the next write to the same destination.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

namespace circnn {

// Calls write(tempPath) to produce the file (the temporary file exists, empty, when write is
// called; the writer may truncate or reopen it), then syncs and renames it over `destination`.
// If write throws, the temporary file is removed and the exception propagates (an Error saying
// "disk full" instead when the folder's file system has no space left).
void writeFileAtomically(const std::filesystem::path& destination,
                         const std::function<void(const std::filesystem::path& tempPath)>& write);

// Writes `size` bytes (the file's whole content).
void writeBytesAtomically(const std::filesystem::path& destination, const void* data, std::size_t size);

// Convenience: writes `contents` as bytes.
void writeTextFileAtomically(const std::filesystem::path& destination, const std::string& contents);

// Where a write to `destination` goes: symbolic links followed to their final target (relative
// links resolved against the link's folder; a dangling link gives the path it points to).
// Throws Error when that target exists and is not a regular file, or after 40 links.
std::filesystem::path resolveWriteTarget(const std::filesystem::path& destination);

// True if `candidate` (a file name) is a temporary file of a write to `destination`.
bool isTemporaryFor(const std::filesystem::path& candidate, const std::filesystem::path& destination);

// Removes the temporary files of writes to `destination` whose process is gone; returns how many.
// Called by every write; public for tests and tools.
std::size_t removeStaleTemporaries(const std::filesystem::path& destination);

// A write error number in words: ENOSPC → "disk full", EACCES → "permission denied", ...
std::string describeWriteError(int errorNumber);

// Test hook: the next `count` writes fail as if the disk were full (errno `errorNumber`) after
// writing part of their content. count 0 switches it off.
void injectWriteFailureForTesting(int errorNumber, int count = 1);

} // namespace circnn
