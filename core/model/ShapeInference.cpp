#include "model/ShapeInference.h"

#include <algorithm>

#include "common/Error.h"

namespace circnn {

namespace {

[[noreturn]] void fail(const ModelSpec& m, const LayerSpec& l, const std::string& what)
{
    throw ShapeError("model '" + m.name + "', layer '" + l.name + "' (" + layerKindName(l.kind) + "): " + what);
}

void expectShape(const ModelSpec& m, const LayerSpec& l, const char* role, const Tensor& t, const Shape& want)
{
    if (t.shape() != want)
        fail(m, l, std::string(role) + " has shape " + shapeToString(t.shape()) + ", expected " + shapeToString(want));
}

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

void checkCirculant(const ModelSpec& m, const LayerSpec& l, std::int64_t rows, std::int64_t cols, const Shape& taps)
{
    const CirculantWeights& c = *l.circulant;
    if (c.k < 1)
        fail(m, l, "block size k = " + std::to_string(c.k) + " must be at least 1");
    if (c.rows != rows || c.cols != cols)
        fail(m, l, "block-circulant matrix is " + std::to_string(c.rows) + "x" + std::to_string(c.cols) +
                       ", layer needs " + std::to_string(rows) + "x" + std::to_string(cols));
    Shape want = taps;
    want.push_back(ceilDiv(rows, c.k));
    want.push_back(ceilDiv(cols, c.k));
    want.push_back(c.k);
    expectShape(m, l, "defining vectors", c.vectors, want);
}

} // namespace

std::int64_t convOutputSize(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                            Padding padding)
{
    if (padding == Padding::Same)
        return ceilDiv(in, stride);
    const std::int64_t span = dilation * (kernel - 1) + 1;
    return in < span ? 0 : (in - span) / stride + 1;
}

void inferShapes(ModelSpec& model, bool checkWeights)
{
    constexpr std::int64_t kMaxElements = std::int64_t(1) << 34; // 16 G values per sample: absurd
    for (std::size_t idx = 0; idx < model.layers.size(); ++idx) {
        LayerSpec& l = model.layers[idx];
        std::vector<const Shape*> in;
        for (const std::string& name : l.inputs) {
            std::size_t j = model.layers.size();
            for (std::size_t t = 0; t < idx; ++t)
                if (model.layers[t].name == name)
                    j = t;
            if (j == model.layers.size())
                fail(model, l, "input '" + name + "' is not a preceding layer");
            in.push_back(&model.layers[j].outputShape);
        }
        if (l.kind != LayerKind::Input && in.empty())
            fail(model, l, "has no input");
        const bool single = l.kind != LayerKind::Add && l.kind != LayerKind::Concatenate && l.kind != LayerKind::Input;
        if (single && in.size() != 1)
            fail(model, l, "expects one input, has " + std::to_string(in.size()));
        const Shape& x = in.empty() ? l.inputShape : *in[0];
        auto needRank = [&](std::size_t r) {
            if (x.size() != r)
                fail(model, l, "input shape " + shapeToString(x) + " must have rank " + std::to_string(r) +
                                   " (without batch)");
        };
        Shape out;
        switch (l.kind) {
        case LayerKind::Input:
            if (l.inputShape.empty())
                fail(model, l, "input shape is unknown");
            for (auto d : l.inputShape)
                if (d <= 0)
                    fail(model, l, "input shape " + shapeToString(l.inputShape) + " has a non-positive dimension");
            out = l.inputShape;
            break;
        case LayerKind::Dense: {
            if (x.empty())
                fail(model, l, "input has rank 0");
            if (l.units <= 0)
                fail(model, l, "units must be positive");
            const std::int64_t n = x.back();
            out = x;
            out.back() = l.units;
            if (checkWeights) {
                if (l.circulant)
                    checkCirculant(model, l, l.units, n, {});
                else
                    expectShape(model, l, "kernel", l.kernel, {n, l.units});
                if (l.useBias)
                    expectShape(model, l, "bias", l.bias, {l.units});
            }
            break;
        }
        case LayerKind::Conv2D: {
            needRank(3);
            if (l.units <= 0 || l.kernelH <= 0 || l.kernelW <= 0 || l.strideH <= 0 || l.strideW <= 0 ||
                l.dilationH <= 0 || l.dilationW <= 0)
                fail(model, l, "filters, kernel size, strides and dilation must be positive");
            const std::int64_t oh = convOutputSize(x[0], l.kernelH, l.strideH, l.dilationH, l.padding);
            const std::int64_t ow = convOutputSize(x[1], l.kernelW, l.strideW, l.dilationW, l.padding);
            if (oh <= 0 || ow <= 0)
                fail(model, l, "kernel does not fit the input " + shapeToString(x));
            out = {oh, ow, l.units};
            if (checkWeights) {
                if (l.circulant)
                    checkCirculant(model, l, l.units, x[2], {l.kernelH, l.kernelW});
                else
                    expectShape(model, l, "kernel", l.kernel, {l.kernelH, l.kernelW, x[2], l.units});
                if (l.useBias)
                    expectShape(model, l, "bias", l.bias, {l.units});
            }
            break;
        }
        case LayerKind::MaxPooling2D:
        case LayerKind::AveragePooling2D: {
            needRank(3);
            if (l.kernelH <= 0 || l.kernelW <= 0 || l.strideH <= 0 || l.strideW <= 0)
                fail(model, l, "pool size and strides must be positive");
            const std::int64_t oh = convOutputSize(x[0], l.kernelH, l.strideH, 1, l.padding);
            const std::int64_t ow = convOutputSize(x[1], l.kernelW, l.strideW, 1, l.padding);
            if (oh <= 0 || ow <= 0)
                fail(model, l, "pool window does not fit the input " + shapeToString(x));
            out = {oh, ow, x[2]};
            break;
        }
        case LayerKind::GlobalAveragePooling2D:
        case LayerKind::GlobalMaxPooling2D:
            needRank(3);
            out = {x[2]};
            break;
        case LayerKind::Flatten:
            out = {shapeSize(x)};
            break;
        case LayerKind::Reshape: {
            const std::int64_t total = shapeSize(x);
            out = l.targetShape;
            std::int64_t known = 1, unknownAt = -1;
            for (std::size_t i = 0; i < out.size(); ++i) {
                if (out[i] == -1) {
                    if (unknownAt >= 0)
                        fail(model, l, "target shape has more than one -1");
                    unknownAt = static_cast<std::int64_t>(i);
                } else if (out[i] <= 0) {
                    fail(model, l, "target shape " + shapeToString(out) + " has a non-positive dimension");
                } else {
                    known *= out[i];
                }
            }
            if (unknownAt >= 0) {
                if (total % known)
                    fail(model, l, "cannot reshape " + shapeToString(x) + " to " + shapeToString(out));
                out[static_cast<std::size_t>(unknownAt)] = total / known;
            }
            if (shapeSize(out) != total)
                fail(model, l, "cannot reshape " + shapeToString(x) + " to " + shapeToString(out));
            break;
        }
        case LayerKind::ZeroPadding2D:
            needRank(3);
            if (l.padTop < 0 || l.padBottom < 0 || l.padLeft < 0 || l.padRight < 0)
                fail(model, l, "negative padding");
            out = {x[0] + l.padTop + l.padBottom, x[1] + l.padLeft + l.padRight, x[2]};
            break;
        case LayerKind::Dropout:
        case LayerKind::Activation:
            out = x;
            break;
        case LayerKind::BatchNormalization: {
            if (x.empty())
                fail(model, l, "input has rank 0");
            const std::int64_t axis = l.axis < 0 ? static_cast<std::int64_t>(x.size()) + l.axis : l.axis - 1;
            if (axis != static_cast<std::int64_t>(x.size()) - 1)
                fail(model, l, "only normalisation over the last (channel) axis is supported");
            const std::int64_t c = x.back();
            if (checkWeights) {
                expectShape(model, l, "moving_mean", l.movingMean, {c});
                expectShape(model, l, "moving_variance", l.movingVariance, {c});
                if (!l.gamma.empty())
                    expectShape(model, l, "gamma", l.gamma, {c});
                if (!l.beta.empty())
                    expectShape(model, l, "beta", l.beta, {c});
            }
            out = x;
            break;
        }
        case LayerKind::Add:
            if (in.size() < 2)
                fail(model, l, "needs at least two inputs");
            for (const Shape* s : in)
                if (*s != x)
                    fail(model, l, "inputs have different shapes " + shapeToString(x) + " and " + shapeToString(*s));
            out = x;
            break;
        case LayerKind::Concatenate: {
            if (in.size() < 2)
                fail(model, l, "needs at least two inputs");
            const std::int64_t rank = static_cast<std::int64_t>(x.size());
            // Keras axes count the batch dimension: axis 1 is our axis 0; negative from the end.
            const std::int64_t axis = l.axis < 0 ? rank + l.axis : l.axis - 1;
            if (axis < 0 || axis >= rank)
                fail(model, l, "axis " + std::to_string(l.axis) + " out of range for rank " + std::to_string(rank));
            out = x;
            out[static_cast<std::size_t>(axis)] = 0;
            for (const Shape* s : in) {
                if (s->size() != x.size())
                    fail(model, l, "inputs have different ranks");
                for (std::int64_t d = 0; d < rank; ++d)
                    if (d != axis && (*s)[static_cast<std::size_t>(d)] != x[static_cast<std::size_t>(d)])
                        fail(model, l, "inputs " + shapeToString(x) + " and " + shapeToString(*s) +
                                           " differ outside the concatenation axis");
                out[static_cast<std::size_t>(axis)] += (*s)[static_cast<std::size_t>(axis)];
            }
            break;
        }
        }
        if (shapeSize(out) > kMaxElements)
            fail(model, l, "output shape " + shapeToString(out) + " is absurdly large");
        l.outputShape = out;
    }
}

LayerStats layerStats(const ModelSpec& model, const LayerSpec& l)
{
    LayerStats s;
    const Shape* inShape = nullptr;
    if (!l.inputs.empty())
        if (const LayerSpec* src = model.find(l.inputs.front()))
            inShape = &src->outputShape;
    const std::int64_t biasN = l.useBias ? l.units : 0;
    switch (l.kind) {
    case LayerKind::Dense: {
        const std::int64_t n = inShape && !inShape->empty() ? inShape->back() : 0;
        const std::int64_t rowsPerSample = inShape ? shapeSize(*inShape) / std::max<std::int64_t>(1, n) : 1;
        s.denseParameters = n * l.units + biasN;
        s.parameters = l.circulant ? l.circulant->vectors.size() + biasN : s.denseParameters;
        s.macs = rowsPerSample * n * l.units;
        break;
    }
    case LayerKind::Conv2D: {
        const std::int64_t cin = inShape && inShape->size() == 3 ? (*inShape)[2] : 0;
        const std::int64_t taps = l.kernelH * l.kernelW;
        s.denseParameters = taps * cin * l.units + biasN;
        s.parameters = l.circulant ? l.circulant->vectors.size() + biasN : s.denseParameters;
        const std::int64_t positions = l.outputShape.size() == 3 ? l.outputShape[0] * l.outputShape[1] : 0;
        s.macs = positions * taps * cin * l.units;
        break;
    }
    case LayerKind::BatchNormalization:
        s.parameters = s.denseParameters =
            l.gamma.size() + l.beta.size() + l.movingMean.size() + l.movingVariance.size();
        break;
    default:
        break;
    }
    return s;
}

LayerStats modelStats(const ModelSpec& model)
{
    LayerStats total;
    for (const LayerSpec& l : model.layers) {
        const LayerStats s = layerStats(model, l);
        total.parameters += s.parameters;
        total.denseParameters += s.denseParameters;
        total.macs += s.macs;
    }
    return total;
}

} // namespace circnn
