#include "nn/LstmLayer.h"

#include <algorithm>

namespace circnn::nn {

void LstmLayer::cellForward(const float* xp, const float* hPrev, const float* cPrev, float* h, float* c, float* record,
                            std::int64_t batch) const
{
    const std::int64_t u = m_units, g = 4 * u, rec = recordSize();
    std::vector<float> r(static_cast<std::size_t>(batch * g));
    recurrentProduct(hPrev, r.data(), batch);
    for (std::int64_t b = 0; b < batch; ++b) {
        float* z = record + b * rec;
        float* a = z + g;
        float* cp = a + g;
        float* ct = cp + u;
        float* ac = ct + u;
        float* hp = ac + u;
        for (std::int64_t j = 0; j < g; ++j)
            z[j] = xp[b * g + j] + r[static_cast<std::size_t>(b * g + j)];
        std::copy_n(z, g, a);
        activateGate(a, 2 * u);     // i, f
        activate(a + 2 * u, u);     // candidate
        activateGate(a + 3 * u, u); // o
        std::copy_n(cPrev + b * u, u, cp);
        std::copy_n(hPrev + b * u, u, hp);
        for (std::int64_t j = 0; j < u; ++j)
            ct[j] = a[u + j] * cp[j] + a[j] * a[2 * u + j];
        std::copy_n(ct, u, ac);
        activate(ac, u);
        for (std::int64_t j = 0; j < u; ++j) {
            c[b * u + j] = ct[j];
            h[b * u + j] = a[3 * u + j] * ac[j];
        }
    }
}

void LstmLayer::cellBackward(const float* record, const float* dh, const float* dc, float* dxp, float* dhPrev,
                             float* dcPrev, RecurrentRows& rows, std::int64_t batch) const
{
    const std::int64_t u = m_units, g = 4 * u, rec = recordSize();
    std::vector<float> da(static_cast<std::size_t>(g)), t(static_cast<std::size_t>(u)), dct(t);
    for (std::int64_t b = 0; b < batch; ++b) {
        const float* z = record + b * rec;
        const float* a = z + g;
        const float* cp = a + g;
        const float* ct = cp + u;
        const float* ac = ct + u;
        const float* hp = ac + u;
        const float* dhb = dh + b * u;
        for (std::int64_t j = 0; j < u; ++j)
            t[static_cast<std::size_t>(j)] = dhb[j] * a[3 * u + j]; // dL/d act(c)
        activationGrad(ct, ac, t.data(), dct.data(), u);
        for (std::int64_t j = 0; j < u; ++j) {
            const float dcTotal = dct[static_cast<std::size_t>(j)] + dc[b * u + j];
            da[static_cast<std::size_t>(j)] = dcTotal * a[2 * u + j]; // i
            da[static_cast<std::size_t>(u + j)] = dcTotal * cp[j];    // f
            da[static_cast<std::size_t>(2 * u + j)] = dcTotal * a[j]; // candidate
            da[static_cast<std::size_t>(3 * u + j)] = dhb[j] * ac[j]; // o
            dcPrev[b * u + j] = dcTotal * a[u + j];
        }
        float* dz = dxp + b * g;
        gateGrad(z, a, da.data(), dz, 2 * u);
        activationGrad(z + 2 * u, a + 2 * u, da.data() + 2 * u, dz + 2 * u, u);
        gateGrad(z + 3 * u, a + 3 * u, da.data() + 3 * u, dz + 3 * u, u);
        rows.add(hp, u, dz, g);
    }
    recurrentTransposed(dxp, dhPrev, batch);
}

} // namespace circnn::nn
