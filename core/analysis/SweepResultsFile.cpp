#include "analysis/SweepResultsFile.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "common/Error.h"
#include "common/InputFile.h"

namespace circnn {

using nlohmann::json;

namespace {
constexpr const char* kResultsSchema = "circnn.sweep-results/1";
} // namespace

nlohmann::ordered_json sweepHeaderToJson(const SweepResultsHeader& h)
{
    nlohmann::ordered_json j;
    j["schema"] = kResultsSchema;
    j["kind"] = "header";
    j["config_hash"] = h.configHash;
    j["shard"] = h.shard;
    j["config"] = sweepConfigToJson(h.config);
    j["provenance"] = provenanceToJson(h.provenance);
    return j;
}

namespace {

// One non-empty line of a results file, parsed: a header or a point, appended to `c`.
void addResultsLine(SweepResultsContents& c, const json& j, const std::string& where, std::size_t lineNo,
                    std::map<std::size_t, std::size_t>& lineOfIndex)
{
    if (!j.is_object() || !j.contains("schema") || !j["schema"].is_string())
        throw FormatError("sweep results " + where + " has no \"schema\" (not a circnn sweep results file?)");
    const std::string schema = j["schema"].get<std::string>();
    if (schema == kResultsSchema) {
        SweepResultsHeader h;
        h.configHash = j.value("config_hash", "");
        h.shard = j.value("shard", "1/1");
        if (!j.contains("config"))
            throw FormatError("sweep results " + where + ": header without \"config\"");
        h.config = sweepConfigFromJson(j["config"], where);
        if (h.configHash != sweepConfigHash(h.config))
            throw FormatError("sweep results " + where + ": config_hash " + h.configHash +
                              " does not match its config (" + sweepConfigHash(h.config) + "): edited by hand?");
        h.provenance = provenanceFromJson(j.value("provenance", json::object()));
        if (!c.headers.empty() && h.configHash != c.headers.front().configHash)
            throw FormatError("sweep results " + where + ": a second header with another config hash (" + h.configHash +
                              " vs " + c.headers.front().configHash + ")");
        c.headers.push_back(std::move(h));
        return;
    }
    if (c.headers.empty())
        throw FormatError("sweep results " + where + ": a point before the header line");
    SweepPointResult p = sweepPointFromJson(j, "sweep results " + where);
    if (p.configHash != c.headers.front().configHash)
        throw FormatError("sweep results " + where + ": point '" + p.id + "' has config hash " + p.configHash +
                          ", the file's header " + c.headers.front().configHash);
    if (auto it = lineOfIndex.find(p.index); it != lineOfIndex.end())
        throw FormatError("sweep results " + where + ": point '" + p.id + "' already on line " +
                          std::to_string(it->second));
    lineOfIndex[p.index] = lineNo;
    c.points.push_back(std::move(p));
}

} // namespace

SweepResultsContents readSweepResults(const std::filesystem::path& path)
{
    const std::string text = readTextInput(path, "sweep results", kMaxSweepResultsBytes);
    SweepResultsContents c;
    c.path = path;
    const std::size_t lastNewline = text.rfind('\n');
    c.completeBytes = lastNewline == std::string::npos ? 0 : lastNewline + 1;
    c.partialLastLine = c.completeBytes < text.size();
    std::map<std::size_t, std::size_t> lineOfIndex;
    std::size_t pos = 0, lineNo = 0;
    while (pos < c.completeBytes) {
        const std::size_t end = text.find('\n', pos);
        const std::string line = text.substr(pos, end - pos);
        pos = end + 1;
        ++lineNo;
        std::string where = "'";
        where.append(path.string()).append("' line ").append(std::to_string(lineNo));
        if (line.empty())
            continue;
        json j;
        try {
            j = json::parse(line);
        } catch (const json::exception& e) { // syntax, or a number out of range
            throw FormatError("sweep results " + where + " is not valid JSON (" + e.what() + ")");
        }
        try {
            addResultsLine(c, j, where, lineNo, lineOfIndex);
        } catch (const json::exception& e) { // a value of the wrong type, e.g. a number for a string
            throw FormatError("sweep results " + where + ": " + e.what());
        }
    }
    if (c.headers.empty())
        throw FormatError("sweep results '" + path.string() + "' has no header line (empty or not a results file)");
    return c;
}

SweepResultsWriter::SweepResultsWriter(const std::filesystem::path& path, const SweepResultsHeader& header,
                                       const SweepResultsContents* existing)
{
    const std::string headerLine = sweepHeaderToJson(header).dump() + "\n";
    if (existing) {
        const std::string theirs = existing->headers.front().configHash;
        if (theirs != header.configHash)
            throw Error("cannot resume '" + path.string() + "': it was made by a different sweep config (hash " +
                        theirs + ", this config " + header.configHash + "); use another --results file");
        // A line cut short by a kill is dropped before the new session's header.
        m_file = std::make_unique<AppendFile>(AppendFile::openForAppend(
            path, existing->partialLastLine ? std::optional<std::uint64_t>(existing->completeBytes) : std::nullopt));
        m_file->append(headerLine);
    } else {
        std::error_code ec;
        if (std::filesystem::exists(path, ec) && std::filesystem::file_size(path, ec) > 0)
            throw Error("sweep results '" + path.string() +
                        "' already exists: pass --resume to continue it, or choose another file");
        m_file = std::make_unique<AppendFile>(AppendFile::create(path, headerLine));
    }
}

SweepResultsWriter::~SweepResultsWriter() = default;

void SweepResultsWriter::append(const SweepPointResult& point)
{
    m_file->append(sweepPointToJson(point).dump() + "\n");
}

SweepResultsContents mergeSweepResults(const std::vector<SweepResultsContents>& parts)
{
    if (parts.empty())
        throw Error("merge: no results files given");
    SweepResultsContents merged;
    merged.path = parts.front().path;
    std::map<std::size_t, std::string> fileOfIndex;
    for (const SweepResultsContents& part : parts) {
        const std::string& hash = part.headers.front().configHash;
        if (hash != parts.front().headers.front().configHash)
            throw Error("merge: '" + part.path.string() + "' comes from a different sweep config (hash " + hash +
                        ") than '" + parts.front().path.string() + "' (hash " +
                        parts.front().headers.front().configHash + ")");
        for (const SweepResultsHeader& h : part.headers)
            merged.headers.push_back(h);
        for (const SweepPointResult& p : part.points) {
            if (auto it = fileOfIndex.find(p.index); it != fileOfIndex.end())
                throw Error("merge: point '" + p.id + "' is in both '" + it->second + "' and '" + part.path.string() +
                            "' (overlapping shards?)");
            fileOfIndex[p.index] = part.path.string();
            merged.points.push_back(p);
        }
    }
    std::sort(merged.points.begin(), merged.points.end(),
              [](const SweepPointResult& a, const SweepPointResult& b) { return a.index < b.index; });
    return merged;
}

} // namespace circnn
