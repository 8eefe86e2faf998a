#include "io/KerasReader.h"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "common/Error.h"
#include "io/Hdf5.h"
#include "io/KerasBidirectional.h"
#include "io/KerasConfig.h"
#include "io/KerasLayerCodecs.h"
#include "io/KerasNestedModels.h"
#include "io/ZipArchive.h"

namespace circnn::keras {

using nlohmann::json;

namespace {

json parseJson(const std::string& text, const std::string& file, const std::string& what)
{
    try {
        return json::parse(text);
    } catch (const json::exception& e) {
        throw FormatError(file + ": " + what + " is not valid JSON (" + e.what() + ")");
    }
}

// "sequential/dense/kernel:0" → "kernel"; with `components` 2 (MultiHeadAttention's projections)
// "mha/query/kernel:0" → "query/kernel".
std::string weightRole(const std::string& weightName, int components = 1)
{
    std::size_t cut = weightName.find_last_of('/');
    if (components == 2 && cut != std::string::npos && cut > 0)
        cut = weightName.find_last_of('/', cut - 1);
    std::string last = weightName.substr(cut == std::string::npos ? 0 : cut + 1);
    const auto colon = last.find(':');
    if (colon != std::string::npos)
        last.resize(colon);
    return last;
}

// Layer entries of a (model or nested model) config in the order Keras lists them (the order it
// numbers weight groups in).
std::vector<std::pair<std::string, std::string>> configLayerOrder(const json& config)
{
    std::vector<std::pair<std::string, std::string>> order;
    const json& body = config["config"];
    const json& layers = body.is_array() ? body : body["layers"];
    for (const auto& e : layers)
        order.emplace_back(stringOr(e["config"], "name"), stringOr(e, "class_name"));
    return order;
}

// An inner message without its leading "file: " (the outer message names the file already).
std::string withoutPrefix(const std::string& message, const std::string& file)
{
    const std::string prefix = file + ": ";
    return message.rfind(prefix, 0) == 0 ? message.substr(prefix.size()) : message;
}

// MultiHeadAttention keeps its variables in its four EinsumDense layers:
// <group>/_query_dense/vars/0 (kernel), /1 (bias), then _key_dense, _value_dense, _output_dense.
void readAttentionVars(const h5::File& f, const std::string& path, const std::string& weightsName,
                       const std::string& group, LayerSpec& l, int kerasMajor)
{
    const auto roles = expectedWeightRoles(l, kerasMajor);
    const std::size_t perDense = l.useBias ? 2 : 1;
    std::vector<std::pair<std::string, Tensor>> tensors;
    const char* denses[] = {"_query_dense", "_key_dense", "_value_dense", "_output_dense"};
    for (std::size_t d = 0; d < 4; ++d) {
        const std::string varsPath = group + "/" + denses[d] + "/vars";
        if (!h5::linkExists(f.id(), varsPath))
            throw FormatError(layerContext(path, l) + "weights are missing (no group /" + varsPath +
                              " in model.weights.h5)");
        h5::Handle vars = h5::openGroup(f, f.id(), varsPath);
        const auto children = h5::childNames(f, vars.id(), varsPath);
        if (children.size() != perDense)
            throw FormatError(layerContext(path, l) + "/" + varsPath + " holds " + std::to_string(children.size()) +
                              " variables, expected " + std::to_string(perDense) +
                              (l.useBias ? " (kernel, bias)" : " (kernel)"));
        for (std::size_t i = 0; i < perDense; ++i) {
            const std::string varPath = varsPath + "/" + std::to_string(i);
            try {
                tensors.emplace_back(roles[d * perDense + i], h5::readFloatDataset(f, f.id(), varPath));
            } catch (const FormatError& e) {
                throw FormatError(layerContext(path, l) + "variable /" + varPath + ": " +
                                  withoutPrefix(e.what(), weightsName));
            }
        }
    }
    assignWeights(l, std::move(tensors), path, kerasMajor);
}

// Reads one layer's positional variables from <group>/vars of a .keras weights file.
void readZipLayerVars(const h5::File& f, const std::string& path, const std::string& weightsName,
                      const std::string& group, LayerSpec& l, int kerasMajor)
{
    const auto roles = expectedWeightRoles(l, kerasMajor);
    if (l.kind == LayerKind::MultiHeadAttention) {
        readAttentionVars(f, path, weightsName, group, l, kerasMajor);
        return;
    }
    std::string varsPath = group + "/vars";
    // Recurrent layers keep their variables in their cell, wrappers in the wrapped layer (the
    // layer's own vars group is then empty).
    for (const char* nested : {"cell", "layer"}) {
        const std::string inner = group + "/" + nested + "/vars";
        if (!roles.empty() && h5::linkExists(f.id(), inner) &&
            (!h5::linkExists(f.id(), varsPath) ||
             h5::childNames(f, h5::openGroup(f, f.id(), varsPath).id(), varsPath).empty()))
            varsPath = inner;
    }
    std::vector<std::pair<std::string, Tensor>> tensors;
    if (!h5::linkExists(f.id(), varsPath)) {
        if (roles.empty())
            return;
        throw FormatError(layerContext(path, l) + "weights are missing (no group /" + varsPath +
                          " in model.weights.h5)");
    }
    h5::Handle vars = h5::openGroup(f, f.id(), varsPath);
    const auto children = h5::childNames(f, vars.id(), varsPath);
    if (children.size() != roles.size()) {
        std::string list;
        for (const auto& r : roles)
            list += (list.empty() ? "" : ", ") + r;
        throw FormatError(layerContext(path, l) + "/" + varsPath + " holds " + std::to_string(children.size()) +
                          " variables, expected " + std::to_string(roles.size()) +
                          (list.empty() ? "" : " (" + list + ")"));
    }
    for (std::size_t i = 0; i < roles.size(); ++i) {
        const std::string varPath = varsPath + "/" + std::to_string(i);
        try {
            tensors.emplace_back(roles[i], h5::readFloatDataset(f, f.id(), varPath));
        } catch (const FormatError& e) {
            throw FormatError(layerContext(path, l) + "variable /" + varPath + ": " +
                              withoutPrefix(e.what(), weightsName));
        }
    }
    if (!roles.empty())
        assignWeights(l, std::move(tensors), path, kerasMajor);
}

// Names whose meaning changed between Keras 2 and 3: hard_sigmoid was clip(0.2·x + 0.5, 0, 1)
// in Keras 2 and is relu6(x + 3) / 6 in Keras 3. parseModelConfig maps names to the Keras 3
// meaning; files that say Keras 2.x get the Keras 2 one.
void applyKerasVersionSemantics(ModelSpec& m)
{
    if (m.provenance.kerasVersion.rfind("2.", 0) != 0)
        return;
    for (LayerSpec& l : m.layers) {
        if (l.activation == ActivationKind::HardSigmoid)
            l.activation = ActivationKind::HardSigmoidKeras2;
        if (l.recurrentActivation == ActivationKind::HardSigmoid)
            l.recurrentActivation = ActivationKind::HardSigmoidKeras2;
    }
}

// 2 for files written by Keras 2.x (and tf.keras), 3 otherwise: weight roles may differ by version.
int kerasMajor(const ModelSpec& m)
{
    return m.provenance.kerasVersion.rfind("2.", 0) == 0 ? 2 : 3;
}

// The architecture of a legacy .h5 (model_config, keras_version), weights not read.
ModelSpec legacyH5Config(const h5::File& f, const std::string& path)
{
    const hid_t root = f.id();
    const auto modelConfig = h5::readString(f, root, "model_config", "/");
    if (!modelConfig) {
        if (h5::attributeExists(root, "layer_names") || h5::attributeExists(root, "layer_names0"))
            throw FormatError(path + ": weights-only file, no architecture (saved with save_weights(): the root has "
                                     "layer_names but no model_config attribute and no /model_weights group); "
                                     "load it into a model built in Keras and save the whole model");
        if (h5::linkExists(root, "layers") || h5::linkExists(root, "_layer_checkpoint_dependencies"))
            throw FormatError(path + ": weights-only file, no architecture (a Keras 3 .weights.h5 from "
                                     "save_weights(): layers/ group but no model_config); load it into a model "
                                     "built in Keras and save the whole model (.keras)");
        throw FormatError(path + ": not a Keras model file (no model_config attribute on the root)");
    }
    const auto kerasVersion = h5::readString(f, root, "keras_version", "/");
    if (!kerasVersion)
        throw FormatError(path + ": Keras 1 file (no keras_version attribute): only Keras 2 and 3 files are supported");
    if (!kerasVersion->empty() && (*kerasVersion)[0] == '1')
        throw FormatError(path + ": Keras " + *kerasVersion + " file: only Keras 2 and 3 files are supported");

    const json config = parseJson(*modelConfig, path, "model_config");
    ModelSpec m = parseModelConfig(config, path);
    m.provenance.kerasVersion = *kerasVersion;
    applyKerasVersionSemantics(m);
    if (!h5::linkExists(root, "model_weights"))
        throw FormatError(path + ": no /model_weights group (architecture without weights)");
    return m;
}

// config.json (and metadata.json's keras_version) of a .keras archive, weights not read.
ModelSpec zipConfig(ZipArchive& zip, const std::string& path, json& config)
{
    if (!zip.contains("config.json"))
        throw FormatError(path + ": .keras archive has no config.json");
    if (!zip.contains("model.weights.h5"))
        throw FormatError(path + ": .keras archive has no model.weights.h5");
    config = parseJson(zip.read("config.json", 256u << 20), path, "config.json");
    ModelSpec m = parseModelConfig(config, path);
    if (zip.contains("metadata.json")) {
        const json meta = parseJson(zip.read("metadata.json", 1u << 20), path, "metadata.json");
        if (meta.is_object() && meta.contains("keras_version") && meta["keras_version"].is_string())
            m.provenance.kerasVersion = meta["keras_version"].get<std::string>();
    }
    applyKerasVersionSemantics(m);
    return m;
}

// What both readers do after the weights: Keras layers that are two of ours, and the format tag.
void finishArchitecture(ModelSpec& m, const std::string& path, const char* format)
{
    splitSeparableConvolutions(m, path);
    unwrapTimeDistributed(m);
    m.provenance.sourceFormat = format;
}

} // namespace

ModelSpec readLegacyH5(const std::string& path)
{
    h5::File f = h5::openFile(path);
    const hid_t root = f.id();
    ModelSpec m = legacyH5Config(f, path);
    h5::Handle weights = h5::openGroup(f, root, "model_weights");
    const auto layerNames = h5::readStrings(f, weights.id(), "layer_names", "/model_weights");
    if (!layerNames)
        throw FormatError(path + ": /model_weights has no layer_names attribute");

    std::set<std::string> withWeights;
    for (const std::string& layerName : *layerNames) {
        LayerSpec* l = m.find(layerName);
        const bool hasInner = std::any_of(m.layers.begin(), m.layers.end(),
                                          [&](const LayerSpec& x) { return x.name.rfind(layerName + "/", 0) == 0; });
        // A Bidirectional is read as its merge (named like it, no weights) and two directions named
        // "<name>/...": its group's weights belong to the directions, as a nested model's do.
        if (l && hasInner && expectedWeightRoles(*l, kerasMajor(m)).empty())
            l = nullptr;
        const bool nested = !l && hasInner;
        if (!l && !nested)
            throw FormatError(path + ": /model_weights lists layer '" + layerName +
                              "', which is not in the model configuration");
        const std::string groupPath = "/model_weights/" + layerName;
        h5::Handle group = h5::openGroup(f, weights.id(), layerName);
        const auto names = h5::readStrings(f, group.id(), "weight_names", groupPath);
        // A nested model's group holds the weights of all its layers: each goes to its owner.
        std::map<LayerSpec*, std::vector<std::pair<std::string, Tensor>>> tensors;
        if (l)
            tensors[l];
        for (const std::string& wn : names.value_or(std::vector<std::string>{})) {
            LayerSpec* owner = l ? l : nestedWeightOwner(m, layerName, wn);
            if (!owner)
                throw FormatError(path + ": nested model '" + layerName + "': weight '" + wn + "' (under " + groupPath +
                                  ") belongs to none of its layers");
            try {
                // weight_names are relative to the layer group; opened literally.
                tensors[owner].emplace_back(weightRole(wn, owner->kind == LayerKind::MultiHeadAttention ? 2 : 1),
                                            h5::readFloatDataset(f, group.id(), wn));
            } catch (const FormatError& e) {
                throw FormatError(layerContext(path, *owner) + "weight '" + wn + "' (under " + groupPath +
                                  "): " + withoutPrefix(e.what(), path));
            }
        }
        for (auto& [owner, list] : tensors) {
            if (!list.empty() || !expectedWeightRoles(*owner, kerasMajor(m)).empty())
                assignWeights(*owner, std::move(list), path, kerasMajor(m));
            withWeights.insert(owner->name);
        }
        if (nested) // layers of the nested model without weights need none
            for (const LayerSpec& x : m.layers)
                if (x.name.rfind(layerName + "/", 0) == 0 && expectedWeightRoles(x, kerasMajor(m)).empty())
                    withWeights.insert(x.name);
    }
    for (auto& l : m.layers)
        if (!expectedWeightRoles(l, kerasMajor(m)).empty() && !withWeights.count(l.name))
            throw FormatError(layerContext(path, l) + "weights are missing (layer not in /model_weights layer_names)");
    finishArchitecture(m, path, "keras-h5");
    return m;
}

ModelSpec readLegacyH5Architecture(const std::string& path)
{
    h5::File f = h5::openFile(path);
    ModelSpec m = legacyH5Config(f, path);
    h5::Handle weights = h5::openGroup(f, f.id(), "model_weights");
    if (!h5::readStrings(f, weights.id(), "layer_names", "/model_weights"))
        throw FormatError(path + ": /model_weights has no layer_names attribute");
    finishArchitecture(m, path, "keras-h5");
    m.weightsLoaded = false;
    return m;
}

ModelSpec readKerasZip(const std::string& path)
{
    ZipArchive zip(path);
    json config;
    ModelSpec m = zipConfig(zip, path, config);
    const std::string weightsName = path + " (member model.weights.h5)";
    h5::File f = h5::openImage(zip.read("model.weights.h5"), weightsName);
    // Keras 3 writes layers/, Keras/TF 2.13–2.14 wrote _layer_checkpoint_dependencies/.
    std::string rootName;
    for (const char* candidate : {"layers", "_layer_checkpoint_dependencies"})
        if (h5::linkExists(f.id(), candidate)) {
            rootName = candidate;
            break;
        }
    if (rootName.empty())
        throw FormatError(weightsName + ": no 'layers' (or '_layer_checkpoint_dependencies') group");

    // Weight groups are named by the snake_case class name numbered per class in model order
    // (conv2d, conv2d_1, dense, ...), not by the configured layer names; variables are positional.
    // A nested model's layers sit under <its group>/layers/, numbered within the nested model.
    const std::function<void(const json&, const std::string&, const std::string&)> walk =
        [&](const json& model, const std::string& groupRoot, const std::string& namePrefix) {
            const json& body = model["config"];
            const json& entries = body.is_array() ? body : body["layers"];
            std::map<std::string, int> used;
            for (const auto& [name, className] : configLayerOrder(model)) {
                const std::string base = toSnakeCase(className);
                const auto seen = used.find(base);
                const int number = seen == used.end() ? 0 : seen->second + 1;
                used[base] = number;
                const std::string group = groupRoot + "/" + (number == 0 ? base : base + "_" + std::to_string(number));
                if (isNestedModelClass(className)) {
                    for (const auto& e : entries)
                        if (stringOr(e["config"], "name") == name)
                            walk(e, group + "/layers", namePrefix + name + "/");
                    continue;
                }
                if (isBidirectionalClass(className)) { // the directions' variables, in forward_layer / backward_layer
                    for (const auto& e : entries)
                        if (stringOr(e["config"], "name") == name) {
                            const auto [forward, backward] = bidirectionalLayerNames(e, namePrefix + name);
                            for (const auto& [part, sub] :
                                 {std::pair{forward, "/forward_layer"}, std::pair{backward, "/backward_layer"}})
                                if (LayerSpec* d = m.find(part))
                                    readZipLayerVars(f, path, weightsName, group + sub, *d, kerasMajor(m));
                        }
                    continue;
                }
                LayerSpec* l = m.find(namePrefix + name);
                if (!l)
                    continue;
                readZipLayerVars(f, path, weightsName, group, *l, kerasMajor(m));
            }
        };
    walk(config, rootName, "");
    finishArchitecture(m, path, "keras-zip");
    return m;
}

ModelSpec readKerasZipArchitecture(const std::string& path)
{
    ZipArchive zip(path);
    json config;
    ModelSpec m = zipConfig(zip, path, config);
    finishArchitecture(m, path, "keras-zip");
    m.weightsLoaded = false;
    return m;
}

} // namespace circnn::keras
