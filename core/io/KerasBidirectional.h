#pragma once
// Keras' Bidirectional wrapper (around SimpleRNN, LSTM or GRU), read as three plain layers while
// the configuration is parsed:
//   "<name>/forward_<inner>"  the wrapped layer as configured,
//   "<name>/backward_<inner>" its copy with go_backwards flipped (or the configured
//                             backward_layer), with return_sequences its output reversed back
//                             (LayerSpec::reverseOutputSteps), as Keras does,
//   "<name>"                  the merge of the two (merge_mode concat → Concatenate over the last
//                             axis, sum → Add, ave → Average, mul → Multiply).
// Each direction is an ordinary recurrent layer: it converts, trains, is estimated and swept on
// its own. merge_mode None (two outputs) and return_state are rejected.
// Weights: legacy .h5 keeps both directions in the wrapper's group, weight names
// "<name>/forward_<inner>/<cell>/kernel:0" (found through KerasNestedModels' owner search);
// .keras under layers/bidirectional/forward_layer/cell/vars and backward_layer/cell/vars.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "model/ModelSpec.h"

namespace circnn::keras {

bool isBidirectionalClass(const std::string& className);

// The layers a Bidirectional entry is read as (forward, backward, merge named `name`), fed by
// `inputs` (exactly one). Throws FormatError naming the file and layer.
std::vector<LayerSpec> expandBidirectional(const std::string& file, const nlohmann::json& entry,
                                           const std::string& name, const std::vector<std::string>& inputs);

// The names of the forward and backward layers expandBidirectional gives the entry `name`.
std::pair<std::string, std::string> bidirectionalLayerNames(const nlohmann::json& entry, const std::string& name);

} // namespace circnn::keras
