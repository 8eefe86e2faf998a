#pragma once
// ModelSpec: a model as plain data — architecture, weights and provenance — independent of any
// file format and of the runtime. core/io reads and writes it (Keras .h5/.keras, native format);
// core/nn builds a runnable, prepared Model from it; core/hw estimates costs from it (no weights
// needed); core/analysis converts it (projection to block-circulant form).
//
// Conventions:
// - Shapes exclude the batch dimension; images are HWC (channels_last), as Keras stores them.
// - Dense kernel is Keras' layout (in, out): y = x·K + b. The block-circulant literature's m×n
//   matrix is W = Kᵀ (m = out, n = in); CirculantWeights refers to that m×n matrix.
// - Conv2D kernel is Keras' layout (kh, kw, C_in, C_out).
// - DepthwiseConv2D kernel (depthwiseKernel) is Keras' layout (kh, kw, C_in, depth_multiplier);
//   output channel c·depth_multiplier + m is input channel c filtered by kernel[:, :, c, m].

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/Tensor.h"
#include "model/ConversionPlan.h"

namespace circnn {

enum class LayerKind {
    Input,
    Dense,
    Conv2D,
    MaxPooling2D,
    AveragePooling2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    Flatten,
    Reshape,
    ZeroPadding2D,
    Dropout,
    Activation, // also Keras ReLU / LeakyReLU / Softmax layers (activation field says which)
    BatchNormalization,
    Add,
    Concatenate,
    DepthwiseConv2D,
    SeparableConv2D, // only between parsing a Keras file and splitting it (io/KerasReader.cpp)
    // 1-D layers over (length, channels): the window fields' W half (kernelW, strideW, dilationW,
    // padLeft / padRight) holds the 1-D values, the H half stays 1 / 0.
    Conv1D,
    MaxPooling1D,
    AveragePooling1D,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    ZeroPadding1D,
    // Vision / autoencoder families (issue 15). UpSampling: kernelH / kernelW hold the size (repeat
    // factors). Cropping: padTop / padBottom / padLeft / padRight hold the amounts cropped.
    UpSampling1D,
    UpSampling2D,
    Cropping1D,
    Cropping2D,
    Conv2DTranspose,
    Rescaling,
    Normalization,
    Multiply,
    Subtract,
    Average,
    Maximum,
    Permute,
    RepeatVector,
    // Sequence layers (core/nn/RecurrentLayer.h): inputs (steps, features), token ids (steps).
    Embedding,
    SimpleRNN,
    LSTM,
    GRU,
    TimeDistributed,    // only between parsing a Keras file and unwrapping it into its inner Dense
    LayerNormalization, // over `axes` (core/nn/LayerNormalizationLayer.h)
    Masking,            // float frames equal to `maskValue` everywhere mask their step (nn/SequenceMask.h)
    MultiHeadAttention, // inputs query, value[, key] (core/nn/MultiHeadAttentionLayer.h)
};

// HardSigmoid is Keras 3's relu6(x + 3) / 6; Keras 2 defined hard_sigmoid as clip(0.2·x + 0.5, 0, 1)
// (HardSigmoidKeras2): readers pick by the file's keras_version.
enum class ActivationKind {
    Linear,
    Relu,
    Relu6,
    LeakyRelu,
    Sigmoid,
    HardSigmoid,
    Tanh,
    Softmax,
    Elu,
    Selu,
    Swish,
    Gelu,
    HardSigmoidKeras2
};

// Causal (Conv1D): zeros before the sequence only, dilation·(kernel − 1) of them; output length
// as with Same.
enum class Padding { Valid, Same, Causal };

// Keras class name of a kind ("Dense", "Conv2D", ...) and the reverse (nullopt if unknown).
const char* layerKindName(LayerKind kind);
std::optional<LayerKind> layerKindFromName(const std::string& kerasClassName);
// Activation names as Keras writes them ("relu", "hard_sigmoid", "swish" ...). "silu" → Swish.
const char* activationName(ActivationKind kind);
std::optional<ActivationKind> activationFromName(const std::string& name);
// Comma-separated list of supported Keras layer classes / activations, for error messages.
std::string supportedLayerClasses();
std::string supportedActivations();

// The block-circulant representation of one weight matrix (a Dense layer's W = Kᵀ, m = out,
// n = in) or of each spatial tap of a Conv2D kernel (m = C_out, n = C_in).
// Convention: first-column circulant, C[r][c] = w[(r − c) mod k]; block (i, j) covers rows
// i·k.. and columns j·k..; dimensions k does not divide are zero-padded.
struct CirculantWeights {
    std::int64_t k = 1;    // block size
    std::int64_t rows = 0; // m (unpadded)
    std::int64_t cols = 0; // n (unpadded)
    // Defining vectors: Dense (p, q, k); Conv2D (kh, kw, p, q, k); p = ⌈m/k⌉, q = ⌈n/k⌉.
    Tensor vectors;
};

struct LayerSpec {
    std::string name;
    LayerKind kind = LayerKind::Input;
    std::string className;           // class name as found in the file (for messages)
    std::vector<std::string> inputs; // names of the layers feeding this one, in order

    ActivationKind activation = ActivationKind::Linear; // fused activation (Dense/Conv2D/Activation)
    // LeakyReLU slope / ELU alpha; nullopt: the Keras layer's default (LeakyReLU 0.3, ELU 1.0).
    std::optional<float> activationAlpha;

    // Input
    Shape inputShape; // without batch, e.g. {784} or {28, 28, 1}
    // Dense / Conv2D
    std::int64_t units = 0; // Dense output width / Conv2D filters
    bool useBias = true;
    // Conv2D / pooling
    std::int64_t kernelH = 1, kernelW = 1; // kernel or pool size
    std::int64_t strideH = 1, strideW = 1;
    std::int64_t dilationH = 1, dilationW = 1;
    Padding padding = Padding::Valid;
    // DepthwiseConv2D / SeparableConv2D: output channels per input channel
    std::int64_t depthMultiplier = 1;
    // ZeroPadding2D: top, bottom, left, right
    std::int64_t padTop = 0, padBottom = 0, padLeft = 0, padRight = 0;
    // Reshape: target shape without batch (-1 allowed once)
    Shape targetShape;
    // Concatenate axis (negative counts from the end; -1 = channels); BatchNormalization axis
    std::int64_t axis = -1;
    // LayerNormalization: the normalised axes as Keras writes them (0 = batch, negative counts from
    // the end; -1 alone = the last axis); the shape rule checks them against the input's rank.
    std::vector<std::int64_t> axes;
    // BatchNormalization / LayerNormalization; center / scale false: the layer has no beta / gamma
    // (offset 0, scale 1)
    float epsilon = 1e-3f;
    bool center = true, scale = true;
    // Dropout
    float rate = 0.0f;
    // Vision / autoencoder layers (issue 15):
    // UpSampling2D interpolation: false = nearest, true = bilinear (tf.image.resize, half-pixel centres)
    bool bilinear = false;
    // Conv2DTranspose output_padding (H, W); nullopt: None (Keras' default output size)
    std::optional<std::pair<std::int64_t, std::int64_t>> outputPadding;
    // Rescaling: y = x * rescaleScale + rescaleOffset
    float rescaleScale = 1.0f, rescaleOffset = 0.0f;
    // Normalization: invert (y = mean + x * sqrt(var)); statsInConfig: mean / variance came from the
    // layer config (Keras stores no weights then); they live in movingMean / movingVariance.
    bool invert = false, statsInConfig = false;
    // Permute: dims, 1-based over the non-batch axes as Keras writes them. RepeatVector: n.
    std::vector<std::int64_t> permuteDims;
    std::int64_t repeats = 1;

    // Weights (empty when absent). Dense: kernel (in, out); Conv2D: kernel (kh, kw, cin, cout).
    // BatchNormalization: gamma (when scale), beta (when center), movingMean, movingVariance
    // (each (C,)). Weight roles and their members: model/LayerTraits.h.
    // DepthwiseConv2D: depthwiseKernel (kh, kw, C, depth_multiplier) [, bias]. SeparableConv2D
    // (before it is split): depthwiseKernel, pointwiseKernel (1, 1, C·depth_multiplier, filters).
    Tensor kernel, bias, gamma, beta, movingMean, movingVariance, depthwiseKernel, pointwiseKernel;
    // Normalization's sample count (Keras stores it; unused by the computation). Conv2DTranspose's
    // kernel is Keras' layout (kh, kw, C_out, C_in).
    Tensor count;
    // Set when the layer is block-circulant; `kernel` is then empty (use expandToDense to get it).
    std::optional<CirculantWeights> circulant;

    // Sequence layers (core/nn/RecurrentLayer.h, EmbeddingLayer.h). SimpleRNN / LSTM / GRU: `units`,
    // `activation` (tanh default), gate activation below, kernel (in, G·units) and recurrentKernel
    // (units, G·units) with the G gates stacked in Keras' order (LSTM i, f, c, o; GRU z, r, h;
    // SimpleRNN one), bias (G·units), or for GRU with resetAfter (2, G·units): input bias, then
    // recurrent bias. Block-circulant: `circulant` holds W = kernelᵀ (G·units × in) and
    // `recurrentCirculant` U = recurrentKernelᵀ (G·units × units).
    ActivationKind recurrentActivation = ActivationKind::Sigmoid;
    bool returnSequences = false, returnState = false, goBackwards = false;
    bool resetAfter = true;         // GRU
    bool zeroOutputForMask = false; // masked steps output zeros instead of the carried output
    // With return_sequences: the returned sequence is reversed in time once more, as Keras'
    // Bidirectional does with its backward layer's output (a go_backwards layer then returns its
    // steps in the input's order). Set only on the layers a Bidirectional is read as.
    bool reverseOutputSteps = false;
    Tensor recurrentKernel;
    std::optional<CirculantWeights> recurrentCirculant;
    // Embedding: vocabulary size, embeddings (inputDim, units); maskZero: id 0 is padding and
    // masks its step in the recurrent layers downstream.
    std::int64_t inputDim = 0;
    bool maskZero = false;
    Tensor embeddings;
    // Masking: a time step whose features all equal maskValue is masked (output zeros, and skipped
    // by the mask consumers downstream).
    float maskValue = 0.0f;

    // MultiHeadAttention (core/nn/MultiHeadAttentionLayer.h): numHeads, keyDim, valueDim (Keras'
    // value_dim, set on read: key_dim when None), `units` = the output width (Keras' output_shape;
    // 0 = the query's features), useBias; useCausalMask is a call argument Keras records in the
    // graph node. Inputs: query, value[, key] (key defaults to value). Projections in Keras'
    // EinsumDense layouts: queryKernel (d_q, heads, key_dim), keyKernel (d_k, heads, key_dim),
    // valueKernel (d_v, heads, value_dim), their biases (heads, key_dim | value_dim), outputKernel
    // (heads, value_dim, out), outputBias (out). Block-circulant: attentionCirculant[0..3] hold
    // W = Kᵀ of the query, key, value and output projections as 2-D matrices (heads·key_dim × d_q,
    // heads·key_dim × d_k, heads·value_dim × d_v, out × heads·value_dim); the kernel is then empty.
    std::int64_t numHeads = 0, keyDim = 0, valueDim = 0;
    bool useCausalMask = false;
    Tensor queryKernel, queryBias, keyKernel, keyBias, valueKernel, valueBias, outputKernel, outputBias;
    std::array<std::optional<CirculantWeights>, 4> attentionCirculant;

    // Filled by inferShapes(): output shape without batch.
    Shape outputShape;

    // Architecture-only reads (io/ModelFile.h, readModelArchitecture): the weight tensors above
    // stay empty and the shape each would have is recorded here, keyed by weightShapeKey()
    // (model/LayerTraits.h: the role name, or "vectors" / "recurrent_vectors" for defining
    // vectors). Empty in a model whose weights were read.
    std::map<std::string, Shape> weightShapes;
};

// One training epoch's record, kept in the native format's provenance.
struct EpochRecord {
    int epoch = 0;
    double trainLoss = 0, trainAccuracy = 0, valLoss = 0, valAccuracy = 0, seconds = 0;
};

struct Provenance {
    std::string sourceFile;   // the file this model was read or converted from
    std::string sourceFormat; // "keras-h5", "keras-zip", "circnn", "spec", ...
    std::string kerasVersion; // when read from Keras
    std::string createdBy;    // tool and version that wrote it
    std::string createdAt;    // ISO 8601 UTC
    std::string notes;
    std::vector<EpochRecord> history;
};

struct ModelSpec {
    std::string name;
    std::vector<LayerSpec> layers;    // topological order (every input precedes its user)
    std::vector<std::string> inputs;  // names of Input layers (model inputs)
    std::vector<std::string> outputs; // names of output layers
    Provenance provenance;
    // The plan that produced this model: perLayer holds every converted layer's k (empty if none).
    ConversionPlan plan;
    // False for an architecture-only read (readModelArchitecture): every weight tensor is empty,
    // LayerSpec::weightShapes holds their shapes. Shapes, parameter and MAC counts and hardware
    // estimates work on such a model; anything that computes with weights needs readModel().
    bool weightsLoaded = true;

    const LayerSpec* find(const std::string& layerName) const;
    LayerSpec* find(const std::string& layerName);
    // Index of a layer by name; throws Error naming the model if absent.
    std::size_t indexOf(const std::string& layerName) const;
};

} // namespace circnn
