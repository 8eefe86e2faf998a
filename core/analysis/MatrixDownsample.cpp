#include "analysis/MatrixDownsample.h"

#include <cmath>
#include <limits>
#include <string>

#include "common/Error.h"
#include "common/Parallel.h"

namespace circnn {

MatrixRowSource storedRows(std::span<const float> values, std::int64_t cols)
{
    return [values, cols](std::int64_t row, std::int64_t col0, std::int64_t, float*) {
        return values.data() + row * cols + col0;
    };
}

std::vector<float> downsampleMatrix(std::span<const float> values, std::int64_t rows, std::int64_t cols,
                                    const MatrixRegion& region, std::int64_t outRows, std::int64_t outCols,
                                    DownsampleMode mode)
{
    if (static_cast<std::int64_t>(values.size()) != rows * cols)
        throw ShapeError("downsampleMatrix: " + std::to_string(values.size()) + " values for a " +
                         std::to_string(rows) + " × " + std::to_string(cols) + " matrix");
    return downsampleRows(storedRows(values, cols), rows, cols, region, outRows, outCols, mode);
}

std::vector<float> downsampleRows(const MatrixRowSource& source, std::int64_t rows, std::int64_t cols,
                                  const MatrixRegion& region, std::int64_t outRows, std::int64_t outCols,
                                  DownsampleMode mode)
{
    if (region.row0 < 0 || region.col0 < 0 || region.rows < 1 || region.cols < 1 || region.row0 + region.rows > rows ||
        region.col0 + region.cols > cols)
        throw ShapeError("downsampleMatrix: region " + std::to_string(region.rows) + " × " +
                         std::to_string(region.cols) + " at (" + std::to_string(region.row0) + ", " +
                         std::to_string(region.col0) + ") is not inside the " + std::to_string(rows) + " × " +
                         std::to_string(cols) + " matrix");
    if (outRows < 1 || outCols < 1 || outRows > region.rows || outCols > region.cols)
        throw ShapeError("downsampleMatrix: output " + std::to_string(outRows) + " × " + std::to_string(outCols) +
                         " must be between 1 and the region's extent");
    // Offset in the region's row where output column x starts (outCols + 1 boundaries).
    std::vector<std::int64_t> colStart(static_cast<std::size_t>(outCols + 1));
    for (std::int64_t x = 0; x <= outCols; ++x)
        colStart[static_cast<std::size_t>(x)] = x * region.cols / outCols;
    std::vector<float> out(static_cast<std::size_t>(outRows * outCols));
    const float nan = std::numeric_limits<float>::quiet_NaN();
    // Rows of the output are independent: each walks its source rows sequentially (row-major).
    parallelFor(
        static_cast<std::size_t>(outRows),
        [&](std::size_t yb, std::size_t ye) {
            std::vector<double> acc(static_cast<std::size_t>(outCols));
            std::vector<std::int64_t> count(static_cast<std::size_t>(outCols));
            std::vector<float> scratch(static_cast<std::size_t>(region.cols));
            for (std::size_t y = yb; y < ye; ++y) {
                const std::int64_t r0 = region.row0 + static_cast<std::int64_t>(y) * region.rows / outRows;
                const std::int64_t r1 = region.row0 + (static_cast<std::int64_t>(y) + 1) * region.rows / outRows;
                std::fill(acc.begin(), acc.end(), 0.0);
                std::fill(count.begin(), count.end(), 0);
                for (std::int64_t r = r0; r < r1; ++r) {
                    const float* line = source(r, region.col0, region.col0 + region.cols, scratch.data());
                    for (std::int64_t x = 0; x < outCols; ++x) {
                        double a = acc[static_cast<std::size_t>(x)];
                        std::int64_t n = count[static_cast<std::size_t>(x)];
                        const std::int64_t cb = colStart[static_cast<std::size_t>(x)],
                                           ce = colStart[static_cast<std::size_t>(x + 1)];
                        if (mode == DownsampleMode::Mean) {
                            // Common case first: a finite sum means every entry was finite (an
                            // infinity or NaN makes the sum non-finite; finite floats cannot
                            // overflow a double), so no per-entry test is needed.
                            double sum = 0;
                            for (std::int64_t c = cb; c < ce; ++c)
                                sum += line[c];
                            if (std::isfinite(sum)) {
                                acc[static_cast<std::size_t>(x)] = a + sum;
                                count[static_cast<std::size_t>(x)] = n + (ce - cb);
                                continue;
                            }
                        }
                        for (std::int64_t c = cb; c < ce; ++c) {
                            const float v = line[c];
                            if (!std::isfinite(v))
                                continue;
                            if (mode == DownsampleMode::Mean)
                                a += v;
                            else if (n == 0 || std::abs(v) > std::abs(a))
                                a = v;
                            ++n;
                        }
                        acc[static_cast<std::size_t>(x)] = a;
                        count[static_cast<std::size_t>(x)] = n;
                    }
                }
                float* o = out.data() + static_cast<std::int64_t>(y) * outCols;
                for (std::int64_t x = 0; x < outCols; ++x) {
                    const std::int64_t n = count[static_cast<std::size_t>(x)];
                    const double a = acc[static_cast<std::size_t>(x)];
                    o[x] = n == 0 ? nan : static_cast<float>(mode == DownsampleMode::Mean ? a / double(n) : a);
                }
            }
        },
        8);
    return out;
}

} // namespace circnn
