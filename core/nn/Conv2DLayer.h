#pragma once
// Conv2D over NHWC: y = act(conv(x, K) + b), Keras kernel layout (kh, kw, C_in, C_out), strides,
// dilation, 'valid' or 'same' padding (TensorFlow/Keras split: total pad
// max((out − 1)·stride + (kh − 1)·dilation + 1 − in, 0), the extra element at the bottom/right).
//
// Dense weights: im2col (rows = positions, columns = taps·C_in in (r, s, c) order) times the kernel
// viewed as a (taps·C_in) × C_out matrix, by cblas_sgemm.
// Block-circulant weights: every tap t = r·kw + s has a C_out × C_in block-circulant matrix
// (defining vectors (kh, kw, p, q, k)). The im2col columns of each tap are zero-padded from C_in to
// q·k channels, and ONE BlockCirculantMatrix of C_out × (taps·q·k) does the whole product: its block
// (i, t·q + j) is tap t's block (i, j). Because every tap's column group is a multiple of k wide,
// no block straddles two taps, so this matrix equals the per-tap stack exactly.
// im2col runs on groups of images bounding the scratch size; gradients are summed over groups.
// Parameters: "kernel" (kh, kw, C_in, C_out) or "vectors" (kh, kw, p, q, k); then "bias" (C_out).

#include "nn/WeightedLayer.h"

namespace circnn::nn {

class Conv2DLayer : public WeightedLayer {
public:
    using WeightedLayer::WeightedLayer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937& rng,
                      bool skipSoftmax) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
    void parametersChanged() override;

private:
    // z = conv(x) + b; with `keep` (block-circulant only) also stores each im2col group's input
    // spectra for the weight gradient.
    void linear(const Tensor& x, Tensor& z, std::vector<InputSpectra>* keep = nullptr) const;
    // Fills `cols` ((count·OH·OW) × (taps·m_cinPadded)) for images [first, first + count) of x.
    void im2col(const Tensor& x, std::int64_t first, std::int64_t count, float* cols) const;
    // Adds the column gradients back into gx for the same images.
    void col2im(const float* cols, std::int64_t first, std::int64_t count, Tensor& gx) const;
    std::int64_t imagesPerGroup() const;
    // Defining vectors between the spec layout (kh, kw, p, q, k) and the big matrix layout.
    std::vector<float> toBigLayout(const float* specVectors) const;
    void fromBigLayout(const float* big, float* specVectors) const;

    std::int64_t m_h = 0, m_w = 0, m_cin = 0, m_oh = 0, m_ow = 0, m_cout = 0, m_taps = 0;
    std::int64_t m_padTop = 0, m_padLeft = 0;
    std::int64_t m_cinPadded = 0;                    // C_in (dense) or q·k (block-circulant)
    std::int64_t m_k = 1, m_p = 0, m_q = 0;
    // m_kernel (kh, kw, C_in, C_out); m_vectors (kh, kw, p, q, k); m_matrix is C_out × (taps·q·k).
};

} // namespace circnn::nn
