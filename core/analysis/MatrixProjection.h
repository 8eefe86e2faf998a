#pragma once
// The block-circulant projection of one weight matrix as the layer explorer shows it: the defining
// vectors at a block size k, the relative residual and the largest residual entry. The projected
// matrix and the residual are never stored: a display reads the rows it shows (projectionRow,
// residualRow), generated from the defining vectors; projectedMatrix() materialises the whole
// projection when a caller needs it.
//
// Segments: a Conv2D matrix tiled across taps (C_out × taps·C_in, tap-major) is projected tap by
// tap, as convertModel does: the columns split into segments of `segmentCols` (= C_in) and each
// segment has its own grid of k×k blocks, zero-padded at its right edge. A Dense layer, or a single
// tap, is one segment. Block (i, j) counts j across segments: segment j / qs, block column j % qs,
// with qs = ⌈segmentCols / k⌉.

#include <cstdint>
#include <span>
#include <vector>

#include "common/Progress.h"

namespace circnn {

struct MatrixProjection {
    std::int64_t rows = 0, cols = 0, segmentCols = 0, k = 1;
    std::int64_t blockRows = 0; // p = ⌈rows / k⌉
    std::int64_t blockCols = 0; // over all segments: segments · ⌈segmentCols / k⌉
    // Defining vectors (first columns), block (i, j) at (i·blockCols + j)·k: entry (r, c) of the
    // block is v[(r − c) mod k]. For k = 1 these are the matrix entries themselves.
    std::vector<float> vectors;
    double relativeResidual = 0; // ‖W − P(W)‖_F / ‖W‖_F (0 for a zero matrix)
    float maxResidual = 0;       // max |W − P(W)| over the finite entries (0 for k = 1)

    std::int64_t blocksPerSegment() const;
    // First matrix row / column of block (i, j) (may be past the edge only for padding).
    std::int64_t blockRow0(std::int64_t i) const { return i * k; }
    std::int64_t blockCol0(std::int64_t j) const;

    // Entries [col0, col1) of row `row` of the projected matrix P(W), from the defining vectors.
    // Safe to call from several threads at once. Preconditions (unchecked, hot path): 0 ≤ row <
    // rows, 0 ≤ col0 ≤ col1 ≤ cols, `out` holds col1 − col0 floats.
    void projectionRow(std::int64_t row, std::int64_t col0, std::int64_t col1, float* out) const;
    // The same entries of the residual W − P(W), given the original row-major matrix W.
    void residualRow(std::span<const float> original, std::int64_t row, std::int64_t col0, std::int64_t col1,
                     float* out) const;
};

// Frobenius-optimal block-circulant projection of the row-major rows×cols matrix `dense` at block
// size k (T. Chan's optimal circulant per block: each wrapped diagonal replaced by its mean over
// the entries inside the matrix, as core's BlockCirculantMatrix::project), segment by segment, one
// block row at a time, in parallel: one pass accumulating the diagonals of a strip of k rows, one
// pass over the same (cache-resident) strip for the residual norm and its largest entry. Reports
// (tasks done, total) to `progress`; returning false throws Cancelled. Throws ShapeError for k < 1,
// k larger than both rows and segmentCols, segmentCols not dividing cols, or dense.size() ≠
// rows·cols.
MatrixProjection projectMatrix(std::span<const float> dense, std::int64_t rows, std::int64_t cols, std::int64_t k,
                               std::int64_t segmentCols = 0, const ProgressFn& progress = {});

// Reference path for tests: the same projection through BlockCirculantMatrix::project, segment by
// segment on one thread, residual norm and maximum from the materialised matrices.
MatrixProjection projectMatrixReference(std::span<const float> dense, std::int64_t rows, std::int64_t cols,
                                        std::int64_t k, std::int64_t segmentCols = 0);

// The whole projected matrix P(W), rows×cols row-major (projectionRow for every row).
std::vector<float> projectedMatrix(const MatrixProjection& projection);

} // namespace circnn
