#pragma once
// Model: a runnable network built from a ModelSpec. Construction validates the spec (shape
// inference, weight shapes, NaN/Inf weights) and prepares every layer (block-circulant weight
// spectra, FFT plans, BLAS-ready layouts). After construction, const members are thread-safe: a
// prepared Model may be shared read-only by any number of threads.
//
// Activations are batch first: input (batch, inputShape...), output (batch, outputShape...).
//
// Implementation notes:
// - Layers (core/nn/*Layer.h) run in spec order; branches (Add, Concatenate) follow
//   LayerSpec::inputs. One model input, one output (spec.outputs[0], else the last layer); layers
//   that do not lead to the output are not run.
// - forward() splits the batch into chunks of 32 samples run by parallelFor; each chunk runs the
//   whole network sequentially, so results do not depend on the thread count. BLAS is made
//   single-threaded (openblas_set_num_threads(1), process-wide, at the first Model construction) so
//   worker threads do not oversubscribe the cores.
// - forwardTrain()/backward() run on the calling thread: the trainer calls them from several threads
//   at once, each with its own ForwardCache and sub-batch. The one exception: called outside a
//   parallelFor chunk (the trainer's one-shard mode for models made of large dense kernels), a
//   Dense layer splits its large products over the cores (DenseLayer.cpp).
// - BatchNormalization trains with FROZEN moving statistics (see BatchNormalizationLayer.h).

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
    std::string layer; // layer name
    std::string role;  // "kernel", "vectors", "bias", "gamma", "beta"
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
    // Leaves the kernel gradients of dense kernels with at least `minElements` elements to the
    // caller from the next forwardTrain() on (0, the default: never); see
    // Model::deferredKernelGradients().
    void deferKernelGradients(std::int64_t minElements);

    struct Impl;
    Impl& impl();
    const Impl& impl() const;

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

    Shape inputShape() const;  // without batch
    Shape outputShape() const; // without batch

    // Inference (Dropout is identity, BatchNormalization uses moving statistics). Thread-safe.
    // Parallelises over the batch on all cores unless called from inside a parallel region.
    Tensor forward(const Tensor& input) const;
    // Same, also adding the time spent per layer to `timings` (one entry per layer, model order;
    // resized to the layer count if needed). Seconds are summed over worker threads (CPU time), so
    // on several threads they can exceed the wall time.
    Tensor forward(const Tensor& input, std::vector<LayerTiming>& timings) const;

    // ---- training support ----
    // Forward pass that records what backward() needs. Dropout is active (masks drawn from rng).
    // If `logits` is true and the last layer ends in softmax, the softmax is skipped and the
    // returned tensor holds the logits (so the loss can use a stable log-softmax).
    Tensor forwardTrain(const Tensor& input, ForwardCache& cache, std::mt19937& rng, bool logits = true) const;
    // Back-propagates dLoss/dOutput (w.r.t. the tensor forwardTrain returned) and writes the
    // parameter gradients into `gradients` (one tensor per parameters() entry, same sizes; overwritten),
    // summed over the batch. Throws Error without a preceding forwardTrain() on this cache.
    // Parameters of layers that do not lead to the output get zero gradients.
    void backward(const ForwardCache& cache, const Tensor& outputGradient, std::vector<Tensor>& gradients) const;
    // All trainable parameters, in a stable order: layers in spec order; per layer Dense/Conv2D
    // "kernel" (Keras layout) or "vectors" (block-circulant, CirculantWeights layout), then "bias";
    // BatchNormalization "gamma", "beta" (those present in the spec).
    std::vector<ParameterRef> parameters();

    // A kernel gradient left to the caller (ForwardCache::deferKernelGradients()): after backward(),
    // gradients[parameter] holds the gradient g at the layer's pre-activation output, (rows × out),
    // instead of dK; dK = xᵀ·g (in × out, the kernel's layout) with `input` viewed as (rows × in).
    // The trainer forms it inside the optimizer step (KernelGradientSource in Optimizer.h).
    struct DeferredKernelGradient {
        std::size_t parameter = 0; // index into parameters()
        const Tensor* input = nullptr;
        std::int64_t rows = 0, in = 0, out = 0;
    };
    // The kernels whose gradients the last backward() on `cache` left to the caller, in parameter
    // order (only layers that lead to the output: the others get ordinary zero gradients).
    std::vector<DeferredKernelGradient> deferredKernelGradients(const ForwardCache& cache) const;
    // Recomputes derived state (weight spectra) after parameters were changed in place.
    void parametersChanged();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace circnn
