#pragma once
// The built-in platform presets and how a platform named on the command line is found.
//
// Choice (see docs/hardware-model.md, "Platforms"): the presets are compiled into core/hw as a
// table of JSON texts, so the tool works wherever the binary is copied; the same presets are kept
// as files in resources/platforms/ for users to read, copy and edit, and a test asserts that every
// file equals its built-in preset (they cannot drift). User platforms are JSON files: given by path,
// or by name from the folder in the CIRCNN_PLATFORM_DIR environment variable.

#include <filesystem>
#include <string>
#include <vector>

#include "hw/Platform.h"

namespace circnn::hw {

// The built-in presets, in a fixed order (parsed and validated once).
const std::vector<Platform>& builtinPlatforms();

// Finds a platform:
// 1. `nameOrPath` names an existing file, or ends in ".json": loadPlatform(path);
// 2. CIRCNN_PLATFORM_DIR is set and holds <name>.json: that file (a user's edited copy wins);
// 3. a built-in preset of that name.
// Throws Error listing the available names otherwise.
Platform findPlatform(const std::string& nameOrPath);

// Folder of user platforms from CIRCNN_PLATFORM_DIR (empty path when unset).
std::filesystem::path userPlatformDir();

struct PlatformListing {
    std::string name;
    std::string origin; // "built-in" or the file path
    std::string description;
};
// The built-in presets followed by every *.json in CIRCNN_PLATFORM_DIR (unreadable files are
// listed with the error as their description, so a user sees why one is broken).
std::vector<PlatformListing> listPlatforms();

} // namespace circnn::hw
