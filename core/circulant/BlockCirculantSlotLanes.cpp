// FFT kernel, slot-lane layout: SIMD lanes run over kLanes frequency slots of one block.
//   weights  W[i][v][j][2L]: tile v (slots v·L .. v·L + L − 1) of block (i, j), L real parts then
//            L imaginary parts (slot 0 packed: DC, Nyquist).
//   inputs   expanded rows X[row][j][v][3L] (BlockCirculantFft.cpp).
//   segments (prepareSegments) segment s at s·qs·V·3L floats: its qs blocks [js][v][3L], exactly the
//            layout of blocks t·qs .. t·qs + qs − 1 inside an input row, so assembling a row is T
//            contiguous copies.
#include <algorithm>
#include <cstring>

#include "circulant/BlockCirculantImpl.h"
#include "circulant/CirculantKernels.h"

namespace circnn {

using namespace detail;

void BlockCirculantMatrix::Impl::storeSlotLaneRow(std::int64_t i, const float* split)
{
    const std::int64_t L = kernels::kLanes;
    for (std::int64_t j = 0; j < q; ++j)
        for (std::int64_t v = 0; v < groups; ++v)
            std::memcpy(&spectra[((i * groups + v) * q + j) * 2 * L], &split[(j * groups + v) * 2 * L],
                        sizeof(float) * 2 * L);
}

void BlockCirculantMatrix::Impl::slotLaneForward(const float* xs, std::int64_t rows, float* acc,
                                                 std::int64_t accStride) const
{
    kernels::forwardRows(spectra.data(), xs, rows, rowX, p, q, groups, acc, accStride);
}

void BlockCirculantMatrix::Impl::slotLaneTransposed(const float* gs, std::int64_t rows, std::int64_t gStride,
                                                    float* acc, std::int64_t accStride) const
{
    kernels::transposedRows(spectra.data(), gs, rows, gStride, p, q, groups, acc, accStride);
}

void BlockCirculantMatrix::Impl::slotLaneGatherRows(const InputSpectra& segments, const std::int64_t* index,
                                                    std::int64_t b0, std::int64_t rows, float* xs) const
{
    const std::int64_t qs = segments.m_segmentCols / k, per = q / qs, seg = segments.m_rowStride;
    const float* data = segments.m_data.data();
    const std::int64_t used = q * groups * 3 * kernels::kLanes;
    for (std::int64_t r = 0; r < rows; ++r) {
        float* out = xs + r * rowX;
        const std::int64_t* ix = index + (b0 + r) * per;
        for (std::int64_t t = 0; t < per; ++t) {
            if (ix[t] < 0)
                std::memset(out + t * seg, 0, sizeof(float) * seg);
            else
                std::memcpy(out + t * seg, data + ix[t] * seg, sizeof(float) * seg);
        }
        if (rowX > used)
            std::memset(out + used, 0, sizeof(float) * (rowX - used));
    }
}

void BlockCirculantMatrix::Impl::slotLaneMultiplyGathered(const InputSpectra& segments, const std::int64_t* index,
                                                          std::int64_t batch, float* y) const
{
    constexpr std::int64_t kChunk = kForwardChunkSlotLanes;
    float* xs = ensure(scratch().xs, std::min(batch, kChunk) * rowX);
    for (std::int64_t b = 0; b < batch; b += kChunk) {
        const std::int64_t rows = std::min(kChunk, batch - b);
        slotLaneGatherRows(segments, index, b, rows, xs);
        forwardFromSpectra(xs, rows, y + b * m);
    }
}

} // namespace circnn
