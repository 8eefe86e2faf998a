#include "io/KerasConfig.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "common/Error.h"

namespace circnn::keras {

using nlohmann::json;

namespace {

// Parsing context of one layer: file and layer for messages.
struct Ctx {
    const std::string& file;
    std::string layer;
    std::string className;
    [[noreturn]] void fail(const std::string& what) const
    {
        throw FormatError(file + ": layer '" + layer + "' (" + className + "): " + what);
    }
};

std::int64_t toInt(const Ctx& c, const json& v, const std::string& key)
{
    if (v.is_number_integer())
        return v.get<std::int64_t>();
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9e15)
            return static_cast<std::int64_t>(d);
    }
    c.fail("'" + key + "' should be an integer, found " + v.dump());
}

const json* member(const json& obj, const std::string& key)
{
    if (!obj.is_object())
        return nullptr;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return nullptr;
    return &*it;
}

std::int64_t getInt(const Ctx& c, const json& cfg, const std::string& key, std::optional<std::int64_t> def = {})
{
    const json* v = member(cfg, key);
    if (!v) {
        if (def)
            return *def;
        c.fail("configuration has no '" + key + "'");
    }
    return toInt(c, *v, key);
}

double getDouble(const Ctx& c, const json& cfg, const std::string& key, double def)
{
    const json* v = member(cfg, key);
    if (!v)
        return def;
    if (!v->is_number())
        c.fail("'" + key + "' should be a number, found " + v->dump());
    return v->get<double>();
}

bool getBool(const Ctx& c, const json& cfg, const std::string& key, bool def)
{
    const json* v = member(cfg, key);
    if (!v)
        return def;
    if (!v->is_boolean())
        c.fail("'" + key + "' should be true or false, found " + v->dump());
    return v->get<bool>();
}

std::string getString(const Ctx& c, const json& cfg, const std::string& key, const std::string& def)
{
    const json* v = member(cfg, key);
    if (!v)
        return def;
    if (!v->is_string())
        c.fail("'" + key + "' should be a string, found " + v->dump());
    return v->get<std::string>();
}

// An int or a list of two ints (kernel_size, strides, pool_size, dilation_rate).
std::pair<std::int64_t, std::int64_t> getPair(const Ctx& c, const json& cfg, const std::string& key,
                                              std::optional<std::pair<std::int64_t, std::int64_t>> def)
{
    const json* v = member(cfg, key);
    if (!v) {
        if (def)
            return *def;
        c.fail("configuration has no '" + key + "'");
    }
    if (v->is_number())
        return {toInt(c, *v, key), toInt(c, *v, key)};
    if (v->is_array() && v->size() == 2)
        return {toInt(c, (*v)[0], key), toInt(c, (*v)[1], key)};
    c.fail("'" + key + "' should be an integer or two integers, found " + v->dump());
}

// A Keras shape with a leading batch entry ([null, 28, 28, 1]) → {28, 28, 1}.
Shape batchShape(const Ctx& c, const json& v, const std::string& key)
{
    if (!v.is_array() || v.size() < 2)
        c.fail("'" + key + "' should be a shape with a batch dimension, found " + v.dump());
    Shape s;
    for (std::size_t i = 1; i < v.size(); ++i) {
        if (v[i].is_null())
            c.fail("'" + key + "' " + v.dump() + " has an unknown (null) dimension; a fixed input size is needed");
        const std::int64_t d = toInt(c, v[i], key);
        if (d <= 0 || d > (std::int64_t(1) << 32))
            c.fail("'" + key + "' " + v.dump() + " has an invalid dimension");
        s.push_back(d);
    }
    return s;
}

ActivationKind parseActivation(const Ctx& c, const json* v)
{
    if (!v)
        return ActivationKind::Linear;
    std::string name;
    if (v->is_string())
        name = v->get<std::string>();
    else if (v->is_object() && member(*v, "config") && (*v)["config"].is_string())
        name = (*v)["config"].get<std::string>();  // {"class_name": "function", "config": "relu"}
    else if (v->is_object() && member(*v, "class_name") && (*v)["class_name"].is_string())
        name = (*v)["class_name"].get<std::string>();
    else
        c.fail("activation " + v->dump() + " is not understood; supported: " + supportedActivations());
    auto kind = activationFromName(name);
    if (!kind)
        c.fail("unsupported activation '" + name + "'; supported: " + supportedActivations());
    return *kind;
}

// The activation of a layer config plus its slope: the string activation "leaky_relu" (Keras 3)
// has negative_slope 0.2, unlike the LeakyReLU layer's 0.3, so the slope is made explicit.
void setActivation(const Ctx& c, LayerSpec& l, const json* v)
{
    l.activation = parseActivation(c, v);
    l.activationAlpha = l.activation == ActivationKind::LeakyRelu ? 0.2f : 0.0f;
}

void checkChannelsLast(const Ctx& c, const json& cfg)
{
    const std::string df = getString(c, cfg, "data_format", "channels_last");
    if (df != "channels_last")
        c.fail("data_format '" + df + "' is not supported (only channels_last, NHWC)");
}

Padding parsePadding(const Ctx& c, const json& cfg)
{
    const std::string p = getString(c, cfg, "padding", "valid");
    if (p == "valid")
        return Padding::Valid;
    if (p == "same")
        return Padding::Same;
    c.fail("padding '" + p + "' is not supported (valid, same)");
}

// Fills the class-specific fields of `l` from its config.
void parseLayerConfig(const Ctx& c, LayerSpec& l, const json& cfg)
{
    switch (l.kind) {
    case LayerKind::Input: {
        const json* s = member(cfg, "batch_input_shape");
        const char* key = "batch_input_shape";
        if (!s) {
            s = member(cfg, "batch_shape");
            key = "batch_shape";
        }
        if (s) {
            l.inputShape = batchShape(c, *s, key);
        } else if (const json* is = member(cfg, "input_shape")) {
            json withBatch = json::array({nullptr});
            for (const auto& d : *is)
                withBatch.push_back(d);
            l.inputShape = batchShape(c, withBatch, "input_shape");
        } else {
            c.fail("InputLayer has no batch_input_shape / batch_shape");
        }
        break;
    }
    case LayerKind::Dense:
        if (!member(cfg, "units") && member(cfg, "output_dim"))
            c.fail("Keras 1 configuration ('output_dim'); only Keras 2 and 3 files are supported");
        l.units = getInt(c, cfg, "units");
        setActivation(c, l, member(cfg, "activation"));
        l.useBias = getBool(c, cfg, "use_bias", true);
        break;
    case LayerKind::Conv2D: {
        if (!member(cfg, "filters") && member(cfg, "nb_filter"))
            c.fail("Keras 1 configuration ('nb_filter'); only Keras 2 and 3 files are supported");
        checkChannelsLast(c, cfg);
        const std::int64_t groups = getInt(c, cfg, "groups", 1);
        if (groups != 1)
            c.fail("groups = " + std::to_string(groups) + " is not supported (only groups = 1)");
        l.units = getInt(c, cfg, "filters");
        std::tie(l.kernelH, l.kernelW) = getPair(c, cfg, "kernel_size", std::nullopt);
        std::tie(l.strideH, l.strideW) = getPair(c, cfg, "strides", std::pair{std::int64_t(1), std::int64_t(1)});
        std::tie(l.dilationH, l.dilationW) =
            getPair(c, cfg, "dilation_rate", std::pair{std::int64_t(1), std::int64_t(1)});
        if ((l.strideH > 1 || l.strideW > 1) && (l.dilationH > 1 || l.dilationW > 1))
            c.fail("strides > 1 together with dilation_rate > 1 is not supported (Keras rejects it too)");
        l.padding = parsePadding(c, cfg);
        setActivation(c, l, member(cfg, "activation"));
        l.useBias = getBool(c, cfg, "use_bias", true);
        break;
    }
    case LayerKind::MaxPooling2D:
    case LayerKind::AveragePooling2D:
        checkChannelsLast(c, cfg);
        std::tie(l.kernelH, l.kernelW) = getPair(c, cfg, "pool_size", std::pair{std::int64_t(2), std::int64_t(2)});
        std::tie(l.strideH, l.strideW) = getPair(c, cfg, "strides", std::pair{l.kernelH, l.kernelW});
        l.padding = parsePadding(c, cfg);
        break;
    case LayerKind::GlobalAveragePooling2D:
    case LayerKind::GlobalMaxPooling2D:
        checkChannelsLast(c, cfg);
        if (getBool(c, cfg, "keepdims", false))
            c.fail("keepdims = true is not supported");
        break;
    case LayerKind::Flatten:
        checkChannelsLast(c, cfg);
        break;
    case LayerKind::Reshape: {
        const json* t = member(cfg, "target_shape");
        if (!t || !t->is_array() || t->empty())
            c.fail("Reshape needs a non-empty 'target_shape'");
        for (const auto& d : *t)
            l.targetShape.push_back(toInt(c, d, "target_shape"));
        break;
    }
    case LayerKind::ZeroPadding2D: {
        checkChannelsLast(c, cfg);
        const json* p = member(cfg, "padding");
        if (!p) {
            l.padTop = l.padBottom = l.padLeft = l.padRight = 1;
        } else if (p->is_number()) {
            l.padTop = l.padBottom = l.padLeft = l.padRight = toInt(c, *p, "padding");
        } else if (p->is_array() && p->size() == 2 && (*p)[0].is_number() && (*p)[1].is_number()) {
            l.padTop = l.padBottom = toInt(c, (*p)[0], "padding");
            l.padLeft = l.padRight = toInt(c, (*p)[1], "padding");
        } else if (p->is_array() && p->size() == 2 && (*p)[0].is_array() && (*p)[1].is_array() &&
                   (*p)[0].size() == 2 && (*p)[1].size() == 2) {
            l.padTop = toInt(c, (*p)[0][0], "padding");
            l.padBottom = toInt(c, (*p)[0][1], "padding");
            l.padLeft = toInt(c, (*p)[1][0], "padding");
            l.padRight = toInt(c, (*p)[1][1], "padding");
        } else {
            c.fail("padding " + p->dump() + " is not understood");
        }
        break;
    }
    case LayerKind::Dropout:
        l.rate = static_cast<float>(getDouble(c, cfg, "rate", 0.0));
        break;
    case LayerKind::Activation:
        if (l.className == "Activation") {
            setActivation(c, l, member(cfg, "activation"));
        } else if (l.className == "ReLU") {
            const double slope = getDouble(c, cfg, "negative_slope", 0.0);
            const double threshold = getDouble(c, cfg, "threshold", 0.0);
            const json* maxValue = member(cfg, "max_value");
            if (threshold != 0.0)
                c.fail("ReLU threshold != 0 is not supported");
            if (maxValue) {
                if (!maxValue->is_number() || maxValue->get<double>() != 6.0 || slope != 0.0)
                    c.fail("ReLU max_value " + maxValue->dump() + " is not supported (only 6, as relu6)");
                l.activation = ActivationKind::Relu6;
            } else if (slope != 0.0) {
                l.activation = ActivationKind::LeakyRelu;
                l.activationAlpha = static_cast<float>(slope);
            } else {
                l.activation = ActivationKind::Relu;
            }
        } else if (l.className == "LeakyReLU") {
            l.activation = ActivationKind::LeakyRelu;
            // Keras 2 writes alpha, Keras 3 negative_slope; both default to 0.3 for the layer.
            const double alpha = member(cfg, "negative_slope") ? getDouble(c, cfg, "negative_slope", 0.3)
                                                               : getDouble(c, cfg, "alpha", 0.3);
            l.activationAlpha = static_cast<float>(alpha);
            // ModelSpec reads a slope of 0 as "Keras default"; LeakyReLU(0) is a plain ReLU.
            if (alpha == 0.0)
                l.activation = ActivationKind::Relu;
        } else if (l.className == "Softmax") {
            const json* axis = member(cfg, "axis");
            if (axis && !(axis->is_number() && toInt(c, *axis, "axis") == -1) &&
                !(axis->is_array() && axis->size() == 1 && toInt(c, (*axis)[0], "axis") == -1))
                c.fail("Softmax over axis " + axis->dump() + " is not supported (only the last axis)");
            l.activation = ActivationKind::Softmax;
        } else if (l.className == "ELU") {
            l.activation = ActivationKind::Elu;
            l.activationAlpha = static_cast<float>(getDouble(c, cfg, "alpha", 1.0));
            if (l.activationAlpha == 0.0f)  // ELU(0) is max(x, 0); 0 would mean "default" (1.0)
                l.activation = ActivationKind::Relu;
        }
        break;
    case LayerKind::BatchNormalization: {
        const json* axis = member(cfg, "axis");
        if (axis && axis->is_array()) {
            if (axis->size() != 1)
                c.fail("normalisation over several axes " + axis->dump() + " is not supported");
            l.axis = toInt(c, (*axis)[0], "axis");
        } else if (axis) {
            l.axis = toInt(c, *axis, "axis");
        } else {
            l.axis = -1;
        }
        l.epsilon = static_cast<float>(getDouble(c, cfg, "epsilon", 1e-3));
        // Reuse of fields: center/scale decide which weights are stored (see expectedWeightRoles).
        if (!getBool(c, cfg, "center", true))
            l.beta = Tensor(Shape{0});
        if (!getBool(c, cfg, "scale", true))
            l.gamma = Tensor(Shape{0});
        break;
    }
    case LayerKind::Add:
        break;
    case LayerKind::Concatenate:
        l.axis = getInt(c, cfg, "axis", -1);
        break;
    }
}

// Collects keras_history entries ([layer, node, tensor]) from a Keras 3 inbound node's args.
void collectHistory(const Ctx& c, const json& v, std::vector<std::string>& out)
{
    if (v.is_array()) {
        for (const auto& e : v)
            collectHistory(c, e, out);
    } else if (v.is_object()) {
        if (v.value("class_name", "") == "__keras_tensor__") {
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

std::vector<std::string> parseInboundNodes(const Ctx& c, const json& nodes)
{
    if (nodes.is_null() || (nodes.is_array() && nodes.empty()))
        return {};
    if (!nodes.is_array())
        c.fail("inbound_nodes is not a list");
    if (nodes.size() != 1)
        c.fail("the layer is called " + std::to_string(nodes.size()) + " times (shared layers are not supported)");
    const json& node = nodes[0];
    std::vector<std::string> inputs;
    if (node.is_object()) {  // Keras 3: {"args": [...], "kwargs": {...}}
        if (const json* args = member(node, "args"))
            collectHistory(c, *args, inputs);
        if (const json* kwargs = member(node, "kwargs"))
            collectHistory(c, *kwargs, inputs);
    } else if (node.is_array()) {  // Keras 2: [["name", node, tensor, {kwargs}], ...]
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
    Ctx c{file, "#" + std::to_string(index), "?"};
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
        c.fail("nested models are not supported; supported layer classes: " + supportedLayerClasses());
    auto kind = layerKindFromName(c.className);
    if (!kind)
        c.fail("unsupported layer class '" + c.className + "'; supported: " + supportedLayerClasses());
    l.kind = *kind;
    parseLayerConfig(c, l, cfg);
    return l;
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
                    if (!m.find(in) && std::none_of(sorted.begin(), sorted.end(),
                                                    [&](const LayerSpec& s) { return s.name == in; }))
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

std::string layerContext(const std::string& file, const LayerSpec& l)
{
    return file + ": layer '" + l.name + "' (" + (l.className.empty() ? layerKindName(l.kind) : l.className) + "): ";
}

ModelSpec parseModelConfig(const json& config, const std::string& file)
{
    if (!config.is_object())
        throw FormatError(file + ": model configuration is not a JSON object");
    const std::string cls = config.value("class_name", "");
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
        m.name = body->is_object() ? body->value("name", "sequential") : "sequential";
        std::string previous;
        for (std::size_t i = 0; i < layers->size(); ++i) {
            LayerSpec l = parseLayer(file, (*layers)[i], i);
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
                    throw FormatError(layerContext(file, l) +
                                      "the input shape is unknown (no InputLayer, batch_input_shape or build_input_shape)");
                LayerSpec in;
                in.kind = LayerKind::Input;
                in.className = "InputLayer";
                in.name = l.name + "_input";
                in.inputShape = batchShape(Ctx{file, l.name, l.className}, *s, key);
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
        m.name = body->value("name", "model");
        for (std::size_t i = 0; i < layers->size(); ++i) {
            LayerSpec l = parseLayer(file, (*layers)[i], i);
            Ctx c{file, l.name, l.className};
            const json* nodes = member((*layers)[i], "inbound_nodes");
            l.inputs = nodes ? parseInboundNodes(c, *nodes) : std::vector<std::string>{};
            if (l.kind == LayerKind::Input && !l.inputs.empty())
                c.fail("InputLayer with inbound nodes");
            if (l.kind != LayerKind::Input && l.inputs.empty())
                c.fail("layer has no inbound nodes");
            addLayer(std::move(l));
        }
        m.inputs = parseEndpoints(file, member(*body, "input_layers"), "input_layers");
        m.outputs = parseEndpoints(file, member(*body, "output_layers"), "output_layers");
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

std::vector<std::string> expectedWeightRoles(const LayerSpec& l)
{
    switch (l.kind) {
    case LayerKind::Dense:
    case LayerKind::Conv2D:
        if (l.useBias)
            return {"kernel", "bias"};
        return {"kernel"};
    case LayerKind::BatchNormalization: {
        // parseLayerConfig marks scale=false / center=false with a (0)-shaped placeholder.
        std::vector<std::string> roles;
        if (!(l.gamma.rank() == 1 && l.gamma.dim(0) == 0))
            roles.push_back("gamma");
        if (!(l.beta.rank() == 1 && l.beta.dim(0) == 0))
            roles.push_back("beta");
        roles.push_back("moving_mean");
        roles.push_back("moving_variance");
        return roles;
    }
    default:
        return {};
    }
}

void assignWeights(LayerSpec& l, std::vector<std::pair<std::string, Tensor>> weights, const std::string& file)
{
    const std::string ctx = layerContext(file, l);
    const auto expected = expectedWeightRoles(l);
    std::set<std::string> seen;
    for (auto& [role, t] : weights) {
        if (std::find(expected.begin(), expected.end(), role) == expected.end()) {
            std::string list;
            for (const auto& e : expected)
                list += (list.empty() ? "" : ", ") + e;
            throw FormatError(ctx + "unexpected weight '" + role + "' (expected: " + (list.empty() ? "none" : list) + ")");
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
    if (l.kind == LayerKind::BatchNormalization) {
        l.gamma = Tensor();
        l.beta = Tensor();
    }
    for (auto& [role, t] : weights) {
        if (role == "kernel")
            l.kernel = std::move(t);
        else if (role == "bias")
            l.bias = std::move(t);
        else if (role == "gamma")
            l.gamma = std::move(t);
        else if (role == "beta")
            l.beta = std::move(t);
        else if (role == "moving_mean")
            l.movingMean = std::move(t);
        else if (role == "moving_variance")
            l.movingVariance = std::move(t);
    }
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
