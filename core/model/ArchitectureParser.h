#pragma once
// The one architecture-description parser: a model's layer structure (no weights) from a shorthand
// string or a JSON description. Training from scratch (nn/training/Architecture.h adds seeded
// weights) and hardware estimates without a model file (`circnn estimate 9216-4096-4096-1000`) both
// read descriptions through it.
//
// Shorthand (tokens separated by '-'):
//   784-256-256-10                MLP: input width, hidden Dense widths (relu), output Dense (softmax;
//                                 see outputActivation)
//   28x28x1-c16-p2-c32k5-p2-64-10 CNN: input H×W×C; cN = Conv2D N filters 3×3 (cNkK: K×K),
//                                 stride 1, padding "same", relu; pN = MaxPooling2D N×N (stride N);
//                                 f = Flatten; a plain number = Dense (a Flatten is inserted before
//                                 the first Dense after an image-shaped tensor). The last weighted
//                                 layer must be Dense.
// JSON (text starting with '{'):
//   {"name": "cnn", "input": [28,28,1], "k": 8,
//    "layers": [{"conv": 16, "kernel": 3, "stride": 1, "padding": "same"}, {"maxpool": 2},
//               {"avgpool": 2}, "flatten", {"dropout": 0.25}, {"dense": 128, "k": 4},
//               {"dense": 10, "activation": "softmax"}]}
//   Every Dense/Conv2D may set "activation" (default relu, softmax for the last layer), "bias"
//   (default true) and "k" (its block size).
// Sequence models (JSON only; input [steps] of token ids before an embedding, or [steps, features]):
//   {"embedding": dim, "vocab": V, "mask_zero": bool}
//   {"lstm"|"gru"|"simple_rnn": units, "return_sequences": bool, "go_backwards": bool,
//    "reset_after": bool (GRU), "activation", "bias", "k"}
//   {"attention": {"heads": H, "key_dim": D, "value_dim": Dv (default D), "output_dim": N (default:
//    the features), "causal": bool, "bias": bool}, "k": K}   self-attention (MultiHeadAttention(x, x))
//   "layer_norm" or {"layer_norm": {"epsilon": e}}             LayerNormalization over the features
//   "global_average_pooling" / "global_max_pooling"            over the steps (masked mean after a
//                                                              mask_zero embedding) or an image
//   {"residual": [entries]}                                    Add(x, entries(x)); shapes must agree
//   {"transformer": {"heads": H, "key_dim": D, "ff": F, "value_dim", "causal", "dropout": r,
//    "epsilon", "activation" (of the first feed-forward layer, relu)}, "k": K}
//     a post-norm Transformer encoder block: residual[attention, dropout] → layer_norm →
//     residual[dense F, dense (features, linear), dropout] → layer_norm; "k" applies to the
//     attention's four projections and both feed-forward layers.
//   The options of attention / transformer / layer_norm may also stand beside the key, with the
//   head count as its value: {"attention": 2, "key_dim": 8}. Unknown option names are errors.

#include <string>

#include "model/ConversionPlan.h"
#include "model/ModelSpec.h"

namespace circnn {

// Layer names: Keras style (input, conv2d_1, max_pooling2d_1, flatten_1, dense_1, ...) or numbered
// fully connected layers (input, fc1, fc2, ...: the CirCNN paper's tables; used for estimates of
// a bare width list).
enum class LayerNaming { Keras, Numbered };

struct ParsedArchitecture {
    // Layers without weights (useBias and shapes set; inferShapes(model, false) has run);
    // provenance.sourceFormat = "spec", notes = "architecture: <shorthand>" or "JSON description".
    // Name: the JSON "name", else "mlp" for a flat input, "cnn" for an image input.
    ModelSpec model;
    // Block sizes the description asks for: the JSON "k" (defaultBlockSize) and per-layer "k"
    // entries (perLayer, by the layer's name). Empty for the shorthand.
    ConversionPlan plan;
};

// Throws ShapeError naming the offending token / JSON field for malformed descriptions.
// `outputActivation`: the output layer's activation when the description does not set one (softmax
// for classifiers; linear for reconstruction / regression models, e.g. the 640-128-8-128-640
// autoencoder of `circnn train --task reconstruct`).
ParsedArchitecture parseArchitecture(const std::string& description, LayerNaming naming = LayerNaming::Keras,
                                     ActivationKind outputActivation = ActivationKind::Softmax);

// True when `text` has the shape of a shorthand description (non-empty '-'-separated tokens of
// digits, 'x', 'c', 'k', 'p', 'f', the first a width or HxWxC), so a front end can tell it from
// a file name.
bool isArchitectureShorthand(const std::string& text);

} // namespace circnn
