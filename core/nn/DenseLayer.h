#pragma once
// Dense: y = act(x·K + b) over the last axis (inputs of higher rank are treated as rows).
// Dense weights: K in Keras layout (in, out), product by cblas_sgemm (rows×in · in×out).
// Block-circulant weights (spec.circulant): W = Kᵀ is an out×in BlockCirculantMatrix and the
// product is W·x per row (FFT based). Gradients: dense via sgemm; block-circulant via
// BlockCirculantMatrix::vectorGradient / multiplyTransposed.
// Parameters: "kernel" (in, out) or "vectors" (p, q, k); then "bias" (out) when useBias.

#include "nn/WeightedLayer.h"

namespace circnn::nn {

class DenseLayer : public WeightedLayer {
public:
    using WeightedLayer::WeightedLayer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937& rng,
                      bool skipSoftmax) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
    void parametersChanged() override;
    std::int64_t deferrableKernelSize() const override; // dense kernels (not block-circulant)

private:
    void linear(const Tensor& x, Tensor& z) const; // z = x·K + b (no activation)
    void addBias(Tensor& z, std::int64_t rows) const;

    std::int64_t m_in = 0, m_out = 0;
    // m_kernel (in, out); m_vectors (p, q, k); m_matrix is W (out × in).
};

} // namespace circnn::nn
