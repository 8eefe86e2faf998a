#include "nn/training/Architecture.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>

#include <nlohmann/json.hpp>

#include "common/Error.h"
#include "common/MemoryBudget.h"
#include "model/ShapeInference.h"

namespace circnn {

namespace {

// One layer as described, before weights.
struct LayerDesc {
    LayerKind kind = LayerKind::Dense;
    std::int64_t units = 0;          // Dense width / Conv2D filters
    std::int64_t kernel = 3, stride = 1, pool = 2;
    Padding padding = Padding::Same;
    float rate = 0;
    std::optional<ActivationKind> activation;
    bool useBias = true;
    std::int64_t k = 0;              // explicit block size (0 = default)
    std::string where;               // token / JSON position for messages
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
        throw Error("architecture '" + token + "': expected a positive integer, found '" + s + "'");
    const std::int64_t v = std::stoll(s);
    if (v < 1)
        throw Error("architecture '" + token + "': expected a positive integer, found '" + s + "'");
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
        throw Error("architecture '" + text + "': expected at least an input and an output layer, e.g. 784-128-10");
    for (const std::string& dim : split(tokens[0], 'x'))
        d.input.push_back(parsePositive(dim, tokens[0]));
    for (std::size_t i = 1; i < tokens.size(); ++i) {
        const std::string& t = tokens[i];
        LayerDesc l;
        l.where = "token '" + t + "'";
        if (t.empty())
            throw Error("architecture '" + text + "': empty token (two '-' in a row?)");
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
        throw Error("architecture JSON " + where + ": expected a positive integer, found " + v.dump());
    return v.get<std::int64_t>();
}

Desc parseJson(const std::string& text)
{
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw Error(std::string("architecture JSON: not valid JSON: ") + e.what());
    }
    if (!j.is_object())
        throw Error("architecture JSON: expected an object with \"input\" and \"layers\"");
    Desc d;
    d.name = j.value("name", std::string());
    if (!j.contains("input"))
        throw Error("architecture JSON: missing \"input\" (e.g. [784] or [28,28,1])");
    const auto& in = j["input"];
    if (in.is_number_integer())
        d.input.push_back(jsonPositive(in, "\"input\""));
    else if (in.is_array() && !in.empty())
        for (const auto& v : in)
            d.input.push_back(jsonPositive(v, "\"input\""));
    else
        throw Error("architecture JSON: \"input\" must be a positive integer or a list of them, found " + in.dump());
    if (j.contains("k"))
        d.k = jsonPositive(j["k"], "\"k\"");
    if (!j.contains("layers") || !j["layers"].is_array() || j["layers"].empty())
        throw Error("architecture JSON: \"layers\" must be a non-empty list");
    int index = 0;
    for (const auto& e : j["layers"]) {
        LayerDesc l;
        l.where = "layer " + std::to_string(index++);
        if (e.is_string()) {
            if (e.get<std::string>() != "flatten")
                throw Error("architecture JSON " + l.where + ": unknown layer \"" + e.get<std::string>() + "\"");
            l.kind = LayerKind::Flatten;
            d.layers.push_back(l);
            continue;
        }
        if (!e.is_object())
            throw Error("architecture JSON " + l.where + ": expected an object, found " + e.dump());
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
                throw Error("architecture JSON " + l.where + ": padding must be \"same\" or \"valid\", found \"" + pad + "\"");
            l.padding = pad == "same" ? Padding::Same : Padding::Valid;
        } else if (e.contains("maxpool") || e.contains("avgpool")) {
            const bool mx = e.contains("maxpool");
            l.kind = mx ? LayerKind::MaxPooling2D : LayerKind::AveragePooling2D;
            l.pool = jsonPositive(e[mx ? "maxpool" : "avgpool"], l.where);
        } else if (e.contains("flatten")) {
            l.kind = LayerKind::Flatten;
        } else if (e.contains("dropout")) {
            l.kind = LayerKind::Dropout;
            if (!e["dropout"].is_number() || e["dropout"].get<double>() < 0 || e["dropout"].get<double>() >= 1)
                throw Error("architecture JSON " + l.where + ": dropout rate must be in [0, 1), found " + e["dropout"].dump());
            l.rate = e["dropout"].get<float>();
        } else {
            throw Error("architecture JSON " + l.where + ": expected one of dense, conv, maxpool, avgpool, flatten, "
                        "dropout; found " + e.dump());
        }
        if (e.contains("activation")) {
            const auto a = activationFromName(e["activation"].is_string() ? e["activation"].get<std::string>() : "");
            if (!a)
                throw Error("architecture JSON " + l.where + ": unknown activation " + e["activation"].dump() +
                            " (supported: " + supportedActivations() + ")");
            l.activation = *a;
        }
        if (e.contains("bias")) {
            if (!e["bias"].is_boolean())
                throw Error("architecture JSON " + l.where + ": \"bias\" must be true or false");
            l.useBias = e["bias"].get<bool>();
        }
        if (e.contains("k"))
            l.k = jsonPositive(e["k"], l.where + " \"k\"");
        d.layers.push_back(l);
    }
    return d;
}

class Initialiser {
public:
    explicit Initialiser(std::uint32_t seed) : m_rng(seed) {}
    void glorot(Tensor& t, std::int64_t fanIn, std::int64_t fanOut)
    {
        const float limit = static_cast<float>(std::sqrt(6.0 / double(fanIn + fanOut)));
        for (std::int64_t i = 0; i < t.size(); ++i)
            t[i] = uniformFloat(static_cast<std::uint32_t>(m_rng()), -limit, limit);
    }

private:
    std::mt19937 m_rng;
};

} // namespace

float uniformFloat(std::uint32_t bits, float lo, float hi)
{
    const double u = double(bits >> 8) * (1.0 / 16777216.0);  // 24 random bits in [0, 1)
    return static_cast<float>(lo + (hi - lo) * u);
}

bool isArchitectureShorthand(const std::string& text)
{
    if (text.empty() || text.find('-') == std::string::npos || !std::isdigit(static_cast<unsigned char>(text[0])))
        return false;
    return std::all_of(text.begin(), text.end(), [](unsigned char c) {
        return std::isdigit(c) || c == 'x' || c == 'c' || c == 'k' || c == 'p' || c == 'f' || c == '-';
    });
}

BuiltArchitecture buildArchitecture(const std::string& description, const ArchitectureOptions& options)
{
    std::size_t first = description.find_first_not_of(" \t\r\n");
    const bool json = first != std::string::npos && description[first] == '{';
    Desc d = json ? parseJson(description) : parseShorthand(description);
    if (options.blockSize < 1)
        throw Error("architecture: block size k must be >= 1, found " + std::to_string(options.blockSize));
    const std::int64_t defaultK = options.blockSize > 1 ? options.blockSize : d.k;
    if (d.input.size() != 1 && d.input.size() != 3)
        throw Error("architecture: input must be a width (e.g. 784) or H×W×C (e.g. 28x28x1), found " +
                    shapeToString(d.input));

    std::int64_t lastWeighted = -1;
    for (std::size_t i = 0; i < d.layers.size(); ++i)
        if (d.layers[i].kind == LayerKind::Dense || d.layers[i].kind == LayerKind::Conv2D)
            lastWeighted = static_cast<std::int64_t>(i);
    if (lastWeighted < 0 || d.layers[static_cast<std::size_t>(lastWeighted)].kind != LayerKind::Dense)
        throw Error("architecture: the last weighted layer must be Dense (the classifier output)");

    BuiltArchitecture out;
    ModelSpec& m = out.model;
    m.name = !options.name.empty() ? options.name : (!d.name.empty() ? d.name : (d.input.size() == 1 ? "mlp" : "cnn"));
    LayerSpec input;
    input.name = "input";
    input.kind = LayerKind::Input;
    input.className = "InputLayer";
    input.inputShape = d.input;
    m.layers.push_back(input);
    m.inputs = {"input"};

    // Weights are allocated after the loop, once their total (and the training memory it implies)
    // has been checked against the memory budget; initialised in layer order as before.
    struct PendingWeights {
        std::size_t layer;            // index in m.layers
        Shape shape;                  // kernel or circulant vectors
        std::int64_t fanIn, fanOut;
        bool circulant;
    };
    std::vector<PendingWeights> pending;
    std::int64_t parameters = 0, activations = shapeSize(d.input);
    Shape cur = d.input;
    std::string prev = "input";
    int denseCount = 0, convCount = 0, poolCount = 0, flatCount = 0, dropCount = 0;
    for (std::size_t i = 0; i < d.layers.size(); ++i) {
        const LayerDesc& l = d.layers[i];
        const bool isOutput = static_cast<std::int64_t>(i) == lastWeighted;
        if (l.kind == LayerKind::Dense && cur.size() != 1) {
            LayerSpec f;
            f.name = "flatten_" + std::to_string(++flatCount);
            f.kind = LayerKind::Flatten;
            f.className = "Flatten";
            f.inputs = {prev};
            m.layers.push_back(f);
            prev = f.name;
            cur = {shapeSize(cur)};
        }
        LayerSpec s;
        s.inputs = {prev};
        switch (l.kind) {
        case LayerKind::Flatten:
            if (cur.size() == 1)
                continue;  // already flat
            s.name = "flatten_" + std::to_string(++flatCount);
            s.kind = LayerKind::Flatten;
            s.className = "Flatten";
            cur = {shapeSize(cur)};
            break;
        case LayerKind::Dropout:
            s.name = "dropout_" + std::to_string(++dropCount);
            s.kind = LayerKind::Dropout;
            s.className = "Dropout";
            s.rate = l.rate;
            break;
        case LayerKind::MaxPooling2D:
        case LayerKind::AveragePooling2D: {
            if (cur.size() != 3)
                throw Error("architecture " + l.where + ": pooling needs an image-shaped input (H, W, C), found " +
                            shapeToString(cur));
            s.name = (l.kind == LayerKind::MaxPooling2D ? "max_pooling2d_" : "average_pooling2d_") + std::to_string(++poolCount);
            s.kind = l.kind;
            s.className = l.kind == LayerKind::MaxPooling2D ? "MaxPooling2D" : "AveragePooling2D";
            s.kernelH = s.kernelW = s.strideH = s.strideW = l.pool;
            s.padding = Padding::Valid;
            cur = {convOutputSize(cur[0], l.pool, l.pool, 1, Padding::Valid),
                   convOutputSize(cur[1], l.pool, l.pool, 1, Padding::Valid), cur[2]};
            if (cur[0] < 1 || cur[1] < 1)
                throw Error("architecture " + l.where + ": pooling " + std::to_string(l.pool) +
                            " leaves no pixels (image too small)");
            break;
        }
        case LayerKind::Conv2D:
        case LayerKind::Dense: {
            const bool conv = l.kind == LayerKind::Conv2D;
            if (conv && cur.size() != 3)
                throw Error("architecture " + l.where + ": Conv2D needs an image-shaped input (H, W, C), found " +
                            shapeToString(cur));
            s.kind = l.kind;
            s.className = conv ? "Conv2D" : "Dense";
            s.name = conv ? "conv2d_" + std::to_string(++convCount) : "dense_" + std::to_string(++denseCount);
            s.units = l.units;
            s.useBias = l.useBias;
            s.activation = l.activation ? *l.activation : (isOutput ? ActivationKind::Softmax : ActivationKind::Relu);
            const std::int64_t in = conv ? cur[2] : cur[0];
            const std::int64_t taps = conv ? l.kernel * l.kernel : 1;
            if (conv) {
                s.kernelH = s.kernelW = l.kernel;
                s.strideH = s.strideW = l.stride;
                s.padding = l.padding;
            }
            // Block size for this layer.
            std::int64_t k = 1;
            if (l.k > 0) {
                k = l.k;
                if (k > 1 && (in < k || l.units < k))
                    throw Error("architecture " + l.where + " (" + s.name + "): block size " + std::to_string(k) +
                                " exceeds its " + (conv ? "channels" : "dimensions") + " (" + std::to_string(in) +
                                " in, " + std::to_string(l.units) + " out)");
            } else if (defaultK > 1 && (!isOutput || options.circulantOutput)) {
                if (in < defaultK || l.units < defaultK)
                    out.warnings.push_back(s.name + ": left dense, block size " + std::to_string(defaultK) +
                                           " exceeds its " + (conv ? "channels" : "dimensions") + " (" +
                                           std::to_string(in) + " in, " + std::to_string(l.units) + " out)");
                else
                    k = defaultK;
            }
            const std::int64_t fanIn = taps * in, fanOut = taps * l.units;
            if (k > 1) {
                CirculantWeights cw;
                cw.k = k;
                cw.rows = l.units;
                cw.cols = in;
                const std::int64_t p = (l.units + k - 1) / k, q = (in + k - 1) / k;
                pending.push_back({m.layers.size(), conv ? Shape{l.kernel, l.kernel, p, q, k} : Shape{p, q, k},
                                   fanIn, fanOut, true});
                s.circulant = std::move(cw);
                m.plan.blockSize[s.name] = k;
            } else {
                pending.push_back({m.layers.size(), conv ? Shape{l.kernel, l.kernel, in, l.units} : Shape{in, l.units},
                                   fanIn, fanOut, false});
            }
            if (l.useBias)
                s.bias = Tensor({l.units}, 0.0f);
            if (conv) {
                cur = {convOutputSize(cur[0], l.kernel, l.stride, 1, l.padding),
                       convOutputSize(cur[1], l.kernel, l.stride, 1, l.padding), l.units};
                if (cur[0] < 1 || cur[1] < 1)
                    throw Error("architecture " + l.where + ": the " + std::to_string(l.kernel) +
                                "×" + std::to_string(l.kernel) + " convolution leaves no pixels");
            } else {
                cur = {l.units};
            }
            break;
        }
        default:
            break;
        }
        m.layers.push_back(std::move(s));
        prev = m.layers.back().name;
        activations = saturatingAdd(activations, shapeSize(cur));
    }
    for (const PendingWeights& w : pending) {
        std::int64_t n = 1;
        for (auto dim : w.shape)
            n = saturatingMultiply(n, dim);
        parameters = saturatingAdd(parameters, n);
    }
    // Training holds each weight with its gradient and two optimizer moments (16 bytes), and each
    // activation of a mini-batch with its gradient (8 bytes per value and sample).
    const std::int64_t batch = std::max<std::int64_t>(1, options.trainingBatch);
    checkMemoryBudget(saturatingAdd(saturatingMultiply(parameters, 16),
                                    saturatingMultiply(saturatingMultiply(activations, 8), batch)),
                      "architecture '" + (json ? std::string("JSON description") : description) + "' (" +
                          std::to_string(parameters) + " weights, " + std::to_string(activations) +
                          " activations per sample, batch " + std::to_string(batch) + ")");
    Initialiser init(options.seed);
    for (const PendingWeights& w : pending) {
        LayerSpec& s = m.layers[w.layer];
        Tensor& t = w.circulant ? s.circulant->vectors : s.kernel;
        t = Tensor(w.shape);
        init.glorot(t, w.fanIn, w.fanOut);
    }
    m.outputs = {prev};
    m.provenance.sourceFormat = "spec";
    m.provenance.notes = "architecture: " + (json ? std::string("JSON description") : description);
    inferShapes(m, true);
    return out;
}

} // namespace circnn
