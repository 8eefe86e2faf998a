#pragma once
// InputSpectra: the transformed layer inputs of one batch, as computed inside
// BlockCirculantMatrix::multiply(x, y, batch, keep). Training keeps them from the forward pass and
// hands them to vectorGradient(keep, g, batch, grad), which then needs no forward FFTs of x again.
//
// The contents are an implementation detail of the matrix that produced them (their layout depends
// on its block size and kernel); they are valid for any matrix with the same shape, block size and
// kernel (e.g. the same matrix after setVectors()). Using them with another matrix throws ShapeError.
//
// Segment spectra (BlockCirculantMatrix::prepareSegments) use the same type: they hold `batch`
// transformed input SEGMENTS of segmentCols() columns each (e.g. one pixel's channels of a
// convolution), from which gatherSegments() / multiplyGathered() assemble whole input rows by
// copying. They are not input rows: only those two functions accept them.

#include <cstdint>

#include "circulant/CirculantKernel.h"
#include "common/AlignedAllocator.h"

namespace circnn {

class BlockCirculantMatrix;

class InputSpectra {
public:
    InputSpectra() = default;

    bool empty() const { return m_batch == 0; }
    std::int64_t batch() const { return m_batch; }         // number of input rows held
    std::int64_t cols() const { return m_cols; }           // n of the producing matrix
    std::int64_t blockSize() const { return m_blockSize; } // k of the producing matrix
    CirculantKernel kernel() const { return m_kernel; }
    // Memory held, in bytes.
    std::int64_t bytes() const { return static_cast<std::int64_t>(m_data.size() * sizeof(float)); }
    // Columns per segment for segment spectra, 0 for spectra of whole input rows.
    std::int64_t segmentCols() const { return m_segmentCols; }
    void clear()
    {
        m_batch = m_cols = m_blockSize = m_rowStride = m_segmentCols = 0;
        m_kernel = CirculantKernel::Auto;
        m_data.clear();
    }

private:
    friend class BlockCirculantMatrix;
    std::int64_t m_batch = 0;
    std::int64_t m_cols = 0;
    std::int64_t m_blockSize = 0;
    std::int64_t m_rowStride = 0; // floats per input row (or segment) in m_data
    std::int64_t m_segmentCols = 0;
    CirculantKernel m_kernel = CirculantKernel::Auto;
    AlignedVector<float> m_data;
};

} // namespace circnn
