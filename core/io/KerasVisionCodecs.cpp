// Keras config codecs of the issue-15 families: UpSampling1D/2D, Cropping1D/2D, Conv2DTranspose,
// Rescaling, Normalization, Multiply / Subtract / Average / Maximum, Permute, RepeatVector.

#include "io/KerasLayerCodecs.h"

namespace circnn::keras {

using nlohmann::json;

namespace {

json pair(std::int64_t a, std::int64_t b)
{
    return json::array({a, b});
}

// A float config value that may also be written as a one-element list.
float scalarValue(const ConfigContext& c, const json& cfg, const char* key, double def)
{
    const json* v = member(cfg, key);
    if (v && v->is_array() && v->size() == 1)
        v = &(*v)[0];
    if (!v)
        return static_cast<float>(def);
    if (!v->is_number())
        c.fail(std::string("'") + key + "' " + v->dump() + " is not supported (only one number for every channel)");
    return v->get<float>();
}

// Flattens a number or nested lists of numbers (Normalization's mean / variance in a config).
void collectNumbers(const ConfigContext& c, const json& v, const char* key, std::vector<float>& out)
{
    if (v.is_number()) {
        out.push_back(v.get<float>());
    } else if (v.is_array()) {
        for (const auto& e : v)
            collectNumbers(c, e, key, out);
    } else {
        c.fail(std::string("'") + key + "' " + v.dump() + " is not a number or a list of numbers");
    }
}

} // namespace

void readUpSampling1D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    l.kernelH = 1;
    l.kernelW = getSingle(c, cfg, "size", 2);
}

std::pair<std::string, json> writeUpSampling1D(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["size"] = l.kernelW;
    return {"UpSampling1D", c};
}

void readUpSampling2D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    checkChannelsLast(c, cfg);
    std::tie(l.kernelH, l.kernelW) = getPair(c, cfg, "size", std::pair{std::int64_t(2), std::int64_t(2)});
    const std::string mode = getString(c, cfg, "interpolation", "nearest");
    if (mode != "nearest" && mode != "bilinear")
        c.fail("interpolation '" + mode + "' is not supported (nearest, bilinear)");
    l.bilinear = mode == "bilinear";
}

std::pair<std::string, json> writeUpSampling2D(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["size"] = pair(l.kernelH, l.kernelW);
    c["data_format"] = "channels_last";
    c["interpolation"] = l.bilinear ? "bilinear" : "nearest";
    return {"UpSampling2D", c};
}

void readCropping1D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    readTwoSides(c, l, cfg, "cropping", 1);
}

std::pair<std::string, json> writeCropping1D(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["cropping"] = pair(l.padLeft, l.padRight);
    return {"Cropping1D", c};
}

void readCropping2D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    checkChannelsLast(c, cfg);
    readFourSides(c, l, cfg, "cropping", 0);
}

std::pair<std::string, json> writeCropping2D(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["cropping"] = json::array({pair(l.padTop, l.padBottom), pair(l.padLeft, l.padRight)});
    c["data_format"] = "channels_last";
    return {"Cropping2D", c};
}

void readConv2DTranspose(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    readConvWindow(c, l, cfg);
    l.units = getInt(c, cfg, "filters");
    if (member(cfg, "output_padding")) {
        l.outputPadding = getPair(c, cfg, "output_padding", std::nullopt);
        const auto [h, w] = *l.outputPadding;
        if (h < 0 || w < 0 || h >= l.strideH || w >= l.strideW)
            c.fail("output_padding must be non-negative and smaller than the strides");
    }
}

std::pair<std::string, json> writeConv2DTranspose(const LayerSpec& l)
{
    json c = writeConvWindow(l);
    c["filters"] = l.units;
    c["output_padding"] = l.outputPadding ? pair(l.outputPadding->first, l.outputPadding->second) : json(nullptr);
    return {"Conv2DTranspose", c};
}

void readRescaling(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    l.rescaleScale = scalarValue(c, cfg, "scale", 1.0);
    l.rescaleOffset = scalarValue(c, cfg, "offset", 0.0);
}

std::pair<std::string, json> writeRescaling(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["scale"] = l.rescaleScale;
    c["offset"] = l.rescaleOffset;
    return {"Rescaling", c};
}

void readNormalization(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    const json* axis = member(cfg, "axis");
    if (!axis)
        c.fail("axis None (one mean over every axis) is not supported; only the last (channel) axis");
    if (axis->is_array()) {
        if (axis->size() != 1)
            c.fail("normalisation over several axes " + axis->dump() + " is not supported");
        l.axis = toInt(c, (*axis)[0], "axis");
    } else {
        l.axis = toInt(c, *axis, "axis");
    }
    l.invert = getBool(c, cfg, "invert", false);
    const json* mean = member(cfg, "mean");
    const json* variance = member(cfg, "variance");
    if (!mean != !variance)
        c.fail("'mean' and 'variance' must be given together");
    l.statsInConfig = mean != nullptr;
    if (l.statsInConfig) {
        std::vector<float> m, v;
        collectNumbers(c, *mean, "mean", m);
        collectNumbers(c, *variance, "variance", v);
        if (m.empty() || m.size() != v.size())
            c.fail("'mean' and 'variance' have different sizes");
        const auto n = static_cast<std::int64_t>(m.size());
        l.movingMean = Tensor({n});
        l.movingVariance = Tensor({n});
        std::copy(m.begin(), m.end(), l.movingMean.data());
        std::copy(v.begin(), v.end(), l.movingVariance.data());
    }
}

std::pair<std::string, json> writeNormalization(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["axis"] = json::array({l.axis});
    c["invert"] = l.invert;
    if (l.statsInConfig) {
        c["mean"] = std::vector<float>(l.movingMean.data(), l.movingMean.data() + l.movingMean.size());
        c["variance"] = std::vector<float>(l.movingVariance.data(), l.movingVariance.data() + l.movingVariance.size());
    } else {
        c["mean"] = nullptr;
        c["variance"] = nullptr;
    }
    return {"Normalization", c};
}

void readMerge(const ConfigContext&, LayerSpec&, const json&) {}

std::pair<std::string, json> writeMerge(const LayerSpec& l)
{
    return {layerKindName(l.kind), baseConfig(l)};
}

void readPermute(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    const json* dims = member(cfg, "dims");
    if (!dims || !dims->is_array() || dims->empty())
        c.fail("Permute needs a non-empty 'dims'");
    for (const auto& d : *dims)
        l.permuteDims.push_back(toInt(c, d, "dims"));
}

std::pair<std::string, json> writePermute(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["dims"] = l.permuteDims;
    return {"Permute", c};
}

void readRepeatVector(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    l.repeats = getInt(c, cfg, "n");
}

std::pair<std::string, json> writeRepeatVector(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["n"] = l.repeats;
    return {"RepeatVector", c};
}

} // namespace circnn::keras
