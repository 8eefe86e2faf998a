// FFT kernel, row-lane layout (small k, where padding S slots to kLanes would waste more than
// padding p block rows to kLanes): SIMD lanes run over kLanes output block rows, one slot at a
// time (a per-bin complex GEMM).
//   weights  wrl[s][ig][j][2L]: slot s, block rows ig·L .. ig·L + L − 1 (rows >= p zero), block j;
//            L real parts then L imaginary parts.
//   inputs   expanded rows X[row][j][v][3L] (BlockCirculantFft.cpp); the kernels gather them per slot.
//   segments (prepareSegments) segment s at s·qs·S·3 floats, compact [slot][js][3] = (xr, xb, xc):
//            multiplyGathered copies each slot's qs·3 floats straight into the kernel's per-slot
//            layout; gatherSegments re-expands them into tiles (exact: the other lanes of an
//            expanded tile are zero).
#include <algorithm>
#include <cstring>

#include "circulant/BlockCirculantImpl.h"
#include "circulant/CirculantKernels.h"

namespace circnn {

using namespace detail;

void BlockCirculantMatrix::Impl::storeRowLaneRow(std::int64_t i, const float* split)
{
    const std::int64_t L = kernels::kLanes;
    const std::int64_t ig = i / L, t = i % L;
    for (std::int64_t s = 0; s < slots; ++s)
        for (std::int64_t j = 0; j < q; ++j) {
            const float* src = &split[(j * groups + s / L) * 2 * L + s % L];
            float* dst = &rowLaneSpectra[((s * pGroups + ig) * q + j) * 2 * L + t];
            dst[0] = src[0];
            dst[L] = src[L];
        }
}

void BlockCirculantMatrix::Impl::rowLaneForward(const float* xs, std::int64_t rows, float* acc,
                                                std::int64_t accStride) const
{
    kernels::forwardRowLanes(rowLaneSpectra.data(), xs, rows, rowX, p, q, groups, slots, acc, accStride);
}

void BlockCirculantMatrix::Impl::rowLaneTransposed(const float* gs, std::int64_t rows, std::int64_t gStride, float* acc,
                                                   std::int64_t accStride) const
{
    for (std::int64_t r = 0; r < rows; ++r)
        kernels::transposedRowLanes(rowLaneSpectra.data(), gs + r * gStride, p, q, groups, slots, acc + r * accStride);
}

std::int64_t BlockCirculantMatrix::Impl::rowLaneSegmentStride(std::int64_t qs) const
{
    return qs * slots * 3;
}

void BlockCirculantMatrix::Impl::rowLanePrepareSegments(const float* x, std::int64_t count, std::int64_t len,
                                                        std::int64_t stride, std::int64_t qs, const FftwPlan& plan,
                                                        InputSpectra& out) const
{
    // Expanded spectra of a few segments at a time, kept compact as [s][js][3].
    const std::int64_t L = kernels::kLanes;
    constexpr std::int64_t kChunk = 64;
    const std::int64_t expanded = qs * groups * 3 * L;
    AlignedVector<float> tmp(static_cast<std::size_t>(std::min(count, kChunk) * expanded));
    for (std::int64_t s0 = 0; s0 < count; s0 += kChunk) {
        const std::int64_t n0 = std::min(kChunk, count - s0);
        transformRows(x + s0 * stride, n0, stride, len, qs, plan, tmp.data(), expanded);
        for (std::int64_t r = 0; r < n0; ++r) {
            const float* e = tmp.data() + r * expanded;
            float* o = out.m_data.data() + (s0 + r) * out.m_rowStride;
            for (std::int64_t sl = 0; sl < slots; ++sl)
                for (std::int64_t js = 0; js < qs; ++js) {
                    const float* t = e + (js * groups + sl / L) * 3 * L + sl % L;
                    float* c = o + (sl * qs + js) * 3;
                    c[0] = t[0];
                    c[1] = t[L];
                    c[2] = t[2 * L];
                }
        }
    }
}

void BlockCirculantMatrix::Impl::rowLaneGatherRows(const InputSpectra& segments, const std::int64_t* index,
                                                   std::int64_t b0, std::int64_t rows, float* xs) const
{
    // Compact segments [s][js][3] back into expanded tiles (all other lanes are zero).
    const std::int64_t qs = segments.m_segmentCols / k, per = q / qs, seg = segments.m_rowStride;
    const float* data = segments.m_data.data();
    const std::int64_t L = kernels::kLanes, tile = 3 * L;
    for (std::int64_t r = 0; r < rows; ++r) {
        float* out = xs + r * rowX;
        std::memset(out, 0, sizeof(float) * rowX);
        const std::int64_t* ix = index + (b0 + r) * per;
        for (std::int64_t t = 0; t < per; ++t) {
            if (ix[t] < 0)
                continue;
            const float* src = data + ix[t] * seg;
            for (std::int64_t sl = 0; sl < slots; ++sl)
                for (std::int64_t js = 0; js < qs; ++js) {
                    const float* c = src + (sl * qs + js) * 3;
                    float* o = out + ((t * qs + js) * groups + sl / L) * tile + sl % L;
                    o[0] = c[0];
                    o[L] = c[1];
                    o[2 * L] = c[2];
                }
        }
    }
}

void BlockCirculantMatrix::Impl::gatherSlotRows(const InputSpectra& segments, const std::int64_t* index,
                                                std::int64_t b0, std::int64_t rows, float* xsl) const
{
    // xsl[s][b][j][3]: per row, tap and slot one contiguous copy of the segment's qs·3 floats.
    const std::int64_t qs = segments.m_segmentCols / k, per = q / qs, seg = segments.m_rowStride;
    const float* data = segments.m_data.data();
    const std::int64_t run = qs * 3, slotStride = rows * q * 3;
    for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t* ix = index + (b0 + r) * per;
        float* row = xsl + r * q * 3;
        for (std::int64_t t = 0; t < per; ++t)
            for (std::int64_t sl = 0; sl < slots; ++sl) {
                float* o = row + sl * slotStride + t * run;
                if (ix[t] < 0)
                    std::memset(o, 0, sizeof(float) * run);
                else
                    std::memcpy(o, data + ix[t] * seg + sl * run, sizeof(float) * run);
            }
    }
}

void BlockCirculantMatrix::Impl::rowLaneMultiplyGathered(const InputSpectra& segments, const std::int64_t* index,
                                                         std::int64_t batch, float* y) const
{
    // Gather straight into the per-slot layout of the row-lane kernel (what forwardRowLanes would
    // gather from full expanded rows), then as forwardFromSpectra.
    constexpr std::int64_t kChunk = kForwardChunk;
    Scratch& sc = scratch();
    const std::int64_t chunk = std::min(batch, kChunk);
    const std::int64_t accStride = p * groups * 2 * kernels::kLanes;
    float* xsl = ensure(sc.xs, chunk * q * slots * 3);
    float* acc = ensure(sc.acc, chunk * accStride);
    fftwf_complex* cbuf = ensureComplex(sc.cbuf, rowSpecP);
    float* rbuf = ensure(sc.rbuf, rowInP);
    for (std::int64_t b = 0; b < batch; b += kChunk) {
        const std::int64_t rows = std::min(kChunk, batch - b);
        gatherSlotRows(segments, index, b, rows, xsl);
        kernels::forwardRowLanesCompact(rowLaneSpectra.data(), xsl, rows, rows * q * 3, q * 3, 3, p, q, groups, slots,
                                        acc, accStride);
        for (std::int64_t r = 0; r < rows; ++r)
            inverseRow(acc + r * accStride, p, *invP, y + (b + r) * m, m, cbuf, rbuf);
    }
}

} // namespace circnn
