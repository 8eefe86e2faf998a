#pragma once
// Architectures written as a string of layer widths, for estimates without a model file:
// "9216-4096-4096-1000" is AlexNet's fully connected part: an Input of 9216 values, Dense layers
// fc1 (4096, relu), fc2 (4096, relu), fc3 (1000, softmax). No weights (use inferShapes with
// checkWeights = false, which parseSpecString has already done).

#include <string>

#include "model/ModelSpec.h"

namespace circnn::hw {

// True when `text` looks like a spec string: at least two positive integers separated by '-'.
bool isSpecString(const std::string& text);

// Builds the model; throws ShapeError naming the text and the bad token.
ModelSpec parseSpecString(const std::string& text);

} // namespace circnn::hw
