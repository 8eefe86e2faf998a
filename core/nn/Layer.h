#pragma once
// Layer: the internal building block of a Model (one subclass per LayerKind family, one per file).
// Lifecycle: construct from the LayerSpec (the spec must outlive the layer; Model keeps it) →
// prepare(input shapes) once (validates weights, builds BLAS layouts / block-circulant spectra) →
// forward() const, any number of times from any number of threads.
//
// All activations are batch first (batch, shape...) with images in NHWC. A layer call works on
// whatever batch it is given (Model splits batches into chunks). Const members touch no shared
// mutable state: per-call state goes into the LayerCache the caller owns.
//
// Adding a layer type:
//  1. add the LayerKind (core/model: ModelSpec.h names, ShapeInference.cpp output shape + weight checks);
//  2. write <Kind>Layer.h/.cpp here: prepare (copy/validate weights with checkFinite), forward,
//     backward (+ forwardTrain if training differs, parameters/parametersChanged/storeParameters if
//     it has weights);
//  3. add it to createLayer() in Layer.cpp;
//  4. test forward against a naive loop in tests/core/nn/TestLayers.cpp and the gradient against
//     finite differences in TestGradients.cpp.

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "circulant/InputSpectra.h"
#include "common/Tensor.h"
#include "model/ModelSpec.h"
#include "nn/Model.h"

namespace circnn::nn {

// What forwardTrain() keeps for backward() (besides the layer's inputs and output, which the
// Model keeps): pre-activation values, dropout masks.
struct LayerCache {
    Tensor aux;
    InputSpectra spectra;                   // block-circulant Dense: transformed inputs for the weight gradient
    std::vector<InputSpectra> groupSpectra; // block-circulant Conv2D: the same per im2col group
    bool softmaxSkipped = false;            // the layer's final softmax was skipped (output = logits)
    // Set by Model::forwardTrain() for a layer whose kernel gradient the caller computes itself
    // (Layer::deferrableKernelSize(), Model::deferredKernelGradients()).
    bool deferKernelGradient = false;
};

using Inputs = std::span<const Tensor* const>;

class Layer {
public:
    explicit Layer(const LayerSpec& spec) : m_spec(&spec) {}
    virtual ~Layer() = default;
    Layer(const Layer&) = delete;
    Layer& operator=(const Layer&) = delete;

    const LayerSpec& spec() const { return *m_spec; }
    const std::string& name() const { return m_spec->name; }

    // Called once; `inputShapes` exclude the batch. Throws Error naming the layer on bad weights.
    virtual void prepare(const std::vector<Shape>& inputShapes) { m_inputShapes = inputShapes; }

    // Inference. `out` is resized by the layer.
    virtual void forward(Inputs inputs, Tensor& out) const = 0;

    // Training forward pass. Default: forward(). `skipSoftmax` asks a layer whose final activation
    // is softmax to return the logits instead (it records that in cache.softmaxSkipped).
    virtual void forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937& rng, bool skipSoftmax) const
    {
        forward(inputs, out);
    }

    // Given the inputs and output of forwardTrain() and dL/dOutput, writes dL/dInput into each
    // non-null inGrads[i] (resized by the layer) and the gradients of parameters() into
    // paramGrads (same order; resized and overwritten).
    virtual void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                          std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const = 0;

    // A layer whose kernel gradient is one matrix product, dK = xᵀ·g over its input x (rows × in)
    // and the gradient g (rows × out) at its pre-activation output, returns the kernel's element
    // count (in·out; the kernel is parameters()[0]); 0 otherwise. When cache.deferKernelGradient
    // is set, backward() then writes g (rows × out) into paramGrads[0] instead of dK, so that the
    // trainer can compute dK block by block inside the optimizer step (never storing it whole).
    virtual std::int64_t deferrableKernelSize() const { return 0; }

    // Trainable parameters (spans into the layer's own storage) in a stable order.
    virtual std::vector<ParameterRef> parameters() { return {}; }
    // Recompute derived state (spectra, folded BN scale) after parameters changed in place.
    virtual void parametersChanged() {}
    // Writes the current parameters into `spec` (a copy of this layer's spec).
    virtual void storeParameters(LayerSpec& spec) const {}

    // Mask consumers (nn/SequenceMask.h) get the tensor their sequence mask is computed from as a
    // last, extra input; Model sets how to read it before prepare(): frames compared with
    // frameMaskValue (Masking), or token ids when nullopt (Embedding mask_zero).
    void setMaskRule(std::optional<float> frameMaskValue) { m_frameMaskValue = frameMaskValue; }

protected:
    // "layer 'name' (Kind): " — prefix for error messages.
    std::string where() const { return "layer '" + m_spec->name + "' (" + layerKindName(m_spec->kind) + "): "; }
    // Throws Error naming the layer when `t` contains NaN or Inf.
    void checkFinite(const Tensor& t, const char* role) const;

    // The layer's activation (spec.activation) applied in place to `z`. With a cache (training):
    // skips a softmax when `skipSoftmax` (recording it), and keeps a copy of the pre-activation
    // in cache->aux when `keepPreActivation` and the activation needs it for its gradient.
    void applyOwnActivation(Tensor& z, LayerCache* cache, bool skipSoftmax, bool keepPreActivation) const;
    // dL/dz for the activation above, given the pre-activation z, output y and dL/dy.
    void ownActivationGradient(const float* z, const Tensor& y, const Tensor& gy, const LayerCache& cache,
                               Tensor& gz) const;

    const LayerSpec* m_spec;
    std::vector<Shape> m_inputShapes;
    std::optional<float> m_frameMaskValue; // see setMaskRule()
};

// Creates the layer for spec.kind (not prepared).
std::unique_ptr<Layer> createLayer(const LayerSpec& spec);

// Shape with the batch dimension in front.
inline Shape withBatch(std::int64_t batch, const Shape& s)
{
    Shape r;
    r.reserve(s.size() + 1);
    r.push_back(batch);
    r.insert(r.end(), s.begin(), s.end());
    return r;
}

} // namespace circnn::nn
