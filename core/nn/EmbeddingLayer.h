#pragma once
// Embedding: y[..., :] = E[id] for integer token ids in [0, input_dim), E (input_dim, output_dim).
// Ids arrive as floats (exact up to 2^24); a non-integer or out-of-range id is an error naming the
// layer, the id and its position. mask_zero: id 0 masks its step in the recurrent layers
// downstream (nn/SequenceMask.h); the embedding of id 0 is still looked up, as in Keras.
// Backward: the embeddings' gradient (rows scattered-added); the ids get no gradient.
// Parameters: "embeddings".

#include "nn/Layer.h"

namespace circnn::nn {

class EmbeddingLayer : public Layer {
public:
    using Layer::Layer;
    void prepare(const std::vector<Shape>& inputShapes) override;
    void forward(Inputs inputs, Tensor& out) const override;
    void backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                  std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const override;
    std::vector<ParameterRef> parameters() override;
    void storeParameters(LayerSpec& spec) const override;

private:
    // Row of E for the id at flat position i of `ids` (throws for a bad id).
    std::int64_t row(const Tensor& ids, std::int64_t i) const;

    Tensor m_table; // (input_dim, output_dim)
    std::int64_t m_vocabulary = 0, m_dim = 0;
};

} // namespace circnn::nn
