#pragma once
// Element-wise activation functions shared by the Activation layer and the activations fused
// into Dense / Conv2D. Conventions (Keras 3 unless noted):
// - leaky_relu: f(x) = x for x ≥ 0, alpha·x otherwise; no alpha means the default 0.3 (the default of
//   the Keras LeakyReLU *layer*, which is how leaky ReLU reaches a file; keras.activations.leaky_relu
//   as a string defaults to 0.2 — files that need that value carry it in activationAlpha).
// - elu: no alpha means 1.0. selu: fixed constants (alpha 1.67326…, scale 1.05070…).
// - hard_sigmoid: Keras 3's relu6(x + 3) / 6 (Keras 2 used clip(0.2·x + 0.5, 0, 1)).
// - gelu: the exact erf form 0.5·x·(1 + erf(x/√2)) (Keras' default approximate=False).
// - softmax: over the last axis (rows of `lastDim` values), max-subtracted for stability.
// Derivatives at kinks (relu at 0, relu6 at 0 and 6, hard_sigmoid at ±3) take the right-hand value
// of the open interval they border on the left; finite-difference tests avoid the kinks.

#include <cstdint>

#include "model/ModelSpec.h"

namespace circnn::nn {

// The slope / alpha actually used for `kind` when the spec gives `alpha` (nullopt: Keras default).
float effectiveAlpha(ActivationKind kind, std::optional<float> alpha);

// y = f(x) in place over n values; softmax treats the data as rows of `lastDim` values.
void applyActivation(ActivationKind kind, std::optional<float> alpha, float* data, std::int64_t n,
                     std::int64_t lastDim);

// gx = f'(x) ∘ gy (softmax: the Jacobian-vector product per row) given the pre-activation x and
// the activation y = f(x). gx may alias gy.
void activationGradient(ActivationKind kind, std::optional<float> alpha, const float* x, const float* y,
                        const float* gy, float* gx, std::int64_t n, std::int64_t lastDim);

} // namespace circnn::nn
