#pragma once
// Models nested inside models (a Sequential or Functional model used as a layer, Keras 2 and 3):
// flattened while the configuration is parsed. The nested model's layers join the outer model
// named "<nested model>/<layer>" (recursively for deeper nesting); its InputLayer is replaced by
// the layer feeding the nested model, and whoever used the nested model uses its output layer.
// Weights are found where Keras stores them: legacy .h5 in the nested model's group with weight
// names ".../<layer>/<variable>", .keras under layers/<nested group>/layers/<layer group>/vars.

#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/ModelSpec.h"

namespace circnn::keras {

// Sequential, Functional, Model: the classes of a nested model entry.
bool isNestedModelClass(const std::string& className);

// Appends the layers of the nested model `entry` (a layer entry of class Sequential / Functional /
// Model) to `out`, renamed "<prefix>/<layer>". `inputs`: the layers feeding it (exactly one); empty
// when the nested model is the first layer of an outer Sequential: then its InputLayer is kept
// (renamed) and its name returned in `*keptInput`. Returns the name of the flattened output layer.
// Throws FormatError naming the file and nested model.
std::string flattenNestedModel(const std::string& file, const nlohmann::json& entry, const std::string& prefix,
                               const std::vector<std::string>& inputs, std::vector<LayerSpec>& out,
                               std::string* keptInput);

// The flattened layer of nested model `outer` that a legacy .h5 weight name of that model's group
// ("inner/dense_3/kernel:0", "dense_3/kernel:0") belongs to, or nullptr when none or ambiguous.
LayerSpec* nestedWeightOwner(ModelSpec& model, const std::string& outer, const std::string& weightName);

} // namespace circnn::keras
