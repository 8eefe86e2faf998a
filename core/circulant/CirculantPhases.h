#pragma once
// CirculantPhases: the three phases of BlockCirculantMatrix::multiply(x, y, batch) (FFT kernel), each
// run alone on the same data, for `circnn bench --breakdown`:
//   forwardTransforms()   FFTW's real-to-complex transforms of every input block (inputs already
//                         zero-padded into FFTW's layout: no copying, no repacking)
//   multiplyAccumulate()  the engine's frequency-domain multiply-accumulate on inputs already
//                         transformed into its layout (no transforms)
//   inverseTransforms()   FFTW's complex-to-real transforms of every output block (the spectra
//                         restored from a copy before each transform, as FFTW's c2r destroys them)
// Their sum is what a straight-line implementation of the product costs; the full call's excess over
// it is per-call overhead (scratch management, repacking copies, zeroing, lookups).
//
// The phases are those of the slot-lane / row-lane FFT kernel; forward products of >= 32 rows at
// k <= 8 take the per-bin GEMM path instead (BlockCirculantBinGemm.cpp), which this does not split;
// batch-1 calls of few blocks take the small-product path (BlockCirculantSmall.cpp), the same
// arithmetic done in FFTW's layout (its results equal assembledProduct() too).
//
// The object owns all its buffers (prepared in the constructor), so the phase calls allocate nothing.
// Not thread-safe (one object per thread).

#include <cstdint>
#include <vector>

#include "circulant/BlockCirculantMatrix.h"
#include "common/AlignedAllocator.h"

namespace circnn {

class CirculantPhases {
public:
    // x: batch×n inputs. Throws ShapeError if the matrix does not use the FFT kernel.
    CirculantPhases(const BlockCirculantMatrix& matrix, const float* x, std::int64_t batch);

    void forwardTransforms();
    void multiplyAccumulate();
    void inverseTransforms();

    // The product assembled from the phases' own outputs (the MAC on the prepared spectra, then the
    // engine's inverse step): must equal multiply(x, y, batch); tests hold the two together.
    std::vector<float> assembledProduct() const;

private:
    const BlockCirculantMatrix& m_matrix;
    std::int64_t m_batch = 0;
    AlignedVector<float> m_in;      // zero-padded inputs, FFTW layout (batch × rowInQ)
    AlignedVector<float> m_spec;    // forward output (batch × rowSpecQ complex)
    AlignedVector<float> m_xs;      // expanded input spectra (batch × rowX)
    AlignedVector<float> m_acc;     // MAC output (batch × accStride)
    AlignedVector<float> m_outSpec; // output spectra in FFTW's layout (batch × rowSpecP complex), pristine
    AlignedVector<float> m_cbuf;    // c2r input (destroyed by each transform)
    AlignedVector<float> m_out;     // c2r output (rowInP)
};

} // namespace circnn
