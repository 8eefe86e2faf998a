#pragma once
// Softmax cross-entropy on logits, computed with a stable log-softmax
// (log p_c = z_c − max z − log Σ exp(z_j − max z)).

#include <cstdint>

#include "common/Tensor.h"

namespace circnn {

struct LossSums {
    double lossSum = 0;          // Σ over samples of −log p(true class), natural log
    std::int64_t correct = 0;    // samples whose arg-max logit is the true class (first max wins)
};

// logits: (N, C). labels: N values in [0, C) (throws ShapeError otherwise).
// When `gradient` is non-null it is resized to (N, C) and receives
// gradientScale · (softmax(z) − onehot(label)), i.e. dLoss/dLogits for a loss that is
// gradientScale · Σ loss_i (use 1/batchSize for a mean over the mini-batch).
//
//
// Distillation (Hinton et al. 2015): with `soft` (N, C) rows of teacher probabilities already
// softened at temperature T (q = softmax(teacher logits / T)) and softWeight α in [0, 1], the loss is
//   (1 − α)·(−log p_label) + α·T²·(−Σ_c q_c log p^T_c),   p^T = softmax(z / T),
// and its gradient (1 − α)(p − onehot) + α·T·(p^T − q), times gradientScale. With T = 1 this is
// cross-entropy against the mixed target (1 − α)·onehot + α·q. `correct` counts agreement with
// the labels.
LossSums softmaxCrossEntropy(const Tensor& logits, const std::int32_t* labels, Tensor* gradient = nullptr,
                             double gradientScale = 1.0, const Tensor* soft = nullptr, double softWeight = 0.0,
                             double temperature = 1.0);

// Row-wise softmax in place (stable), for turning teacher logits into probabilities.
void softmaxRows(Tensor& values);
// Softens probability rows in place to temperature T: p ← softmax(log p / T) (zeros stay zero).
void softenRows(Tensor& probabilities, double temperature);

} // namespace circnn
