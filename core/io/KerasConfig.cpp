#include "io/KerasConfig.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "common/Error.h"
#include "io/KerasBidirectional.h"
#include "io/KerasConfigValues.h"
#include "io/KerasLayerCodecs.h"
#include "io/KerasNestedModels.h"
#include "model/LayerTraits.h"

namespace circnn::keras {

using nlohmann::json;

namespace {

// Collects keras_history entries ([layer, node, tensor]) from a Keras 3 inbound node's args.
void collectHistory(const ConfigContext& c, const json& v, std::vector<std::string>& out)
{
    if (v.is_array()) {
        for (const auto& e : v)
            collectHistory(c, e, out);
    } else if (v.is_object()) {
        if (stringOr(v, "class_name") == "__keras_tensor__") {
            const json* cfg = member(v, "config");
            const json* h = cfg ? member(*cfg, "keras_history") : nullptr;
            if (!h || !h->is_array() || h->empty() || !(*h)[0].is_string())
                c.fail("inbound tensor without a valid keras_history");
            if (h->size() >= 3 && (*h)[2].is_number() && toInt(c, (*h)[2], "keras_history") != 0)
                c.fail("layers with several outputs are not supported");
            out.push_back((*h)[0].get<std::string>());
        }
    }
}

std::vector<std::string> parseInboundNodes(const ConfigContext& c, const json& nodes)
{
    if (nodes.is_null() || (nodes.is_array() && nodes.empty()))
        return {};
    if (!nodes.is_array())
        c.fail("inbound_nodes is not a list");
    if (nodes.size() != 1)
        c.fail("the layer is called " + std::to_string(nodes.size()) + " times (shared layers are not supported)");
    const json& node = nodes[0];
    std::vector<std::string> inputs;
    if (node.is_object()) { // Keras 3: {"args": [...], "kwargs": {...}}
        if (const json* args = member(node, "args"))
            collectHistory(c, *args, inputs);
        if (const json* kwargs = member(node, "kwargs"))
            collectHistory(c, *kwargs, inputs);
    } else if (node.is_array()) { // Keras 2: [["name", node, tensor, {kwargs}], ...]
        for (const auto& e : node) {
            if (!e.is_array() || e.empty() || !e[0].is_string())
                c.fail("inbound node entry " + e.dump() + " is not understood");
            if (e.size() >= 3 && e[2].is_number() && toInt(c, e[2], "inbound_nodes") != 0)
                c.fail("layers with several outputs are not supported");
            inputs.push_back(e[0].get<std::string>());
        }
    } else {
        c.fail("inbound_nodes entry is not understood");
    }
    return inputs;
}

// input_layers / output_layers: [["name", 0, 0], ...] or a single ["name", 0, 0].
std::vector<std::string> parseEndpoints(const std::string& file, const json* v, const char* key)
{
    if (!v || !v->is_array())
        throw FormatError(file + ": Functional model configuration has no '" + key + "'");
    std::vector<std::string> names;
    if (!v->empty() && (*v)[0].is_string()) {
        names.push_back((*v)[0].get<std::string>());
        return names;
    }
    for (const auto& e : *v) {
        if (!e.is_array() || e.empty() || !e[0].is_string())
            throw FormatError(file + ": '" + key + "' entry " + e.dump() + " is not understood");
        names.push_back(e[0].get<std::string>());
    }
    return names;
}

LayerSpec parseLayer(const std::string& file, const json& entry, std::size_t index)
{
    ConfigContext c{file, "#" + std::to_string(index), "?"};
    if (!entry.is_object())
        c.fail("layer entry is not an object");
    const json* cls = member(entry, "class_name");
    if (!cls || !cls->is_string())
        c.fail("layer entry has no class_name");
    c.className = cls->get<std::string>();
    const json* cfgp = member(entry, "config");
    if (!cfgp || !cfgp->is_object())
        c.fail("layer entry has no config object");
    const json& cfg = *cfgp;
    LayerSpec l;
    l.className = c.className;
    l.name = getString(c, cfg, "name", "");
    if (l.name.empty() && member(entry, "name") && entry["name"].is_string())
        l.name = entry["name"].get<std::string>();
    if (l.name.empty())
        c.fail("layer has no name");
    c.layer = l.name;
    if (c.className == "Sequential" || c.className == "Functional" || c.className == "Model")
        c.fail("a nested model entry must be flattened before its layers are parsed");
    auto kind = layerKindFromName(c.className);
    if (!kind)
        c.fail("unsupported layer class '" + c.className + "'; supported: " + supportedLayerClasses());
    l.kind = *kind;
    kerasLayerCodec(l.kind).read(c, l, cfg);
    return l;
}

// Fails listing every layer of an unsupported class (not only the first), with layer names, so a
// user sees at once what the model needs.
// The name of a layer entry (config.name, else the entry's name), or "?".
std::string entryName(const json& e)
{
    if (const json* cfg = member(e, "config");
        cfg && cfg->is_object() && member(*cfg, "name") && (*cfg)["name"].is_string())
        return (*cfg)["name"].get<std::string>();
    if (member(e, "name") && e["name"].is_string())
        return e["name"].get<std::string>();
    return "?";
}

// The layer entries of a nested model entry's config (Sequential: a list or {"layers": [...]}).
const json* nestedLayers(const json& e)
{
    const json* cfg = member(e, "config");
    if (!cfg)
        return nullptr;
    const json* layers = cfg->is_array() ? cfg : member(*cfg, "layers");
    return layers && layers->is_array() ? layers : nullptr;
}

// Collects every layer of an unsupported class, looking into nested models ("outer/inner").
void collectUnsupported(const json& layers, const std::string& prefix, std::vector<std::string>& unsupported,
                        std::set<std::string>& classes)
{
    for (const auto& e : layers) {
        const json* cls = member(e, "class_name");
        if (!cls || !cls->is_string())
            continue;
        const std::string name = entryName(e);
        if (isNestedModelClass(cls->get<std::string>())) {
            if (const json* inner = nestedLayers(e))
                collectUnsupported(*inner, prefix + name + "/", unsupported, classes);
            continue;
        }
        if (layerKindFromName(cls->get<std::string>()) || isBidirectionalClass(cls->get<std::string>()))
            continue;
        unsupported.push_back("'" + prefix + name + "' (" + cls->get<std::string>() + ")");
        classes.insert(cls->get<std::string>());
    }
}

// Fails listing every layer of an unsupported class (not only the first), with layer names, so a
// user sees at once what the model needs.
void checkLayerClasses(const std::string& file, const json& layers)
{
    std::vector<std::string> unsupported;
    std::set<std::string> classes;
    collectUnsupported(layers, "", unsupported, classes);
    if (unsupported.empty())
        return;
    std::string list, classList;
    for (const auto& u : unsupported)
        list += (list.empty() ? "" : ", ") + u;
    for (const auto& c : classes)
        classList += (classList.empty() ? "" : ", ") + c;
    throw FormatError(file + ": " + std::to_string(unsupported.size()) + " layer" +
                      (unsupported.size() == 1 ? "" : "s") + " of unsupported class" +
                      (classes.size() == 1 ? " " : "es ") + classList + ": " + list +
                      "; supported: " + supportedLayerClasses());
}

// Replaces references to flattened nested models by their output layers.
void resolveNestedAliases(ModelSpec& m, const std::map<std::string, std::string>& aliases)
{
    auto resolve = [&](std::string& name) {
        for (std::size_t hops = 0; hops <= aliases.size(); ++hops) {
            const auto it = aliases.find(name);
            if (it == aliases.end())
                return;
            name = it->second;
        }
    };
    for (LayerSpec& l : m.layers)
        for (std::string& in : l.inputs)
            resolve(in);
    for (std::string& out : m.outputs)
        resolve(out);
}

// Orders layers so every input precedes its user (stable: keeps file order where possible).
void topologicalSort(ModelSpec& m, const std::string& file)
{
    std::vector<LayerSpec> sorted;
    std::set<std::string> placed;
    std::vector<bool> done(m.layers.size(), false);
    while (sorted.size() < m.layers.size()) {
        bool progress = false;
        for (std::size_t i = 0; i < m.layers.size(); ++i) {
            if (done[i])
                continue;
            bool ready = true;
            for (const auto& in : m.layers[i].inputs)
                ready = ready && placed.count(in);
            if (ready) {
                placed.insert(m.layers[i].name);
                sorted.push_back(std::move(m.layers[i]));
                done[i] = true;
                progress = true;
            }
        }
        if (!progress) {
            for (std::size_t i = 0; i < m.layers.size(); ++i) {
                if (done[i])
                    continue;
                std::string missing;
                for (const auto& in : m.layers[i].inputs)
                    if (!m.find(in) &&
                        std::none_of(sorted.begin(), sorted.end(), [&](const LayerSpec& s) { return s.name == in; }))
                        missing += (missing.empty() ? "'" : ", '") + in + "'";
                throw FormatError(layerContext(file, m.layers[i]) +
                                  (missing.empty() ? std::string("its inputs form a cycle")
                                                   : "input " + missing + " is not a layer of the model"));
            }
        }
    }
    m.layers = std::move(sorted);
}

} // namespace

LayerSpec parseLayerConfig(const json& entry, const std::string& file)
{
    return parseLayer(file, entry, 0);
}

std::string layerContext(const std::string& file, const LayerSpec& l)
{
    return file + ": layer '" + l.name + "' (" + (l.className.empty() ? layerKindName(l.kind) : l.className) + "): ";
}

namespace {

ModelSpec parseModelConfigUnchecked(const json& config, const std::string& file)
{
    if (!config.is_object())
        throw FormatError(file + ": model configuration is not a JSON object");
    const std::string cls = stringOr(config, "class_name");
    const json* body = member(config, "config");
    if (!body)
        throw FormatError(file + ": model configuration has no 'config'");
    ModelSpec m;
    std::set<std::string> names;
    auto addLayer = [&](LayerSpec l) {
        if (!names.insert(l.name).second)
            throw FormatError(file + ": duplicate layer name '" + l.name + "'");
        m.layers.push_back(std::move(l));
    };

    if (cls == "Sequential") {
        const json* layers = body->is_array() ? body : member(*body, "layers");
        if (!layers || !layers->is_array() || layers->empty())
            throw FormatError(file + ": Sequential model has no layers");
        checkLayerClasses(file, *layers);
        m.name = body->is_object() ? stringOr(*body, "name", "sequential") : "sequential";
        std::string previous;
        for (std::size_t i = 0; i < layers->size(); ++i) {
            const json& entry = (*layers)[i];
            if (entry.is_object() && isNestedModelClass(stringOr(entry, "class_name"))) {
                std::vector<LayerSpec> flat;
                std::string kept;
                const std::vector<std::string> feed =
                    previous.empty() ? std::vector<std::string>{} : std::vector<std::string>{previous};
                previous = flattenNestedModel(file, entry, entryName(entry), feed, flat, &kept);
                if (feed.empty())
                    m.inputs.push_back(kept);
                for (LayerSpec& f : flat)
                    addLayer(std::move(f));
                continue;
            }
            if (entry.is_object() && isBidirectionalClass(stringOr(entry, "class_name"))) {
                if (previous.empty())
                    throw FormatError(file + ": layer '" + entryName(entry) +
                                      "' (Bidirectional): the model has no InputLayer before it (supported: an "
                                      "InputLayer first)");
                for (LayerSpec& part : expandBidirectional(file, entry, entryName(entry), {previous}))
                    addLayer(std::move(part));
                previous = entryName(entry);
                continue;
            }
            LayerSpec l = parseLayer(file, entry, i);
            if (l.kind == LayerKind::Input) {
                if (!previous.empty())
                    throw FormatError(layerContext(file, l) + "InputLayer must come first in a Sequential model");
                previous = l.name;
                m.inputs.push_back(l.name);
                addLayer(std::move(l));
                continue;
            }
            if (previous.empty()) {
                // No InputLayer: the input shape comes from the first layer or the model's
                // build_input_shape.
                const json& cfg = (*layers)[i]["config"];
                const json* s = member(cfg, "batch_input_shape");
                const char* key = "batch_input_shape";
                if (!s) {
                    s = member(cfg, "batch_shape");
                    key = "batch_shape";
                }
                if (!s && body->is_object()) {
                    s = member(*body, "build_input_shape");
                    key = "build_input_shape";
                }
                if (!s)
                    throw FormatError(
                        layerContext(file, l) +
                        "the input shape is unknown (no InputLayer, batch_input_shape or build_input_shape)");
                LayerSpec in;
                in.kind = LayerKind::Input;
                in.className = "InputLayer";
                in.name = l.name + "_input";
                in.inputShape = batchShape(ConfigContext{file, l.name, l.className}, *s, key);
                previous = in.name;
                m.inputs.push_back(in.name);
                addLayer(std::move(in));
            }
            l.inputs = {previous};
            previous = l.name;
            addLayer(std::move(l));
        }
        m.outputs = {previous};
    } else if (cls == "Functional" || cls == "Model") {
        const json* layers = member(*body, "layers");
        if (!layers || !layers->is_array() || layers->empty())
            throw FormatError(file + ": Functional model has no layers");
        checkLayerClasses(file, *layers);
        m.name = stringOr(*body, "name", "model");
        std::map<std::string, std::string> aliases; // nested model → its flattened output layer
        for (std::size_t i = 0; i < layers->size(); ++i) {
            const json& entry = (*layers)[i];
            if (entry.is_object() && isNestedModelClass(stringOr(entry, "class_name"))) {
                const std::string name = entryName(entry);
                ConfigContext c{file, name, stringOr(entry, "class_name")};
                const json* nodes = member(entry, "inbound_nodes");
                const auto feed = nodes ? parseInboundNodes(c, *nodes) : std::vector<std::string>{};
                if (feed.empty())
                    c.fail("nested model has no inbound nodes");
                if (!names.insert(name).second)
                    throw FormatError(file + ": duplicate layer name '" + name + "'");
                std::vector<LayerSpec> flat;
                aliases[name] = flattenNestedModel(file, entry, name, feed, flat, nullptr);
                for (LayerSpec& f : flat)
                    addLayer(std::move(f));
                continue;
            }
            if (entry.is_object() && isBidirectionalClass(stringOr(entry, "class_name"))) {
                const std::string name = entryName(entry);
                ConfigContext c{file, name, "Bidirectional"};
                const json* nodes = member(entry, "inbound_nodes");
                const auto feed = nodes ? parseInboundNodes(c, *nodes) : std::vector<std::string>{};
                for (LayerSpec& part : expandBidirectional(file, entry, name, feed))
                    addLayer(std::move(part));
                continue;
            }
            LayerSpec l = parseLayer(file, entry, i);
            ConfigContext c{file, l.name, l.className};
            const json* nodes = member((*layers)[i], "inbound_nodes");
            if (l.kind == LayerKind::MultiHeadAttention) // value / key are call arguments
                l.inputs = attentionInbound(c, nodes ? *nodes : json::array(), l.useCausalMask);
            else
                l.inputs = nodes ? parseInboundNodes(c, *nodes) : std::vector<std::string>{};
            if (l.kind == LayerKind::Input && !l.inputs.empty())
                c.fail("InputLayer with inbound nodes");
            if (l.kind != LayerKind::Input && l.inputs.empty())
                c.fail("layer has no inbound nodes");
            addLayer(std::move(l));
        }
        m.inputs = parseEndpoints(file, member(*body, "input_layers"), "input_layers");
        m.outputs = parseEndpoints(file, member(*body, "output_layers"), "output_layers");
        resolveNestedAliases(m, aliases);
        for (const auto& n : m.inputs) {
            const LayerSpec* l = m.find(n);
            if (!l || l->kind != LayerKind::Input)
                throw FormatError(file + ": model input '" + n + "' is not an InputLayer of the model");
        }
        for (const auto& n : m.outputs)
            if (!m.find(n))
                throw FormatError(file + ": model output '" + n + "' is not a layer of the model");
        topologicalSort(m, file);
    } else if (cls.empty()) {
        throw FormatError(file + ": model configuration has no class_name");
    } else {
        throw FormatError(file + ": unsupported model class '" + cls + "' (Sequential, Functional, Model)");
    }
    if (m.inputs.size() != 1)
        throw FormatError(file + ": models with " + std::to_string(m.inputs.size()) +
                          " inputs are not supported (exactly one)");
    if (m.outputs.size() != 1)
        throw FormatError(file + ": models with " + std::to_string(m.outputs.size()) +
                          " outputs are not supported (exactly one)");
    return m;
}

} // namespace

ModelSpec parseModelConfig(const json& config, const std::string& file)
{
    // The readers check every value they use; a JSON access that still fails (a member of the
    // wrong type or missing where the structure is assumed) is the file's fault, reported as such
    // rather than escaping as nlohmann::json's own exception.
    try {
        return parseModelConfigUnchecked(config, file);
    } catch (const json::exception& e) {
        throw FormatError(file + ": model configuration has a value of an unexpected type or shape (" +
                          std::string(e.what()) + ")");
    }
}

std::vector<std::string> expectedWeightRoles(const LayerSpec& l, int kerasMajor)
{
    return kerasWeightNames(l, kerasMajor);
}

void assignWeights(LayerSpec& l, std::vector<std::pair<std::string, Tensor>> weights, const std::string& file,
                   int kerasMajor)
{
    const std::string ctx = layerContext(file, l);
    const auto expected = expectedWeightRoles(l, kerasMajor);
    std::set<std::string> seen;
    for (auto& [role, t] : weights) {
        if (std::find(expected.begin(), expected.end(), role) == expected.end()) {
            std::string list;
            for (const auto& e : expected)
                list += (list.empty() ? "" : ", ") + e;
            throw FormatError(ctx + "unexpected weight '" + role + "' (expected: " + (list.empty() ? "none" : list) +
                              ")");
        }
        if (!seen.insert(role).second)
            throw FormatError(ctx + "weight '" + role + "' appears twice");
        for (std::int64_t i = 0; i < t.size(); ++i)
            if (!std::isfinite(t[i]))
                throw FormatError(ctx + "weight '" + role + "' contains NaN or infinite values (index " +
                                  std::to_string(i) + ")");
    }
    for (const auto& e : expected)
        if (!seen.count(e))
            throw FormatError(ctx + "weight '" + e + "' is missing");
    const auto roles = layerWeightRoles(l, kerasMajor);
    for (auto& [name, t] : weights) {
        const auto at = std::find(expected.begin(), expected.end(), name) - expected.begin();
        weightTensor(l, roles[static_cast<std::size_t>(at)]) = std::move(t);
    }
}

void splitSeparableConvolutions(ModelSpec& m, const std::string& file)
{
    std::vector<LayerSpec> out;
    for (LayerSpec& l : m.layers) {
        if (l.kind != LayerKind::SeparableConv2D) {
            out.push_back(std::move(l));
            continue;
        }
        LayerSpec dw = l;
        dw.name = l.name + "/depthwise";
        if (m.find(dw.name))
            throw FormatError(layerContext(file, l) + "cannot split it: a layer named '" + dw.name + "' exists");
        dw.kind = LayerKind::DepthwiseConv2D;
        dw.useBias = false;
        dw.bias = Tensor();
        dw.activation = ActivationKind::Linear;
        dw.activationAlpha.reset();
        dw.units = 0;
        dw.pointwiseKernel = Tensor();
        LayerSpec pw = std::move(l);
        pw.kind = LayerKind::Conv2D;
        pw.inputs = {dw.name};
        pw.kernelH = pw.kernelW = pw.strideH = pw.strideW = pw.dilationH = pw.dilationW = 1;
        pw.padding = Padding::Valid;
        pw.depthMultiplier = 1;
        pw.depthwiseKernel = Tensor();
        if (!pw.pointwiseKernel.empty())
            pw.kernel = std::move(pw.pointwiseKernel);
        pw.pointwiseKernel = Tensor();
        out.push_back(std::move(dw));
        out.push_back(std::move(pw));
    }
    m.layers = std::move(out);
}

std::string toSnakeCase(const std::string& className)
{
    static const std::regex nonWord(R"(\W+)");
    static const std::regex first("(.)([A-Z][a-z]+)");
    static const std::regex second("([a-z])([A-Z])");
    std::string s = std::regex_replace(className, nonWord, "");
    s = std::regex_replace(s, first, "$1_$2");
    s = std::regex_replace(s, second, "$1_$2");
    for (char& ch : s)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return s;
}

} // namespace circnn::keras
