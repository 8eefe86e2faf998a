#include "model/VisionShapeRules.h"

#include <algorithm>
#include <tuple>

#include "model/LayerTraits.h"

namespace circnn::shape_rules {

Shape upSampling1D(const ShapeQuery& q)
{
    q.needRank(2);
    if (q.layer.kernelW <= 0)
        q.fail("size must be positive");
    return {q.x()[0] * q.layer.kernelW, q.x()[1]};
}

Shape upSampling2D(const ShapeQuery& q)
{
    q.needRank(3);
    if (q.layer.kernelH <= 0 || q.layer.kernelW <= 0)
        q.fail("size must be positive");
    return {q.x()[0] * q.layer.kernelH, q.x()[1] * q.layer.kernelW, q.x()[2]};
}

Shape cropping1D(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    q.needRank(2);
    if (l.padLeft < 0 || l.padRight < 0)
        q.fail("negative cropping");
    const std::int64_t len = q.x()[0] - l.padLeft - l.padRight;
    if (len <= 0)
        q.fail("cropping (" + std::to_string(l.padLeft) + ", " + std::to_string(l.padRight) +
               ") leaves nothing of the input " + shapeToString(q.x()));
    return {len, q.x()[1]};
}

Shape cropping2D(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    q.needRank(3);
    if (l.padTop < 0 || l.padBottom < 0 || l.padLeft < 0 || l.padRight < 0)
        q.fail("negative cropping");
    const std::int64_t h = q.x()[0] - l.padTop - l.padBottom, w = q.x()[1] - l.padLeft - l.padRight;
    if (h <= 0 || w <= 0)
        q.fail("cropping leaves nothing of the input " + shapeToString(q.x()));
    return {h, w, q.x()[2]};
}

std::int64_t transposedOutputSize(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                                  Padding padding, std::optional<std::int64_t> outputPadding)
{
    const std::int64_t span = kernel + (kernel - 1) * (dilation - 1);
    if (!outputPadding)
        return padding == Padding::Same ? in * stride : in * stride + std::max<std::int64_t>(span - stride, 0);
    const std::int64_t pad = padding == Padding::Same ? span / 2 : 0;
    return (in - 1) * stride + span - 2 * pad + *outputPadding;
}

Shape conv2DTranspose(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const Shape& x = q.x();
    q.needRank(3);
    if (l.kernelH <= 0 || l.kernelW <= 0 || l.strideH <= 0 || l.strideW <= 0 || l.dilationH <= 0 || l.dilationW <= 0)
        q.fail("kernel size, strides and dilation must be positive");
    if (l.units <= 0)
        q.fail("filters must be positive");
    if (l.padding == Padding::Causal)
        q.fail("causal padding is not defined for Conv2DTranspose");
    std::optional<std::int64_t> padH, padW;
    if (l.outputPadding) {
        std::tie(padH, padW) = *l.outputPadding;
        if (*padH < 0 || *padW < 0 || *padH >= l.strideH || *padW >= l.strideW)
            q.fail("output_padding must be non-negative and smaller than the strides");
    }
    const std::int64_t oh = transposedOutputSize(x[0], l.kernelH, l.strideH, l.dilationH, l.padding, padH);
    const std::int64_t ow = transposedOutputSize(x[1], l.kernelW, l.strideW, l.dilationW, l.padding, padW);
    if (oh <= 0 || ow <= 0)
        q.fail("output would be empty for the input " + shapeToString(x));
    if (q.checkWeights) {
        if (l.circulant)
            q.checkCirculant(l.units, x[2], {l.kernelH, l.kernelW});
        else
            q.expectShape("kernel", l.kernel, {l.kernelH, l.kernelW, l.units, x[2]});
        if (l.useBias)
            q.expectShape("bias", l.bias, {l.units});
    }
    return {oh, ow, l.units};
}

Shape rescaling(const ShapeQuery& q)
{
    return q.x();
}

Shape normalization(const ShapeQuery& q)
{
    const LayerSpec& l = q.layer;
    const Shape& x = q.x();
    if (x.empty())
        q.fail("input has rank 0");
    const std::int64_t rank = static_cast<std::int64_t>(x.size());
    if (l.axis != -1 && l.axis != rank)
        q.fail("only normalisation over the last (channel) axis is supported (axis " + std::to_string(l.axis) + ")");
    // Statistics per channel, or one value for every channel (a scalar mean in the config).
    if (q.checkWeights) {
        const Shape want = l.statsInConfig && storedWeightCount(l, l.movingMean) == 1 ? Shape{1} : Shape{x.back()};
        q.expectShape("mean", l.movingMean, want);
        q.expectShape("variance", l.movingVariance, want);
    }
    return x;
}

Shape merge(const ShapeQuery& q)
{
    return add(q);
}

Shape subtract(const ShapeQuery& q)
{
    if (q.inputs.size() != 2)
        q.fail("needs exactly two inputs, has " + std::to_string(q.inputs.size()));
    return add(q);
}

Shape permute(const ShapeQuery& q)
{
    const Shape& x = q.x();
    const auto& dims = q.layer.permuteDims;
    if (dims.size() != x.size())
        q.fail("dims has " + std::to_string(dims.size()) + " entries for an input of rank " + std::to_string(x.size()));
    Shape out;
    std::vector<bool> seen(x.size(), false);
    for (std::int64_t d : dims) {
        if (d < 1 || d > static_cast<std::int64_t>(x.size()) || seen[static_cast<std::size_t>(d - 1)])
            q.fail("dims is not a permutation of 1.." + std::to_string(x.size()));
        seen[static_cast<std::size_t>(d - 1)] = true;
        out.push_back(x[static_cast<std::size_t>(d - 1)]);
    }
    return out;
}

Shape repeatVector(const ShapeQuery& q)
{
    q.needRank(1);
    if (q.layer.repeats <= 0)
        q.fail("n must be positive");
    return {q.layer.repeats, q.x()[0]};
}

void conv2DTransposeStats(const LayerSpec& l, const Shape* in, LayerStats& s)
{
    const std::int64_t biasN = l.useBias ? l.units : 0;
    const std::int64_t cin = in && in->size() == 3 ? (*in)[2] : 0;
    const std::int64_t taps = l.kernelH * l.kernelW;
    s.denseParameters = taps * cin * l.units + biasN;
    s.parameters = l.circulant ? storedWeightCount(l, l.circulant->vectors) + biasN : s.denseParameters;
    // Every input position meets every tap once.
    const std::int64_t positions = in && in->size() == 3 ? (*in)[0] * (*in)[1] : 0;
    s.macs = positions * taps * cin * l.units;
}

void normalizationStats(const LayerSpec& l, const Shape*, LayerStats& s)
{
    s.parameters = s.denseParameters =
        l.statsInConfig ? 0 : storedWeightCount(l, l.movingMean) + storedWeightCount(l, l.movingVariance) + 1;
}

} // namespace circnn::shape_rules
