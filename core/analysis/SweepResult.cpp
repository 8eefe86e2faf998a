#include "analysis/SweepResult.h"

#include <type_traits>

#include <nlohmann/json.hpp>

#include "common/Error.h"
#include "model/JsonIntegers.h"

namespace circnn {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {
constexpr const char* kPointSchema = "circnn.sweep-point/1";

template <typename T> T field(const json& j, const char* key, const std::string& origin)
{
    if (!j.contains(key))
        throw FormatError(origin + ": missing \"" + key + "\"");
    try {
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>)
            return json_integers::get<T>(j.at(key));
        else
            return j.at(key).get<T>();
    } catch (const json::exception&) {
        throw FormatError(origin + ": \"" + key + "\" has the wrong type (" + j.at(key).dump() + ")");
    }
}
} // namespace

SweepMetric sweepMetric(const std::string& task)
{
    if (task == "reconstruct" || task == "regress")
        return {
            task,  "mse",
            false, task == "reconstruct" ? "reconstruction MSE (lower is better)" : "regression MSE (lower is better)",
            "MSE", 1};
    return {"classify", "top1", true, "top-1 accuracy (%)", "Top-1 %", 100};
}

double SweepPointResult::score() const
{
    return metric().higherIsBetter ? top1 : errors.mse;
}

double SweepPointResult::denseScore() const
{
    return metric().higherIsBetter ? denseTop1 : errors.denseMse;
}

double SweepPointResult::cost() const
{
    return metric().higherIsBetter ? -score() : score();
}

std::string SweepPointResult::blockLabel() const
{
    if (k > 0)
        return "k=" + std::to_string(k);
    std::string s;
    for (const auto& [layer, kk] : requestedBlocks)
        s += (s.empty() ? "" : ", ") + layer + "=" + std::to_string(kk);
    return s;
}

const SweepPlatformResult* SweepPointResult::platform(const std::string& name) const
{
    for (const SweepPlatformResult& p : platforms)
        if (p.platform == name)
            return &p;
    return nullptr;
}

ordered_json sweepPointToJson(const SweepPointResult& p)
{
    ordered_json j;
    j["schema"] = kPointSchema;
    j["config_hash"] = p.configHash;
    j["index"] = p.index;
    j["id"] = p.id;
    j["model"] = p.model;
    j["model_index"] = p.modelIndex;
    j["mode"] = p.mode;
    j["epochs"] = p.epochs;
    j["k"] = p.k;
    j["requested_blocks"] = ordered_json::object();
    for (const auto& [layer, k] : p.requestedBlocks)
        j["requested_blocks"][layer] = k;
    j["sensitivity_layer"] = p.sensitivityLayer;
    j["parameters"] = p.parameters;
    j["dense_parameters"] = p.denseParameters;
    j["compression"] = p.compression;
    j["eval_count"] = p.evalCount;
    j["task"] = p.task;
    j["metric"] = p.metric().key;
    j["top1"] = p.top1;
    j["top5"] = p.top5;
    j["dense_top1"] = p.denseTop1;
    j["dense_top5"] = p.denseTop5;
    j["agreement"] = p.agreement;
    if (!p.metric().higherIsBetter) {
        auto optional = [](const std::optional<double>& v) { return v ? ordered_json(*v) : ordered_json(nullptr); };
        j["errors"] = {{"mse", p.errors.mse},
                       {"mae", p.errors.mae},
                       {"dense_mse", p.errors.denseMse},
                       {"dense_mae", p.errors.denseMae},
                       {"roc_auc", optional(p.errors.rocAuc)},
                       {"dense_roc_auc", optional(p.errors.denseRocAuc)}};
    }
    j["layers"] = ordered_json::array();
    for (const SweepLayerResult& l : p.layers)
        j["layers"].push_back({{"layer", l.layer},
                               {"kind", l.kind},
                               {"k", l.blockSize},
                               {"converted", l.converted},
                               {"reason", l.reason},
                               {"parameters_before", l.parametersBefore},
                               {"parameters_after", l.parametersAfter},
                               {"compression", l.compression},
                               {"relative_residual", l.relativeResidual}});
    j["platforms"] = ordered_json::array();
    for (const SweepPlatformResult& h : p.platforms)
        j["platforms"].push_back({{"platform", h.platform},
                                  {"latency_s", h.latencyS},
                                  {"dense_latency_s", h.denseLatencyS},
                                  {"frames_per_second", h.framesPerSecond},
                                  {"dense_frames_per_second", h.denseFramesPerSecond},
                                  {"energy_pj_per_frame", h.energyPjPerFrame},
                                  {"dense_energy_pj_per_frame", h.denseEnergyPjPerFrame},
                                  {"weight_bits", h.weightBits},
                                  {"multipliers", h.multipliers},
                                  {"onchip_memory_utilisation", h.onchipMemoryUtilisation},
                                  {"compute_utilisation", h.computeUtilisation},
                                  {"weights_on_chip", h.weightsOnChip},
                                  {"bound", h.bound}});
    j["timing"] = {{"samples", p.timing.samples},
                   {"latency_ms", p.timing.latencyMs},
                   {"dense_latency_ms", p.timing.denseLatencyMs},
                   {"throughput", p.timing.throughput},
                   {"dense_throughput", p.timing.denseThroughput}};
    j["warnings"] = p.warnings;
    j["seconds"] = p.seconds;
    return j;
}

SweepPointResult sweepPointFromJson(const json& j, const std::string& origin)
{
    if (!j.is_object())
        throw FormatError(origin + ": a sweep point must be a JSON object");
    const std::string schema = field<std::string>(j, "schema", origin);
    if (schema != kPointSchema)
        throw FormatError(origin + ": schema '" + schema + "', expected '" + kPointSchema + "'");
    SweepPointResult p;
    p.configHash = field<std::string>(j, "config_hash", origin);
    p.index = field<std::size_t>(j, "index", origin);
    p.id = field<std::string>(j, "id", origin);
    p.model = field<std::string>(j, "model", origin);
    p.modelIndex = field<std::size_t>(j, "model_index", origin);
    p.mode = field<std::string>(j, "mode", origin);
    p.epochs = field<int>(j, "epochs", origin);
    p.k = field<std::int64_t>(j, "k", origin);
    p.requestedBlocks = field<std::map<std::string, std::int64_t>>(j, "requested_blocks", origin);
    p.sensitivityLayer = field<std::string>(j, "sensitivity_layer", origin);
    p.parameters = field<std::int64_t>(j, "parameters", origin);
    p.denseParameters = field<std::int64_t>(j, "dense_parameters", origin);
    p.compression = field<double>(j, "compression", origin);
    p.evalCount = field<std::int64_t>(j, "eval_count", origin);
    p.top1 = field<double>(j, "top1", origin);
    p.top5 = field<double>(j, "top5", origin);
    p.denseTop1 = field<double>(j, "dense_top1", origin);
    p.denseTop5 = field<double>(j, "dense_top5", origin);
    p.agreement = field<double>(j, "agreement", origin);
    // Results written before tasks existed have no "task": classifiers.
    p.task = j.contains("task") ? field<std::string>(j, "task", origin) : std::string("classify");
    if (p.task != "classify" && p.task != "reconstruct" && p.task != "regress")
        throw FormatError(origin + ": unknown task '" + p.task + "' (classify, reconstruct or regress)");
    if (p.task != "classify") {
        const json e = field<json>(j, "errors", origin);
        const std::string o = origin + " errors";
        p.errors.mse = field<double>(e, "mse", o);
        p.errors.mae = field<double>(e, "mae", o);
        p.errors.denseMse = field<double>(e, "dense_mse", o);
        p.errors.denseMae = field<double>(e, "dense_mae", o);
        for (auto [key, target] : {std::pair{"roc_auc", &p.errors.rocAuc}, {"dense_roc_auc", &p.errors.denseRocAuc}})
            if (e.contains(key) && !e.at(key).is_null())
                *target = field<double>(e, key, o);
    }
    for (const json& l : field<json>(j, "layers", origin)) {
        const std::string o = origin + " layer";
        SweepLayerResult r;
        r.layer = field<std::string>(l, "layer", o);
        r.kind = field<std::string>(l, "kind", o);
        r.blockSize = field<std::int64_t>(l, "k", o);
        r.converted = field<bool>(l, "converted", o);
        r.reason = field<std::string>(l, "reason", o);
        r.parametersBefore = field<std::int64_t>(l, "parameters_before", o);
        r.parametersAfter = field<std::int64_t>(l, "parameters_after", o);
        r.compression = field<double>(l, "compression", o);
        r.relativeResidual = field<double>(l, "relative_residual", o);
        p.layers.push_back(r);
    }
    for (const json& h : field<json>(j, "platforms", origin)) {
        const std::string o = origin + " platform";
        SweepPlatformResult r;
        r.platform = field<std::string>(h, "platform", o);
        r.latencyS = field<double>(h, "latency_s", o);
        r.denseLatencyS = field<double>(h, "dense_latency_s", o);
        r.framesPerSecond = field<double>(h, "frames_per_second", o);
        r.denseFramesPerSecond = field<double>(h, "dense_frames_per_second", o);
        r.energyPjPerFrame = field<double>(h, "energy_pj_per_frame", o);
        r.denseEnergyPjPerFrame = field<double>(h, "dense_energy_pj_per_frame", o);
        r.weightBits = field<double>(h, "weight_bits", o);
        r.multipliers = field<double>(h, "multipliers", o);
        r.onchipMemoryUtilisation = field<double>(h, "onchip_memory_utilisation", o);
        r.computeUtilisation = field<double>(h, "compute_utilisation", o);
        r.weightsOnChip = field<bool>(h, "weights_on_chip", o);
        r.bound = field<std::string>(h, "bound", o);
        p.platforms.push_back(r);
    }
    const json t = field<json>(j, "timing", origin);
    p.timing.samples = field<std::int64_t>(t, "samples", origin + " timing");
    p.timing.latencyMs = field<double>(t, "latency_ms", origin + " timing");
    p.timing.denseLatencyMs = field<double>(t, "dense_latency_ms", origin + " timing");
    p.timing.throughput = field<double>(t, "throughput", origin + " timing");
    p.timing.denseThroughput = field<double>(t, "dense_throughput", origin + " timing");
    p.warnings = field<std::vector<std::string>>(j, "warnings", origin);
    p.seconds = field<double>(j, "seconds", origin);
    return p;
}

std::string sweepPointComparableText(const SweepPointResult& point)
{
    json j = json::parse(sweepPointToJson(point).dump());
    j.erase("timing");
    j.erase("seconds");
    return j.dump();
}

} // namespace circnn
