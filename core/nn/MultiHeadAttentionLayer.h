#pragma once
// MultiHeadAttention with Keras semantics (keras.layers.MultiHeadAttention, attention over the
// step axis of (batch, steps, features) inputs).
//
// Inputs: query (B, T, d_q), value (B, S, d_v) and optionally key (B, S, d_k; default: the value).
// Projections (EinsumDense in Keras, here 2-D products, each dense or block-circulant via
// GateMatrix): Q = query·W_q + b_q (B, T, H·key_dim), K = key·W_k + b_k, V = value·W_v + b_v
// (B, S, H·value_dim), head h owning columns h·key_dim.. (Keras' (d, heads, key_dim) kernel read
// row-major). Per head: scores = (Q_h / √key_dim)·K_hᵀ (T × S), A = softmax over the keys (S),
// O_h = A·V_h; the heads' outputs side by side (B, T, H·value_dim) go through the output
// projection W_o (H·value_dim × out) + b_o. Dropout on A is a training-time Keras option that
// inference ignores; it is not applied in training either.
//
// Masks (Keras' _compute_attention_mask): a key position s is visible to query position t when
// the query's mask allows t, the value's (and key's) mask allows s and, with use_causal_mask,
// s ≤ t. Masked scores are replaced by −1e9 before the softmax (Keras' Softmax with a mask), so a
// query row with no visible key gets uniform weights 1/S over all keys (and no score gradient).
// The masks come from Embedding(mask_zero) or Masking layers upstream: Model passes the tensor
// each masked input's mask is computed from (token ids or frames, nn/SequenceMask.h) as extra
// inputs after the layer's own (setMaskInputs says which).
//
// Parameters (this order): per projection query, key, value, attention_output its "…/kernel"
// (Keras layout, flattened) or "…/vectors" (block-circulant), then "…/bias" when use_bias.

#include <array>
#include <optional>
#include <vector>

#include "nn/GateMatrix.h"
#include "nn/Layer.h"
#include "nn/SequenceMask.h"

namespace circnn::nn {

class MultiHeadAttentionLayer : public Layer {
public:
    using Layer::Layer;
    // Which of query, value, key receive a mask and its rule (token ids or Masking frames; the
    // tensors follow the layer's inputs, in that order, for the masked ones only). Call before
    // prepare().
    void setMaskInputs(const AttentionMaskSources& masks);

    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937& rng,
                      bool skipSoftmax) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
    std::vector<ParameterRef> parameters() override;
    void parametersChanged() override;
    void storeParameters(LayerSpec& spec) const override;

private:
    // Offsets of Q, K, V, the attention weights A (B, H, T, S), the concatenated head outputs O
    // (B, T, H·value_dim) and the row flags (B, H, T: 1 when the row had a visible key) in the
    // training record.
    struct Layout {
        std::int64_t q = 0, k = 0, v = 0, a = 0, o = 0, rows = 0, size = 0;
    };
    Layout layout(std::int64_t batch) const;
    // Runs the layer; `record` (size layout(B).size) keeps what backward needs.
    void run(Inputs inputs, Tensor& out, float* record) const;
    // The step masks of the query (batch × T), value and key (batch × S); empty when unmasked.
    std::array<std::vector<unsigned char>, 3> stepMasks(Inputs inputs, std::int64_t batch) const;
    // 1 where query step t of sample b may see key step s, per (t, s), for one sample.
    void visibility(const std::array<std::vector<unsigned char>, 3>& masks, std::int64_t b,
                    std::vector<unsigned char>& visible) const;
    void setProjections();

    std::array<bool, 3> m_masked{false, false, false};
    std::array<std::optional<float>, 3> m_maskRule; // frame mask value (Masking) or token ids (nullopt)
    bool m_hasKey = false;
    std::int64_t m_heads = 0, m_keyDim = 0, m_valueDim = 0, m_out = 0;
    std::int64_t m_t = 0, m_s = 0, m_dq = 0, m_dv = 0, m_dk = 0;
    std::array<Tensor, 4> m_kernel, m_vectors, m_bias; // query, key, value, output
    std::array<GateMatrix, 4> m_proj;
};

} // namespace circnn::nn
