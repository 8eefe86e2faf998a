#pragma once
// The data of a comparison report, as a value: built from a sweep's results (one or several
// merged files) and optionally an automatic plan. The writers turn it into JSON and CSV (here, in
// core) and into HTML and PDF (app/report, with Qt Charts). Versioned JSON schema
// "circnn.report/1" in docs/file-formats.md.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "analysis/AutoPlan.h"
#include "analysis/SweepResultsFile.h"

namespace circnn {

struct ReportLayerRow {
    std::string name, kind, outputShape;
    std::int64_t parameters = 0, macs = 0;
    std::string representation; // "dense" or "block-circulant k=8"
};

struct ReportModelSummary {
    std::string file, name;
    std::int64_t parameters = 0, macs = 0;
    std::vector<ReportLayerRow> layers;
};

// A platform's headline figures (the table next to the estimates).
struct ReportPlatform {
    std::string name, kind, description;
    double clockMhz = 0, multipliers = 0, onchipMemoryKib = 0, offchipBandwidthGbps = 0;
};

struct SweepReport {
    std::string title;
    std::string generatedAt; // ISO 8601 UTC
    std::string tool;        // writer's tool and version
    SweepConfig config;
    std::string configHash;
    std::size_t expectedPoints = 0;           // points of the whole sweep
    std::vector<SweepResultsHeader> sessions; // every run / shard that contributed
    std::vector<ReportModelSummary> models;
    std::vector<SweepPointResult> points; // sorted by index
    // Pareto fronts (by point id), per model: accuracy vs compression, vs measured latency, and
    // vs energy per frame on each platform. "Accuracy" is the points' SweepMetric: top-1 (higher is
    // better) for classifiers, the MSE (lower is better) for reconstruction / regression models.
    std::set<std::string> paretoCompression, paretoLatency;
    std::map<std::string, std::set<std::string>> paretoEnergy; // platform → ids
    std::vector<ReportPlatform> platforms;
    std::vector<std::string> hardwareAssumptions;
    std::optional<AutoPlanResult> plan;
    std::vector<std::string> warnings;

    std::vector<std::string> platformNames() const; // in the points' order
    std::vector<std::string> modes() const;         // in the config's order
    // How the points are ranked and labelled (SweepMetric of the first point's task; classify
    // without points). Every point of a model has its model's task.
    SweepMetric metric() const;
};

// Minimising both coordinates: true for the points no other point beats in one and matches or
// beats in the other (ties: all equal points are on the front). NaN points are never on it.
std::vector<bool> paretoFront(const std::vector<double>& a, const std::vector<double>& b);

// Builds the report: models read again for their summary (a missing model file is a warning),
// Pareto fronts per model, platform table and hardware assumptions from the cost model.
SweepReport buildSweepReport(const SweepResultsContents& results, const std::string& title,
                             const std::optional<AutoPlanResult>& plan = std::nullopt);

// JSON (schema "circnn.report/1") and CSV (one row per point; a second table one row per point
// and layer). Written atomically.
nlohmann::ordered_json sweepReportToJson(const SweepReport& report);
std::string sweepReportCsv(const SweepReport& report);
std::string sweepReportLayersCsv(const SweepReport& report);
void writeSweepReportJson(const SweepReport& report, const std::string& path);
// Writes `path` and, beside it, the per-layer table as <stem>-layers.csv; returns that path.
std::string writeSweepReportCsv(const SweepReport& report, const std::string& path);

// Formats shared by every writer (tables in CSV, HTML, PDF say the same).
std::string formatPercent(double fraction, int decimals = 2); // "86.40"
std::string formatNumber(double value, int significant = 4);  // "1.234e+06" style only when needed

} // namespace circnn
