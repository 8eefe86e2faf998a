#include "nn/GruLayer.h"

#include <algorithm>

namespace circnn::nn {

namespace {

// Offsets into one row's record (units of u).
struct GruRecord {
    float* xp;
    float* rec;
    float* rec2;
    float* pre;
    float* act;
    float* hPrev;
    float* rh;
    GruRecord(float* base, std::int64_t u)
        : xp(base), rec(base + 3 * u), rec2(base + 6 * u), pre(base + 7 * u), act(base + 10 * u), hPrev(base + 13 * u),
          rh(base + 14 * u)
    {
    }
};

} // namespace

void GruLayer::cellForward(const float* xp, const float* hPrev, const float*, float* h, float* c, float* record,
                           std::int64_t batch) const
{
    const std::int64_t u = m_units, g = 3 * u, rec = recordSize();
    const bool resetAfter = m_spec->resetAfter;
    std::vector<float> r(static_cast<std::size_t>(batch * g));
    recurrentProduct(hPrev, r.data(), batch);
    std::vector<float> rh(resetAfter ? 0 : static_cast<std::size_t>(batch * u));
    for (std::int64_t b = 0; b < batch; ++b) {
        GruRecord q(record + b * rec, u);
        std::copy_n(xp + b * g, g, q.xp);
        std::copy_n(r.data() + b * g, g, q.rec);
        std::copy_n(hPrev + b * u, u, q.hPrev);
        for (std::int64_t j = 0; j < 2 * u; ++j)
            q.pre[j] = q.xp[j] + q.rec[j];
        std::copy_n(q.pre, 2 * u, q.act);
        activateGate(q.act, 2 * u);
        for (std::int64_t j = 0; j < u; ++j)
            q.rh[j] = q.act[u + j] * q.hPrev[j];
        if (!resetAfter)
            std::copy_n(q.rh, u, rh.data() + b * u);
    }
    if (!resetAfter) // (r ∘ h)·U, of which the candidate columns are used
        recurrentProduct(rh.data(), r.data(), batch);
    for (std::int64_t b = 0; b < batch; ++b) {
        GruRecord q(record + b * rec, u);
        for (std::int64_t j = 0; j < u; ++j) {
            q.rec2[j] = resetAfter ? q.act[u + j] * q.rec[2 * u + j] : r[static_cast<std::size_t>(b * g + 2 * u + j)];
            q.pre[2 * u + j] = q.xp[2 * u + j] + q.rec2[j];
        }
        std::copy_n(q.pre + 2 * u, u, q.act + 2 * u);
        activate(q.act + 2 * u, u);
        for (std::int64_t j = 0; j < u; ++j) {
            const float z = q.act[j];
            h[b * u + j] = z * q.hPrev[j] + (1.0f - z) * q.act[2 * u + j];
        }
        std::fill_n(c + b * u, u, 0.0f); // no cell state
    }
}

void GruLayer::cellBackward(const float* record, const float* dh, const float*, float* dxp, float* dhPrev,
                            float* dcPrev, RecurrentRows& rows, std::int64_t batch) const
{
    const std::int64_t u = m_units, g = 3 * u, rec = recordSize();
    const bool resetAfter = m_spec->resetAfter;
    auto at = [&](std::int64_t b) { return GruRecord(const_cast<float*>(record) + b * rec, u); };
    std::vector<float> direct(static_cast<std::size_t>(batch * u)), da(static_cast<std::size_t>(g));
    std::vector<float> dR(static_cast<std::size_t>(batch * g)), dR2, dRh;
    // Candidate pre-activation gradient first: the reset gate's gradient depends on it.
    for (std::int64_t b = 0; b < batch; ++b) {
        const GruRecord q = at(b);
        float* dz = dxp + b * g;
        for (std::int64_t j = 0; j < u; ++j) {
            const float z = q.act[j], d = dh[b * u + j];
            da[static_cast<std::size_t>(2 * u + j)] = d * (1.0f - z);
            da[static_cast<std::size_t>(j)] = d * (q.hPrev[j] - q.act[2 * u + j]);
            direct[static_cast<std::size_t>(b * u + j)] = d * z;
        }
        activationGrad(q.pre + 2 * u, q.act + 2 * u, da.data() + 2 * u, dz + 2 * u, u);
        std::copy_n(da.data(), u, dz); // dL/dz (activated) until the gate gradient below
    }
    if (!resetAfter) { // candidate used (r ∘ h)·U_h: back through that product
        dR2.assign(static_cast<std::size_t>(batch * g), 0.0f);
        dRh.resize(static_cast<std::size_t>(batch * u));
        for (std::int64_t b = 0; b < batch; ++b)
            std::copy_n(dxp + b * g + 2 * u, u, dR2.data() + b * g + 2 * u);
        recurrentTransposed(dR2.data(), dRh.data(), batch);
    }
    for (std::int64_t b = 0; b < batch; ++b) {
        const GruRecord q = at(b);
        float* dz = dxp + b * g;
        float* dr = dR.data() + b * g;
        for (std::int64_t j = 0; j < u; ++j) {
            const float dCand = dz[2 * u + j];
            float dReset; // dL/dr (activated)
            if (resetAfter) {
                dReset = dCand * q.rec[2 * u + j];
                dr[2 * u + j] = dCand * q.act[u + j];
            } else {
                const float d = dRh[static_cast<std::size_t>(b * u + j)];
                dReset = d * q.hPrev[j];
                direct[static_cast<std::size_t>(b * u + j)] += d * q.act[u + j];
                dr[2 * u + j] = 0.0f;
            }
            da[static_cast<std::size_t>(u + j)] = dReset;
            da[static_cast<std::size_t>(j)] = dz[j];
        }
        gateGrad(q.pre, q.act, da.data(), dz, 2 * u);
        std::copy_n(dz, 2 * u, dr);
        rows.add(q.hPrev, u, dr, g);
        if (!resetAfter)
            rows.add(q.rh, u, dR2.data() + b * g, g);
    }
    recurrentTransposed(dR.data(), dhPrev, batch);
    for (std::int64_t i = 0; i < batch * u; ++i)
        dhPrev[i] += direct[static_cast<std::size_t>(i)];
    std::fill_n(dcPrev, batch * u, 0.0f);
}

} // namespace circnn::nn
