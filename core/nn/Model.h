#pragma once
// Model: a runnable network built from a ModelSpec. Construction validates the spec (shape
// inference, weight shapes, NaN/Inf weights) and prepares every layer (block-circulant weight
// spectra, FFT plans, BLAS-ready layouts). After construction, const members are thread-safe: a
// prepared Model may be shared read-only by any number of threads.
//
// Activations are batch first: input (batch, inputShape...), output (batch, outputShape...).

#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "common/Tensor.h"
#include "model/ModelSpec.h"

namespace circnn {

// Time spent in one layer over a forward pass (per-layer profiling).
struct LayerTiming {
    std::string name;
    double seconds = 0;
};

// A trainable parameter tensor of the model (a kernel, a block-circulant defining-vector array,
// a bias, BatchNormalization gamma/beta). `values` points into the model and stays valid for its
// lifetime; after changing values call Model::parametersChanged().
struct ParameterRef {
    std::string layer;   // layer name
    std::string role;    // "kernel", "vectors", "bias", "gamma", "beta"
    std::span<float> values;
};

// Per-batch state kept by forwardTrain() for backward(): layer inputs/outputs, cached input
// spectra of block-circulant layers, dropout masks. Opaque; reusable across batches.
class ForwardCache {
public:
    ForwardCache();
    ~ForwardCache();
    ForwardCache(ForwardCache&&) noexcept;
    ForwardCache& operator=(ForwardCache&&) noexcept;
    struct Impl;
    Impl& impl();

private:
    std::unique_ptr<Impl> m_impl;
};

class Model {
public:
    // Throws circnn::Error naming the layer for anything invalid or unsupported.
    explicit Model(ModelSpec spec);
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;
    Model(Model&&) noexcept;
    Model& operator=(Model&&) noexcept;
    ~Model();

    // The spec the model was built from, with weights as of construction.
    const ModelSpec& spec() const;
    // The spec with the model's current parameters (after training).
    ModelSpec currentSpec() const;

    Shape inputShape() const;   // without batch
    Shape outputShape() const;  // without batch

    // Inference (Dropout is identity, BatchNormalization uses moving statistics). Thread-safe.
    // Parallelises over the batch on all cores unless called from inside a parallel region.
    Tensor forward(const Tensor& input) const;
    // Same, also adding the time spent per layer to `timings` (one entry per layer, model order).
    Tensor forward(const Tensor& input, std::vector<LayerTiming>& timings) const;

    // ---- training support ----
    // Forward pass that records what backward() needs. Dropout is active (masks drawn from rng).
    // If `logits` is true and the last layer ends in softmax, the softmax is skipped and the
    // returned tensor holds the logits (so the loss can use a stable log-softmax).
    Tensor forwardTrain(const Tensor& input, ForwardCache& cache, std::mt19937& rng, bool logits = true) const;
    // Back-propagates dLoss/dOutput (w.r.t. the tensor forwardTrain returned) and writes the
    // parameter gradients into `gradients` (one tensor per parameters() entry, same sizes; overwritten).
    void backward(const ForwardCache& cache, const Tensor& outputGradient, std::vector<Tensor>& gradients) const;
    // All trainable parameters, in a stable order.
    std::vector<ParameterRef> parameters();
    // Recomputes derived state (weight spectra) after parameters were changed in place.
    void parametersChanged();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace circnn
