#include "nn/training/SoftmaxCrossEntropy.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "common/Error.h"

namespace circnn {

void softmaxRows(Tensor& values)
{
    if (values.rank() != 2)
        throw ShapeError("softmax: expected (batch, classes), found " + shapeToString(values.shape()));
    const std::int64_t n = values.dim(0), c = values.dim(1);
    for (std::int64_t i = 0; i < n; ++i) {
        float* z = values.data() + i * c;
        float zmax = z[0];
        for (std::int64_t j = 1; j < c; ++j)
            zmax = std::max(zmax, z[j]);
        double sum = 0;
        for (std::int64_t j = 0; j < c; ++j)
            sum += std::exp(double(z[j]) - zmax);
        for (std::int64_t j = 0; j < c; ++j)
            z[j] = static_cast<float>(std::exp(double(z[j]) - zmax) / sum);
    }
}

void softenRows(Tensor& p, double temperature)
{
    if (!(temperature > 0))
        throw Error("distillation temperature must be > 0, found " + std::to_string(temperature));
    if (temperature == 1.0)
        return;
    const std::int64_t n = p.dim(0), c = p.dim(1);
    for (std::int64_t i = 0; i < n; ++i) {
        float* r = p.data() + i * c;
        double sum = 0;
        for (std::int64_t j = 0; j < c; ++j)
            sum += r[j] > 0 ? std::pow(double(r[j]), 1.0 / temperature) : 0.0;
        for (std::int64_t j = 0; j < c; ++j)
            r[j] = static_cast<float>(r[j] > 0 ? std::pow(double(r[j]), 1.0 / temperature) / sum : 0.0);
    }
}

LossSums softmaxCrossEntropy(const Tensor& logits, const std::int32_t* labels, Tensor* gradient, double gradientScale,
                             const Tensor* soft, double softWeight, double temperature)
{
    if (logits.rank() != 2)
        throw ShapeError("softmax cross-entropy: expected logits of shape (batch, classes), found " +
                         shapeToString(logits.shape()));
    const std::int64_t n = logits.dim(0), c = logits.dim(1);
    if (c < 1)
        throw ShapeError("softmax cross-entropy: logits have no classes");
    if (gradient)
        gradient->resize({n, c});
    if (soft && soft->shape() != logits.shape())
        throw ShapeError("softmax cross-entropy: teacher probabilities have shape " + shapeToString(soft->shape()) +
                         ", expected " + shapeToString(logits.shape()));
    if (soft && !(softWeight >= 0 && softWeight <= 1))
        throw Error("softmax cross-entropy: distillation weight must be in [0, 1], found " + std::to_string(softWeight));
    const double alpha = soft ? softWeight : 0.0;
    if (!(temperature > 0))
        throw Error("softmax cross-entropy: temperature must be > 0, found " + std::to_string(temperature));
    const double invT = 1.0 / temperature;
    std::vector<double> eT(static_cast<std::size_t>(c));
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
        const float* q = soft ? soft->data() + i * c : nullptr;
        double sumT = 0, logSumT = 0;
        if (alpha > 0) {
            for (std::int64_t j = 0; j < c; ++j) {
                eT[static_cast<std::size_t>(j)] = std::exp((double(z[j]) - zmax) * invT);
                sumT += eT[static_cast<std::size_t>(j)];
            }
            logSumT = std::log(sumT);
            double soft = 0;
            for (std::int64_t j = 0; j < c; ++j)
                if (q[j] > 0)
                    soft -= double(q[j]) * ((double(z[j]) - zmax) * invT - logSumT);
            sums.lossSum += (1 - alpha) * -(double(z[label]) - zmax - logSum) + alpha * temperature * temperature * soft;
        } else {
            sums.lossSum += -(double(z[label]) - zmax - logSum);
        }
        if (arg == label)
            ++sums.correct;
        if (gradient) {
            float* g = gradient->data() + i * c;
            for (std::int64_t j = 0; j < c; ++j) {
                const double p = e[static_cast<std::size_t>(j)] / sum;
                double d = (1 - alpha) * (p - (j == label ? 1.0 : 0.0));
                if (alpha > 0)
                    d += alpha * temperature * (eT[static_cast<std::size_t>(j)] / sumT - double(q[j]));
                g[j] = static_cast<float>(gradientScale * d);
            }
        }
    }
    return sums;
}

} // namespace circnn
