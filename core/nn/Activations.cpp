#include "nn/Activations.h"

#include <algorithm>
#include <cmath>

namespace circnn::nn {

namespace {
constexpr float kSeluAlpha = 1.6732632423543772f;
constexpr float kSeluScale = 1.0507009873554805f;
constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

inline float sigmoid(float x)
{
    // Written to avoid overflow of exp for large |x|.
    if (x >= 0) {
        const float e = std::exp(-x);
        return 1.0f / (1.0f + e);
    }
    const float e = std::exp(x);
    return e / (1.0f + e);
}
} // namespace

float effectiveAlpha(ActivationKind kind, std::optional<float> alpha)
{
    if (alpha)
        return *alpha;
    switch (kind) {
    case ActivationKind::LeakyRelu:
        return 0.3f;
    case ActivationKind::Elu:
        return 1.0f;
    default:
        return 0.0f;
    }
}

void applyActivation(ActivationKind kind, std::optional<float> alpha, float* v, std::int64_t n, std::int64_t lastDim)
{
    const float a = effectiveAlpha(kind, alpha);
    switch (kind) {
    case ActivationKind::Linear:
        return;
    case ActivationKind::Relu:
        for (std::int64_t i = 0; i < n; ++i)
            v[i] = v[i] > 0 ? v[i] : 0.0f;
        return;
    case ActivationKind::Relu6:
        for (std::int64_t i = 0; i < n; ++i)
            v[i] = std::min(std::max(v[i], 0.0f), 6.0f);
        return;
    case ActivationKind::LeakyRelu:
        for (std::int64_t i = 0; i < n; ++i)
            v[i] = v[i] >= 0 ? v[i] : a * v[i];
        return;
    case ActivationKind::Sigmoid:
        for (std::int64_t i = 0; i < n; ++i)
            v[i] = sigmoid(v[i]);
        return;
    case ActivationKind::HardSigmoid:
        for (std::int64_t i = 0; i < n; ++i)
            v[i] = std::min(std::max(v[i] + 3.0f, 0.0f), 6.0f) / 6.0f;
        return;
    case ActivationKind::HardSigmoidKeras2:
        for (std::int64_t i = 0; i < n; ++i)
            v[i] = std::min(std::max(0.2f * v[i] + 0.5f, 0.0f), 1.0f);
        return;
    case ActivationKind::Tanh:
        for (std::int64_t i = 0; i < n; ++i)
            v[i] = std::tanh(v[i]);
        return;
    case ActivationKind::Softmax: {
        const std::int64_t rows = lastDim > 0 ? n / lastDim : 0;
        for (std::int64_t r = 0; r < rows; ++r) {
            float* row = v + r * lastDim;
            const float mx = *std::max_element(row, row + lastDim);
            double sum = 0;
            for (std::int64_t i = 0; i < lastDim; ++i) {
                row[i] = std::exp(row[i] - mx);
                sum += row[i];
            }
            const float inv = static_cast<float>(1.0 / sum);
            for (std::int64_t i = 0; i < lastDim; ++i)
                row[i] *= inv;
        }
        return;
    }
    case ActivationKind::Elu:
        for (std::int64_t i = 0; i < n; ++i)
            v[i] = v[i] > 0 ? v[i] : a * std::expm1(v[i]);
        return;
    case ActivationKind::Selu:
        for (std::int64_t i = 0; i < n; ++i)
            v[i] = kSeluScale * (v[i] > 0 ? v[i] : kSeluAlpha * std::expm1(v[i]));
        return;
    case ActivationKind::Swish:
        for (std::int64_t i = 0; i < n; ++i)
            v[i] = v[i] * sigmoid(v[i]);
        return;
    case ActivationKind::Gelu:
        for (std::int64_t i = 0; i < n; ++i)
            v[i] = 0.5f * v[i] * (1.0f + std::erf(v[i] * kInvSqrt2));
        return;
    }
}

void activationGradient(ActivationKind kind, std::optional<float> alpha, const float* x, const float* y,
                        const float* gy, float* gx, std::int64_t n, std::int64_t lastDim)
{
    const float a = effectiveAlpha(kind, alpha);
    switch (kind) {
    case ActivationKind::Linear:
        if (gx != gy)
            std::copy(gy, gy + n, gx);
        return;
    case ActivationKind::Relu:
        for (std::int64_t i = 0; i < n; ++i)
            gx[i] = x[i] > 0 ? gy[i] : 0.0f;
        return;
    case ActivationKind::Relu6:
        for (std::int64_t i = 0; i < n; ++i)
            gx[i] = (x[i] > 0 && x[i] < 6) ? gy[i] : 0.0f;
        return;
    case ActivationKind::LeakyRelu:
        for (std::int64_t i = 0; i < n; ++i)
            gx[i] = x[i] >= 0 ? gy[i] : a * gy[i];
        return;
    case ActivationKind::Sigmoid:
        for (std::int64_t i = 0; i < n; ++i)
            gx[i] = gy[i] * y[i] * (1.0f - y[i]);
        return;
    case ActivationKind::HardSigmoid:
        for (std::int64_t i = 0; i < n; ++i)
            gx[i] = (x[i] > -3.0f && x[i] < 3.0f) ? gy[i] / 6.0f : 0.0f;
        return;
    case ActivationKind::HardSigmoidKeras2:
        for (std::int64_t i = 0; i < n; ++i)
            gx[i] = (x[i] > -2.5f && x[i] < 2.5f) ? 0.2f * gy[i] : 0.0f;
        return;
    case ActivationKind::Tanh:
        for (std::int64_t i = 0; i < n; ++i)
            gx[i] = gy[i] * (1.0f - y[i] * y[i]);
        return;
    case ActivationKind::Softmax: {
        const std::int64_t rows = lastDim > 0 ? n / lastDim : 0;
        for (std::int64_t r = 0; r < rows; ++r) {
            const float* yr = y + r * lastDim;
            const float* gr = gy + r * lastDim;
            float* out = gx + r * lastDim;
            double dot = 0;
            for (std::int64_t i = 0; i < lastDim; ++i)
                dot += double(gr[i]) * yr[i];
            for (std::int64_t i = 0; i < lastDim; ++i)
                out[i] = yr[i] * (gr[i] - static_cast<float>(dot));
        }
        return;
    }
    case ActivationKind::Elu:
        for (std::int64_t i = 0; i < n; ++i)
            gx[i] = x[i] > 0 ? gy[i] : gy[i] * (y[i] + a);
        return;
    case ActivationKind::Selu:
        for (std::int64_t i = 0; i < n; ++i)
            gx[i] = x[i] > 0 ? gy[i] * kSeluScale : gy[i] * (y[i] + kSeluScale * kSeluAlpha);
        return;
    case ActivationKind::Swish:
        for (std::int64_t i = 0; i < n; ++i) {
            const float s = sigmoid(x[i]);
            gx[i] = gy[i] * (s + x[i] * s * (1.0f - s));
        }
        return;
    case ActivationKind::Gelu:
        for (std::int64_t i = 0; i < n; ++i) {
            const float cdf = 0.5f * (1.0f + std::erf(x[i] * kInvSqrt2));
            const float pdf = kInvSqrt2Pi * std::exp(-0.5f * x[i] * x[i]);
            gx[i] = gy[i] * (cdf + x[i] * pdf);
        }
        return;
    }
}

} // namespace circnn::nn
