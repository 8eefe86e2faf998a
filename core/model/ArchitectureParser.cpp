#include "model/ArchitectureParser.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/Error.h"
#include "model/ArchitectureDesc.h"
#include "model/LayerTraits.h"
#include "model/ShapeInference.h"

namespace circnn {

using architecture::jsonPositive;
using architecture::LayerDesc;
using architecture::Residual;

namespace {

struct Desc {
    std::string name;
    Shape input;
    std::int64_t k = 1;
    std::vector<LayerDesc> layers;
};

std::int64_t parsePositive(const std::string& s, const std::string& token)
{
    if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
        throw ShapeError("architecture '" + token + "': expected a positive integer, found '" + s + "'");
    const std::int64_t v = std::stoll(s);
    if (v < 1)
        throw ShapeError("architecture '" + token + "': expected a positive integer, found '" + s + "'");
    return v;
}

std::vector<std::string> split(const std::string& s, char sep)
{
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

Desc parseShorthand(const std::string& text)
{
    Desc d;
    const auto tokens = split(text, '-');
    if (tokens.size() < 2)
        throw ShapeError("architecture '" + text +
                         "': expected at least an input and an output layer, e.g. 784-128-10");
    for (const std::string& dim : split(tokens[0], 'x'))
        d.input.push_back(parsePositive(dim, tokens[0]));
    for (std::size_t i = 1; i < tokens.size(); ++i) {
        const std::string& t = tokens[i];
        LayerDesc l;
        l.where = "token '" + t + "'";
        if (t.empty())
            throw ShapeError("architecture '" + text + "': empty token (two '-' in a row?)");
        if (t[0] == 'c') {
            l.kind = LayerKind::Conv2D;
            const auto kpos = t.find('k');
            l.units = parsePositive(t.substr(1, kpos == std::string::npos ? std::string::npos : kpos - 1), t);
            if (kpos != std::string::npos)
                l.kernel = parsePositive(t.substr(kpos + 1), t);
        } else if (t[0] == 'p') {
            l.kind = LayerKind::MaxPooling2D;
            l.pool = parsePositive(t.substr(1), t);
        } else if (t == "f") {
            l.kind = LayerKind::Flatten;
        } else {
            l.kind = LayerKind::Dense;
            l.units = parsePositive(t, t);
        }
        d.layers.push_back(l);
    }
    d.name = d.input.size() == 1 ? "mlp" : "cnn";
    return d;
}

Desc parseJsonValue(const nlohmann::json& j)
{
    if (!j.is_object())
        throw ShapeError("architecture JSON: expected an object with \"input\" and \"layers\"");
    Desc d;
    if (j.contains("name")) {
        if (!j["name"].is_string())
            throw ShapeError("architecture JSON: \"name\" must be a string, found " + j["name"].dump());
        d.name = j["name"].get<std::string>();
    }
    if (!j.contains("input"))
        throw ShapeError("architecture JSON: missing \"input\" (e.g. [784] or [28,28,1])");
    const auto& in = j["input"];
    if (in.is_number_integer())
        d.input.push_back(jsonPositive(in, "\"input\""));
    else if (in.is_array() && !in.empty())
        for (const auto& v : in)
            d.input.push_back(jsonPositive(v, "\"input\""));
    else
        throw ShapeError("architecture JSON: \"input\" must be a positive integer or a list of them, found " +
                         in.dump());
    if (j.contains("k"))
        d.k = jsonPositive(j["k"], "\"k\"");
    if (!j.contains("layers") || !j["layers"].is_array() || j["layers"].empty())
        throw ShapeError("architecture JSON: \"layers\" must be a non-empty list");
    int index = 0;
    for (const auto& e : j["layers"])
        architecture::parseJsonEntry(e, "layer " + std::to_string(index++), d.layers);
    return d;
}

Desc parseJson(const std::string& text)
{
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw ShapeError(std::string("architecture JSON: not valid JSON: ") + e.what());
    }
    // Every value is checked before use; a JSON access that still fails is the description's fault.
    try {
        return parseJsonValue(j);
    } catch (const nlohmann::json::exception& e) {
        throw ShapeError(std::string("architecture JSON: a value of an unexpected type (") + e.what() + ")");
    }
}

std::string layerName(LayerKind kind, LayerNaming naming, int index)
{
    const std::string n = std::to_string(index);
    // Numbered naming ("fc1", "conv2") for the weight layers of the estimator's shorthand; Keras'
    // default names otherwise.
    if (naming == LayerNaming::Numbered && kind == LayerKind::Dense)
        return "fc" + n;
    if (naming == LayerNaming::Numbered && kind == LayerKind::Conv2D)
        return "conv" + n;
    return kerasNameStem(kind) + "_" + n;
}

} // namespace

namespace architecture {

std::int64_t jsonPositive(const nlohmann::json& v, const std::string& where)
{
    if (!v.is_number_integer() || v.get<std::int64_t>() < 1)
        throw ShapeError("architecture JSON " + where + ": expected a positive integer, found " + v.dump());
    return v.get<std::int64_t>();
}

bool jsonFlag(const nlohmann::json& e, const char* key, bool def, const std::string& where)
{
    if (!e.contains(key))
        return def;
    if (!e[key].is_boolean())
        throw ShapeError("architecture JSON " + where + ": \"" + key + "\" must be true or false");
    return e[key].get<bool>();
}

void parseJsonEntry(const nlohmann::json& entry, const std::string& where, std::vector<LayerDesc>& out)
{
    // A bare name is the entry {name: true}.
    static const char* const kNames[] = {"flatten", "layer_norm", "global_average_pooling", "global_max_pooling"};
    if (entry.is_string() && std::none_of(std::begin(kNames), std::end(kNames),
                                          [&](const char* n) { return entry.get<std::string>() == n; }))
        throw ShapeError("architecture JSON " + where + ": unknown layer \"" + entry.get<std::string>() +
                         "\" (named layers: flatten, layer_norm, global_average_pooling, global_max_pooling)");
    const nlohmann::json e = entry.is_string() ? nlohmann::json{{entry.get<std::string>(), true}} : entry;
    if (!e.is_object())
        throw ShapeError("architecture JSON " + where + ": expected an object, found " + e.dump());
    if (parseSequenceEntry(e, where, out))
        return;
    LayerDesc l;
    l.where = where;
    if (e.contains("dense")) {
        l.kind = LayerKind::Dense;
        l.units = jsonPositive(e["dense"], l.where + " \"dense\"");
    } else if (e.contains("conv")) {
        l.kind = LayerKind::Conv2D;
        l.units = jsonPositive(e["conv"], l.where + " \"conv\"");
        if (e.contains("kernel"))
            l.kernel = jsonPositive(e["kernel"], l.where + " \"kernel\"");
        if (e.contains("stride"))
            l.stride = jsonPositive(e["stride"], l.where + " \"stride\"");
        const nlohmann::json pad = e.contains("padding") ? e["padding"] : nlohmann::json("same");
        if (pad != "same" && pad != "valid")
            throw ShapeError("architecture JSON " + l.where + ": padding must be \"same\" or \"valid\", found " +
                             pad.dump());
        l.padding = pad == "same" ? Padding::Same : Padding::Valid;
    } else if (e.contains("maxpool") || e.contains("avgpool")) {
        const bool mx = e.contains("maxpool");
        l.kind = mx ? LayerKind::MaxPooling2D : LayerKind::AveragePooling2D;
        l.pool = jsonPositive(e[mx ? "maxpool" : "avgpool"], l.where);
    } else if (e.contains("global_average_pooling") || e.contains("global_max_pooling")) {
        // 1-D over a sequence, 2-D over an image (chosen by the input's rank when built).
        l.kind = e.contains("global_max_pooling") ? LayerKind::GlobalMaxPooling1D : LayerKind::GlobalAveragePooling1D;
    } else if (e.contains("flatten")) {
        l.kind = LayerKind::Flatten;
    } else if (e.contains("dropout")) {
        l.kind = LayerKind::Dropout;
        if (!e["dropout"].is_number() || e["dropout"].get<double>() < 0 || e["dropout"].get<double>() >= 1)
            throw ShapeError("architecture JSON " + l.where + ": dropout rate must be in [0, 1), found " +
                             e["dropout"].dump());
        l.rate = e["dropout"].get<float>();
    } else {
        throw ShapeError("architecture JSON " + l.where +
                         ": expected one of dense, conv, maxpool, avgpool, flatten, dropout, "
                         "global_average_pooling, global_max_pooling, embedding, lstm, gru, simple_rnn, attention, "
                         "layer_norm, residual, transformer; found " +
                         e.dump());
    }
    if (e.contains("activation")) {
        const auto a = activationFromName(e["activation"].is_string() ? e["activation"].get<std::string>() : "");
        if (!a)
            throw ShapeError("architecture JSON " + l.where + ": unknown activation " + e["activation"].dump() +
                             " (supported: " + supportedActivations() + ")");
        l.activation = *a;
    }
    l.useBias = jsonFlag(e, "bias", true, l.where);
    if (e.contains("k"))
        l.k = jsonPositive(e["k"], l.where + " \"k\"");
    out.push_back(l);
}

} // namespace architecture

bool isArchitectureShorthand(const std::string& text)
{
    if (text.empty() || text.find('-') == std::string::npos || !std::isdigit(static_cast<unsigned char>(text[0])))
        return false;
    return std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isdigit(c) || c == 'x' || c == 'c' || c == 'k' || c == 'p' || c == 'f' || c == '-';
    });
}

ParsedArchitecture parseArchitecture(const std::string& description, LayerNaming naming,
                                     ActivationKind outputActivation)
{
    const std::size_t first = description.find_first_not_of(" \t\r\n");
    const bool json = first != std::string::npos && description[first] == '{';
    Desc d = json ? parseJson(description) : parseShorthand(description);
    if (d.input.size() < 1 || d.input.size() > 3)
        throw ShapeError("architecture: input must be a width (e.g. 784, or sequence steps before an embedding), "
                         "steps×features for recurrent layers, or H×W×C (e.g. 28x28x1), found " +
                         shapeToString(d.input));
    // The output layer: the last Dense / Conv2D / attention, which must be a Dense outside any
    // residual connection (a description ending in a transformer block has no classifier).
    std::int64_t lastWeighted = -1;
    int depth = 0, lastDepth = 0;
    for (std::size_t i = 0; i < d.layers.size(); ++i) {
        const LayerDesc& l = d.layers[i];
        depth += l.residual == Residual::Begin ? 1 : l.residual == Residual::End ? -1 : 0;
        if (l.residual == Residual::None &&
            (l.kind == LayerKind::Dense || l.kind == LayerKind::Conv2D || l.kind == LayerKind::MultiHeadAttention)) {
            lastWeighted = static_cast<std::int64_t>(i);
            lastDepth = depth;
        }
    }
    if (lastWeighted < 0 || d.layers[static_cast<std::size_t>(lastWeighted)].kind != LayerKind::Dense || lastDepth > 0)
        throw ShapeError("architecture: the last weighted layer must be Dense (the classifier output), outside any "
                         "residual or transformer block");

    ParsedArchitecture out;
    out.plan.defaultBlockSize = d.k > 1 ? d.k : 0;
    ModelSpec& m = out.model;
    const bool sequence = std::any_of(d.layers.begin(), d.layers.end(), [](const LayerDesc& l) {
        return l.kind == LayerKind::Embedding || l.kind == LayerKind::LSTM || l.kind == LayerKind::GRU ||
               l.kind == LayerKind::SimpleRNN;
    });
    const bool attention = std::any_of(d.layers.begin(), d.layers.end(),
                                       [](const LayerDesc& l) { return l.kind == LayerKind::MultiHeadAttention; });
    m.name = !d.name.empty() ? d.name
             : attention     ? "transformer"
             : sequence      ? "rnn"
                             : (d.input.size() == 1 ? "mlp" : "cnn");
    LayerSpec input;
    input.name = "input";
    input.kind = LayerKind::Input;
    input.className = "InputLayer";
    input.inputShape = d.input;
    m.layers.push_back(input);
    m.inputs = {"input"};

    Shape cur = d.input;
    std::string prev = "input";
    int denseCount = 0, convCount = 0, poolCount = 0, flatCount = 0, dropCount = 0, seqCount = 0;
    std::map<LayerKind, int> counts; // the kinds added with attention (attention, norms, Add, global pooling)
    auto add = [&](LayerSpec s) {
        if (s.inputs.empty())
            s.inputs = {prev};
        s.className = layerKindName(s.kind);
        prev = s.name;
        m.layers.push_back(std::move(s));
    };
    struct OpenResidual {
        std::string input; // the tensor entering the residual body
        Shape shape;
        std::string where;
    };
    std::vector<OpenResidual> open;
    for (std::size_t i = 0; i < d.layers.size(); ++i) {
        const LayerDesc& l = d.layers[i];
        const bool isOutput = static_cast<std::int64_t>(i) == lastWeighted;
        if (l.residual == Residual::Begin) {
            open.push_back({prev, cur, l.where});
            continue;
        }
        if (l.residual == Residual::End) { // Add(body input, body output)
            const OpenResidual r = open.back();
            open.pop_back();
            if (cur != r.shape)
                throw ShapeError("architecture " + r.where + ": the body maps " + shapeToString(r.shape) + " to " +
                                 shapeToString(cur) + ", but a residual connection adds the two: they must agree");
            LayerSpec s;
            s.kind = LayerKind::Add;
            s.name = layerName(s.kind, naming, ++counts[s.kind]);
            s.inputs = {r.input, prev};
            add(std::move(s));
            continue;
        }
        // A Dense after an image is preceded by a Flatten; after a sequence (steps, features) it
        // applies to every step (over the last axis), as Keras does.
        if ((l.kind == LayerKind::Dense && cur.size() == 3) || (l.kind == LayerKind::Flatten && cur.size() != 1)) {
            LayerSpec f;
            f.kind = LayerKind::Flatten;
            f.name = layerName(LayerKind::Flatten, naming, ++flatCount);
            add(f);
            cur = {shapeSize(cur)};
        }
        LayerSpec s;
        s.kind = l.kind;
        switch (l.kind) {
        case LayerKind::Flatten:
            continue; // inserted above when the tensor is not flat yet
        case LayerKind::Dropout:
            s.name = layerName(LayerKind::Dropout, naming, ++dropCount);
            s.rate = l.rate;
            break;
        case LayerKind::MaxPooling2D:
        case LayerKind::AveragePooling2D:
            if (cur.size() != 3)
                throw ShapeError("architecture " + l.where + ": pooling needs an image-shaped input (H, W, C), found " +
                                 shapeToString(cur));
            s.name = layerName(l.kind, naming, ++poolCount);
            s.kernelH = s.kernelW = s.strideH = s.strideW = l.pool;
            s.padding = Padding::Valid;
            cur = {convOutputSize(cur[0], l.pool, l.pool, 1, Padding::Valid),
                   convOutputSize(cur[1], l.pool, l.pool, 1, Padding::Valid), cur[2]};
            if (cur[0] < 1 || cur[1] < 1)
                throw ShapeError("architecture " + l.where + ": pooling " + std::to_string(l.pool) +
                                 " leaves no pixels (image too small)");
            break;
        case LayerKind::Embedding:
            if (cur.size() != 1 || i != 0)
                throw ShapeError("architecture " + l.where +
                                 ": an embedding must come first, on token ids (input [steps])");
            s.name = layerName(l.kind, naming, ++seqCount);
            s.units = l.units;
            s.inputDim = l.vocab;
            s.maskZero = l.maskZero;
            s.useBias = false;
            cur = {cur[0], l.units};
            break;
        case LayerKind::MultiHeadAttention: // self-attention: query = value = the current sequence
            if (cur.size() != 2)
                throw ShapeError("architecture " + l.where + ": attention needs a sequence (steps, features), found " +
                                 shapeToString(cur) +
                                 " (put an embedding, a recurrent layer with return_sequences or a [steps, features] "
                                 "input before it)");
            s.name = layerName(l.kind, naming, ++counts[l.kind]);
            s.inputs = {prev, prev};
            s.numHeads = l.heads;
            s.keyDim = l.keyDim;
            s.valueDim = l.valueDim;
            s.units = l.units;
            s.useBias = l.useBias;
            s.useCausalMask = l.causal;
            if (l.k > 0)
                out.plan.perLayer[s.name] = l.k;
            cur = {cur[0], l.units > 0 ? l.units : cur[1]};
            break;
        case LayerKind::LayerNormalization: // over the features (Keras' axis=-1)
            s.name = layerName(l.kind, naming, ++counts[l.kind]);
            s.axes = {-1};
            s.epsilon = l.epsilon;
            break;
        case LayerKind::GlobalAveragePooling1D:
        case LayerKind::GlobalMaxPooling1D: {
            if (cur.size() != 2 && cur.size() != 3)
                throw ShapeError("architecture " + l.where +
                                 ": global pooling needs a sequence (steps, features) or an image (H, W, C), found " +
                                 shapeToString(cur));
            const bool avg = l.kind == LayerKind::GlobalAveragePooling1D;
            s.kind = cur.size() == 2 ? l.kind : avg ? LayerKind::GlobalAveragePooling2D : LayerKind::GlobalMaxPooling2D;
            s.name = layerName(s.kind, naming, ++counts[s.kind]);
            cur = {cur.back()};
            break;
        }
        case LayerKind::SimpleRNN:
        case LayerKind::LSTM:
        case LayerKind::GRU:
            if (cur.size() != 2)
                throw ShapeError("architecture " + l.where +
                                 ": a recurrent layer needs a sequence (steps, features), found " + shapeToString(cur));
            s.name = layerName(l.kind, naming, ++seqCount);
            s.units = l.units;
            s.useBias = l.useBias;
            s.activation = l.activation ? *l.activation : ActivationKind::Tanh;
            s.returnSequences = l.returnSequences;
            s.goBackwards = l.goBackwards;
            s.resetAfter = l.resetAfter;
            if (l.k > 0)
                out.plan.perLayer[s.name] = l.k;
            cur = l.returnSequences ? Shape{cur[0], l.units} : Shape{l.units};
            break;
        case LayerKind::Conv2D:
        case LayerKind::Dense: {
            const bool conv = l.kind == LayerKind::Conv2D;
            if (conv && cur.size() != 3)
                throw ShapeError("architecture " + l.where + ": Conv2D needs an image-shaped input (H, W, C), found " +
                                 shapeToString(cur));
            s.name = layerName(l.kind, naming, conv ? ++convCount : ++denseCount);
            // 0: a transformer's projection back to the features entering its residual body
            s.units = l.units > 0 ? l.units : open.empty() ? cur.back() : open.back().shape.back();
            s.useBias = l.useBias;
            s.activation = l.activation ? *l.activation : (isOutput ? outputActivation : ActivationKind::Relu);
            if (l.k > 0)
                out.plan.perLayer[s.name] = l.k;
            if (conv) {
                s.kernelH = s.kernelW = l.kernel;
                s.strideH = s.strideW = l.stride;
                s.padding = l.padding;
                cur = {convOutputSize(cur[0], l.kernel, l.stride, 1, l.padding),
                       convOutputSize(cur[1], l.kernel, l.stride, 1, l.padding), l.units};
                if (cur[0] < 1 || cur[1] < 1)
                    throw ShapeError("architecture " + l.where + ": the " + std::to_string(l.kernel) + "×" +
                                     std::to_string(l.kernel) + " convolution leaves no pixels");
            } else if (cur.size() == 2) {
                cur = {cur[0], s.units};
            } else {
                cur = {s.units};
            }
            break;
        }
        default:
            break;
        }
        add(std::move(s));
    }
    m.outputs = {prev};
    m.provenance.sourceFormat = "spec";
    m.provenance.notes = "architecture: " + (json ? std::string("JSON description") : description);
    inferShapes(m, /*checkWeights=*/false);
    return out;
}

} // namespace circnn
