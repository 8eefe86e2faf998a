#pragma once
// Cropping2D / Cropping1D over NHWC (1-D: a 1 x L image): removes padTop / padBottom rows and
// padLeft / padRight columns. The gradient is the output gradient placed back, zeros where cropped.

#include "nn/Layer.h"

namespace circnn::nn {

class CroppingLayer : public Layer {
public:
    using Layer::Layer;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

private:
    // Copies the kept window: toOutput: `from` in x's layout into `to` in the output layout;
    // otherwise `from` in the output layout into `to` in x's layout (x gives the input shape).
    void copyWindow(const Tensor& x, const float* from, float* to, bool toOutput) const;
};

} // namespace circnn::nn
