#pragma once
// What a report needs to reproduce a sweep: tool version and commit, the command line, the date,
// the machine, and the data and model files with their SHA-256.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace circnn {

struct SweepFileDigest {
    std::string role; // "model", "data", "labels", "train_data", "train_labels"
    std::string path;
    std::int64_t bytes = 0;
    std::string sha256; // 64 lowercase hex digits
};

struct SweepProvenance {
    std::string tool;        // "circnn 0.1.0"
    std::string gitCommit;   // the commit the tool was built from ("" when unknown)
    std::string commandLine; // as typed (or the GUI's settings in words)
    std::string date;        // ISO 8601 UTC, when the run started
    std::string machine;     // host, CPU model, cores, OS
    std::vector<SweepFileDigest> files;
};

// SHA-256 of a file's bytes (64 lowercase hex digits); throws Error naming the file when unreadable.
std::string sha256File(const std::filesystem::path& path);
// SHA-256 of a byte string.
std::string sha256Hex(const std::string& bytes);

// "host: CPU model, N logical cores, OS release" from /proc and uname (parts missing are left out).
std::string describeMachine();

nlohmann::ordered_json provenanceToJson(const SweepProvenance& p);
SweepProvenance provenanceFromJson(const nlohmann::json& j);

} // namespace circnn
