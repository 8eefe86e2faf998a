#pragma once
// Reducing a large matrix to display resolution without dropping entries: every output cell covers
// a rectangle of source entries and shows their mean (area averaging) or the entry of largest
// magnitude (signed; so an isolated large weight stays visible). Never nearest-entry decimation.

#include <cstdint>
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

} // namespace circnn
