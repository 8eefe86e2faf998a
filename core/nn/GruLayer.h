#pragma once
// GRU (Keras semantics), gates stacked z, r, h; σ = recurrent_activation, act = activation:
//   z = σ(x·K_z + b_z + h·U_z [+ b'_z]),  r = σ(x·K_r + b_r + h·U_r [+ b'_r])
//   reset_after (Keras 2.3+ / TF2 default, bias (2, 3u): input row b, recurrent row b'):
//       ĥ = act(x·K_h + b_h + r ∘ (h·U_h + b'_h))
//   reset_after false (early Keras 2, bias (3u)):
//       ĥ = act(x·K_h + b_h + (r ∘ h)·U_h)
//   h_t = z ∘ h_{t−1} + (1 − z) ∘ ĥ
// Without reset_after the candidate needs a second recurrent product on r ∘ h; it is computed with
// the whole U (the z, r columns of that product are unused), which doubles the recurrent cost of
// that (legacy) variant. The loop, masking and weights: RecurrentLayer.

#include "nn/RecurrentLayer.h"

namespace circnn::nn {

class GruLayer : public RecurrentLayer {
public:
    using RecurrentLayer::RecurrentLayer;

protected:
    // Record per row: xp (3u), h·U (3u), (r∘h)·U_h (u), pre-activations (3u), activations z, r, ĥ
    // (3u), h_{t−1} (u), r∘h_{t−1} (u).
    std::int64_t recordSize() const override { return 15 * m_units; }
    void cellForward(const float* xp, const float* hPrev, const float* cPrev, float* h, float* c, float* record,
                     std::int64_t batch) const override;
    void cellBackward(const float* record, const float* dh, const float* dc, float* dxp, float* dhPrev, float* dcPrev,
                      RecurrentRows& rows, std::int64_t batch) const override;
};

} // namespace circnn::nn
