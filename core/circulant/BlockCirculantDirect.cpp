// Direct (time-domain, O(k²) per block) kernel: no FFTs; cheaper than the FFT kernel only for k = 1.
//   weights  D[i][d][j] = w_ij[d]
//   inputs   Xc[row][c][j] = x[j·k + c] (0 in padding), rows rowXc floats apart
//   segments (prepareSegments) segment s at s·segmentCols floats: [c][js] = value js·k + c, copied
//            into the row's [c][t·qs + js] (k runs of qs floats per segment).
#include <algorithm>
#include <cstring>

#include "circulant/BlockCirculantImpl.h"
#include "circulant/CirculantKernels.h"

namespace circnn {

using namespace detail;

void BlockCirculantMatrix::Impl::setupDirect()
{
    rowXc = roundUp(k * q, 16);
}

void BlockCirculantMatrix::Impl::computeDirectWeights()
{
    direct.assign(static_cast<std::size_t>(p * k * q), 0.0f);
    for (std::int64_t i = 0; i < p; ++i)
        for (std::int64_t j = 0; j < q; ++j)
            for (std::int64_t d = 0; d < k; ++d)
                direct[(i * k + d) * q + j] = vectors[(i * q + j) * k + d];
}

void BlockCirculantMatrix::Impl::deinterleaveRows(const float* x, std::int64_t rows, float* xc) const
{
    for (std::int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * n;
        float* out = xc + r * rowXc;
        std::memset(out, 0, sizeof(float) * rowXc);
        for (std::int64_t idx = 0; idx < n; ++idx)
            out[(idx % k) * q + idx / k] = xr[idx];
    }
}

void BlockCirculantMatrix::Impl::directFromInputs(const float* xc, std::int64_t rows, float* y) const
{
    kernels::directForward(direct.data(), xc, rows, rowXc, m, k, p, q, y);
}

void BlockCirculantMatrix::Impl::directMultiply(const float* x, float* y, std::int64_t batch) const
{
    constexpr std::int64_t kChunk = kForwardChunk;
    AlignedVector<float> xc(static_cast<std::size_t>(std::min(batch, kChunk) * rowXc));
    for (std::int64_t b = 0; b < batch; b += kChunk) {
        const std::int64_t rows = std::min(kChunk, batch - b);
        deinterleaveRows(x + b * n, rows, xc.data());
        directFromInputs(xc.data(), rows, y + b * m);
    }
}

void BlockCirculantMatrix::Impl::directMultiplyTransposed(const float* g, float* x, std::int64_t batch) const
{
    AlignedVector<float> acc(static_cast<std::size_t>(k * q));
    for (std::int64_t b = 0; b < batch; ++b) {
        kernels::directTransposedRow(direct.data(), g + b * m, m, k, p, q, acc.data());
        for (std::int64_t idx = 0; idx < n; ++idx)
            x[b * n + idx] = acc[(idx % k) * q + idx / k];
    }
}

void BlockCirculantMatrix::Impl::directGradient(const InputSpectra& inputs, const float* g, std::int64_t batch,
                                                float* grad) const
{
    const std::int64_t total = p * q * k;
    AlignedVector<float> acc(static_cast<std::size_t>(total), 0.0f); // acc[i][d][j]
    kernels::directGradient(inputs.m_data.data(), inputs.m_rowStride, g, batch, m, k, p, q, acc.data());
    for (std::int64_t i = 0; i < p; ++i)
        for (std::int64_t dd = 0; dd < k; ++dd)
            for (std::int64_t j = 0; j < q; ++j)
                grad[(i * q + j) * k + dd] = acc[(i * k + dd) * q + j];
}

void BlockCirculantMatrix::Impl::directPrepareSegments(const float* x, std::int64_t count, std::int64_t len,
                                                       std::int64_t stride, std::int64_t qs, InputSpectra& out) const
{
    const std::int64_t segmentCols = out.m_segmentCols;
    for (std::int64_t s = 0; s < count; ++s) {
        const float* xs = x + s * stride;
        float* o = out.m_data.data() + s * segmentCols;
        std::fill(o, o + segmentCols, 0.0f);
        for (std::int64_t idx = 0; idx < len; ++idx)
            o[(idx % k) * qs + idx / k] = xs[idx];
    }
}

void BlockCirculantMatrix::Impl::directGatherRows(const InputSpectra& segments, const std::int64_t* index,
                                                  std::int64_t b0, std::int64_t rows, float* xc) const
{
    const std::int64_t qs = segments.m_segmentCols / k, per = q / qs, seg = segments.m_rowStride;
    const float* data = segments.m_data.data();
    for (std::int64_t r = 0; r < rows; ++r) {
        float* out = xc + r * rowXc;
        const std::int64_t* ix = index + (b0 + r) * per;
        for (std::int64_t t = 0; t < per; ++t)
            for (std::int64_t c = 0; c < k; ++c) {
                float* dst = out + c * q + t * qs;
                if (ix[t] < 0)
                    std::memset(dst, 0, sizeof(float) * qs);
                else
                    std::memcpy(dst, data + ix[t] * seg + c * qs, sizeof(float) * qs);
            }
        if (rowXc > k * q)
            std::memset(out + k * q, 0, sizeof(float) * (rowXc - k * q));
    }
}

void BlockCirculantMatrix::Impl::directMultiplyGathered(const InputSpectra& segments, const std::int64_t* index,
                                                        std::int64_t batch, float* y) const
{
    constexpr std::int64_t kChunk = kForwardChunk;
    AlignedVector<float> xc(static_cast<std::size_t>(std::min(batch, kChunk) * rowXc));
    for (std::int64_t b = 0; b < batch; b += kChunk) {
        const std::int64_t rows = std::min(kChunk, batch - b);
        directGatherRows(segments, index, b, rows, xc.data());
        directFromInputs(xc.data(), rows, y + b * m);
    }
}

} // namespace circnn
