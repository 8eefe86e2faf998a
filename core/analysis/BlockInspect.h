#pragma once
// What the layer explorer and the block inspector show of one weight matrix: the matrix (a Conv2D
// tap, or all taps tiled), its block-circulant projection at a chosen k, the residual, and one
// block's defining vector, spectrum and expansion. Plain values; the GUI only displays them.
//
// Segments: a Conv2D matrix tiled across taps (C_out × taps·C_in, tap-major) is projected tap by
// tap, as convertModel does: the columns split into segments of `segmentCols` (= C_in) and each
// segment has its own grid of k×k blocks, zero-padded at its right edge. A Dense layer, or a single
// tap, is one segment. Block (i, j) counts j across segments: segment j / qs, block column j % qs,
// with qs = ⌈segmentCols / k⌉.

#include <cstdint>
#include <span>
#include <vector>

#include "analysis/WeightView.h"
#include "common/Progress.h"

namespace circnn {

// Spatial taps of a Conv2D layer (kh·kw); 1 for Dense.
std::int64_t tapCount(const LayerSpec& layer);

// The layer's matrix as shown: tap < 0 → weightMatrix(layer) (Conv2D: all taps tiled); tap t ≥ 0 →
// the C_out × C_in matrix of spatial tap t = r·kw + s. Throws Error for a bad tap or no weights.
WeightMatrixView layerMatrix(const LayerSpec& layer, std::int64_t tap = -1);

// Columns per projection segment for layerMatrix(layer, tap): C_in when Conv2D taps are tiled,
// otherwise the matrix width. Cheap (no weights are expanded); throws like layerMatrix.
std::int64_t segmentColumns(const LayerSpec& layer, std::int64_t tap);
// Rows of layerMatrix(layer, tap): the output units / filters (no weights are expanded).
std::int64_t matrixRows(const LayerSpec& layer);

// Block sizes offered for a rows×cols matrix split in segments of segmentCols columns: 1 (the
// original), the powers of two 2, 4, … up to min(rows, segmentCols), and `current` (the layer's own
// k) when it is larger than 1 and not already listed. Ascending.
std::vector<std::int64_t> validBlockSizes(std::int64_t rows, std::int64_t segmentCols, std::int64_t current = 1);

struct MatrixProjection {
    std::int64_t rows = 0, cols = 0, segmentCols = 0, k = 1;
    std::int64_t blockRows = 0;    // p = ⌈rows / k⌉
    std::int64_t blockCols = 0;    // over all segments: segments · ⌈segmentCols / k⌉
    std::vector<float> vectors;    // defining vectors, block (i, j) at (i·blockCols + j)·k
    std::vector<float> projection; // rows×cols, row-major: the block-circulant matrix
    std::vector<float> residual;   // rows×cols: original − projection
    double relativeResidual = 0;   // ‖W − P(W)‖_F / ‖W‖_F (0 for a zero matrix)

    std::int64_t blocksPerSegment() const;
    // First matrix row / column of block (i, j) (may be past the edge only for padding).
    std::int64_t blockRow0(std::int64_t i) const { return i * k; }
    std::int64_t blockCol0(std::int64_t j) const;
};

// Frobenius-optimal block-circulant projection of the row-major rows×cols matrix `dense` at block
// size k (T. Chan's optimal circulant per block, core's BlockCirculantMatrix::project), segment by
// segment and one block row at a time, in parallel. Reports (block rows done, total) to `progress`;
// returning false throws Cancelled. Throws ShapeError for k < 1, k larger than both rows and
// segmentCols, segmentCols not dividing cols, or dense.size() != rows·cols.
MatrixProjection projectMatrix(std::span<const float> dense, std::int64_t rows, std::int64_t cols, std::int64_t k,
                               std::int64_t segmentCols = 0, const ProgressFn& progress = {});

struct BlockDetail {
    std::int64_t i = 0, j = 0, k = 1;
    std::int64_t row0 = 0, col0 = 0; // first matrix row / column of the block
    std::vector<float> vector;       // defining vector (first column) of the projected block, k values
    std::vector<float> magnitude;    // |FFT(vector)|, k/2+1 bins
    std::vector<float> phase;        // arg FFT(vector), radians in (−π, π], k/2+1 bins
    std::vector<float> original;     // k×k entries of the original matrix (0 in padding)
    std::vector<float> circulant;    // k×k expansion of `vector`: C[r][c] = vector[(r − c) mod k]
};

// Block (i, j) of a projection of `original` (the matrix projectMatrix was given). Throws
// ShapeError for a block outside the grid.
BlockDetail blockDetail(const MatrixProjection& projection, std::span<const float> original, std::int64_t i,
                        std::int64_t j);

} // namespace circnn
