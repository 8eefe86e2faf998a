#pragma once
// Keras layer config ⇄ LayerSpec, one codec per LayerKind (a table in KerasLayerCodecs.cpp),
// grouped by family: KerasLayerCodecs.cpp (structure: Input, Flatten, Reshape, Dropout,
// BatchNormalization, merges), KerasConvCodecs.cpp (Dense, convolutions, pooling, padding),
// KerasActivations.cpp (activation names and the activation layer classes).
// The Keras class name of a kind and its weight roles live in the traits table
// (model/LayerTraits.h); this table holds what is specific to the Keras config format.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/KerasConfigValues.h"
#include "model/ModelSpec.h"

namespace circnn::keras {

struct KerasLayerCodec {
    LayerKind kind;
    // Fills the class-specific fields of `l` from its config (l.kind and l.className are set).
    void (*read)(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
    // Keras 2 class name and config (name, trainable and dtype are added by the caller unless
    // the config already has a name).
    std::pair<std::string, nlohmann::json> (*write)(const LayerSpec& l);
};

const KerasLayerCodec& kerasLayerCodec(LayerKind kind);

// Family codecs (declared here, listed in the table).
void readInput(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeInput(const LayerSpec& l);
void readDense(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeDense(const LayerSpec& l);
void readConv2D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeConv2D(const LayerSpec& l);
void readDepthwiseConv2D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeDepthwiseConv2D(const LayerSpec& l);
void readSeparableConv2D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeSeparableConv2D(const LayerSpec& l);
void readConv1D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeConv1D(const LayerSpec& l);
void readPooling1D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writePooling1D(const LayerSpec& l);
void readZeroPadding1D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeZeroPadding1D(const LayerSpec& l);
void readPooling2D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writePooling2D(const LayerSpec& l);
void readGlobalPooling2D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeGlobalPooling2D(const LayerSpec& l);
void readZeroPadding2D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeZeroPadding2D(const LayerSpec& l);
void readActivationLayer(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeActivationLayer(const LayerSpec& l);

// MultiHeadAttention (KerasAttentionCodecs.cpp). attentionInbound reads its graph node: the
// query, value and (when it differs from the value) key producers, and use_causal_mask; explicit
// attention / query / value / key mask tensors and return_attention_scores are errors.
void readMultiHeadAttention(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeMultiHeadAttention(const LayerSpec& l);
std::vector<std::string> attentionInbound(const ConfigContext& c, const nlohmann::json& nodes, bool& useCausalMask);

// Sequence layers (KerasRecurrentCodecs.cpp).
void readEmbedding(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeEmbedding(const LayerSpec& l);
void readRecurrent(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeRecurrent(const LayerSpec& l);
void readTimeDistributed(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeTimeDistributed(const LayerSpec& l);
// Turns every TimeDistributed(Dense) of a read model into the Dense it wraps (same weights).
void unwrapTimeDistributed(ModelSpec& m);

// The activation of a layer config (string, {"class_name": ...} or {"config": "relu"}) with its
// slope made explicit: the string activation "leaky_relu" (Keras 3) has negative_slope 0.2,
// unlike the LeakyReLU layer's 0.3.
void setActivation(const ConfigContext& c, LayerSpec& l, const nlohmann::json* v);
// Activation name as Keras 2 (the written layout) understands it; throws Error for Keras 3's
// hard_sigmoid, which has no Keras 2 name.
std::string keras2ActivationName(const LayerSpec& l);

// The 2-D convolution window (kernel_size, strides, dilation_rate, padding, activation, use_bias,
// channels_last, groups = 1) of Conv2D-like layers (KerasConvCodecs.cpp).
void readConvWindow(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
nlohmann::json writeConvWindow(const LayerSpec& l);
// Amounts per side (padTop, padBottom, padLeft, padRight) from `key`: an integer, (symmetric H,
// symmetric W) or ((top, bottom), (left, right)); absent: `def` everywhere (ZeroPadding2D,
// Cropping2D). readTwoSides: padLeft / padRight from an integer or (left, right) (1-D layers).
void readFourSides(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg, const char* key, std::int64_t def);
void readTwoSides(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg, const char* key, std::int64_t def);

// Issue 15 families (KerasVisionCodecs.cpp): UpSampling1D/2D, Cropping1D/2D, Conv2DTranspose,
// Rescaling, Normalization, Multiply / Subtract / Average / Maximum, Permute, RepeatVector.
void readUpSampling1D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeUpSampling1D(const LayerSpec& l);
void readUpSampling2D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeUpSampling2D(const LayerSpec& l);
void readCropping1D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeCropping1D(const LayerSpec& l);
void readCropping2D(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeCropping2D(const LayerSpec& l);
void readConv2DTranspose(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeConv2DTranspose(const LayerSpec& l);
void readRescaling(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeRescaling(const LayerSpec& l);
void readNormalization(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeNormalization(const LayerSpec& l);
void readMerge(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeMerge(const LayerSpec& l);
void readPermute(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writePermute(const LayerSpec& l);
void readRepeatVector(const ConfigContext& c, LayerSpec& l, const nlohmann::json& cfg);
std::pair<std::string, nlohmann::json> writeRepeatVector(const LayerSpec& l);

// The config every written layer starts from: name, trainable, dtype.
nlohmann::json baseConfig(const LayerSpec& l);

} // namespace circnn::keras
