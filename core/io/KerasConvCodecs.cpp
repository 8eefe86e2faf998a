// Keras config codecs of the layers with a spatial or feature window: Dense, Conv2D, pooling,
// global pooling, ZeroPadding2D.

#include "io/KerasLayerCodecs.h"

namespace circnn::keras {

using nlohmann::json;

namespace {

json pair(std::int64_t a, std::int64_t b)
{
    return json::array({a, b});
}
const char* paddingName(const LayerSpec& l)
{
    return l.padding == Padding::Same ? "same" : l.padding == Padding::Causal ? "causal" : "valid";
}
constexpr std::pair<std::int64_t, std::int64_t> kOnes{1, 1};

} // namespace

// The convolution window shared by Conv2D, DepthwiseConv2D, SeparableConv2D and Conv2DTranspose.
void readConvWindow(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    checkChannelsLast(c, cfg);
    const std::int64_t groups = getInt(c, cfg, "groups", 1);
    if (groups != 1)
        c.fail("groups = " + std::to_string(groups) + " is not supported (only groups = 1)");
    std::tie(l.kernelH, l.kernelW) = getPair(c, cfg, "kernel_size", std::nullopt);
    std::tie(l.strideH, l.strideW) = getPair(c, cfg, "strides", kOnes);
    std::tie(l.dilationH, l.dilationW) = getPair(c, cfg, "dilation_rate", kOnes);
    if ((l.strideH > 1 || l.strideW > 1) && (l.dilationH > 1 || l.dilationW > 1))
        c.fail("strides > 1 together with dilation_rate > 1 is not supported (Keras rejects it too)");
    l.padding = parsePadding(c, cfg);
    setActivation(c, l, member(cfg, "activation"));
    l.useBias = getBool(c, cfg, "use_bias", true);
}

json writeConvWindow(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["kernel_size"] = pair(l.kernelH, l.kernelW);
    c["strides"] = pair(l.strideH, l.strideW);
    c["padding"] = paddingName(l);
    c["data_format"] = "channels_last";
    c["dilation_rate"] = pair(l.dilationH, l.dilationW);
    c["activation"] = keras2ActivationName(l);
    c["use_bias"] = l.useBias;
    return c;
}

void readDense(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    if (!member(cfg, "units") && member(cfg, "output_dim"))
        c.fail("Keras 1 configuration ('output_dim'); only Keras 2 and 3 files are supported");
    l.units = getInt(c, cfg, "units");
    setActivation(c, l, member(cfg, "activation"));
    l.useBias = getBool(c, cfg, "use_bias", true);
}

std::pair<std::string, json> writeDense(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["units"] = l.units;
    c["activation"] = keras2ActivationName(l);
    c["use_bias"] = l.useBias;
    return {"Dense", c};
}

void readConv2D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    if (!member(cfg, "filters") && member(cfg, "nb_filter"))
        c.fail("Keras 1 configuration ('nb_filter'); only Keras 2 and 3 files are supported");
    readConvWindow(c, l, cfg);
    l.units = getInt(c, cfg, "filters");
}

std::pair<std::string, json> writeConv2D(const LayerSpec& l)
{
    json c = writeConvWindow(l);
    c["filters"] = l.units;
    c["groups"] = 1;
    return {"Conv2D", c};
}

void readDepthwiseConv2D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    readConvWindow(c, l, cfg);
    l.depthMultiplier = getInt(c, cfg, "depth_multiplier", 1);
}

std::pair<std::string, json> writeDepthwiseConv2D(const LayerSpec& l)
{
    json c = writeConvWindow(l);
    c["depth_multiplier"] = l.depthMultiplier;
    return {"DepthwiseConv2D", c};
}

void readSeparableConv2D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    readConvWindow(c, l, cfg);
    l.depthMultiplier = getInt(c, cfg, "depth_multiplier", 1);
    l.units = getInt(c, cfg, "filters");
}

std::pair<std::string, json> writeSeparableConv2D(const LayerSpec& l)
{
    json c = writeConvWindow(l);
    c["depth_multiplier"] = l.depthMultiplier;
    c["filters"] = l.units;
    return {"SeparableConv2D", c};
}

void readConv1D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    checkChannelsLast(c, cfg);
    const std::int64_t groups = getInt(c, cfg, "groups", 1);
    if (groups != 1)
        c.fail("groups = " + std::to_string(groups) + " is not supported (only groups = 1)");
    l.units = getInt(c, cfg, "filters");
    l.kernelW = getSingle(c, cfg, "kernel_size", std::nullopt);
    l.strideW = getSingle(c, cfg, "strides", 1);
    l.dilationW = getSingle(c, cfg, "dilation_rate", 1);
    if (l.strideW > 1 && l.dilationW > 1)
        c.fail("strides > 1 together with dilation_rate > 1 is not supported (Keras rejects it too)");
    l.padding = parsePadding(c, cfg, true);
    setActivation(c, l, member(cfg, "activation"));
    l.useBias = getBool(c, cfg, "use_bias", true);
}

std::pair<std::string, json> writeConv1D(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["filters"] = l.units;
    c["kernel_size"] = json::array({l.kernelW});
    c["strides"] = json::array({l.strideW});
    c["padding"] = paddingName(l);
    c["data_format"] = "channels_last";
    c["dilation_rate"] = json::array({l.dilationW});
    c["groups"] = 1;
    c["activation"] = keras2ActivationName(l);
    c["use_bias"] = l.useBias;
    return {"Conv1D", c};
}

void readPooling1D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    checkChannelsLast(c, cfg);
    l.kernelW = getSingle(c, cfg, "pool_size", 2);
    l.strideW = getSingle(c, cfg, "strides", l.kernelW);
    l.padding = parsePadding(c, cfg);
}

std::pair<std::string, json> writePooling1D(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["pool_size"] = json::array({l.kernelW});
    c["strides"] = json::array({l.strideW});
    c["padding"] = paddingName(l);
    c["data_format"] = "channels_last";
    return {layerKindName(l.kind), c};
}

void readTwoSides(const ConfigContext& c, LayerSpec& l, const json& cfg, const char* key, std::int64_t def)
{
    const json* p = member(cfg, key);
    if (!p) {
        l.padLeft = l.padRight = def;
    } else if (p->is_number()) {
        l.padLeft = l.padRight = toInt(c, *p, key);
    } else if (p->is_array() && p->size() == 2) {
        l.padLeft = toInt(c, (*p)[0], key);
        l.padRight = toInt(c, (*p)[1], key);
    } else {
        c.fail(std::string(key) + " " + p->dump() + " is not understood");
    }
}

void readZeroPadding1D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    readTwoSides(c, l, cfg, "padding", 1);
}

std::pair<std::string, json> writeZeroPadding1D(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["padding"] = pair(l.padLeft, l.padRight);
    return {"ZeroPadding1D", c};
}

void readPooling2D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    checkChannelsLast(c, cfg);
    std::tie(l.kernelH, l.kernelW) = getPair(c, cfg, "pool_size", std::pair{std::int64_t(2), std::int64_t(2)});
    std::tie(l.strideH, l.strideW) = getPair(c, cfg, "strides", std::pair{l.kernelH, l.kernelW});
    l.padding = parsePadding(c, cfg);
}

std::pair<std::string, json> writePooling2D(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["pool_size"] = pair(l.kernelH, l.kernelW);
    c["strides"] = pair(l.strideH, l.strideW);
    c["padding"] = paddingName(l);
    c["data_format"] = "channels_last";
    return {layerKindName(l.kind), c};
}

void readGlobalPooling2D(const ConfigContext& c, LayerSpec&, const json& cfg)
{
    checkChannelsLast(c, cfg);
    if (getBool(c, cfg, "keepdims", false))
        c.fail("keepdims = true is not supported");
}

std::pair<std::string, json> writeGlobalPooling2D(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["data_format"] = "channels_last";
    c["keepdims"] = false;
    return {layerKindName(l.kind), c};
}

void readFourSides(const ConfigContext& c, LayerSpec& l, const json& cfg, const char* key, std::int64_t def)
{
    const json* p = member(cfg, key);
    if (!p) {
        l.padTop = l.padBottom = l.padLeft = l.padRight = def;
    } else if (p->is_number()) {
        l.padTop = l.padBottom = l.padLeft = l.padRight = toInt(c, *p, key);
    } else if (p->is_array() && p->size() == 2 && (*p)[0].is_number() && (*p)[1].is_number()) {
        l.padTop = l.padBottom = toInt(c, (*p)[0], key);
        l.padLeft = l.padRight = toInt(c, (*p)[1], key);
    } else if (p->is_array() && p->size() == 2 && (*p)[0].is_array() && (*p)[1].is_array() && (*p)[0].size() == 2 &&
               (*p)[1].size() == 2) {
        l.padTop = toInt(c, (*p)[0][0], key);
        l.padBottom = toInt(c, (*p)[0][1], key);
        l.padLeft = toInt(c, (*p)[1][0], key);
        l.padRight = toInt(c, (*p)[1][1], key);
    } else {
        c.fail(std::string(key) + " " + p->dump() + " is not understood");
    }
}

void readZeroPadding2D(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    checkChannelsLast(c, cfg);
    readFourSides(c, l, cfg, "padding", 1);
}

std::pair<std::string, json> writeZeroPadding2D(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["padding"] = json::array({pair(l.padTop, l.padBottom), pair(l.padLeft, l.padRight)});
    c["data_format"] = "channels_last";
    return {"ZeroPadding2D", c};
}

} // namespace circnn::keras
