#pragma once
// Output-shape and parameter/MAC rules of the issue-15 layer families (up-sampling, cropping,
// transposed convolution, preprocessing, merges, Permute, RepeatVector), referenced by the traits
// table (model/LayerTraits.cpp). Same contract as model/LayerShapeRules.h.

#include <optional>

#include "model/LayerShapeRules.h"

namespace circnn::shape_rules {

Shape upSampling1D(const ShapeQuery& q);
Shape upSampling2D(const ShapeQuery& q);
Shape cropping1D(const ShapeQuery& q);
Shape cropping2D(const ShapeQuery& q);
Shape conv2DTranspose(const ShapeQuery& q);
Shape rescaling(const ShapeQuery& q);
Shape normalization(const ShapeQuery& q);
Shape merge(const ShapeQuery& q);    // Multiply, Average, Maximum: same shapes
Shape subtract(const ShapeQuery& q); // exactly two inputs of the same shape
Shape permute(const ShapeQuery& q);
Shape repeatVector(const ShapeQuery& q);

void conv2DTransposeStats(const LayerSpec& l, const Shape* input, LayerStats& s);
void normalizationStats(const LayerSpec& l, const Shape* input, LayerStats& s);

// Conv2DTranspose output length along one axis (Keras' deconv_output_length); `outputPadding`
// nullopt: None.
std::int64_t transposedOutputSize(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                                  Padding padding, std::optional<std::int64_t> outputPadding);

} // namespace circnn::shape_rules
