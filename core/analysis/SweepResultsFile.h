#pragma once
// The sweep results file: JSON Lines (docs/file-formats.md). The first line is a header
// ({"schema": "circnn.sweep-results/1", "kind": "header", "config_hash", "config", "shard",
// "provenance"}); each finished point is appended at once as one line (schema
// "circnn.sweep-point/1", carrying the config hash) and flushed to the disk, so a cancelled,
// crashed or killed sweep keeps every finished point. A resumed run appends another header line
// (its own provenance, same config hash). A line cut short by a kill is recognised (no final
// newline) and dropped on resume.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "analysis/SweepConfig.h"
#include "analysis/SweepProvenance.h"
#include "analysis/SweepResult.h"
#include "common/AppendFile.h"

namespace circnn {

struct SweepResultsHeader {
    std::string configHash;
    SweepConfig config;
    std::string shard = "1/1";
    SweepProvenance provenance;
};

struct SweepResultsContents {
    std::filesystem::path path;
    std::vector<SweepResultsHeader> headers; // at least one; all with the same config hash
    std::vector<SweepPointResult> points;    // in file order
    bool partialLastLine = false;            // the file ended in a line cut short (dropped)
    std::uint64_t completeBytes = 0;         // bytes up to the last complete line
};

// Reads a results file. Throws FormatError naming the file and line for a malformed line (other
// than a cut-short last line), a missing header, lines with another config hash, or a point
// appearing twice.
SweepResultsContents readSweepResults(const std::filesystem::path& path);

// Largest results file read (about 100,000 points).
constexpr std::size_t kMaxSweepResultsBytes = std::size_t(256) << 20;

// Appends points to a results file; safe to call from several threads. Writes go through
// common/AppendFile.h: a new file is created atomically with its header line, each point is one
// record flushed to the disk, and a failed write leaves no half line.
class SweepResultsWriter {
public:
    // Creates `path` with `header` as its first line. Throws Error if the file exists and is not
    // empty (pass resume to continue it) or cannot be created.
    // With resume: `existing` is what readSweepResults returned for the file; its config hash
    // must equal header.configHash (else Error: "made by a different sweep config"), a cut-short
    // last line is removed, and `header` is appended as a new session line.
    SweepResultsWriter(const std::filesystem::path& path, const SweepResultsHeader& header,
                       const SweepResultsContents* existing = nullptr);
    ~SweepResultsWriter();
    SweepResultsWriter(const SweepResultsWriter&) = delete;
    SweepResultsWriter& operator=(const SweepResultsWriter&) = delete;

    // One line, written with one write() and flushed to the disk (fdatasync) before returning.
    void append(const SweepPointResult& point);

private:
    std::unique_ptr<AppendFile> m_file;
};

nlohmann::ordered_json sweepHeaderToJson(const SweepResultsHeader& header);

// Joins several results files of one sweep (shards or resumed runs): every file must carry the
// same config hash (else Error naming both files), no point may appear in two files (else Error
// naming the point and both files). Points come back sorted by index.
SweepResultsContents mergeSweepResults(const std::vector<SweepResultsContents>& parts);

} // namespace circnn
