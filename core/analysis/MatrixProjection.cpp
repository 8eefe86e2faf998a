#include "analysis/MatrixProjection.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <type_traits>

#include "circulant/BlockCirculantMatrix.h"
#include "common/Error.h"
#include "common/Parallel.h"

namespace circnn {

namespace {

// Validates the arguments of projectMatrix and fills the shape fields.
MatrixProjection layoutOf(std::size_t values, std::int64_t rows, std::int64_t cols, std::int64_t k,
                          std::int64_t segmentCols)
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
    if (static_cast<std::int64_t>(values) != rows * cols)
        throw ShapeError("projectMatrix: " + std::to_string(values) + " values for a " + std::to_string(rows) + " × " +
                         std::to_string(cols) + " matrix");
    MatrixProjection r;
    r.rows = rows;
    r.cols = cols;
    r.segmentCols = segmentCols;
    r.k = k;
    r.blockRows = (rows + k - 1) / k;
    r.blockCols = (cols / segmentCols) * r.blocksPerSegment();
    return r;
}

struct ResidualSums {
    double e2 = 0, n2 = 0; // Σ (w − p)², Σ w²
    float max = 0;         // max |w − p| (NaN entries ignored)
};

// Adds n entries w[t] against their projection p[t]. Eight independent lanes so that the compiler
// can vectorise the sums (a single accumulator is a serial dependency chain).
void addResidual(const float* w, const float* p, std::int64_t n, ResidualSums& s)
{
    double e[8] = {}, q[8] = {};
    float m[8] = {};
    std::int64_t t = 0;
    for (; t + 8 <= n; t += 8)
        for (int l = 0; l < 8; ++l) {
            const float d = w[t + l] - p[t + l];
            e[l] += double(d) * double(d);
            q[l] += double(w[t + l]) * double(w[t + l]);
            m[l] = std::max(m[l], std::abs(d));
        }
    for (; t < n; ++t) {
        const float d = w[t] - p[t];
        e[0] += double(d) * double(d);
        q[0] += double(w[t]) * double(w[t]);
        m[0] = std::max(m[0], std::abs(d));
    }
    for (int l = 0; l < 8; ++l) {
        s.e2 += e[l];
        s.n2 += q[l];
        s.max = std::max(s.max, m[l]);
    }
}

// Small power-of-two k (2…16): the generic per-block loops below run only k entries between loop
// set-ups; these versions walk a row's full blocks with k known at compile time. Entry c of a
// block row goes to diagonal slot e = (c − r) mod k, i.e. slot e reads column (e + r) mod k.
// Return the number of full blocks done: all of them for a supported k, else 0.
template <int K> void diagonalSumsSmall(const float* x, double* a, std::int64_t blocks, std::int64_t r)
{
    for (std::int64_t jb = 0; jb < blocks; ++jb, x += K, a += K)
        for (int e = 0; e < K; ++e)
            a[e] += double(x[(e + r) & (K - 1)]);
}

// Calls body(std::integral_constant<int, K>) for k = K in {2, 4, 8, 16}: returns `blocks` then,
// else 0 (the caller's generic loop does every block).
template <class Body> std::int64_t withSmallK(std::int64_t k, std::int64_t blocks, Body body)
{
    switch (k) {
    case 2:
        body(std::integral_constant<int, 2>{});
        return blocks;
    case 4:
        body(std::integral_constant<int, 4>{});
        return blocks;
    case 8:
        body(std::integral_constant<int, 8>{});
        return blocks;
    case 16:
        body(std::integral_constant<int, 16>{});
        return blocks;
    default:
        return 0;
    }
}

std::int64_t diagonalSumsFast(std::int64_t k, const float* x, double* a, std::int64_t blocks, std::int64_t r)
{
    return withSmallK(k, blocks, [&](auto K) { diagonalSumsSmall<decltype(K)::value>(x, a, blocks, r); });
}

template <int K>
void residualSmall(const float* x, const float* u, std::int64_t blocks, std::int64_t r, ResidualSums& s)
{
    double e2[K] = {}, n2[K] = {};
    float m[K] = {};
    for (std::int64_t jb = 0; jb < blocks; ++jb, x += K, u += K)
        for (int e = 0; e < K; ++e) {
            const float w = x[(e + r) & (K - 1)], d = w - u[e];
            e2[e] += double(d) * double(d);
            n2[e] += double(w) * double(w);
            m[e] = std::max(m[e], std::abs(d));
        }
    for (int e = 0; e < K; ++e) {
        s.e2 += e2[e];
        s.n2 += n2[e];
        s.max = std::max(s.max, m[e]);
    }
}

std::int64_t residualFast(std::int64_t k, const float* x, const float* u, std::int64_t blocks, std::int64_t r,
                          ResidualSums& s)
{
    return withSmallK(k, blocks, [&](auto K) { residualSmall<decltype(K)::value>(x, u, blocks, r, s); });
}

// One task of projectMatrix: block row i of segment seg. acc / first: scratch of qs·k entries.
// Works in "first-row" form u[e] = entry (0, e) of the block, e = (c − r) mod k: for a fixed row r
// of a full block the entries c = r..k−1 and 0..r−1 map to u[0..k−r) and u[k−r..k) — contiguous
// runs, which the compiler vectorises. The defining vector is v[d] = u[(k − d) mod k].
ResidualSums projectStrip(std::span<const float> dense, MatrixProjection& r, std::int64_t i, std::int64_t seg,
                          std::vector<double>& acc, std::vector<float>& first, std::vector<float>& pad)
{
    const std::int64_t k = r.k, S = r.segmentCols, qs = r.blocksPerSegment();
    const std::int64_t r0 = i * k, nr = std::min(k, r.rows - r0), c0 = seg * S;
    acc.assign(static_cast<std::size_t>(qs * k), 0.0);
    first.resize(static_cast<std::size_t>(qs * k));
    // Pass 1: the sums along the wrapped diagonals (rows in order, as BlockCirculantMatrix::project
    // adds them, so the sums are the same to the last bit).
    const std::int64_t fullBlocks = S / k; // blocks with all k columns inside the segment
    for (std::int64_t rr = 0; rr < nr; ++rr) {
        const float* line = dense.data() + (r0 + rr) * r.cols + c0;
        for (std::int64_t jb = diagonalSumsFast(k, line, acc.data(), fullBlocks, rr); jb < qs; ++jb) {
            const std::int64_t b0 = jb * k, w = std::min(k, S - b0);
            double* a = acc.data() + b0;
            const float* x = line + b0;
            if (w == k) {
                for (std::int64_t t = 0; t < k - rr; ++t)
                    a[t] += double(x[rr + t]);
                for (std::int64_t t = 0; t < rr; ++t)
                    a[k - rr + t] += double(x[t]);
            } else {
                for (std::int64_t cc = 0; cc < w; ++cc)
                    a[(cc - rr + k) % k] += double(x[cc]);
            }
        }
    }
    // Means: a full block has k entries on every diagonal; an edge block counts them.
    std::vector<std::int64_t> count(static_cast<std::size_t>(k));
    for (std::int64_t jb = 0; jb < qs; ++jb) {
        const std::int64_t b0 = jb * k, w = std::min(k, S - b0);
        const double* a = acc.data() + b0;
        float* u = first.data() + b0;
        if (w == k && nr == k) {
            for (std::int64_t e = 0; e < k; ++e)
                u[e] = static_cast<float>(a[e] / static_cast<double>(k));
        } else {
            std::fill(count.begin(), count.end(), 0);
            for (std::int64_t rr = 0; rr < nr; ++rr)
                for (std::int64_t cc = 0; cc < w; ++cc)
                    ++count[static_cast<std::size_t>((cc - rr + k) % k)];
            // A diagonal with no entry inside the matrix only touches padding: 0 (minimum norm).
            for (std::int64_t e = 0; e < k; ++e) {
                const std::int64_t n = count[static_cast<std::size_t>(e)];
                u[e] = n ? static_cast<float>(a[e] / static_cast<double>(n)) : 0.0f;
            }
        }
        float* v = r.vectors.data() + ((i * r.blockCols) + seg * qs + jb) * k;
        v[0] = u[0];
        for (std::int64_t d = 1; d < k; ++d)
            v[d] = u[k - d];
    }
    // Pass 2: the residual over the same strip (still in cache).
    ResidualSums s;
    pad.resize(static_cast<std::size_t>(k));
    for (std::int64_t rr = 0; rr < nr; ++rr) {
        const float* line = dense.data() + (r0 + rr) * r.cols + c0;
        for (std::int64_t jb = residualFast(k, line, first.data(), fullBlocks, rr, s); jb < qs; ++jb) {
            const std::int64_t b0 = jb * k, w = std::min(k, S - b0);
            const float* u = first.data() + b0;
            const float* x = line + b0;
            if (w == k) {
                addResidual(x + rr, u, k - rr, s);
                addResidual(x, u + k - rr, rr, s);
            } else {
                for (std::int64_t cc = 0; cc < w; ++cc)
                    pad[static_cast<std::size_t>(cc)] = u[(cc - rr + k) % k];
                addResidual(x, pad.data(), w, s);
            }
        }
    }
    return s;
}

} // namespace

std::int64_t MatrixProjection::blocksPerSegment() const
{
    return (segmentCols + k - 1) / k;
}

std::int64_t MatrixProjection::blockCol0(std::int64_t j) const
{
    const std::int64_t qs = blocksPerSegment();
    return (j / qs) * segmentCols + (j % qs) * k;
}

void MatrixProjection::projectionRow(std::int64_t row, std::int64_t col0, std::int64_t col1, float* out) const
{
    if (k == 1) {
        std::copy_n(vectors.data() + row * cols + col0, col1 - col0, out);
        return;
    }
    const std::int64_t rr = row % k, qs = blocksPerSegment();
    const float* vrow = vectors.data() + (row / k) * blockCols * k;
    for (std::int64_t c = col0; c < col1;) {
        const std::int64_t seg = c / segmentCols, cs = c - seg * segmentCols, jb = cs / k, cc = cs - jb * k;
        const std::int64_t n = std::min({k - cc, segmentCols - cs, col1 - c});
        const float* v = vrow + (seg * qs + jb) * k;
        // out[t] = v[(rr − cc − t) mod k]: a descending run from d0 down to 0, then from k − 1.
        const std::int64_t d0 = ((rr - cc) % k + k) % k;
        const std::int64_t n1 = std::min(n, d0 + 1), n2 = n - n1;
        std::reverse_copy(v + d0 - n1 + 1, v + d0 + 1, out);
        std::reverse_copy(v + k - n2, v + k, out + n1);
        c += n;
        out += n;
    }
}

void MatrixProjection::residualRow(std::span<const float> original, std::int64_t row, std::int64_t col0,
                                   std::int64_t col1, float* out) const
{
    projectionRow(row, col0, col1, out);
    const float* w = original.data() + row * cols + col0;
    for (std::int64_t t = 0; t < col1 - col0; ++t)
        out[t] = w[t] - out[t];
}

MatrixProjection projectMatrix(std::span<const float> dense, std::int64_t rows, std::int64_t cols, std::int64_t k,
                               std::int64_t segmentCols, const ProgressFn& progress)
{
    MatrixProjection r = layoutOf(dense.size(), rows, cols, k, segmentCols);
    if (k == 1) { // every 1×1 block is circulant: the projection is the matrix itself
        r.vectors.assign(dense.begin(), dense.end());
        reportProgress(progress, 1, 1);
        return r;
    }
    r.vectors.assign(static_cast<std::size_t>(r.blockRows * r.blockCols * k), 0.0f);
    const std::int64_t segments = cols / r.segmentCols;
    const std::int64_t tasks = r.blockRows * segments;
    const std::int64_t perStep = std::max<std::int64_t>(1, tasks / 64);
    std::vector<ResidualSums> sums(static_cast<std::size_t>(tasks));
    reportProgress(progress, 0, static_cast<std::size_t>(tasks));
    for (std::int64_t firstTask = 0; firstTask < tasks; firstTask += perStep) {
        const std::int64_t last = std::min(tasks, firstTask + perStep);
        parallelFor(static_cast<std::size_t>(last - firstTask), [&](std::size_t b, std::size_t e) {
            std::vector<double> acc;
            std::vector<float> first, pad;
            for (std::size_t t = b; t < e; ++t) {
                const std::int64_t task = firstTask + static_cast<std::int64_t>(t);
                sums[static_cast<std::size_t>(task)] =
                    projectStrip(dense, r, task / segments, task % segments, acc, first, pad);
            }
        });
        reportProgress(progress, static_cast<std::size_t>(last), static_cast<std::size_t>(tasks));
    }
    double e2 = 0, n2 = 0;
    for (const ResidualSums& s : sums) { // in task order: the result does not depend on the threads
        e2 += s.e2;
        n2 += s.n2;
        r.maxResidual = std::max(r.maxResidual, s.max);
    }
    r.relativeResidual = n2 > 0 ? std::sqrt(e2 / n2) : 0.0;
    return r;
}

MatrixProjection projectMatrixReference(std::span<const float> dense, std::int64_t rows, std::int64_t cols,
                                        std::int64_t k, std::int64_t segmentCols)
{
    MatrixProjection r = layoutOf(dense.size(), rows, cols, k, segmentCols);
    const std::int64_t S = r.segmentCols, segments = cols / S, qs = r.blocksPerSegment();
    r.vectors.assign(static_cast<std::size_t>(r.blockRows * r.blockCols * k), 0.0f);
    std::vector<float> P(dense.size()), part(static_cast<std::size_t>(rows * S));
    for (std::int64_t seg = 0; seg < segments; ++seg) {
        for (std::int64_t row = 0; row < rows; ++row)
            std::copy_n(dense.begin() + row * cols + seg * S, S, part.begin() + row * S);
        const BlockCirculantMatrix m = BlockCirculantMatrix::project(part, rows, S, k);
        const std::span<const float> v = m.vectors();
        for (std::int64_t i = 0; i < r.blockRows; ++i)
            std::copy_n(v.begin() + i * qs * k, qs * k, r.vectors.begin() + (i * r.blockCols + seg * qs) * k);
        const std::vector<float> d = m.toDense();
        for (std::int64_t row = 0; row < rows; ++row)
            std::copy_n(d.begin() + row * S, S, P.begin() + row * cols + seg * S);
    }
    double e2 = 0, n2 = 0;
    for (std::size_t t = 0; t < dense.size(); ++t) {
        const float d = dense[t] - P[t];
        e2 += double(d) * double(d);
        n2 += double(dense[t]) * double(dense[t]);
        if (k > 1)
            r.maxResidual = std::max(r.maxResidual, std::abs(d));
    }
    r.relativeResidual = n2 > 0 && k > 1 ? std::sqrt(e2 / n2) : 0.0;
    return r;
}

std::vector<float> projectedMatrix(const MatrixProjection& projection)
{
    std::vector<float> out(static_cast<std::size_t>(projection.rows * projection.cols));
    for (std::int64_t row = 0; row < projection.rows; ++row)
        projection.projectionRow(row, 0, projection.cols, out.data() + row * projection.cols);
    return out;
}

} // namespace circnn
