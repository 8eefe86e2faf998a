#pragma once
// LSTM (Keras semantics), gates stacked i, f, c, o:
//   z = x_t·K + h_{t−1}·U + b;  i = σ(z_i), f = σ(z_f), g = act(z_c), o = σ(z_o)
//   c_t = f ∘ c_{t−1} + i ∘ g;  h_t = o ∘ act(c_t)
// σ is recurrent_activation (sigmoid; hard_sigmoid in files from early Keras 2), act is activation
// (tanh). The loop, masking and weights: RecurrentLayer.

#include "nn/RecurrentLayer.h"

namespace circnn::nn {

class LstmLayer : public RecurrentLayer {
public:
    using RecurrentLayer::RecurrentLayer;

protected:
    // Record per row: z (4u), activated gates (4u), c_{t−1}, c_t, act(c_t), h_{t−1} (u each).
    std::int64_t recordSize() const override { return 12 * m_units; }
    void cellForward(const float* xp, const float* hPrev, const float* cPrev, float* h, float* c, float* record,
                     std::int64_t batch) const override;
    void cellBackward(const float* record, const float* dh, const float* dc, float* dxp, float* dhPrev, float* dcPrev,
                      RecurrentRows& rows, std::int64_t batch) const override;
};

} // namespace circnn::nn
