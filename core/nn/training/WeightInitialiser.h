#pragma once
// Keras' default initial weights, seeded and identical on every platform: for training from
// scratch (buildArchitecture, nn/training/Architecture.h) and for the sweeps' "scratch" points (a
// converted model's weights redrawn, analysis/SweepPoint.cpp) — one set of rules for both.
//
// Rules (Keras' defaults):
// - Dense and the convolutions: Glorot uniform, U(±sqrt(6/(fanIn+fanOut))) with fanIn = taps·in,
//   fanOut = taps·units (taps = kernelH·kernelW); bias zero.
// - SimpleRNN / LSTM / GRU: Glorot uniform input kernel (in × G·units) and recurrent kernel
//   (units × G·units; Keras uses an orthogonal recurrent kernel, Glorot is close enough for
//   training from scratch); bias zero except the LSTM forget gate's 1 (unit_forget_bias).
// - Embedding: U(±0.05).
// - MultiHeadAttention: each projection Glorot uniform with Keras' fans of its EinsumDense kernel
//   (compute_fans of a rank-3 shape (a, b, c): fanIn = a·b, fanOut = a·c, so query / key / value
//   (d, heads, dim) give heads·d and dim·d, the output (heads, value_dim, out) value_dim·heads and
//   out·heads); biases zero.
// - LayerNormalization / BatchNormalization: gamma 1, beta 0 (and moving mean 0, variance 1).
// A block-circulant matrix (circulant, recurrentCirculant, attentionCirculant) draws its defining
// vectors from its dense kernel's distribution: every output still sums fanIn independent weights
// of that variance, so its output variance matches the dense layer's.
// Layers without weights draw nothing: a model's draws depend only on its weighted layers, in
// order (a model of Dense / Conv2D layers gets the same weights as before attention was added).

#include <cstdint>
#include <random>

#include "model/ModelSpec.h"

namespace circnn {

class WeightInitialiser {
public:
    explicit WeightInitialiser(std::uint32_t seed) : m_rng(seed) {}

    // Redraws every weight tensor `layer` holds (dense kernels or defining vectors, whichever it
    // has; shapes are kept). `inputFeatures`: the last dimension of its first input's shape.
    void initialise(LayerSpec& layer, std::int64_t inputFeatures);

    void glorot(Tensor& t, std::int64_t fanIn, std::int64_t fanOut);
    void uniform(Tensor& t, float limit);

private:
    void recurrent(LayerSpec& layer, std::int64_t inputFeatures);
    void attention(LayerSpec& layer);

    std::mt19937 m_rng;
};

// Every layer of `model` (shapes inferred) through one WeightInitialiser seeded with `seed`.
void initialiseWeights(ModelSpec& model, std::uint32_t seed);

} // namespace circnn
