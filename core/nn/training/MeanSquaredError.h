#pragma once
// Mean squared error loss for models whose output is not a class (autoencoders: the target is the
// input; regression: a stored target). Per sample the loss is the mean over its C output values,
//   loss_i = (1/C) Σ_c (y_ic − t_ic)²,
// matching Keras' "mse" loss and the MSE that evaluate() reports.

#include "common/Tensor.h"
#include "nn/training/SoftmaxCrossEntropy.h"

namespace circnn {

// outputs, targets: (N, C) (targets may have any shape of N·C values). Returns Σ_i loss_i
// (correct = 0). When `gradient` is non-null it is resized to (N, C) and receives
// gradientScale · 2 (y − t) / C, i.e. dLoss/dOutputs for gradientScale · Σ_i loss_i.
// Throws ShapeError when the sizes differ.
LossSums meanSquaredError(const Tensor& outputs, const float* targets, Tensor* gradient = nullptr,
                          double gradientScale = 1.0);

} // namespace circnn
