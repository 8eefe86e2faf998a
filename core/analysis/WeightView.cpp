#include "analysis/WeightView.h"

#include "analysis/Conversion.h"
#include "circulant/BlockCirculantMatrix.h"
#include "common/Error.h"
#include "model/AttentionMembers.h"
#include "model/LayerTraits.h"
#include "model/RecurrentKinds.h"

#include <algorithm>
#include <cmath>

namespace circnn {

namespace {

// v = W = Kᵀ (out × in, row-major) of a kernel K stored (in, out) row-major.
void setTransposed(const Tensor& kernel, std::int64_t in, std::int64_t out, WeightMatrixView& v)
{
    v.rows = out;
    v.cols = in;
    v.values.resize(static_cast<std::size_t>(out * in));
    for (std::int64_t i = 0; i < in; ++i)
        for (std::int64_t o = 0; o < out; ++o)
            v.values[static_cast<std::size_t>(o * in + i)] = kernel[i * out + o];
}

} // namespace

bool hasWeightMatrix(const LayerSpec& layer)
{
    if (!layerTraits(layer.kind).convertible || isRecurrent(layer.kind) ||
        layer.kind == LayerKind::MultiHeadAttention) // Dense and the convolutions
        return false;
    return layer.circulant.has_value() || !layer.kernel.empty();
}

WeightMatrixView weightMatrix(const LayerSpec& layer)
{
    if (!hasWeightMatrix(layer))
        throw Error("layer '" + layer.name + "' (" + layerKindName(layer.kind) + ") has no weight matrix");
    const Tensor kernel = layer.circulant ? expandedKernel(layer) : layer.kernel;
    WeightMatrixView v;
    v.blockSize = layer.circulant ? layer.circulant->k : 1;
    if (layer.kind == LayerKind::Dense) {
        const std::int64_t n = kernel.dim(0), m = kernel.dim(1);
        setTransposed(kernel, n, m, v);
        v.description = "W = kernelᵀ (" + std::to_string(m) + " × " + std::to_string(n) + ")";
    } else {
        // Conv2D (kh, kw, C_in, C_out), Conv1D (kw, C_in, C_out), Conv2DTranspose (kh, kw, C_out, C_in).
        const bool transposed = layer.kind == LayerKind::Conv2DTranspose;
        const std::int64_t taps = layer.kernelH * layer.kernelW, cout = layer.units;
        const std::int64_t cin = kernel.size() / std::max<std::int64_t>(1, taps * cout);
        v.rows = cout;
        v.cols = taps * cin;
        v.values.resize(static_cast<std::size_t>(v.rows * v.cols));
        for (std::int64_t t = 0; t < taps; ++t)
            for (std::int64_t c = 0; c < cin; ++c)
                for (std::int64_t o = 0; o < cout; ++o)
                    v.values[static_cast<std::size_t>(o * v.cols + t * cin + c)] =
                        transposed ? kernel[(t * cout + o) * cin + c] : kernel[(t * cin + c) * cout + o];
        v.description = "C_out × (taps·C_in) = " + std::to_string(cout) + " × " + std::to_string(v.cols) + " (" +
                        std::to_string(taps) + " taps)";
    }
    return v;
}

bool hasAttentionProjections(const LayerSpec& layer)
{
    if (layer.kind != LayerKind::MultiHeadAttention)
        return false;
    for (std::size_t p = 0; p < 4; ++p)
        if (!layer.attentionCirculant[p] && (layer.*kAttentionKernels[p]).rank() != 3)
            return false;
    return true;
}

const char* attentionProjectionName(std::int64_t projection)
{
    static const char* const kNames[] = {"query", "key", "value", "output"};
    return projection >= 0 && projection < 4 ? kNames[projection] : "?";
}

WeightMatrixView attentionProjectionView(const LayerSpec& layer, std::int64_t projection)
{
    if (!hasAttentionProjections(layer))
        throw Error("layer '" + layer.name + "' (" + layerKindName(layer.kind) + ") has no attention projections");
    if (projection < 0 || projection > 3)
        throw Error("layer '" + layer.name + "' has 4 attention projections (query, key, value, output); " +
                    std::to_string(projection) + " does not exist");
    const auto p = static_cast<std::size_t>(projection);
    WeightMatrixView v;
    if (const auto& c = layer.attentionCirculant[p]) {
        v.rows = c->rows;
        v.cols = c->cols;
        v.blockSize = c->k;
        v.values =
            BlockCirculantMatrix(c->rows, c->cols, c->k,
                                 std::span<const float>(c->vectors.data(), static_cast<std::size_t>(c->vectors.size())))
                .toDense();
    } else {
        // Kernel (d, heads, dim) as d × heads·dim, or the output's (heads, value_dim, out) as
        // heads·value_dim × out; W is its transpose.
        const Tensor& k = layer.*kAttentionKernels[p];
        const std::int64_t in = p < 3 ? k.dim(0) : k.dim(0) * k.dim(1);
        setTransposed(k, in, k.size() / std::max<std::int64_t>(1, in), v);
    }
    static const char* const kShapes[] = {"heads·key_dim × d_q", "heads·key_dim × d_k", "heads·value_dim × d_v",
                                          "out × heads·value_dim"};
    v.description = std::string(attentionProjectionName(projection)) + " projection W = kernelᵀ (" + kShapes[p] +
                    " = " + std::to_string(v.rows) + " × " + std::to_string(v.cols) + ")";
    return v;
}

bool hasDepthwiseKernel(const LayerSpec& layer)
{
    return layer.kind == LayerKind::DepthwiseConv2D && layer.depthwiseKernel.rank() == 4;
}

std::int64_t depthwiseChannels(const LayerSpec& layer)
{
    if (!hasDepthwiseKernel(layer))
        throw Error("layer '" + layer.name + "' (" + layerKindName(layer.kind) + ") has no depthwise kernel");
    return layer.depthwiseKernel.dim(2) * layer.depthwiseKernel.dim(3);
}

std::int64_t depthwiseTilesPerRow(const LayerSpec& layer)
{
    const std::int64_t n = depthwiseChannels(layer);
    std::int64_t t = static_cast<std::int64_t>(std::ceil(std::sqrt(double(n))));
    while (t * t < n) // guard against rounding
        ++t;
    return std::max<std::int64_t>(t, 1);
}

WeightMatrixView depthwiseKernelView(const LayerSpec& layer, std::int64_t channel)
{
    const std::int64_t n = depthwiseChannels(layer);
    if (channel >= n)
        throw Error("layer '" + layer.name + "' has " + std::to_string(n) + " depthwise channels; channel " +
                    std::to_string(channel) + " does not exist");
    const Tensor& k = layer.depthwiseKernel; // (kh, kw, C, M): output channel o = c·M + m
    const std::int64_t kh = k.dim(0), kw = k.dim(1), mult = k.dim(3);
    // Kernel entry (r, s) of output channel o.
    const auto at = [&](std::int64_t o, std::int64_t r, std::int64_t s) {
        return k[((r * kw + s) * k.dim(2) + o / mult) * mult + o % mult];
    };
    const char* why = layerTraits(layer.kind).staysDenseReason;
    const std::string stays = std::string("stays dense: ") + (why ? why : "no channel mixing");
    WeightMatrixView v;
    if (channel >= 0) {
        v.rows = kh;
        v.cols = kw;
        v.values.resize(static_cast<std::size_t>(kh * kw));
        for (std::int64_t r = 0; r < kh; ++r)
            for (std::int64_t s = 0; s < kw; ++s)
                v.values[static_cast<std::size_t>(r * kw + s)] = at(channel, r, s);
        v.description = "depthwise filter of channel " + std::to_string(channel) + " (input channel " +
                        std::to_string(channel / mult) +
                        (mult > 1 ? ", multiplier " + std::to_string(channel % mult) : "") +
                        "): kh × kw = " + std::to_string(kh) + " × " + std::to_string(kw) + "; " + stays;
        return v;
    }
    const std::int64_t perRow = depthwiseTilesPerRow(layer), tileRows = (n + perRow - 1) / perRow;
    v.rows = tileRows * kh;
    v.cols = perRow * kw;
    v.values.assign(static_cast<std::size_t>(v.rows * v.cols), 0.0f);
    for (std::int64_t o = 0; o < n; ++o)
        for (std::int64_t r = 0; r < kh; ++r)
            for (std::int64_t s = 0; s < kw; ++s)
                v.values[static_cast<std::size_t>(((o / perRow) * kh + r) * v.cols + (o % perRow) * kw + s)] =
                    at(o, r, s);
    v.description = "depthwise: " + std::to_string(n) + " channels, one " + std::to_string(kh) + " × " +
                    std::to_string(kw) + " filter each, tiled " + std::to_string(perRow) +
                    " per row (channel o at tile row o / " + std::to_string(perRow) + ", column o mod " +
                    std::to_string(perRow) + "); " + stays;
    return v;
}

} // namespace circnn
