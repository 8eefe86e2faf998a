#include "circulant/CirculantPhases.h"

#include <algorithm>
#include <cstring>

#include "circulant/BlockCirculantImpl.h"
#include "circulant/CirculantKernels.h"
#include "common/Error.h"

namespace circnn {

using namespace detail;

CirculantPhases::CirculantPhases(const BlockCirculantMatrix& matrix, const float* x, std::int64_t batch)
    : m_matrix(matrix), m_batch(batch)
{
    const auto& d = *matrix.m_impl;
    if (d.kernel != CirculantKernel::Fft)
        throw ShapeError("CirculantPhases: the phase breakdown needs the FFT kernel, the matrix uses " +
                         std::string(kernelName(d.kernel)));
    if (batch < 1 || !x)
        throw ShapeError("CirculantPhases: needs at least one input row");
    const std::int64_t accStride = d.p * d.groups * 2 * kernels::kLanes;
    m_in.assign(static_cast<std::size_t>(batch * d.rowInQ), 0.0f);
    m_spec.assign(static_cast<std::size_t>(2 * batch * d.rowSpecQ), 0.0f);
    m_xs.assign(static_cast<std::size_t>(batch * d.rowX), 0.0f);
    m_acc.assign(static_cast<std::size_t>(batch * accStride), 0.0f);
    m_outSpec.assign(static_cast<std::size_t>(2 * batch * d.rowSpecP), 0.0f);
    m_cbuf.assign(static_cast<std::size_t>(2 * d.rowSpecP), 0.0f);
    m_out.assign(static_cast<std::size_t>(d.rowInP), 0.0f);
    for (std::int64_t b = 0; b < batch; ++b)
        for (std::int64_t j = 0; j < d.q; ++j) {
            const std::int64_t begin = j * d.k, len = std::min(d.k, d.n - begin);
            std::memcpy(&m_in[b * d.rowInQ + j * d.kin], x + b * d.n + begin, sizeof(float) * len);
        }
    d.transformInputRows(x, batch, m_xs.data());
    multiplyAccumulate();
    for (std::int64_t b = 0; b < batch; ++b)
        d.unpackRowSpectra(m_acc.data() + b * accStride, d.p,
                           reinterpret_cast<fftwf_complex*>(m_outSpec.data()) + b * d.rowSpecP);
}

void CirculantPhases::forwardTransforms()
{
    const auto& d = *m_matrix.m_impl;
    auto* spec = reinterpret_cast<fftwf_complex*>(m_spec.data());
    for (std::int64_t b = 0; b < m_batch; ++b)
        d.fwdQ->executeR2c(m_in.data() + b * d.rowInQ, spec + b * d.rowSpecQ);
}

void CirculantPhases::multiplyAccumulate()
{
    const auto& d = *m_matrix.m_impl;
    const std::int64_t accStride = d.p * d.groups * 2 * kernels::kLanes;
    const std::int64_t chunk = d.forwardChunk();
    for (std::int64_t r0 = 0; r0 < m_batch; r0 += chunk) {
        const std::int64_t rows = std::min(chunk, m_batch - r0);
        d.multiplyAccumulate(m_xs.data() + r0 * d.rowX, rows, m_acc.data() + r0 * accStride, accStride);
    }
}

void CirculantPhases::inverseTransforms()
{
    const auto& d = *m_matrix.m_impl;
    auto* cbuf = reinterpret_cast<fftwf_complex*>(m_cbuf.data());
    const auto* spec = reinterpret_cast<const fftwf_complex*>(m_outSpec.data());
    for (std::int64_t b = 0; b < m_batch; ++b) {
        std::memcpy(cbuf, spec + b * d.rowSpecP, sizeof(fftwf_complex) * d.p * d.cdist);
        d.invP->executeC2r(cbuf, m_out.data());
    }
}

std::vector<float> CirculantPhases::assembledProduct() const
{
    const auto& d = *m_matrix.m_impl;
    std::vector<float> y(static_cast<std::size_t>(m_batch * d.m));
    AlignedVector<float> cbuf(m_cbuf.size()), out(m_out.size());
    auto* c = reinterpret_cast<fftwf_complex*>(cbuf.data());
    const auto* spec = reinterpret_cast<const fftwf_complex*>(m_outSpec.data());
    for (std::int64_t b = 0; b < m_batch; ++b) {
        std::memcpy(c, spec + b * d.rowSpecP, sizeof(fftwf_complex) * d.p * d.cdist);
        d.invP->executeC2r(c, out.data());
        d.copyOutRow(out.data(), d.p, y.data() + b * d.m, d.m);
    }
    return y;
}

} // namespace circnn
