#include "model/ArchitectureParser.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include <nlohmann/json.hpp>

#include "common/Error.h"
#include "model/LayerTraits.h"
#include "model/ShapeInference.h"

namespace circnn {

namespace {

// One layer as described, before weights.
struct LayerDesc {
    LayerKind kind = LayerKind::Dense;
    std::int64_t units = 0; // Dense width / Conv2D filters
    std::int64_t kernel = 3, stride = 1, pool = 2;
    Padding padding = Padding::Same;
    float rate = 0;
    std::optional<ActivationKind> activation;
    bool useBias = true;
    std::int64_t k = 0; // explicit block size (0 = default)
    std::string where;  // token / JSON position for messages
    // Sequence layers (JSON only): Embedding vocabulary and mask_zero; recurrent options.
    std::int64_t vocab = 0;
    bool maskZero = false, returnSequences = false, goBackwards = false, resetAfter = true;
};

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

// {"embedding": dim, "vocab": V, "mask_zero": bool} or {"lstm"|"gru"|"simple_rnn": units,
// "return_sequences": bool, "go_backwards": bool, "reset_after": bool (GRU)}.
void parseSequenceLayer(const nlohmann::json& e, LayerDesc& l)
{
    if (e.contains("embedding")) {
        l.kind = LayerKind::Embedding;
        l.units = jsonPositive(e["embedding"], l.where + " \"embedding\"");
        if (!e.contains("vocab"))
            throw ShapeError("architecture JSON " + l.where +
                             ": an embedding needs \"vocab\" (the number of token ids)");
        l.vocab = jsonPositive(e["vocab"], l.where + " \"vocab\"");
        l.maskZero = jsonFlag(e, "mask_zero", false, l.where);
        l.useBias = false;
        return;
    }
    const char* key = e.contains("lstm") ? "lstm" : e.contains("gru") ? "gru" : "simple_rnn";
    l.kind = e.contains("lstm") ? LayerKind::LSTM : e.contains("gru") ? LayerKind::GRU : LayerKind::SimpleRNN;
    l.units = jsonPositive(e[key], l.where + " \"" + key + "\"");
    l.returnSequences = jsonFlag(e, "return_sequences", false, l.where);
    l.goBackwards = jsonFlag(e, "go_backwards", false, l.where);
    l.resetAfter = jsonFlag(e, "reset_after", true, l.where);
}

Desc parseJson(const std::string& text)
{
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw ShapeError(std::string("architecture JSON: not valid JSON: ") + e.what());
    }
    if (!j.is_object())
        throw ShapeError("architecture JSON: expected an object with \"input\" and \"layers\"");
    Desc d;
    d.name = j.value("name", std::string());
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
    for (const auto& e : j["layers"]) {
        LayerDesc l;
        l.where = "layer " + std::to_string(index++);
        if (e.is_string()) {
            if (e.get<std::string>() != "flatten")
                throw ShapeError("architecture JSON " + l.where + ": unknown layer \"" + e.get<std::string>() + "\"");
            l.kind = LayerKind::Flatten;
            d.layers.push_back(l);
            continue;
        }
        if (!e.is_object())
            throw ShapeError("architecture JSON " + l.where + ": expected an object, found " + e.dump());
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
            const std::string pad = e.value("padding", std::string("same"));
            if (pad != "same" && pad != "valid")
                throw ShapeError("architecture JSON " + l.where + ": padding must be \"same\" or \"valid\", found \"" +
                                 pad + "\"");
            l.padding = pad == "same" ? Padding::Same : Padding::Valid;
        } else if (e.contains("maxpool") || e.contains("avgpool")) {
            const bool mx = e.contains("maxpool");
            l.kind = mx ? LayerKind::MaxPooling2D : LayerKind::AveragePooling2D;
            l.pool = jsonPositive(e[mx ? "maxpool" : "avgpool"], l.where);
        } else if (e.contains("flatten")) {
            l.kind = LayerKind::Flatten;
        } else if (e.contains("embedding") || e.contains("lstm") || e.contains("gru") || e.contains("simple_rnn")) {
            parseSequenceLayer(e, l);
        } else if (e.contains("dropout")) {
            l.kind = LayerKind::Dropout;
            if (!e["dropout"].is_number() || e["dropout"].get<double>() < 0 || e["dropout"].get<double>() >= 1)
                throw ShapeError("architecture JSON " + l.where + ": dropout rate must be in [0, 1), found " +
                                 e["dropout"].dump());
            l.rate = e["dropout"].get<float>();
        } else {
            throw ShapeError("architecture JSON " + l.where +
                             ": expected one of dense, conv, maxpool, avgpool, flatten, "
                             "dropout, embedding, lstm, gru, simple_rnn; found " +
                             e.dump());
        }
        if (e.contains("activation")) {
            const auto a = activationFromName(e["activation"].is_string() ? e["activation"].get<std::string>() : "");
            if (!a)
                throw ShapeError("architecture JSON " + l.where + ": unknown activation " + e["activation"].dump() +
                                 " (supported: " + supportedActivations() + ")");
            l.activation = *a;
        }
        if (e.contains("bias")) {
            if (!e["bias"].is_boolean())
                throw ShapeError("architecture JSON " + l.where + ": \"bias\" must be true or false");
            l.useBias = e["bias"].get<bool>();
        }
        if (e.contains("k"))
            l.k = jsonPositive(e["k"], l.where + " \"k\"");
        d.layers.push_back(l);
    }
    return d;
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
    std::int64_t lastWeighted = -1;
    for (std::size_t i = 0; i < d.layers.size(); ++i)
        if (d.layers[i].kind == LayerKind::Dense || d.layers[i].kind == LayerKind::Conv2D)
            lastWeighted = static_cast<std::int64_t>(i);
    if (lastWeighted < 0 || d.layers[static_cast<std::size_t>(lastWeighted)].kind != LayerKind::Dense)
        throw ShapeError("architecture: the last weighted layer must be Dense (the classifier output)");

    ParsedArchitecture out;
    out.plan.defaultBlockSize = d.k > 1 ? d.k : 0;
    ModelSpec& m = out.model;
    const bool sequence = std::any_of(d.layers.begin(), d.layers.end(), [](const LayerDesc& l) {
        return l.kind == LayerKind::Embedding || l.kind == LayerKind::LSTM || l.kind == LayerKind::GRU ||
               l.kind == LayerKind::SimpleRNN;
    });
    m.name = !d.name.empty() ? d.name : sequence ? "rnn" : (d.input.size() == 1 ? "mlp" : "cnn");
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
    auto add = [&](LayerSpec s) {
        s.inputs = {prev};
        s.className = layerKindName(s.kind);
        prev = s.name;
        m.layers.push_back(std::move(s));
    };
    for (std::size_t i = 0; i < d.layers.size(); ++i) {
        const LayerDesc& l = d.layers[i];
        const bool isOutput = static_cast<std::int64_t>(i) == lastWeighted;
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
            s.units = l.units;
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
                cur = {cur[0], l.units};
            } else {
                cur = {l.units};
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
