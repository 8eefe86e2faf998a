#pragma once
// Reducing a large matrix to display resolution without dropping entries: every output cell covers
// a rectangle of source entries and shows their mean (area averaging) or the entry of largest
// magnitude (signed; so an isolated large weight stays visible). Never nearest-entry decimation.

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace circnn {

enum class DownsampleMode { Mean, MaxMagnitude };

struct MatrixRegion {
    std::int64_t row0 = 0, col0 = 0; // first source row / column
    std::int64_t rows = 0, cols = 0; // extent in source entries
};

// Reduces `region` of the row-major rows×cols matrix `values` to outRows×outCols cells (each at
// most the region's extent). Output cell (y, x) covers source rows
// [row0 + ⌊y·R/outRows⌋, row0 + ⌊(y+1)·R/outRows⌋) and likewise for columns (R = region.rows), so
// the cells tile the region exactly. Non-finite entries are skipped (a cell of only non-finite
// entries is NaN). Throws ShapeError for a region outside the matrix or a bad output size.
std::vector<float> downsampleMatrix(std::span<const float> values, std::int64_t rows, std::int64_t cols,
                                    const MatrixRegion& region, std::int64_t outRows, std::int64_t outCols,
                                    DownsampleMode mode);

// A matrix read one row segment at a time: returns a pointer to entries [col0, col1) of `row`,
// either into storage of its own or into `scratch` (room for col1 − col0 floats) after filling it.
// Must be safe to call from several threads at once. Lets a display reduce a matrix that is never
// stored whole (a projection generated from its defining vectors, a residual).
using MatrixRowSource =
    std::function<const float*(std::int64_t row, std::int64_t col0, std::int64_t col1, float* scratch)>;

// A row source over a stored row-major matrix with `cols` columns (no copy; the caller keeps
// `values` alive as long as the source is used).
MatrixRowSource storedRows(std::span<const float> values, std::int64_t cols);

// The same reduction as above from a row source: each source row of the region is read once.
// Equal to downsampleMatrix on the materialised matrix (the tests hold them together).
std::vector<float> downsampleRows(const MatrixRowSource& source, std::int64_t rows, std::int64_t cols,
                                  const MatrixRegion& region, std::int64_t outRows, std::int64_t outCols,
                                  DownsampleMode mode);

} // namespace circnn
