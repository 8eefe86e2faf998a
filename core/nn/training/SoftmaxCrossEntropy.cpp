#include "nn/training/SoftmaxCrossEntropy.h"

#include <cmath>
#include <string>
#include <vector>

#include "common/Error.h"

namespace circnn {

LossSums softmaxCrossEntropy(const Tensor& logits, const std::int32_t* labels, Tensor* gradient, double gradientScale)
{
    if (logits.rank() != 2)
        throw ShapeError("softmax cross-entropy: expected logits of shape (batch, classes), found " +
                         shapeToString(logits.shape()));
    const std::int64_t n = logits.dim(0), c = logits.dim(1);
    if (c < 1)
        throw ShapeError("softmax cross-entropy: logits have no classes");
    if (gradient)
        gradient->resize({n, c});
    LossSums sums;
    std::vector<double> e(static_cast<std::size_t>(c));
    for (std::int64_t i = 0; i < n; ++i) {
        const float* z = logits.data() + i * c;
        const std::int32_t label = labels[i];
        if (label < 0 || label >= c)
            throw ShapeError("softmax cross-entropy: label " + std::to_string(label) + " of sample " +
                             std::to_string(i) + " is outside [0, " + std::to_string(c) +
                             ") (the model has " + std::to_string(c) + " outputs)");
        std::int64_t arg = 0;
        for (std::int64_t j = 1; j < c; ++j)
            if (z[j] > z[arg])
                arg = j;
        const double zmax = z[arg];
        double sum = 0;
        for (std::int64_t j = 0; j < c; ++j) {
            e[static_cast<std::size_t>(j)] = std::exp(double(z[j]) - zmax);
            sum += e[static_cast<std::size_t>(j)];
        }
        const double logSum = std::log(sum);
        sums.lossSum += -(double(z[label]) - zmax - logSum);
        if (arg == label)
            ++sums.correct;
        if (gradient) {
            float* g = gradient->data() + i * c;
            for (std::int64_t j = 0; j < c; ++j) {
                const double p = e[static_cast<std::size_t>(j)] / sum;
                g[j] = static_cast<float>(gradientScale * (p - (j == label ? 1.0 : 0.0)));
            }
        }
    }
    return sums;
}

} // namespace circnn
