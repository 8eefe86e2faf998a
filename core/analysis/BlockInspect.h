#pragma once
// What the layer explorer and the block inspector show of one weight matrix: the matrix (a Conv2D
// tap, or all taps tiled), its block-circulant projection at a chosen k (analysis/MatrixProjection.h,
// which also explains segments), and one block's defining vector, spectrum and expansion. Plain
// values; the GUI only displays them.

#include <cstdint>
#include <span>
#include <vector>

#include "analysis/MatrixProjection.h"
#include "analysis/WeightView.h"
#include "common/Progress.h"

namespace circnn {

// Spatial taps of a Conv2D layer (kh·kw); 1 for Dense; 4 for MultiHeadAttention (its projections).
std::int64_t tapCount(const LayerSpec& layer);

// The layer's matrix as shown: tap < 0 → weightMatrix(layer) (Conv2D: all taps tiled); tap t ≥ 0 →
// the C_out × C_in matrix of spatial tap t = r·kw + s. DepthwiseConv2D (no matrix, stays dense):
// depthwiseKernelView(layer, tap), `tap` selecting an output channel (< 0: all filters tiled).
// MultiHeadAttention: attentionProjectionView(layer, tap), `tap` 0..3 selecting the query, key,
// value or output projection (< 0: the query's; there is no matrix of all four).
// Throws Error for a bad tap or no weights.
WeightMatrixView layerMatrix(const LayerSpec& layer, std::int64_t tap = -1);

// Columns per projection segment for layerMatrix(layer, tap): C_in when Conv2D taps are tiled,
// otherwise the matrix width. Cheap (no weights are expanded); throws like layerMatrix.
std::int64_t segmentColumns(const LayerSpec& layer, std::int64_t tap);
// Rows of layerMatrix(layer, tap): the output units / filters (no weights are expanded).
std::int64_t matrixRows(const LayerSpec& layer, std::int64_t tap = -1);
// The block size the layer stores the matrix of layerMatrix(layer, tap) at (1: dense).
std::int64_t storedBlockSize(const LayerSpec& layer, std::int64_t tap = -1);

// Block sizes offered for a rows×cols matrix split in segments of segmentCols columns: 1 (the
// original), the powers of two 2, 4, … up to min(rows, segmentCols), and `current` (the layer's own
// k) when it is larger than 1 and not already listed. Ascending.
std::vector<std::int64_t> validBlockSizes(std::int64_t rows, std::int64_t segmentCols, std::int64_t current = 1);

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
