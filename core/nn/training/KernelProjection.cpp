#include "nn/training/KernelProjection.h"

#include <string>
#include <vector>

#include "circulant/BlockCirculantMatrix.h"
#include "common/Error.h"

namespace circnn {

void projectKernelBlockCirculant(const Shape& shape, std::span<const float> kernel, std::int64_t k,
                                 std::span<float> projected)
{
    if (shape.size() != 2 && shape.size() != 4)
        throw ShapeError("block-circulant projection: expected a Dense (in, out) or Conv2D (kh, kw, in, out) "
                         "kernel, found shape " + shapeToString(shape));
    const std::int64_t size = shapeSize(shape);
    if (static_cast<std::int64_t>(kernel.size()) != size || static_cast<std::int64_t>(projected.size()) != size)
        throw ShapeError("block-circulant projection: kernel of shape " + shapeToString(shape) + " needs " +
                         std::to_string(size) + " values, found " + std::to_string(kernel.size()) + " / " +
                         std::to_string(projected.size()));
    const std::int64_t rows = shape.back(), cols = shape[shape.size() - 2];
    const std::int64_t taps = size / (rows * cols);
    std::vector<float> w(static_cast<std::size_t>(rows * cols));
    for (std::int64_t t = 0; t < taps; ++t) {
        const float* src = kernel.data() + t * cols * rows;
        float* dst = projected.data() + t * cols * rows;
        // Keras layout [.., in, out] → row-major out × in, as convertModel does.
        for (std::int64_t i = 0; i < cols; ++i)
            for (std::int64_t o = 0; o < rows; ++o)
                w[static_cast<std::size_t>(o * cols + i)] = src[i * rows + o];
        const std::vector<float> p = BlockCirculantMatrix::project(w, rows, cols, k).toDense();
        for (std::int64_t i = 0; i < cols; ++i)
            for (std::int64_t o = 0; o < rows; ++o)
                dst[i * rows + o] = p[static_cast<std::size_t>(o * cols + i)];
    }
}

} // namespace circnn
