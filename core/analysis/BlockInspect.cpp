#include "analysis/BlockInspect.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "common/Error.h"

namespace circnn {

namespace {

// The shape of attention projection `tap` (< 0: the query's) without expanding weights.
std::pair<std::int64_t, std::int64_t> projectionShape(const LayerSpec& layer, std::int64_t tap)
{
    const std::int64_t p = std::max<std::int64_t>(tap, 0);
    if (!hasAttentionProjections(layer))
        throw Error("layer '" + layer.name + "' (" + layerKindName(layer.kind) + ") has no attention projections");
    if (p > 3)
        throw Error("layer '" + layer.name + "' has 4 attention projections; " + std::to_string(p) + " does not exist");
    if (const auto& c = layer.attentionCirculant[static_cast<std::size_t>(p)])
        return {c->rows, c->cols};
    const Tensor& k = p == 0   ? layer.queryKernel
                      : p == 1 ? layer.keyKernel
                      : p == 2 ? layer.valueKernel
                               : layer.outputKernel;
    return p < 3 ? std::pair{k.dim(1) * k.dim(2), k.dim(0)} : std::pair{k.dim(2), k.dim(0) * k.dim(1)};
}

} // namespace

std::int64_t tapCount(const LayerSpec& layer)
{
    if (layer.kind == LayerKind::MultiHeadAttention)
        return 4;
    return layer.kind == LayerKind::Dense ? 1 : layer.kernelH * layer.kernelW;
}

std::int64_t storedBlockSize(const LayerSpec& layer, std::int64_t tap)
{
    if (layer.kind == LayerKind::MultiHeadAttention) {
        const auto& c = layer.attentionCirculant[static_cast<std::size_t>(std::clamp<std::int64_t>(tap, 0, 3))];
        return c ? c->k : 1;
    }
    return layer.circulant ? layer.circulant->k : 1;
}

WeightMatrixView layerMatrix(const LayerSpec& layer, std::int64_t tap)
{
    if (hasDepthwiseKernel(layer))
        return depthwiseKernelView(layer, tap);
    if (layer.kind == LayerKind::MultiHeadAttention)
        return attentionProjectionView(layer, std::max<std::int64_t>(tap, 0));
    WeightMatrixView all = weightMatrix(layer);
    if (tap < 0)
        return all;
    const std::int64_t taps = tapCount(layer);
    if (tap >= taps)
        throw Error("layer '" + layer.name + "' has " + std::to_string(taps) + " spatial taps; tap " +
                    std::to_string(tap) + " does not exist");
    const std::int64_t cin = all.cols / taps;
    WeightMatrixView v;
    v.rows = all.rows;
    v.cols = cin;
    v.blockSize = all.blockSize;
    v.values.resize(static_cast<std::size_t>(v.rows * v.cols));
    for (std::int64_t o = 0; o < v.rows; ++o)
        std::copy_n(all.values.begin() + o * all.cols + tap * cin, cin, v.values.begin() + o * cin);
    const std::int64_t r = tap / layer.kernelW, s = tap % layer.kernelW;
    v.description = "tap (" + std::to_string(r) + ", " + std::to_string(s) +
                    "): C_out × C_in = " + std::to_string(v.rows) + " × " + std::to_string(v.cols);
    return v;
}

std::int64_t segmentColumns(const LayerSpec& layer, std::int64_t tap)
{
    if (hasDepthwiseKernel(layer)) // the view's width: one filter, or the tiles of a row
        return tap >= 0 ? layer.depthwiseKernel.dim(1) : depthwiseTilesPerRow(layer) * layer.depthwiseKernel.dim(1);
    if (layer.kind == LayerKind::MultiHeadAttention)
        return projectionShape(layer, tap).second;
    if (!hasWeightMatrix(layer))
        throw Error("layer '" + layer.name + "' (" + layerKindName(layer.kind) + ") has no weight matrix");
    if (tap >= tapCount(layer))
        throw Error("layer '" + layer.name + "' has " + std::to_string(tapCount(layer)) + " spatial taps; tap " +
                    std::to_string(tap) + " does not exist");
    // Dense kernel (in, out); Conv2D kernel (kh, kw, C_in, C_out); circulant: cols = n = in / C_in.
    if (layer.circulant)
        return layer.circulant->cols;
    return layer.kind == LayerKind::Dense ? layer.kernel.dim(0) : layer.kernel.dim(2);
}

std::int64_t matrixRows(const LayerSpec& layer, std::int64_t tap)
{
    if (layer.kind == LayerKind::MultiHeadAttention)
        return projectionShape(layer, tap).first;
    if (hasDepthwiseKernel(layer)) // the tiled view
        return (depthwiseChannels(layer) + depthwiseTilesPerRow(layer) - 1) / depthwiseTilesPerRow(layer) *
               layer.depthwiseKernel.dim(0);
    if (!hasWeightMatrix(layer))
        throw Error("layer '" + layer.name + "' (" + layerKindName(layer.kind) + ") has no weight matrix");
    return layer.circulant ? layer.circulant->rows : layer.kernel.dim(layer.kernel.rank() - 1);
}

std::vector<std::int64_t> validBlockSizes(std::int64_t rows, std::int64_t segmentCols, std::int64_t current)
{
    std::vector<std::int64_t> ks{1};
    for (std::int64_t k = 2; k <= std::min(rows, segmentCols); k *= 2)
        ks.push_back(k);
    if (current > 1 && std::find(ks.begin(), ks.end(), current) == ks.end())
        ks.push_back(current);
    std::sort(ks.begin(), ks.end());
    return ks;
}

BlockDetail blockDetail(const MatrixProjection& p, std::span<const float> original, std::int64_t i, std::int64_t j)
{
    if (i < 0 || j < 0 || i >= p.blockRows || j >= p.blockCols)
        throw ShapeError("block (" + std::to_string(i) + ", " + std::to_string(j) + ") is outside the " +
                         std::to_string(p.blockRows) + " × " + std::to_string(p.blockCols) + " block grid");
    if (static_cast<std::int64_t>(original.size()) != p.rows * p.cols)
        throw ShapeError("blockDetail: the original matrix does not match the projection's shape");
    BlockDetail d;
    d.i = i;
    d.j = j;
    d.k = p.k;
    d.row0 = p.blockRow0(i);
    d.col0 = p.blockCol0(j);
    const std::int64_t k = p.k;
    const auto first = p.vectors.begin() + (i * p.blockCols + j) * k;
    d.vector.assign(first, first + k);
    // The spectrum by a direct DFT in double precision over a twiddle table (O(k²) multiply-adds,
    // no FFT plan: planning a new size costs far more than this, and runs where the view asks).
    std::vector<double> cosT(static_cast<std::size_t>(k)), sinT(static_cast<std::size_t>(k));
    const double twoPi = 2 * std::numbers::pi;
    for (std::int64_t m = 0; m < k; ++m) {
        cosT[static_cast<std::size_t>(m)] = std::cos(twoPi * double(m) / double(k));
        sinT[static_cast<std::size_t>(m)] = -std::sin(twoPi * double(m) / double(k));
    }
    d.magnitude.resize(static_cast<std::size_t>(k / 2 + 1));
    d.phase.resize(d.magnitude.size());
    for (std::int64_t f = 0; f <= k / 2; ++f) {
        double re = 0, im = 0;
        for (std::int64_t t = 0, m = 0; t < k; ++t, m = (m + f) % k) { // m = f·t mod k
            re += double(d.vector[static_cast<std::size_t>(t)]) * cosT[static_cast<std::size_t>(m)];
            im += double(d.vector[static_cast<std::size_t>(t)]) * sinT[static_cast<std::size_t>(m)];
        }
        d.magnitude[static_cast<std::size_t>(f)] = static_cast<float>(std::hypot(re, im));
        d.phase[static_cast<std::size_t>(f)] = static_cast<float>(std::atan2(im, re));
    }
    const std::int64_t segEnd = (d.col0 / p.segmentCols + 1) * p.segmentCols;
    d.original.assign(static_cast<std::size_t>(k * k), 0.0f);
    d.circulant.assign(static_cast<std::size_t>(k * k), 0.0f);
    for (std::int64_t r = 0; r < k; ++r)
        for (std::int64_t c = 0; c < k; ++c) {
            d.circulant[static_cast<std::size_t>(r * k + c)] =
                d.vector[static_cast<std::size_t>(((r - c) % k + k) % k)];
            const std::int64_t gr = d.row0 + r, gc = d.col0 + c;
            if (gr < p.rows && gc < segEnd)
                d.original[static_cast<std::size_t>(r * k + c)] = original[static_cast<std::size_t>(gr * p.cols + gc)];
        }
    return d;
}

} // namespace circnn
