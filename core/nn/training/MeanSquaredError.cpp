#include "nn/training/MeanSquaredError.h"

#include "common/Error.h"

namespace circnn {

LossSums meanSquaredError(const Tensor& outputs, const float* targets, Tensor* gradient, double gradientScale)
{
    if (outputs.rank() != 2)
        throw ShapeError("mean squared error: outputs must be (N, C), got " + shapeToString(outputs.shape()));
    const std::int64_t n = outputs.dim(0), c = outputs.dim(1);
    if (gradient && gradient->shape() != outputs.shape())
        *gradient = Tensor(outputs.shape());
    LossSums sums;
    const double perValue = c > 0 ? 1.0 / double(c) : 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        double sq = 0;
        for (std::int64_t j = 0; j < c; ++j) {
            const double d = double(outputs[i * c + j]) - double(targets[i * c + j]);
            sq += d * d;
            if (gradient)
                (*gradient)[i * c + j] = static_cast<float>(gradientScale * 2.0 * d * perValue);
        }
        sums.lossSum += sq * perValue;
    }
    return sums;
}

} // namespace circnn
