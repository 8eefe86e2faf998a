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
LossSums softmaxCrossEntropy(const Tensor& logits, const std::int32_t* labels, Tensor* gradient = nullptr,
                             double gradientScale = 1.0);

} // namespace circnn
