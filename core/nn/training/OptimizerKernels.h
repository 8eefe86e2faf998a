#pragma once
// Element-wise update kernels of the optimizers (Optimizer.h), each in a fast form and a reference
// form. Both compute, per element and in double precision, exactly the formulas of Optimizer.h with
// the same operations in the same order, so their results agree to the last bit (the training-units
// suite checks this on random values and edge cases):
//   fast:      branch-free loops over contiguous float arrays that the compiler vectorises (4 doubles
//              per AVX2 register; an AVX-512 build of the same loop is chosen at run time when the
//              CPU has it); division and square root are correctly rounded in every SIMD width;
//   reference: the plain scalar loop with the weight-decay test per element.
// Arrays must not overlap. weightDecay = 0 means no decay term (biases, BatchNormalization).

#include <cstddef>

namespace circnn::optimizer {

struct SgdCoefficients {
    double learningRate = 0, momentum = 0, weightDecay = 0;
};

// 1 − β^t are the bias corrections of step t (t counted from 1).
struct AdamCoefficients {
    double learningRate = 0, beta1 = 0, beta2 = 0, epsilon = 0, weightDecay = 0;
    double correction1 = 1, correction2 = 1;
};

// v ← μ·v + g (+ λ·w);  w ← w − η·v  over n elements.
void sgdUpdate(const SgdCoefficients& c, float* w, float* velocity, const float* g, std::size_t n);
void sgdUpdateReference(const SgdCoefficients& c, float* w, float* velocity, const float* g, std::size_t n);

// m ← β1·m + (1−β1)·g;  s ← β2·s + (1−β2)·g²;  w ← w − η·(m/c1)/(√(s/c2) + ε)  over n elements.
void adamUpdate(const AdamCoefficients& c, float* w, float* m, float* s, const float* g, std::size_t n);
void adamUpdateReference(const AdamCoefficients& c, float* w, float* m, float* s, const float* g, std::size_t n);

} // namespace circnn::optimizer
