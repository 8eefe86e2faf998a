#pragma once
// Files written by the tool go to a temporary file in the destination folder and are renamed
// over the destination only when complete: a crash or a full disk never leaves a half-written
// file in place of a good one.

#include <filesystem>
#include <functional>
#include <string>

namespace circnn {

// Calls write(tempPath) to produce the file, then renames tempPath over `destination`.
// If write throws, the temporary file is removed and the exception propagates unchanged.
void writeFileAtomically(const std::filesystem::path& destination,
                         const std::function<void(const std::filesystem::path& tempPath)>& write);

// Convenience: writes `contents` as bytes.
void writeTextFileAtomically(const std::filesystem::path& destination, const std::string& contents);

} // namespace circnn
