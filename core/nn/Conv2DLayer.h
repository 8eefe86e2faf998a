#pragma once
// Conv2D over NHWC: y = act(conv(x, K) + b), Keras kernel layout (kh, kw, C_in, C_out), strides,
// dilation, 'valid' or 'same' padding (TensorFlow/Keras split: total pad
// max((out − 1)·stride + (kh − 1)·dilation + 1 − in, 0), the extra element at the bottom/right).
//
// Dense weights: im2col (rows = positions, columns = taps·C_in in (r, s, c) order) times the kernel
// viewed as a (taps·C_in) × C_out matrix, by cblas_sgemm.
// Block-circulant weights: every tap t = r·kw + s has a C_out × C_in block-circulant matrix
// (defining vectors (kh, kw, p, q, k)). Each tap's C_in channels are zero-padded to q·k, and ONE
// BlockCirculantMatrix of C_out × (taps·q·k) does the whole product: its block (i, t·q + j) is tap
// t's block (i, j). Because every tap's column group is a multiple of k wide, no block straddles
// two taps, so this matrix equals the per-tap stack exactly.
// Forward ("im2col in the frequency domain"): the q blocks of every input pixel's (padded) channel
// vector are transformed ONCE (BlockCirculantMatrix::prepareSegments, one segment per pixel); each
// output position's matrix row is then assembled from the spectra of the pixels its taps read
// (gatherSegments / multiplyGathered: pure copies of packed spectra, zero spectra where a tap
// falls into 'same' padding), followed by the frequency-domain multiply-accumulate and one inverse
// FFT per output block. So a 3×3 stride-1 layer does about 1/9 of the forward FFTs of the
// im2col-then-transform scheme. Works with whichever kernel the matrix uses (FFT or, at k = 1, direct). In training the
// gathered spectra are kept per group as the InputSpectra of the weight gradient (vectorGradient
// needs no forward FFTs either). Backward input gradient: multiplyTransposed per im2col row, then
// col2im in the time domain.
// Work goes by groups of images bounding the scratch size (block-circulant inference: about 1024
// input pixels, so their spectra stay in L2 during the gather); gradients are summed over groups.
// Parameters: "kernel" (kh, kw, C_in, C_out) or "vectors" (kh, kw, p, q, k); then "bias" (C_out).

#include <cstdint>
#include <vector>

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
    // z = conv(x) + b; with `keep` (block-circulant only) also stores each im2col group's gathered
    // input spectra for the weight gradient.
    void linear(const Tensor& x, Tensor& z, std::vector<InputSpectra>* keep = nullptr) const;
    // Fills `cols` ((count·OH·OW) × (taps·m_cinPadded)) for images [first, first + count) of x.
    void im2col(const Tensor& x, std::int64_t first, std::int64_t count, float* cols) const;
    // For images [first, first + count): per im2col row (position) and tap, the index of the input
    // pixel within those images ((n − first)·H + i)·W + j, or −1 where the tap falls into padding.
    void im2colIndex(std::int64_t count, std::vector<std::int64_t>& index) const;
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
