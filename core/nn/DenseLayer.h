#pragma once
// Dense: y = act(x·K + b) over the last axis (inputs of higher rank are treated as rows).
// Dense weights: K in Keras layout (in, out), product by cblas_sgemm (rows×in · in×out).
// Block-circulant weights (spec.circulant): W = Kᵀ is an out×in BlockCirculantMatrix and the
// product is W·x per row (FFT based). Gradients: dense via sgemm; block-circulant via
// BlockCirculantMatrix::vectorGradient / multiplyTransposed.
// Parameters: "kernel" (in, out) or "vectors" (p, q, k); then "bias" (out) when useBias.

#include <optional>

#include "circulant/BlockCirculantMatrix.h"
#include "nn/Layer.h"

namespace circnn::nn {

class DenseLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937& rng,
                      bool skipSoftmax) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
    std::vector<ParameterRef> parameters() override;
    void parametersChanged() override;
    void storeParameters(LayerSpec& spec) const override;

private:
    void linear(const Tensor& x, Tensor& z) const;  // z = x·K + b (no activation)
    void addBias(Tensor& z, std::int64_t rows) const;

    std::int64_t m_in = 0, m_out = 0;
    Tensor m_kernel;                                  // dense: (in, out)
    Tensor m_vectors;                                 // block-circulant: (p, q, k)
    Tensor m_bias;                                    // (out) or empty
    std::optional<BlockCirculantMatrix> m_matrix;     // block-circulant W (out × in)
};

} // namespace circnn::nn
