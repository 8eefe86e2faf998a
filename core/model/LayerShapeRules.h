#pragma once
// Output-shape and parameter/MAC rules per layer family, referenced by the traits table
// (model/LayerTraits.cpp). inferShapes() builds a ShapeQuery per layer and calls the layer's rule.

#include <array>
#include <map>
#include <string>
#include <vector>

#include "model/ShapeInference.h"

namespace circnn {

// One layer's shape check: the model and layer (for messages), its input shapes, and whether
// weights must be present and match.
struct ShapeQuery {
    const ModelSpec& model;
    const LayerSpec& layer;
    std::vector<const Shape*> inputs;
    bool checkWeights = true;
    // Architecture-only models (LayerSpec::weightShapes): an empty tensor is checked by its
    // recorded shape. With `record` set (the layer's weightShapes), an empty tensor without a
    // recorded shape gets the shape it must have recorded instead of failing (inferWeightShapes).
    std::map<std::string, Shape>* record = nullptr;

    // The first input's shape (Input layers: their configured shape).
    const Shape& x() const { return inputs.empty() ? layer.inputShape : *inputs.front(); }
    [[noreturn]] void fail(const std::string& what) const;
    void needRank(std::size_t rank) const;
    void expectShape(const char* role, const Tensor& t, const Shape& want) const;
    // Checks a block-circulant matrix of rows x cols per tap (taps: leading dimensions).
    void checkCirculant(std::int64_t rows, std::int64_t cols, const Shape& taps) const;
};

namespace shape_rules {

Shape input(const ShapeQuery& q);
Shape dense(const ShapeQuery& q);
Shape conv2D(const ShapeQuery& q);
Shape pooling2D(const ShapeQuery& q);
Shape globalPooling2D(const ShapeQuery& q);
Shape flatten(const ShapeQuery& q);
Shape reshape(const ShapeQuery& q);
Shape zeroPadding2D(const ShapeQuery& q);
Shape identity(const ShapeQuery& q);
Shape batchNormalization(const ShapeQuery& q);
Shape add(const ShapeQuery& q);
Shape concatenate(const ShapeQuery& q);
Shape depthwiseConv2D(const ShapeQuery& q);
Shape separableConv2D(const ShapeQuery& q);
Shape conv1D(const ShapeQuery& q);
Shape pooling1D(const ShapeQuery& q);
Shape globalPooling1D(const ShapeQuery& q);
Shape zeroPadding1D(const ShapeQuery& q);
Shape embedding(const ShapeQuery& q);          // SequenceShapeRules.cpp
Shape recurrent(const ShapeQuery& q);          // SimpleRNN, LSTM, GRU (SequenceShapeRules.cpp)
Shape layerNormalization(const ShapeQuery& q); // SequenceShapeRules.cpp
Shape multiHeadAttention(const ShapeQuery& q); // AttentionShapeRules.cpp

void denseStats(const LayerSpec& l, const Shape* input, LayerStats& s);
void conv2DStats(const LayerSpec& l, const Shape* input, LayerStats& s);
void conv1DStats(const LayerSpec& l, const Shape* input, LayerStats& s);
void depthwiseConv2DStats(const LayerSpec& l, const Shape* input, LayerStats& s);
void batchNormalizationStats(const LayerSpec& l, const Shape* input, LayerStats& s);
void embeddingStats(const LayerSpec& l, const Shape* input, LayerStats& s);
void recurrentStats(const LayerSpec& l, const Shape* input, LayerStats& s);
void layerNormalizationStats(const LayerSpec& l, const Shape* input, LayerStats& s);
// `input` here points at the shapes of all the layer's inputs (layerStats passes every stats rule
// l.inputs.size() shapes in order, an unknown one empty; nullptr when the first is unknown):
// query, value[, key], for cross-attention's two lengths.
void multiHeadAttentionStats(const LayerSpec& l, const Shape* input, LayerStats& s);
// MultiHeadAttention's projections as 2-D matrices W = Kᵀ (rows = outputs, cols = inputs), for
// query features dq, value features dv and key features dk: 0 query (heads·key_dim × dq), 1 key
// (heads·key_dim × dk), 2 value (heads·value_dim × dv), 3 output (out × heads·value_dim).
struct AttentionProjection {
    std::int64_t rows = 0, cols = 0;
};
std::array<AttentionProjection, 4> attentionProjections(const LayerSpec& l, std::int64_t dq, std::int64_t dv,
                                                        std::int64_t dk);
// The output width: `units` when set (output_shape), else the query's features.
std::int64_t attentionOutputWidth(const LayerSpec& l, std::int64_t dq);
// LayerNormalization: the normalised axes of a (steps..., features) sample shape (batch excluded),
// 0-based and sorted; throws Error naming the layer for the batch axis, repeats or out-of-range axes.
std::vector<std::int64_t> normalisedAxes(const LayerSpec& l, std::size_t sampleRank);

} // namespace shape_rules
} // namespace circnn
