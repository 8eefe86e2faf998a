#pragma once
// SimpleRNN (Keras semantics): h_t = act(x_t·K + h_{t−1}·U + b), act = activation (tanh).
// The loop, masking and weights: RecurrentLayer.

#include "nn/RecurrentLayer.h"

namespace circnn::nn {

class SimpleRnnLayer : public RecurrentLayer {
public:
    using RecurrentLayer::RecurrentLayer;

protected:
    // Record per row: z, h_t, h_{t−1} (u each).
    std::int64_t recordSize() const override { return 3 * m_units; }
    void cellForward(const float* xp, const float* hPrev, const float* cPrev, float* h, float* c, float* record,
                     std::int64_t batch) const override;
    void cellBackward(const float* record, const float* dh, const float* dc, float* dxp, float* dhPrev, float* dcPrev,
                      RecurrentRows& rows, std::int64_t batch) const override;
};

} // namespace circnn::nn
