// The JSON and CSV writers of SweepReport (declared in SweepReport.h).

#include <cstdio>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "analysis/Sensitivity.h"
#include "analysis/SweepReport.h"
#include "common/AtomicFile.h"

namespace circnn {

using nlohmann::ordered_json;

namespace {

constexpr const char* kReportSchema = "circnn.report/1";

// Full precision: a CSV number parses back to the same double as the JSON one.
std::string exact(double v)
{
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

std::string csvField(const std::string& s)
{
    if (s.find_first_of(",\"\n\r") == std::string::npos)
        return s;
    std::string q(1, '"');
    for (char c : s) {
        q += c;
        if (c == '"')
            q += '"';
    }
    q += '"';
    return q;
}

class CsvRow {
public:
    CsvRow& operator<<(const std::string& s)
    {
        if (!m_first)
            m_text += ',';
        m_text += csvField(s);
        m_first = false;
        return *this;
    }
    CsvRow& operator<<(const char* s) { return *this << std::string(s); }
    CsvRow& operator<<(double v) { return *this << exact(v); }
    CsvRow& operator<<(std::int64_t v) { return *this << std::to_string(v); }
    CsvRow& operator<<(std::size_t v) { return *this << std::to_string(v); }
    CsvRow& operator<<(int v) { return *this << std::to_string(v); }
    CsvRow& operator<<(bool v) { return *this << std::string(v ? "1" : "0"); }
    std::string line() const { return m_text + "\n"; }

private:
    std::string m_text;
    bool m_first = true;
};

} // namespace

ordered_json sweepReportToJson(const SweepReport& r)
{
    ordered_json j;
    j["schema"] = kReportSchema;
    j["title"] = r.title;
    j["generated_at"] = r.generatedAt;
    j["tool"] = r.tool;
    j["config_hash"] = r.configHash;
    j["config"] = sweepConfigToJson(r.config);
    j["expected_points"] = r.expectedPoints;
    j["models"] = ordered_json::array();
    for (const ReportModelSummary& m : r.models) {
        ordered_json mj{{"file", m.file}, {"name", m.name}, {"parameters", m.parameters}, {"macs", m.macs}};
        mj["layers"] = ordered_json::array();
        for (const ReportLayerRow& l : m.layers)
            mj["layers"].push_back({{"name", l.name},
                                    {"kind", l.kind},
                                    {"output_shape", l.outputShape},
                                    {"parameters", l.parameters},
                                    {"macs", l.macs},
                                    {"representation", l.representation}});
        j["models"].push_back(mj);
    }
    j["points"] = ordered_json::array();
    for (const SweepPointResult& p : r.points) {
        ordered_json pj = sweepPointToJson(p);
        ordered_json energy = ordered_json::object();
        for (const SweepPlatformResult& h : p.platforms)
            energy[h.platform] = r.paretoEnergy.count(h.platform) && r.paretoEnergy.at(h.platform).count(p.id);
        pj["pareto"] = {{"accuracy_vs_compression", r.paretoCompression.count(p.id) > 0},
                        {"accuracy_vs_latency", r.paretoLatency.count(p.id) > 0},
                        {"accuracy_vs_energy", energy}};
        j["points"].push_back(pj);
    }
    j["sensitivity"] = ordered_json::array();
    for (const SensitivityCurve& c : sensitivityCurves(r.points))
        j["sensitivity"].push_back({{"model_index", c.modelIndex},
                                    {"mode", c.mode},
                                    {"layer", c.layer},
                                    {"task", c.task},
                                    {"metric", sweepMetric(c.task).key},
                                    {"dense_top1", c.denseTop1},
                                    {"block_sizes", c.blockSizes},
                                    {"top1", c.top1},
                                    {"relative_residual", c.residual}});
    j["plan"] = r.plan ? autoPlanToJson(*r.plan) : ordered_json(nullptr);
    j["platforms"] = ordered_json::array();
    for (const ReportPlatform& p : r.platforms)
        j["platforms"].push_back({{"name", p.name},
                                  {"kind", p.kind},
                                  {"description", p.description},
                                  {"clock_mhz", p.clockMhz},
                                  {"multipliers", p.multipliers},
                                  {"onchip_memory_kib", p.onchipMemoryKib},
                                  {"offchip_bandwidth_gbps", p.offchipBandwidthGbps}});
    j["hardware_assumptions"] = r.hardwareAssumptions;
    ordered_json sessions = ordered_json::array();
    for (const SweepResultsHeader& h : r.sessions)
        sessions.push_back({{"shard", h.shard}, {"provenance", provenanceToJson(h.provenance)}});
    j["reproducibility"] = {{"seed", r.config.seed}, {"sessions", sessions}};
    j["warnings"] = r.warnings;
    return j;
}

std::string sweepReportCsv(const SweepReport& r)
{
    const std::vector<std::string> platforms = r.platformNames();
    CsvRow head;
    head << "point_index"
         << "point_id"
         << "model"
         << "mode"
         << "epochs"
         << "blocks"
         << "parameters"
         << "dense_parameters"
         << "compression"
         << "eval_count"
         << "top1"
         << "top5"
         << "dense_top1"
         << "dense_top5"
         << "agreement"
         << "task"
         << "mse"
         << "mae"
         << "dense_mse"
         << "dense_mae"
         << "roc_auc"
         << "latency_ms"
         << "dense_latency_ms"
         << "throughput"
         << "dense_throughput"
         << "pareto_compression"
         << "pareto_latency";
    for (const std::string& p : platforms)
        for (const char* f : {"latency_s", "frames_per_second", "energy_pj_per_frame", "dense_energy_pj_per_frame",
                              "multipliers", "onchip_memory_utilisation", "bound", "pareto_energy"})
            head << p + ":" + f;
    std::string out = head.line();
    for (const SweepPointResult& p : r.points) {
        CsvRow row;
        row << p.index << p.id << p.model << p.mode << p.epochs << p.blockLabel() << p.parameters << p.denseParameters
            << p.compression << p.evalCount << p.top1 << p.top5 << p.denseTop1 << p.denseTop5 << p.agreement << p.task;
        if (p.metric().higherIsBetter) // classifiers: no error figures
            row << ""
                << ""
                << ""
                << ""
                << "";
        else
            row << p.errors.mse << p.errors.mae << p.errors.denseMse << p.errors.denseMae
                << (p.errors.rocAuc ? exact(*p.errors.rocAuc) : std::string());
        row << p.timing.latencyMs << p.timing.denseLatencyMs << p.timing.throughput << p.timing.denseThroughput
            << (r.paretoCompression.count(p.id) > 0) << (r.paretoLatency.count(p.id) > 0);
        for (const std::string& name : platforms) {
            const SweepPlatformResult* h = p.platform(name);
            if (!h) {
                for (int i = 0; i < 8; ++i)
                    row << "";
                continue;
            }
            row << h->latencyS << h->framesPerSecond << h->energyPjPerFrame << h->denseEnergyPjPerFrame
                << h->multipliers << h->onchipMemoryUtilisation << h->bound
                << (r.paretoEnergy.count(name) && r.paretoEnergy.at(name).count(p.id) > 0);
        }
        out += row.line();
    }
    return out;
}

std::string sweepReportLayersCsv(const SweepReport& r)
{
    CsvRow head;
    head << "point_index"
         << "point_id"
         << "model"
         << "mode"
         << "blocks"
         << "layer"
         << "kind"
         << "k"
         << "converted"
         << "reason"
         << "parameters_before"
         << "parameters_after"
         << "compression"
         << "relative_residual";
    std::string out = head.line();
    for (const SweepPointResult& p : r.points)
        for (const SweepLayerResult& l : p.layers) {
            CsvRow row;
            row << p.index << p.id << p.model << p.mode << p.blockLabel() << l.layer << l.kind << l.blockSize
                << l.converted << l.reason << l.parametersBefore << l.parametersAfter << l.compression
                << l.relativeResidual;
            out += row.line();
        }
    return out;
}

void writeSweepReportJson(const SweepReport& report, const std::string& path)
{
    writeTextFileAtomically(path, sweepReportToJson(report).dump(2) + "\n");
}

std::string writeSweepReportCsv(const SweepReport& report, const std::string& path)
{
    std::filesystem::path layers = path;
    layers.replace_filename(layers.stem().string() + "-layers.csv");
    writeTextFileAtomically(path, sweepReportCsv(report));
    writeTextFileAtomically(layers, sweepReportLayersCsv(report));
    return layers.string();
}

} // namespace circnn
