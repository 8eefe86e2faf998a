#include "analysis/SweepConfig.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/Error.h"
#include "common/InputFile.h"
#include "hw/Platform.h"
#include "model/ConversionRules.h"
#include "model/LayerTraits.h"

namespace circnn {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {
constexpr const char* kConfigSchema = "circnn.sweep-config/1";

std::string joinKs(const std::map<std::string, std::int64_t>& blocks)
{
    std::string s;
    for (const auto& [layer, k] : blocks)
        s += (s.empty() ? "" : ",") + layer + "=" + std::to_string(k);
    return s;
}

// Typed field readers for sweepConfigFromJson: errors name the origin and the key.
struct Reader {
    const json& j;
    const std::string& origin;
    [[noreturn]] void fail(const std::string& key, const std::string& what) const
    {
        throw FormatError("sweep config '" + origin + "': \"" + key + "\" " + what);
    }
    std::string str(const std::string& key, const std::string& fallback) const
    {
        if (!j.contains(key))
            return fallback;
        if (!j[key].is_string())
            fail(key, "must be a string, found " + j[key].dump());
        return j[key].get<std::string>();
    }
    std::int64_t integer(const std::string& key, std::int64_t fallback) const
    {
        if (!j.contains(key))
            return fallback;
        if (!j[key].is_number_integer())
            fail(key, "must be an integer, found " + j[key].dump());
        return j[key].get<std::int64_t>();
    }
    bool boolean(const std::string& key, bool fallback) const
    {
        if (!j.contains(key))
            return fallback;
        if (!j[key].is_boolean())
            fail(key, "must be true or false, found " + j[key].dump());
        return j[key].get<bool>();
    }
    std::vector<std::string> strings(const std::string& key) const
    {
        std::vector<std::string> out;
        if (!j.contains(key))
            return out;
        if (j[key].is_string())
            return {j[key].get<std::string>()};
        if (!j[key].is_array())
            fail(key, "must be a list of strings, found " + j[key].dump());
        for (const json& v : j[key]) {
            if (!v.is_string())
                fail(key, "must be a list of strings, found " + v.dump());
            out.push_back(v.get<std::string>());
        }
        return out;
    }
    std::vector<std::int64_t> ints(const json& v, const std::string& key) const
    {
        std::vector<std::int64_t> out;
        if (!v.is_array())
            fail(key, "must be a list of integers, found " + v.dump());
        for (const json& x : v) {
            if (!x.is_number_integer())
                fail(key, "must be a list of integers, found " + x.dump());
            out.push_back(x.get<std::int64_t>());
        }
        return out;
    }
};
} // namespace

const char* accuracyModeName(AccuracyMode mode)
{
    switch (mode) {
    case AccuracyMode::Project:
        return "project";
    case AccuracyMode::DataAware:
        return "data";
    case AccuracyMode::Finetune:
        return "finetune";
    case AccuracyMode::Scratch:
        return "scratch";
    }
    return "?";
}

AccuracyMode parseAccuracyMode(const std::string& text)
{
    for (AccuracyMode m :
         {AccuracyMode::Project, AccuracyMode::DataAware, AccuracyMode::Finetune, AccuracyMode::Scratch})
        if (text == accuracyModeName(m))
            return m;
    throw Error("unknown accuracy mode '" + text + "' (expected project, data, finetune or scratch)");
}

bool modeNeedsTrainingData(AccuracyMode mode)
{
    return mode != AccuracyMode::Project;
}

void validateSweepConfig(const SweepConfig& c)
{
    auto fail = [](const std::string& what) { throw Error("sweep config: " + what); };
    if (c.models.empty())
        fail("no model given");
    if (c.data.empty())
        fail("no evaluation data given (\"data\" / --data)");
    if (c.modes.empty())
        fail("no accuracy mode given");
    const bool grid = !c.layerGrid.empty();
    if (grid && c.kind == SweepKind::Sensitivity)
        fail("a sensitivity sweep takes a global block-size list, not a per-layer grid");
    if (!grid && c.blockSizes.empty())
        fail("no block sizes given (\"block_sizes\" / -k)");
    for (std::int64_t k : c.blockSizes)
        if (k < 1)
            fail("block size " + std::to_string(k) + " is below 1");
    for (const auto& [layer, ks] : c.layerGrid) {
        if (ks.empty())
            fail("layer_grid entry '" + layer + "' has no block sizes");
        for (std::int64_t k : ks)
            if (k < 1)
                fail("layer_grid entry '" + layer + "': block size " + std::to_string(k) + " is below 1");
    }
    std::set<std::int64_t> seen(c.blockSizes.begin(), c.blockSizes.end());
    if (seen.size() != c.blockSizes.size())
        fail("block sizes repeat");
    std::set<AccuracyMode> modes(c.modes.begin(), c.modes.end());
    if (modes.size() != c.modes.size())
        fail("accuracy modes repeat");
    for (AccuracyMode m : c.modes)
        if (modeNeedsTrainingData(m) && c.trainData.empty())
            fail(std::string("mode '") + accuracyModeName(m) + "' needs training data (\"train_data\" / --train-data)");
    if (c.epochs < 1)
        fail("epochs must be at least 1, got " + std::to_string(c.epochs));
    if (c.evalLimit < 0 || c.trainLimit < 0)
        fail("limits must be >= 0");
    if (c.calibration < 1)
        fail("calibration must be at least 1, got " + std::to_string(c.calibration));
    if (c.batch < 1)
        fail("batch must be at least 1, got " + std::to_string(c.batch));
    if (c.timingSamples < 0)
        fail("timing_samples must be >= 0");
    if (c.task == Task::Regress && c.targetsKey.empty())
        fail("task 'regress' needs \"targets_key\" (the HDF5 dataset / npz member holding the targets)");
    hw::parsePrecision(c.precision);
}

ordered_json sweepConfigToJson(const SweepConfig& c)
{
    ordered_json j;
    j["schema"] = kConfigSchema;
    j["kind"] = c.kind == SweepKind::Sensitivity ? "sensitivity" : "grid";
    j["models"] = c.models;
    j["block_sizes"] = c.blockSizes;
    j["layer_grid"] = ordered_json::object();
    for (const auto& [layer, ks] : c.layerGrid)
        j["layer_grid"][layer] = ks;
    j["layers"] = c.layers;
    j["convert_output_layer"] = c.convertOutputLayer;
    j["reorder"] = c.reorderUnits;
    j["modes"] = ordered_json::array();
    for (AccuracyMode m : c.modes)
        j["modes"].push_back(accuracyModeName(m));
    j["epochs"] = c.epochs;
    j["data"] = c.data;
    j["labels"] = c.labels;
    j["train_data"] = c.trainData;
    j["train_labels"] = c.trainLabels;
    j["eval_limit"] = c.evalLimit;
    j["train_limit"] = c.trainLimit;
    j["calibration"] = c.calibration;
    j["platforms"] = c.platforms;
    j["precision"] = c.precision;
    j["batch"] = c.batch;
    j["seed"] = c.seed;
    j["timing_samples"] = c.timingSamples;
    if (c.task != Task::Auto)
        j["task"] = taskName(c.task);
    if (c.anomalyLabels)
        j["anomaly_labels"] = true;
    if (!c.targetsKey.empty())
        j["targets_key"] = c.targetsKey;
    return j;
}

SweepConfig sweepConfigFromJson(const json& j, const std::string& origin)
{
    if (!j.is_object())
        throw FormatError("sweep config '" + origin + "' must be a JSON object");
    static const std::set<std::string> known{"schema",
                                             "kind",
                                             "models",
                                             "block_sizes",
                                             "layer_grid",
                                             "layers",
                                             "convert_output_layer",
                                             "reorder",
                                             "modes",
                                             "epochs",
                                             "data",
                                             "labels",
                                             "train_data",
                                             "train_labels",
                                             "eval_limit",
                                             "train_limit",
                                             "calibration",
                                             "platforms",
                                             "precision",
                                             "batch",
                                             "seed",
                                             "timing_samples",
                                             "task",
                                             "anomaly_labels",
                                             "targets_key"};
    for (const auto& [key, value] : j.items())
        if (!known.count(key))
            throw FormatError("sweep config '" + origin + "': unknown key \"" + key + "\"");
    const Reader r{j, origin};
    const std::string schema = r.str("schema", kConfigSchema);
    if (schema != kConfigSchema)
        r.fail("schema", "is '" + schema + "', this tool reads '" + kConfigSchema + "'");
    SweepConfig c;
    const std::string kind = r.str("kind", "grid");
    if (kind != "grid" && kind != "sensitivity")
        r.fail("kind", "must be \"grid\" or \"sensitivity\", found \"" + kind + "\"");
    c.kind = kind == "sensitivity" ? SweepKind::Sensitivity : SweepKind::Grid;
    c.models = r.strings("models");
    if (j.contains("block_sizes"))
        c.blockSizes = r.ints(j["block_sizes"], "block_sizes");
    if (j.contains("layer_grid")) {
        if (!j["layer_grid"].is_object())
            r.fail("layer_grid", "must be an object mapping layer names to lists of block sizes");
        for (const auto& [layer, ks] : j["layer_grid"].items())
            c.layerGrid[layer] = r.ints(ks, "layer_grid." + layer);
    }
    c.layers = r.strings("layers");
    c.convertOutputLayer = r.boolean("convert_output_layer", c.convertOutputLayer);
    c.reorderUnits = r.boolean("reorder", c.reorderUnits);
    if (j.contains("modes")) {
        c.modes.clear();
        for (const std::string& m : r.strings("modes")) {
            try {
                c.modes.push_back(parseAccuracyMode(m));
            } catch (const Error& e) {
                r.fail("modes", e.what());
            }
        }
    }
    c.epochs = static_cast<int>(r.integer("epochs", c.epochs));
    c.data = r.str("data", "");
    c.labels = r.str("labels", "");
    c.trainData = r.str("train_data", "");
    c.trainLabels = r.str("train_labels", "");
    c.evalLimit = r.integer("eval_limit", c.evalLimit);
    c.trainLimit = r.integer("train_limit", c.trainLimit);
    c.calibration = r.integer("calibration", c.calibration);
    c.platforms = r.strings("platforms");
    c.precision = r.str("precision", c.precision);
    c.batch = r.integer("batch", c.batch);
    const std::int64_t seed = r.integer("seed", c.seed);
    if (seed < 0 || seed > 0xffffffffLL)
        r.fail("seed", "must be in [0, 4294967295]");
    c.seed = static_cast<std::uint32_t>(seed);
    c.timingSamples = r.integer("timing_samples", c.timingSamples);
    try {
        c.task = parseTask(r.str("task", taskName(c.task)));
    } catch (const Error& e) {
        r.fail("task", e.what());
    }
    c.anomalyLabels = r.boolean("anomaly_labels", c.anomalyLabels);
    c.targetsKey = r.str("targets_key", c.targetsKey);
    return c;
}

SweepConfig readSweepConfig(const std::string& path)
{
    const std::string text = readTextInput(path, "sweep config");
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) { // syntax, or a number out of range
        throw FormatError("sweep config '" + path + "' is not valid JSON (" + e.what() + ")");
    }
    return sweepConfigFromJson(j, path);
}

std::string sweepConfigHash(const SweepConfig& config)
{
    // json (not ordered_json) sorts object keys, so the text is canonical.
    const std::string text = json::parse(sweepConfigToJson(config).dump()).dump();
    std::uint64_t h = 1469598103934665603ULL;
    for (unsigned char ch : text) {
        h ^= ch;
        h *= 1099511628211ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::vector<std::string> sweepLayers(const SweepConfig& config, const ModelSpec& model)
{
    std::vector<std::string> out;
    if (!config.layers.empty()) {
        for (const std::string& name : config.layers) {
            const LayerSpec* l = model.find(name);
            if (!l)
                throw Error("sweep: model '" + model.name + "' has no layer '" + name + "'");
            if (!layerTraits(l->kind).convertible)
                throw Error("sweep: layer '" + name + "' of model '" + model.name + "' is " + l->className + ", not " +
                            convertibleLayerClasses());
            out.push_back(name);
        }
        return out;
    }
    const std::string outputLayer = outputWeightLayer(model);
    for (const LayerSpec& l : model.layers)
        if (layerTraits(l.kind).convertible && (config.convertOutputLayer || l.name != outputLayer))
            out.push_back(l.name);
    return out;
}

std::vector<SweepPointSpec> enumerateSweepPoints(const SweepConfig& config, const std::vector<ModelSpec>& models)
{
    if (config.kind == SweepKind::Sensitivity && models.size() != config.models.size())
        throw Error("sweep: the sensitivity points need the models read");
    // Assignments of one model (shared by its modes).
    struct Assignment {
        std::int64_t k = 0;
        std::map<std::string, std::int64_t> blocks;
        std::string layer;
    };
    std::vector<SweepPointSpec> points;
    for (std::size_t m = 0; m < config.models.size(); ++m) {
        std::vector<Assignment> assignments;
        if (config.kind == SweepKind::Sensitivity) {
            for (const std::string& layer : sweepLayers(config, models[m]))
                for (std::int64_t k : config.blockSizes)
                    assignments.push_back({0, {{layer, k}}, layer});
        } else if (config.layerGrid.empty()) {
            for (std::int64_t k : config.blockSizes)
                assignments.push_back({k, {}, {}});
        } else {
            std::vector<std::pair<std::string, std::vector<std::int64_t>>> grid(config.layerGrid.begin(),
                                                                                config.layerGrid.end());
            std::vector<std::size_t> at(grid.size(), 0);
            for (;;) {
                Assignment a;
                for (std::size_t i = 0; i < grid.size(); ++i)
                    a.blocks[grid[i].first] = grid[i].second[at[i]];
                assignments.push_back(a);
                std::size_t i = grid.size();
                while (i > 0 && ++at[i - 1] == grid[i - 1].second.size())
                    at[--i] = 0;
                if (i == 0)
                    break;
            }
        }
        for (AccuracyMode mode : config.modes)
            for (const Assignment& a : assignments) {
                SweepPointSpec p;
                p.index = points.size();
                p.modelIndex = m;
                p.mode = mode;
                p.k = a.k;
                p.layerBlocks = a.blocks;
                p.sensitivityLayer = a.layer;
                p.id = std::string("m").append(std::to_string(m)).append("/").append(accuracyModeName(mode));
                p.id.append("/").append(a.k > 0 ? std::string("k=").append(std::to_string(a.k)) : joinKs(a.blocks));
                points.push_back(std::move(p));
            }
    }
    return points;
}

ConversionRequest sweepConversionRequest(const SweepConfig& config, const SweepPointSpec& point)
{
    ConversionRequest r;
    r.convertOutputLayer = config.convertOutputLayer;
    r.reorderUnits = config.reorderUnits;
    r.reorderSeed = config.seed;
    if (point.k > 0) {
        if (config.layers.empty())
            r.defaultBlockSize = point.k;
        else
            for (const std::string& layer : config.layers)
                r.perLayer[layer] = point.k;
    } else {
        r.perLayer = point.layerBlocks;
    }
    return r;
}

SweepShard parseSweepShard(const std::string& text)
{
    SweepShard s;
    char slash = 0;
    std::istringstream in(text);
    if (!(in >> s.index >> slash >> s.count) || slash != '/' || !in.eof() || s.count < 1 || s.index < 1 ||
        s.index > s.count)
        throw Error("--shard must be I/N with 1 <= I <= N (e.g. 2/3), got '" + text + "'");
    return s;
}

} // namespace circnn
