#include "analysis/BlockInspect.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>

#include "circulant/BlockCirculantMatrix.h"
#include "common/Error.h"
#include "common/Parallel.h"

namespace circnn {

std::int64_t tapCount(const LayerSpec& layer)
{
    return layer.kind == LayerKind::Conv2D ? layer.kernelH * layer.kernelW : 1;
}

WeightMatrixView layerMatrix(const LayerSpec& layer, std::int64_t tap)
{
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

std::int64_t matrixRows(const LayerSpec& layer)
{
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

std::int64_t MatrixProjection::blocksPerSegment() const
{
    return (segmentCols + k - 1) / k;
}

std::int64_t MatrixProjection::blockCol0(std::int64_t j) const
{
    const std::int64_t qs = blocksPerSegment();
    return (j / qs) * segmentCols + (j % qs) * k;
}

MatrixProjection projectMatrix(std::span<const float> dense, std::int64_t rows, std::int64_t cols, std::int64_t k,
                               std::int64_t segmentCols, const ProgressFn& progress)
{
    if (segmentCols <= 0)
        segmentCols = cols;
    if (rows < 1 || cols < 1 || k < 1)
        throw ShapeError("projectMatrix: bad shape " + std::to_string(rows) + " × " + std::to_string(cols) +
                         " or block size " + std::to_string(k));
    if (cols % segmentCols != 0)
        throw ShapeError("projectMatrix: segment width " + std::to_string(segmentCols) + " does not divide " +
                         std::to_string(cols) + " columns");
    if (k > std::max(rows, segmentCols))
        throw ShapeError("projectMatrix: block size " + std::to_string(k) + " exceeds the matrix (" +
                         std::to_string(rows) + " × " + std::to_string(segmentCols) + " per segment)");
    if (static_cast<std::int64_t>(dense.size()) != rows * cols)
        throw ShapeError("projectMatrix: " + std::to_string(dense.size()) + " values for a " + std::to_string(rows) +
                         " × " + std::to_string(cols) + " matrix");
    MatrixProjection r;
    r.rows = rows;
    r.cols = cols;
    r.segmentCols = segmentCols;
    r.k = k;
    r.blockRows = (rows + k - 1) / k;
    const std::int64_t segments = cols / segmentCols, qs = r.blocksPerSegment();
    r.blockCols = segments * qs;
    if (k == 1) { // every 1×1 block is circulant: the projection is the matrix itself
        r.vectors.assign(dense.begin(), dense.end());
        r.projection.assign(dense.begin(), dense.end());
        r.residual.assign(dense.size(), 0.0f);
        reportProgress(progress, 1, 1);
        return r;
    }
    r.vectors.assign(static_cast<std::size_t>(r.blockRows * r.blockCols * k), 0.0f);
    r.projection.assign(dense.size(), 0.0f);
    r.residual.assign(dense.size(), 0.0f);

    // One task = one block row of one segment: its strip is projected on its own (projection is
    // block-local, so this equals projecting the whole segment at once; the tests hold it to that).
    // A segment narrower than k is projected whole (a strip would then be smaller than k both ways).
    const std::int64_t stripRows = segmentCols >= k ? k : rows;
    const std::int64_t stripsPerSegment = (rows + stripRows - 1) / stripRows;
    const std::int64_t tasks = stripsPerSegment * segments;
    const std::int64_t perStep = std::max<std::int64_t>(1, tasks / 64);
    std::vector<double> errSq(static_cast<std::size_t>(tasks), 0.0), normSq(static_cast<std::size_t>(tasks), 0.0);
    reportProgress(progress, 0, static_cast<std::size_t>(tasks));
    for (std::int64_t first = 0; first < tasks; first += perStep) {
        const std::int64_t last = std::min(tasks, first + perStep);
        parallelFor(static_cast<std::size_t>(last - first), [&](std::size_t b, std::size_t e) {
            std::vector<float> strip;
            for (std::size_t t = b; t < e; ++t) {
                const std::int64_t task = first + static_cast<std::int64_t>(t);
                const std::int64_t s = task / segments, seg = task % segments;
                const std::int64_t r0 = s * stripRows, nr = std::min(stripRows, rows - r0), c0 = seg * segmentCols;
                strip.resize(static_cast<std::size_t>(nr * segmentCols));
                for (std::int64_t rr = 0; rr < nr; ++rr)
                    std::copy_n(dense.begin() + (r0 + rr) * cols + c0, segmentCols, strip.begin() + rr * segmentCols);
                const BlockCirculantMatrix m = BlockCirculantMatrix::project(strip, nr, segmentCols, k);
                const std::vector<float> proj = m.toDense();
                const std::span<const float> vec = m.vectors();
                const std::int64_t stripBlockRows = (nr + k - 1) / k;
                for (std::int64_t bi = 0; bi < stripBlockRows; ++bi)
                    std::copy_n(vec.begin() + bi * qs * k, qs * k,
                                r.vectors.begin() + ((r0 / k + bi) * r.blockCols + seg * qs) * k);
                double e2 = 0, n2 = 0;
                for (std::int64_t rr = 0; rr < nr; ++rr)
                    for (std::int64_t c = 0; c < segmentCols; ++c) {
                        const std::size_t at = static_cast<std::size_t>((r0 + rr) * cols + c0 + c);
                        const float p = proj[static_cast<std::size_t>(rr * segmentCols + c)];
                        r.projection[at] = p;
                        r.residual[at] = dense[at] - p;
                        e2 += double(r.residual[at]) * r.residual[at];
                        n2 += double(dense[at]) * dense[at];
                    }
                errSq[static_cast<std::size_t>(task)] = e2;
                normSq[static_cast<std::size_t>(task)] = n2;
            }
        });
        reportProgress(progress, static_cast<std::size_t>(last), static_cast<std::size_t>(tasks));
    }
    double e2 = 0, n2 = 0;
    for (std::size_t t = 0; t < errSq.size(); ++t) {
        e2 += errSq[t];
        n2 += normSq[t];
    }
    r.relativeResidual = n2 > 0 ? std::sqrt(e2 / n2) : 0.0;
    return r;
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
    const BlockCirculantMatrix single(k, k, k, d.vector);
    d.magnitude = single.blockMagnitude(0, 0);
    d.phase = single.blockPhase(0, 0);
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
