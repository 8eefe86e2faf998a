#include "nn/SimpleRnnLayer.h"

#include <algorithm>

namespace circnn::nn {

void SimpleRnnLayer::cellForward(const float* xp, const float* hPrev, const float*, float* h, float* c, float* record,
                                 std::int64_t batch) const
{
    const std::int64_t u = m_units, rec = recordSize();
    std::vector<float> r(static_cast<std::size_t>(batch * u));
    recurrentProduct(hPrev, r.data(), batch);
    for (std::int64_t b = 0; b < batch; ++b) {
        float* z = record + b * rec;
        float* y = z + u;
        for (std::int64_t j = 0; j < u; ++j)
            z[j] = xp[b * u + j] + r[static_cast<std::size_t>(b * u + j)];
        std::copy_n(z, u, y);
        activate(y, u);
        std::copy_n(hPrev + b * u, u, y + u);
        std::copy_n(y, u, h + b * u);
        std::fill_n(c + b * u, u, 0.0f); // no cell state
    }
}

void SimpleRnnLayer::cellBackward(const float* record, const float* dh, const float*, float* dxp, float* dhPrev,
                                  float* dcPrev, RecurrentRows& rows, std::int64_t batch) const
{
    const std::int64_t u = m_units, rec = recordSize();
    for (std::int64_t b = 0; b < batch; ++b) {
        const float* z = record + b * rec;
        activationGrad(z, z + u, dh + b * u, dxp + b * u, u);
        rows.add(z + 2 * u, u, dxp + b * u, u);
    }
    std::fill_n(dcPrev, batch * u, 0.0f);
    recurrentTransposed(dxp, dhPrev, batch);
}

} // namespace circnn::nn
