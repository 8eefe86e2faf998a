#include "model/LayerShapeRules.h"

#include <algorithm>

#include "common/Error.h"
#include "model/BroadcastShape.h"
#include "model/LayerTraits.h"

namespace circnn {

namespace {

std::int64_t ceilDiv(std::int64_t a, std::int64_t b)
{
    return (a + b - 1) / b;
}

// Keras axes count the batch dimension: axis 1 is our axis 0; negative counts from the end.
std::int64_t ownAxis(std::int64_t kerasAxis, std::int64_t rank)
{
    return kerasAxis < 0 ? rank + kerasAxis : kerasAxis - 1;
}

// Output height and width of a convolution window over a rank-3 input (checks the window).
std::pair<std::int64_t, std::int64_t> convWindow(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const Shape& x = q.x();
    q.needRank(3);
    if (l.kernelH <= 0 || l.kernelW <= 0 || l.strideH <= 0 || l.strideW <= 0 || l.dilationH <= 0 || l.dilationW <= 0)
        q.fail("kernel size, strides and dilation must be positive");
    const std::int64_t oh = convOutputSize(x[0], l.kernelH, l.strideH, l.dilationH, l.padding);
    const std::int64_t ow = convOutputSize(x[1], l.kernelW, l.strideW, l.dilationW, l.padding);
    if (oh <= 0 || ow <= 0)
        q.fail("kernel does not fit the input " + shapeToString(x));
    return {oh, ow};
}

} // namespace

void ShapeQuery::fail(const std::string& what) const
{
    throw ShapeError("model '" + model.name + "', layer '" + layer.name + "' (" + layerKindName(layer.kind) +
                     "): " + what);
}

void ShapeQuery::needRank(std::size_t rank) const
{
    if (x().size() != rank)
        fail("input shape " + shapeToString(x()) + " must have rank " + std::to_string(rank) + " (without batch)");
}

void ShapeQuery::expectShape(const char* role, const Tensor& t, const Shape& want) const
{
    Shape have = t.shape();
    if (t.empty() && (record || !layer.weightShapes.empty())) {
        const std::string key = weightShapeKey(layer, t);
        if (const auto it = layer.weightShapes.find(key); it != layer.weightShapes.end())
            have = it->second;
        else if (record && !key.empty()) {
            (*record)[key] = want;
            return;
        }
    }
    if (have != want)
        fail(std::string(role) + " has shape " + shapeToString(have) + ", expected " + shapeToString(want));
}

void ShapeQuery::checkCirculant(std::int64_t rows, std::int64_t cols, const Shape& taps) const
{
    const CirculantWeights& c = *layer.circulant;
    if (c.k < 1)
        fail("block size k = " + std::to_string(c.k) + " must be at least 1");
    if (c.rows != rows || c.cols != cols)
        fail("block-circulant matrix is " + std::to_string(c.rows) + "x" + std::to_string(c.cols) + ", layer needs " +
             std::to_string(rows) + "x" + std::to_string(cols));
    Shape want = taps;
    want.push_back(ceilDiv(rows, c.k));
    want.push_back(ceilDiv(cols, c.k));
    want.push_back(c.k);
    expectShape("defining vectors", c.vectors, want);
}

namespace shape_rules {

Shape input(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    if (l.inputShape.empty())
        q.fail("input shape is unknown");
    for (auto d : l.inputShape)
        if (d <= 0)
            q.fail("input shape " + shapeToString(l.inputShape) + " has a non-positive dimension");
    return l.inputShape;
}

Shape dense(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const Shape& x = q.x();
    if (x.empty())
        q.fail("input has rank 0");
    if (l.units <= 0)
        q.fail("units must be positive");
    const std::int64_t n = x.back();
    Shape out = x;
    out.back() = l.units;
    if (q.checkWeights) {
        if (l.circulant)
            q.checkCirculant(l.units, n, {});
        else
            q.expectShape("kernel", l.kernel, {n, l.units});
        if (l.useBias)
            q.expectShape("bias", l.bias, {l.units});
    }
    return out;
}

Shape conv2D(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const Shape& x = q.x();
    const auto [oh, ow] = convWindow(q);
    if (l.units <= 0)
        q.fail("filters must be positive");
    if (q.checkWeights) {
        if (l.circulant)
            q.checkCirculant(l.units, x[2], {l.kernelH, l.kernelW});
        else
            q.expectShape("kernel", l.kernel, {l.kernelH, l.kernelW, x[2], l.units});
        if (l.useBias)
            q.expectShape("bias", l.bias, {l.units});
    }
    return {oh, ow, l.units};
}

Shape pooling2D(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const Shape& x = q.x();
    q.needRank(3);
    if (l.kernelH <= 0 || l.kernelW <= 0 || l.strideH <= 0 || l.strideW <= 0)
        q.fail("pool size and strides must be positive");
    const std::int64_t oh = convOutputSize(x[0], l.kernelH, l.strideH, 1, l.padding);
    const std::int64_t ow = convOutputSize(x[1], l.kernelW, l.strideW, 1, l.padding);
    if (oh <= 0 || ow <= 0)
        q.fail("pool window does not fit the input " + shapeToString(x));
    return {oh, ow, x[2]};
}

Shape globalPooling2D(const ShapeQuery& q)
{
    q.needRank(3);
    return {q.x()[2]};
}

Shape flatten(const ShapeQuery& q)
{
    return {shapeSize(q.x())};
}

Shape reshape(const ShapeQuery& q)
{
    const Shape& x = q.x();
    const std::int64_t total = shapeSize(x);
    Shape out = q.layer.targetShape;
    std::int64_t known = 1, unknownAt = -1;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == -1) {
            if (unknownAt >= 0)
                q.fail("target shape has more than one -1");
            unknownAt = static_cast<std::int64_t>(i);
        } else if (out[i] <= 0) {
            q.fail("target shape " + shapeToString(out) + " has a non-positive dimension");
        } else {
            known *= out[i];
        }
    }
    if (unknownAt >= 0) {
        if (total % known)
            q.fail("cannot reshape " + shapeToString(x) + " to " + shapeToString(out));
        out[static_cast<std::size_t>(unknownAt)] = total / known;
    }
    if (shapeSize(out) != total)
        q.fail("cannot reshape " + shapeToString(x) + " to " + shapeToString(out));
    return out;
}

Shape zeroPadding2D(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const Shape& x = q.x();
    q.needRank(3);
    if (l.padTop < 0 || l.padBottom < 0 || l.padLeft < 0 || l.padRight < 0)
        q.fail("negative padding");
    return {x[0] + l.padTop + l.padBottom, x[1] + l.padLeft + l.padRight, x[2]};
}

Shape identity(const ShapeQuery& q)
{
    return q.x();
}

Shape batchNormalization(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const Shape& x = q.x();
    if (x.empty())
        q.fail("input has rank 0");
    if (ownAxis(l.axis, static_cast<std::int64_t>(x.size())) != static_cast<std::int64_t>(x.size()) - 1)
        q.fail("only normalisation over the last (channel) axis is supported");
    const std::int64_t c = x.back();
    if (q.checkWeights) {
        q.expectShape("moving_mean", l.movingMean, {c});
        q.expectShape("moving_variance", l.movingVariance, {c});
        if (l.scale)
            q.expectShape("gamma", l.gamma, {c});
        if (l.center)
            q.expectShape("beta", l.beta, {c});
    }
    return x;
}

// Add and the other element-wise merges: the inputs broadcast (model/BroadcastShape.h, Keras'
// rule), e.g. a (1, 1, C) gate with (H, W, C) features.
Shape add(const ShapeQuery& q)
{
    Shape out = q.x();
    for (const Shape* s : q.inputs) {
        const std::optional<Shape> b = broadcastShapes(out, *s);
        if (!b)
            q.fail("inputs of shapes " + shapeToString(out) + " and " + shapeToString(*s) +
                   " do not broadcast (along each axis, counted from the last, the sizes must be equal or 1)");
        out = *b;
    }
    return out;
}

Shape concatenate(const ShapeQuery& q)
{
    const Shape& x = q.x();
    const std::int64_t rank = static_cast<std::int64_t>(x.size());
    const std::int64_t axis = ownAxis(q.layer.axis, rank);
    if (axis < 0 || axis >= rank)
        q.fail("axis " + std::to_string(q.layer.axis) + " out of range for rank " + std::to_string(rank));
    Shape out = x;
    out[static_cast<std::size_t>(axis)] = 0;
    for (const Shape* s : q.inputs) {
        if (s->size() != x.size())
            q.fail("inputs have different ranks");
        for (std::int64_t d = 0; d < rank; ++d)
            if (d != axis && (*s)[static_cast<std::size_t>(d)] != x[static_cast<std::size_t>(d)])
                q.fail("inputs " + shapeToString(x) + " and " + shapeToString(*s) +
                       " differ outside the concatenation axis");
        out[static_cast<std::size_t>(axis)] += (*s)[static_cast<std::size_t>(axis)];
    }
    return out;
}

Shape depthwiseConv2D(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const auto [oh, ow] = convWindow(q);
    if (l.depthMultiplier <= 0)
        q.fail("depth_multiplier must be positive");
    const std::int64_t c = q.x()[2], cout = c * l.depthMultiplier;
    if (q.checkWeights) {
        q.expectShape("depthwise_kernel", l.depthwiseKernel, {l.kernelH, l.kernelW, c, l.depthMultiplier});
        if (l.useBias)
            q.expectShape("bias", l.bias, {cout});
    }
    return {oh, ow, cout};
}

Shape separableConv2D(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const auto [oh, ow] = convWindow(q);
    if (l.depthMultiplier <= 0 || l.units <= 0)
        q.fail("depth_multiplier and filters must be positive");
    const std::int64_t c = q.x()[2];
    if (q.checkWeights) {
        q.expectShape("depthwise_kernel", l.depthwiseKernel, {l.kernelH, l.kernelW, c, l.depthMultiplier});
        q.expectShape("pointwise_kernel", l.pointwiseKernel, {1, 1, c * l.depthMultiplier, l.units});
        if (l.useBias)
            q.expectShape("bias", l.bias, {l.units});
    }
    return {oh, ow, l.units};
}

// 1-D window over a rank-2 (length, channels) input: output length.
std::int64_t window1D(const ShapeQuery& q, std::int64_t dilation)
{
    const LayerSpec& l = q.layer;
    q.needRank(2);
    if (l.kernelW <= 0 || l.strideW <= 0 || dilation <= 0)
        q.fail("kernel / pool size, strides and dilation must be positive");
    const std::int64_t out = convOutputSize(q.x()[0], l.kernelW, l.strideW, dilation, l.padding);
    if (out <= 0)
        q.fail("window does not fit the input " + shapeToString(q.x()));
    return out;
}

Shape conv1D(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const std::int64_t out = window1D(q, l.dilationW);
    if (l.units <= 0)
        q.fail("filters must be positive");
    if (q.checkWeights) {
        // Block-circulant: per tap like Conv2D, defining vectors (1, k_w, p, q, k).
        if (l.circulant)
            q.checkCirculant(l.units, q.x()[1], {l.kernelH, l.kernelW});
        else
            q.expectShape("kernel", l.kernel, {l.kernelW, q.x()[1], l.units});
        if (l.useBias)
            q.expectShape("bias", l.bias, {l.units});
    }
    return {out, l.units};
}

Shape pooling1D(const ShapeQuery& q)
{
    return {window1D(q, 1), q.x()[1]};
}

Shape globalPooling1D(const ShapeQuery& q)
{
    q.needRank(2);
    return {q.x()[1]};
}

Shape zeroPadding1D(const ShapeQuery& q)
{
    q.needRank(2);
    if (q.layer.padLeft < 0 || q.layer.padRight < 0)
        q.fail("negative padding");
    return {q.x()[0] + q.layer.padLeft + q.layer.padRight, q.x()[1]};
}

void conv1DStats(const LayerSpec& l, const Shape* in, LayerStats& s)
{
    const std::int64_t cin = in && in->size() == 2 ? (*in)[1] : 0;
    s.denseParameters = l.kernelW * cin * l.units + (l.useBias ? l.units : 0);
    s.parameters =
        l.circulant ? storedWeightCount(l, l.circulant->vectors) + (l.useBias ? l.units : 0) : s.denseParameters;
    s.macs = (l.outputShape.size() == 2 ? l.outputShape[0] : 0) * l.kernelW * cin * l.units;
}

void depthwiseConv2DStats(const LayerSpec& l, const Shape* in, LayerStats& s)
{
    const std::int64_t c = in && in->size() == 3 ? (*in)[2] : 0;
    const std::int64_t taps = l.kernelH * l.kernelW;
    s.parameters = s.denseParameters = taps * c * l.depthMultiplier + (l.useBias ? c * l.depthMultiplier : 0);
    const std::int64_t positions = l.outputShape.size() == 3 ? l.outputShape[0] * l.outputShape[1] : 0;
    s.macs = positions * taps * c * l.depthMultiplier;
}

void denseStats(const LayerSpec& l, const Shape* in, LayerStats& s)
{
    const std::int64_t biasN = l.useBias ? l.units : 0;
    const std::int64_t n = in && !in->empty() ? in->back() : 0;
    const std::int64_t rowsPerSample = in ? shapeSize(*in) / std::max<std::int64_t>(1, n) : 1;
    s.denseParameters = n * l.units + biasN;
    s.parameters = l.circulant ? storedWeightCount(l, l.circulant->vectors) + biasN : s.denseParameters;
    s.macs = rowsPerSample * n * l.units;
}

void conv2DStats(const LayerSpec& l, const Shape* in, LayerStats& s)
{
    const std::int64_t biasN = l.useBias ? l.units : 0;
    const std::int64_t cin = in && in->size() == 3 ? (*in)[2] : 0;
    const std::int64_t taps = l.kernelH * l.kernelW;
    s.denseParameters = taps * cin * l.units + biasN;
    s.parameters = l.circulant ? storedWeightCount(l, l.circulant->vectors) + biasN : s.denseParameters;
    const std::int64_t positions = l.outputShape.size() == 3 ? l.outputShape[0] * l.outputShape[1] : 0;
    s.macs = positions * taps * cin * l.units;
}

void batchNormalizationStats(const LayerSpec& l, const Shape*, LayerStats& s)
{
    s.parameters = s.denseParameters = storedWeightCount(l, l.gamma) + storedWeightCount(l, l.beta) +
                                       storedWeightCount(l, l.movingMean) + storedWeightCount(l, l.movingVariance);
}

} // namespace shape_rules
} // namespace circnn
