// The codec table (one row per LayerKind) and the codecs of the structural layers: Input,
// Flatten, Reshape, Dropout, BatchNormalization, LayerNormalization, Add, Concatenate.

#include "io/KerasLayerCodecs.h"

#include <cmath>

#include "common/Error.h"

namespace circnn::keras {

using nlohmann::json;

namespace {

void readNothing(const ConfigContext&, LayerSpec&, const json&) {}

void readFlatten(const ConfigContext& c, LayerSpec&, const json& cfg)
{
    checkChannelsLast(c, cfg);
}

std::pair<std::string, json> writeFlatten(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["data_format"] = "channels_last";
    return {"Flatten", c};
}

void readReshape(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    const json* t = member(cfg, "target_shape");
    if (!t || !t->is_array() || t->empty())
        c.fail("Reshape needs a non-empty 'target_shape'");
    for (const auto& d : *t)
        l.targetShape.push_back(toInt(c, d, "target_shape"));
}

std::pair<std::string, json> writeReshape(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["target_shape"] = l.targetShape;
    return {"Reshape", c};
}

void readDropout(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    l.rate = static_cast<float>(getDouble(c, cfg, "rate", 0.0));
}

std::pair<std::string, json> writeDropout(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["rate"] = l.rate;
    return {"Dropout", c};
}

void readBatchNormalization(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
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
    l.center = getBool(c, cfg, "center", true);
    l.scale = getBool(c, cfg, "scale", true);
}

std::pair<std::string, json> writeBatchNormalization(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["axis"] = l.axis;
    c["epsilon"] = l.epsilon;
    c["momentum"] = 0.99;
    c["center"] = l.center;
    c["scale"] = l.scale;
    return {"BatchNormalization", c};
}

// LayerNormalization: `axis` an integer or a list (tf.keras writes the built layer's positive axes,
// [2]; Keras 3 [-1]); Keras 3's rms_scaling (no mean subtraction) is not modelled.
void readLayerNormalization(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    l.axes.clear();
    const json* axis = member(cfg, "axis");
    if (axis && axis->is_array()) {
        if (axis->empty())
            c.fail("'axis' is an empty list");
        for (const auto& a : *axis)
            l.axes.push_back(toInt(c, a, "axis"));
    } else {
        l.axes.push_back(axis ? toInt(c, *axis, "axis") : -1);
    }
    l.epsilon = static_cast<float>(getDouble(c, cfg, "epsilon", 1e-3));
    l.center = getBool(c, cfg, "center", true);
    l.scale = getBool(c, cfg, "scale", true);
    if (getBool(c, cfg, "rms_scaling", false))
        c.fail("rms_scaling=True is not supported (only the mean-and-variance normalisation)");
}

std::pair<std::string, json> writeLayerNormalization(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["axis"] = l.axes;
    c["epsilon"] = l.epsilon;
    c["center"] = l.center;
    c["scale"] = l.scale;
    return {"LayerNormalization", c};
}

// Masking: mask_value (a number; Keras' default 0.0). A NaN would mask nothing (NaN != NaN).
void readMasking(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    const double v = getDouble(c, cfg, "mask_value", 0.0);
    if (!std::isfinite(v))
        c.fail("mask_value must be a finite number");
    l.maskValue = static_cast<float>(v);
}

std::pair<std::string, json> writeMasking(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["mask_value"] = l.maskValue;
    return {"Masking", c};
}

std::pair<std::string, json> writeAdd(const LayerSpec& l)
{
    return {"Add", baseConfig(l)};
}

void readConcatenate(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
    l.axis = getInt(c, cfg, "axis", -1);
}

std::pair<std::string, json> writeConcatenate(const LayerSpec& l)
{
    json c = baseConfig(l);
    c["axis"] = l.axis;
    return {"Concatenate", c};
}

const KerasLayerCodec kCodecs[] = {
    {LayerKind::Input, readInput, writeInput},
    {LayerKind::Dense, readDense, writeDense},
    {LayerKind::Conv2D, readConv2D, writeConv2D},
    {LayerKind::MaxPooling2D, readPooling2D, writePooling2D},
    {LayerKind::AveragePooling2D, readPooling2D, writePooling2D},
    {LayerKind::GlobalAveragePooling2D, readGlobalPooling2D, writeGlobalPooling2D},
    {LayerKind::GlobalMaxPooling2D, readGlobalPooling2D, writeGlobalPooling2D},
    {LayerKind::Flatten, readFlatten, writeFlatten},
    {LayerKind::Reshape, readReshape, writeReshape},
    {LayerKind::ZeroPadding2D, readZeroPadding2D, writeZeroPadding2D},
    {LayerKind::Dropout, readDropout, writeDropout},
    {LayerKind::Activation, readActivationLayer, writeActivationLayer},
    {LayerKind::BatchNormalization, readBatchNormalization, writeBatchNormalization},
    {LayerKind::Add, readNothing, writeAdd},
    {LayerKind::Concatenate, readConcatenate, writeConcatenate},
    {LayerKind::DepthwiseConv2D, readDepthwiseConv2D, writeDepthwiseConv2D},
    {LayerKind::SeparableConv2D, readSeparableConv2D, writeSeparableConv2D},
    {LayerKind::Conv1D, readConv1D, writeConv1D},
    {LayerKind::MaxPooling1D, readPooling1D, writePooling1D},
    {LayerKind::AveragePooling1D, readPooling1D, writePooling1D},
    {LayerKind::GlobalAveragePooling1D, readGlobalPooling2D, writeGlobalPooling2D},
    {LayerKind::GlobalMaxPooling1D, readGlobalPooling2D, writeGlobalPooling2D},
    {LayerKind::ZeroPadding1D, readZeroPadding1D, writeZeroPadding1D},
    {LayerKind::UpSampling1D, readUpSampling1D, writeUpSampling1D},
    {LayerKind::UpSampling2D, readUpSampling2D, writeUpSampling2D},
    {LayerKind::Cropping1D, readCropping1D, writeCropping1D},
    {LayerKind::Cropping2D, readCropping2D, writeCropping2D},
    {LayerKind::Conv2DTranspose, readConv2DTranspose, writeConv2DTranspose},
    {LayerKind::Rescaling, readRescaling, writeRescaling},
    {LayerKind::Normalization, readNormalization, writeNormalization},
    {LayerKind::Multiply, readMerge, writeMerge},
    {LayerKind::Subtract, readMerge, writeMerge},
    {LayerKind::Average, readMerge, writeMerge},
    {LayerKind::Maximum, readMerge, writeMerge},
    {LayerKind::Permute, readPermute, writePermute},
    {LayerKind::RepeatVector, readRepeatVector, writeRepeatVector},
    {LayerKind::Embedding, readEmbedding, writeEmbedding},
    {LayerKind::SimpleRNN, readRecurrent, writeRecurrent},
    {LayerKind::LSTM, readRecurrent, writeRecurrent},
    {LayerKind::GRU, readRecurrent, writeRecurrent},
    {LayerKind::TimeDistributed, readTimeDistributed, writeTimeDistributed},
    {LayerKind::LayerNormalization, readLayerNormalization, writeLayerNormalization},
    {LayerKind::Masking, readMasking, writeMasking},
    {LayerKind::MultiHeadAttention, readMultiHeadAttention, writeMultiHeadAttention},
};

} // namespace

json baseConfig(const LayerSpec& l)
{
    json c;
    c["name"] = l.name;
    c["trainable"] = true;
    c["dtype"] = "float32";
    return c;
}

const KerasLayerCodec& kerasLayerCodec(LayerKind kind)
{
    for (const auto& c : kCodecs)
        if (c.kind == kind)
            return c;
    throw Error(std::string("internal: no Keras codec for layer kind ") + layerKindName(kind));
}

void readInput(const ConfigContext& c, LayerSpec& l, const json& cfg)
{
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
}

std::pair<std::string, json> writeInput(const LayerSpec& l)
{
    json j = json::array({nullptr});
    for (auto d : l.inputShape)
        j.push_back(d);
    return {"InputLayer", {{"batch_input_shape", j}, {"dtype", "float32"}, {"sparse", false}, {"name", l.name}}};
}

} // namespace circnn::keras
