#pragma once
// LayerTraits: everything the code base needs to know about a LayerKind, in one table
// (core/model/LayerTraits.cpp): its Keras class name and aliases, how many inputs it takes, its
// weight roles in Keras' storage order, whether block-circulant conversion applies to it, whether
// it acts unit by unit (hidden-unit reordering may pass through it), how the hardware model costs
// it, and its shape and parameter/MAC rules. Modules consult the table instead of switching over
// LayerKind; only the layer factory (core/nn/Layer.cpp) and the Keras config codecs
// (core/io/KerasLayerCodecs.cpp, a table keyed by kind) map kinds to code of their own module.
//
// Adding a layer type: docs/architecture.md, "How to add a layer type".

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "model/ModelSpec.h"

namespace circnn {

// A weight tensor of a layer, by role. Role names are Keras' variable names.
enum class WeightRole {
    Kernel,
    Bias,
    Gamma,
    Beta,
    MovingMean,
    MovingVariance,
    DepthwiseKernel,
    PointwiseKernel,
    Mean,     // Normalization (kept in LayerSpec::movingMean)
    Variance, // Normalization (kept in LayerSpec::movingVariance)
    Count,    // Normalization's sample count
    RecurrentKernel,
    Embeddings,
    // MultiHeadAttention's projections, named "query/kernel" ... "attention_output/bias" (Keras 2's
    // variable paths under the layer).
    QueryKernel,
    QueryBias,
    KeyKernel,
    KeyBias,
    ValueKernel,
    ValueBias,
    OutputKernel,
    OutputBias,
};

struct WeightRoleInfo {
    WeightRole role;
    const char* name;          // "kernel", "moving_mean", ...
    Tensor LayerSpec::*member; // where LayerSpec keeps it
};

// Every role, in the order files list them when a layer has several.
std::span<const WeightRoleInfo> weightRoleTable();
const char* weightRoleName(WeightRole role);
std::optional<WeightRole> weightRoleFromName(const std::string& name);
Tensor& weightTensor(LayerSpec& layer, WeightRole role);
const Tensor& weightTensor(const LayerSpec& layer, WeightRole role);

// How the hardware model (core/hw/Estimator.cpp) counts a layer's operations.
enum class CostClass {
    Free,          // addressing only (Input, Flatten, Reshape, padding, Dropout, Concatenate)
    Matmul,        // weight matrix per spatial tap (Dense, Conv2D): dense or block-circulant
    Activation,    // its activation function per output element
    Affine,        // one multiply-add per element (BatchNormalization, folded)
    Pooling,       // window of kernelH x kernelW per output element
    GlobalPooling, // window of the whole spatial extent per output element
    Elementwise,   // inputs - 1 adds per output element (Add)
    Depthwise,     // kh x kw multiply-adds per output element, no channel mixing: always dense
    // Issue 15 families:
    Transposed, // Conv2DTranspose: weight matrix per tap applied per INPUT position, scattered
    Resize,     // UpSampling: nearest is addressing only, bilinear 3 lerps per output element
    Product,    // Multiply: inputs - 1 multiplies per output element
    Compare,    // Maximum: inputs - 1 compares per output element
    Mean,       // Average: inputs - 1 adds and one multiply per output element
    Recurrent,  // SimpleRNN / LSTM / GRU: input and recurrent gate matrices per time step
    Normalize,  // LayerNormalization: mean and variance per group, then scale and shift per element
    Mask,       // Masking: a compare and a multiply (zeroing) per element
    Attention,  // MultiHeadAttention: q/k/v/o projections per step, scores and weighted sum per step pair
};

// Per unit and time step, the arithmetic of a recurrent cell beyond its matrix products (hardware
// model): multiplies, adds and activation evaluations.
struct GateArithmetic {
    double multiplies = 0, adds = 0, activations = 0;
};

struct ShapeQuery; // model/LayerShapeRules.h
struct LayerStats; // model/ShapeInference.h

struct LayerTraits {
    LayerKind kind = LayerKind::Input;
    const char* kerasClass = "";               // canonical Keras class name ("Conv2D")
    std::span<const char* const> aliases = {}; // other Keras class names of the same computation
    int minInputs = 1, maxInputs = 1;          // maxInputs -1: any number
    bool convertible = false;                  // has a weight matrix block-circulant conversion applies to
    bool unitWise = false;                     // acts per unit (feature / channel) without mixing units
    bool passesUnits = false;                  // output units are the input units, reshaped or rescaled
                                               // (the walk back from the model output to its weight layer)
    CostClass cost = CostClass::Free;
    // Output shape (checks inputs, config and, when asked, weight shapes; fails via the query).
    Shape (*shape)(const ShapeQuery& q) = nullptr;
    // Stored parameters and MACs for one sample; nullptr: none.
    void (*stats)(const LayerSpec& l, const Shape* input, LayerStats& s) = nullptr;
    // Weight roles the layer stores, in Keras' storage order (trainable first), for a file of
    // Keras major version `kerasMajor` (2 or 3); nullptr: no weights.
    std::vector<WeightRole> (*weightRoles)(const LayerSpec& l, int kerasMajor) = nullptr;
    // The variable name of a role where a Keras version names it unlike the role (Keras 3 calls a
    // DepthwiseConv2D's kernel "kernel"); nullptr or a nullptr result: the role's name.
    const char* (*kerasWeightName)(WeightRole role, int kerasMajor) = nullptr;
    // Read from Keras files only and split there into simpler layers (SeparableConv2D →
    // DepthwiseConv2D + 1x1 Conv2D): never part of a runnable model.
    bool splitOnRead = false;
    // For a layer with weights that conversion never makes block-circulant: why (reported per
    // layer by the conversion).
    const char* staysDenseReason = nullptr;
    // Recurrent layers: gates stacked in the kernels (SimpleRNN 1; LSTM 4: i, f, c, o; GRU 3: z, r, h),
    // 0 otherwise, and the cell's gate arithmetic.
    int recurrentGates = 0;
    GateArithmetic gateArithmetic = {};
    // A sequence mask (Embedding mask_zero, Masking) passes through it, time step by time step, to a
    // later mask consumer (recurrent layers themselves pass it when they return sequences).
    bool passesSequenceMask = false;
    // Besides the recurrent layers, the layer honours a sequence mask it receives (skips masked
    // steps): GlobalAveragePooling1D averages the unmasked steps only.
    bool consumesSequenceMask = false;
};

// The traits of a kind (every LayerKind has a row; a missing row is a programming error).
const LayerTraits& layerTraits(LayerKind kind);
std::span<const LayerTraits> allLayerTraits();

// The Keras variable names of a layer's weights in storage order, for a file of that version.
std::vector<std::string> kerasWeightNames(const LayerSpec& layer, int kerasMajor);

// Keras' default name stem of a kind: its class name in snake case ("Conv2D" → "conv2d",
// "MaxPooling2D" → "max_pooling2d", "SimpleRNN" → "simple_rnn"), as Keras names layers "<stem>_<n>".
std::string kerasNameStem(LayerKind kind);

// The Keras classes block-circulant conversion applies to, for messages ("Dense and Conv2D").
std::string convertibleLayerClasses();

// Weight roles of a layer in Keras' storage order (empty when it has none).
std::vector<WeightRole> layerWeightRoles(const LayerSpec& layer, int kerasMajor = 3);

// Architecture-only models (ModelSpec::weightsLoaded false) keep their weight tensors empty and
// record each one's shape in LayerSpec::weightShapes. `member` is a weight tensor of `layer` (one
// of the role members, or a circulant's vectors).
// The key a member's shape is recorded under: the name of the first role that uses the member
// ("moving_mean" for Normalization's mean too), "vectors" / "recurrent_vectors" (attention:
// attentionVectorsKey) for the defining vectors; "" for a tensor that is not a weight of `layer`.
std::string weightShapeKey(const LayerSpec& layer, const Tensor& member);
// MultiHeadAttention's block-circulant projection i (0 query, 1 key, 2 value, 3 output): the key of
// its defining vectors ("query/vectors" ... "attention_output/vectors").
const char* attentionVectorsKey(std::size_t projection);
// The member's shape: its own when it holds values, else the recorded one, else empty.
Shape storedWeightShape(const LayerSpec& layer, const Tensor& member);
// The number of values the member stores (the product of storedWeightShape; 0 when unknown).
std::int64_t storedWeightCount(const LayerSpec& layer, const Tensor& member);

} // namespace circnn
