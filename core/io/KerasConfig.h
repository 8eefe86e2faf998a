#pragma once
// Keras model configuration (the `model_config` JSON of a legacy .h5, or config.json of a .keras
// zip) → ModelSpec architecture, and attaching weights to the parsed layers.
// Rules followed: ../shared/reference/keras-format.md (Sequential with a layer list or Keras
// 2.0's bare list, Functional/Model with both inbound_nodes formats, DTypePolicy dicts, input
// shape from InputLayer batch_input_shape / batch_shape, the first layer's batch_input_shape, or
// build_input_shape).

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/ModelSpec.h"

namespace circnn::keras {

// Parses the architecture. Layers come out in topological order, weights empty. Throws
// FormatError naming `file`, the layer and its class for anything unsupported (unknown classes
// list supportedLayerClasses()).
ModelSpec parseModelConfig(const nlohmann::json& config, const std::string& file);

// One layer entry ({"class_name", "config"}) parsed on its own (wrappers parse their wrapped
// layers with it); no inputs. Throws FormatError as parseModelConfig does.
LayerSpec parseLayerConfig(const nlohmann::json& entry, const std::string& file);

// The weights a layer expects in a file of Keras major version `kerasMajor`, by role name, in
// Keras' storage order (trainable first, then non-trainable): the traits table's weight roles
// (model/LayerTraits.h).
std::vector<std::string> expectedWeightRoles(const LayerSpec& layer, int kerasMajor = 3);

// Stores weights by role name ("kernel", "bias", "gamma", ...) and checks that exactly the
// expected roles are present and finite. Throws FormatError naming the file and layer.
void assignWeights(LayerSpec& layer, std::vector<std::pair<std::string, Tensor>> weights, const std::string& file,
                   int kerasMajor = 3);

// Replaces every SeparableConv2D (weights attached) by a DepthwiseConv2D named "<name>/depthwise"
// (no bias, linear) feeding a 1x1 Conv2D that keeps the layer's name, filters, bias and
// activation: the same function, with the pointwise part a plain convolution that conversion
// can make block-circulant. Both keep className "SeparableConv2D" for messages.
void splitSeparableConvolutions(ModelSpec& model, const std::string& file);

// Keras' snake_case of a class name ("Conv2D" → "conv2d", "LeakyReLU" → "leaky_re_lu").
std::string toSnakeCase(const std::string& className);

// "file: layer 'name' (Class): " — prefix of every per-layer message.
std::string layerContext(const std::string& file, const LayerSpec& layer);

} // namespace circnn::keras
