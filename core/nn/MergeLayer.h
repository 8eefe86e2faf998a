#pragma once
// Element-wise merges: Add (sum), Multiply (product), Subtract (x0 − x1, exactly two inputs),
// Average (mean) and Maximum (Keras' maximum; its gradient goes to the first input holding the
// maximum); AddLayer (nn/AddLayer.h) is this layer under the name the factory uses for Add. Inputs broadcast as in
// Keras (nn/BroadcastMap.h): e.g. a squeeze-excitation gate (batch, 1, 1, C) times features (batch, H, W, C); the
// gradient of a broadcast input is summed over the axes it was repeated along.

#include <vector>

#include "nn/BroadcastMap.h"
#include "nn/Layer.h"

namespace circnn::nn {

class MergeLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;

private:
    // The inputs at the output's shape: broadcast ones expanded into `storage`, others as given.
    std::vector<const Tensor*> expanded(Inputs inputs, std::vector<Tensor>& storage) const;

    std::vector<BroadcastMap> m_maps; // per input, to the output shape
};

} // namespace circnn::nn
