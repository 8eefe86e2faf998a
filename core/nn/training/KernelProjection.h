#pragma once
// Block-circulant projection of a dense kernel in its Keras layout, used by ADMM structured
// training (Trainer.h, AdmmOptions). The projection is the one `convertModel` applies
// (BlockCirculantMatrix::project: T. Chan's optimal circulant per k×k block), expanded back to a
// dense kernel of the same layout, so the result is the Frobenius-nearest block-circulant kernel.

#include <cstdint>
#include <span>

#include "common/Tensor.h"

namespace circnn {

// `shape` is a Dense kernel (in, out) or a Conv2D kernel (kh, kw, in, out); for a Conv2D kernel
// every tap's out×in matrix is projected. `kernel` and `projected` hold shapeSize(shape) floats
// (they may not alias). Throws ShapeError for other shapes, sizes that do not match, or k < 1 or
// k > max(in, out).
void projectKernelBlockCirculant(const Shape& shape, std::span<const float> kernel, std::int64_t k,
                                 std::span<float> projected);

} // namespace circnn
