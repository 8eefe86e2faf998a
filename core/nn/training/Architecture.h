#pragma once
// Building an untrained model (architecture + seeded initial weights) from a description, for
// training from scratch. Descriptions (shorthand such as 784-256-256-10 or 28x28x1-c16-p2-64-10, or
// JSON) are parsed by parseArchitecture (model/ArchitectureParser.h, where the syntax is described).
//
// Block sizes: ArchitectureOptions::blockSize (or the JSON "k"; the option wins when > 1) applies
// to every Dense and Conv2D layer except the output layer (unless circulantOutput), by the shared
// rule decideBlockSizes (model/ConversionRules.h), and only where it is useful: a Dense layer with
// min(in, out) < k, or a Conv2D layer with C_in < k or C_out < k, stays dense with a warning (e.g. the first
// convolution of a 1-channel image). A per-layer "k" that does not fit throws Error.
//
// Block sizes reach the recurrent layers and MultiHeadAttention (its four projections at one k) by
// the same rule.
//
// Initialisation (seeded, reproducible on every platform): Keras' defaults, by WeightInitialiser
// (nn/training/WeightInitialiser.h; the sweeps' scratch points redraw with the same rules): Glorot
// uniform, U(±sqrt(6/(fanIn+fanOut))) with fanIn = kh·kw·C_in, fanOut = kh·kw·C_out (Dense: in,
// out); biases zero; attention projections by their EinsumDense kernels' fans; LayerNormalization
// gamma 1, beta 0. A block-circulant layer draws its defining vectors from the same distribution.

#include <cstdint>
#include <string>
#include <vector>

#include "model/ArchitectureParser.h"
#include "model/ModelSpec.h"

namespace circnn {

struct ArchitectureOptions {
    std::int64_t blockSize = 1;   // 1 = dense
    bool circulantOutput = false; // also make the output layer block-circulant
    std::uint32_t seed = 1;       // weight initialisation
    std::string name;             // model name (default "mlp"/"cnn" or the JSON "name")
    // Mini-batch size the model will be trained with (0: not for training): the memory a training
    // run would need is checked against the memory budget before any weight is allocated.
    std::int64_t trainingBatch = 0;
    // The output layer's activation when the description sets none (parseArchitecture): softmax
    // for classifiers, linear for reconstruction / regression (TrainConfig's task).
    ActivationKind outputActivation = ActivationKind::Softmax;
};

struct BuiltArchitecture {
    ModelSpec model; // passes inferShapes(); provenance.sourceFormat = "spec"
    std::vector<std::string> warnings;
};

// Throws Error with the offending token / JSON field for malformed descriptions, and before any
// allocation when the weights (and training state, see trainingBatch) exceed the memory budget.
BuiltArchitecture buildArchitecture(const std::string& description, const ArchitectureOptions& options);

// Uniform float in [lo, hi) from a 32-bit generator, identical on every standard library.
float uniformFloat(std::uint32_t bits, float lo, float hi);

} // namespace circnn
