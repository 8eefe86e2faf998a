// BlockCirculantMatrix, the public class: argument checks, batching and dispatch to the kernel
// families (BlockCirculantImpl.h lists them and their layouts).
#include "circulant/BlockCirculantMatrix.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "circulant/BlockCirculantImpl.h"
#include "circulant/CirculantKernels.h"
#include "common/Error.h"

namespace circnn {

using namespace detail;

namespace {

std::string shapeText(std::int64_t m, std::int64_t n, std::int64_t k)
{
    return std::to_string(m) + "×" + std::to_string(n) + " with block size k = " + std::to_string(k);
}

void checkShape(std::int64_t m, std::int64_t n, std::int64_t k)
{
    if (m < 1 || n < 1)
        throw ShapeError("BlockCirculantMatrix: empty matrix " + std::to_string(m) + "×" + std::to_string(n) +
                         " (rows and cols must be at least 1)");
    if (k < 1 || k > std::max(m, n))
        throw ShapeError("BlockCirculantMatrix: block size k = " + std::to_string(k) + " out of range [1, " +
                         std::to_string(std::max(m, n)) + "] for a " + std::to_string(m) + "×" + std::to_string(n) +
                         " matrix");
}

void checkBatch(const char* what, std::int64_t batch, const void* a, const void* b)
{
    if (batch < 0)
        throw ShapeError(std::string("BlockCirculantMatrix::") + what + ": negative batch size " +
                         std::to_string(batch));
    if (batch > 0 && (!a || !b))
        throw ShapeError(std::string("BlockCirculantMatrix::") + what + ": null data pointer for a batch of " +
                         std::to_string(batch));
}

} // namespace

void BlockCirculantMatrix::Impl::setup(CirculantKernel requested)
{
    kernel = requested == CirculantKernel::Auto ? BlockCirculantMatrix::autoKernel(k) : requested;
    spectra.clear();
    spectra.shrink_to_fit();
    rowLaneSpectra.clear();
    rowLaneSpectra.shrink_to_fit();
    rowLanes = false;
    binGemm = false;
    smallPath = false;
    smallWeights.clear();
    smallWeights.shrink_to_fit();
    binWeights.clear();
    binWeights.shrink_to_fit();
    direct.clear();
    direct.shrink_to_fit();
    fwdQ = fwdP = invQ = invP = nullptr;
    if (kernel == CirculantKernel::Fft)
        setupFft();
    else
        setupDirect();
    computeWeights();
}

void BlockCirculantMatrix::Impl::computeWeights()
{
    if (kernel == CirculantKernel::Direct)
        computeDirectWeights();
    else
        computeFftWeights();
}

BlockCirculantMatrix::BlockCirculantMatrix(std::int64_t rows, std::int64_t cols, std::int64_t k,
                                           std::span<const float> vectors)
    : m_impl(std::make_unique<Impl>())
{
    checkShape(rows, cols, k);
    Impl& d = *m_impl;
    d.m = rows;
    d.n = cols;
    d.k = k;
    d.p = (rows + k - 1) / k;
    d.q = (cols + k - 1) / k;
    if (static_cast<std::int64_t>(vectors.size()) != d.p * d.q * k)
        throw ShapeError("BlockCirculantMatrix: " + shapeText(rows, cols, k) + " needs " + std::to_string(d.p) + "×" +
                         std::to_string(d.q) + "×" + std::to_string(k) + " = " + std::to_string(d.p * d.q * k) +
                         " defining-vector values, got " + std::to_string(vectors.size()));
    d.vectors.assign(vectors.begin(), vectors.end());
    d.setup(CirculantKernel::Auto);
}

BlockCirculantMatrix BlockCirculantMatrix::project(std::span<const float> dense, std::int64_t rows, std::int64_t cols,
                                                   std::int64_t k)
{
    checkShape(rows, cols, k);
    if (static_cast<std::int64_t>(dense.size()) != rows * cols)
        throw ShapeError("BlockCirculantMatrix::project: a " + std::to_string(rows) + "×" + std::to_string(cols) +
                         " matrix needs " + std::to_string(rows * cols) + " values, got " +
                         std::to_string(dense.size()));
    const std::int64_t p = (rows + k - 1) / k, q = (cols + k - 1) / k;
    std::vector<double> sum(static_cast<std::size_t>(p * q * k), 0.0);
    std::vector<std::int64_t> count(static_cast<std::size_t>(p * q * k), 0);
    for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t i = r / k, rr = r % k;
        for (std::int64_t c = 0; c < cols; ++c) {
            const std::int64_t j = c / k, cc = c % k;
            const std::int64_t idx = (i * q + j) * k + (rr - cc + k) % k;
            sum[idx] += dense[r * cols + c];
            ++count[idx];
        }
    }
    // A wrapped diagonal with no entry inside the unpadded matrix only touches padding: any value is
    // optimal there, 0 is the minimum-norm choice.
    std::vector<float> w(sum.size());
    for (std::size_t t = 0; t < w.size(); ++t)
        w[t] = count[t] ? static_cast<float>(sum[t] / static_cast<double>(count[t])) : 0.0f;
    return BlockCirculantMatrix(rows, cols, k, w);
}

BlockCirculantMatrix::BlockCirculantMatrix(const BlockCirculantMatrix& other)
    : m_impl(std::make_unique<Impl>(*other.m_impl))
{
}

BlockCirculantMatrix& BlockCirculantMatrix::operator=(const BlockCirculantMatrix& other)
{
    if (this != &other)
        m_impl = std::make_unique<Impl>(*other.m_impl);
    return *this;
}

BlockCirculantMatrix::BlockCirculantMatrix(BlockCirculantMatrix&&) noexcept = default;
BlockCirculantMatrix& BlockCirculantMatrix::operator=(BlockCirculantMatrix&&) noexcept = default;
BlockCirculantMatrix::~BlockCirculantMatrix() = default;

std::int64_t BlockCirculantMatrix::rows() const
{
    return m_impl->m;
}
std::int64_t BlockCirculantMatrix::cols() const
{
    return m_impl->n;
}
std::int64_t BlockCirculantMatrix::blockSize() const
{
    return m_impl->k;
}
std::int64_t BlockCirculantMatrix::blockRows() const
{
    return m_impl->p;
}
std::int64_t BlockCirculantMatrix::blockCols() const
{
    return m_impl->q;
}
std::int64_t BlockCirculantMatrix::parameterCount() const
{
    return m_impl->p * m_impl->q * m_impl->k;
}
double BlockCirculantMatrix::compression() const
{
    return static_cast<double>(m_impl->m) * static_cast<double>(m_impl->n) / static_cast<double>(parameterCount());
}

std::span<const float> BlockCirculantMatrix::vectors() const
{
    return m_impl->vectors;
}

void BlockCirculantMatrix::setVectors(std::span<const float> vectors)
{
    Impl& d = *m_impl;
    if (vectors.size() != d.vectors.size())
        throw ShapeError("BlockCirculantMatrix::setVectors: " + shapeText(d.m, d.n, d.k) + " needs " +
                         std::to_string(d.vectors.size()) + " values, got " + std::to_string(vectors.size()));
    std::copy(vectors.begin(), vectors.end(), d.vectors.begin());
    d.computeWeights();
}

void BlockCirculantMatrix::setKernel(CirculantKernel kernel)
{
    m_impl->setup(kernel);
}
CirculantKernel BlockCirculantMatrix::kernel() const
{
    return m_impl->kernel;
}
CirculantKernel BlockCirculantMatrix::autoKernel(std::int64_t k)
{
    return k <= kDirectMaxBlockSize ? CirculantKernel::Direct : CirculantKernel::Fft;
}

std::vector<float> BlockCirculantMatrix::toDense() const
{
    const Impl& d = *m_impl;
    std::vector<float> dense(static_cast<std::size_t>(d.m * d.n));
    for (std::int64_t r = 0; r < d.m; ++r) {
        const std::int64_t i = r / d.k, rr = r % d.k;
        float* row = dense.data() + r * d.n;
        for (std::int64_t j = 0; j < d.q; ++j) {
            const float* w = d.vectors.data() + (i * d.q + j) * d.k;
            const std::int64_t c0 = j * d.k, cols = std::min(d.k, d.n - c0);
            // Entry (rr, cc) of the block is w[(rr − cc) mod k].
            for (std::int64_t cc = 0; cc < cols; ++cc)
                row[c0 + cc] = w[cc <= rr ? rr - cc : rr - cc + d.k];
        }
    }
    return dense;
}

std::vector<std::complex<float>> BlockCirculantMatrix::blockSpectrum(std::int64_t i, std::int64_t j) const
{
    const Impl& d = *m_impl;
    if (i < 0 || i >= d.p || j < 0 || j >= d.q)
        throw ShapeError("BlockCirculantMatrix::blockSpectrum: block (" + std::to_string(i) + ", " + std::to_string(j) +
                         ") outside the " + std::to_string(d.p) + "×" + std::to_string(d.q) + " block grid");
    // Computed on demand in double precision: exact reference values for visualisation.
    const float* w = &d.vectors[(i * d.q + j) * d.k];
    std::vector<std::complex<float>> out(static_cast<std::size_t>(d.k / 2 + 1));
    const double twoPi = 6.283185307179586476925286766559;
    for (std::int64_t f = 0; f <= d.k / 2; ++f) {
        double re = 0, im = 0;
        for (std::int64_t t = 0; t < d.k; ++t) {
            const double a = -twoPi * static_cast<double>((f * t) % d.k) / static_cast<double>(d.k);
            re += w[t] * std::cos(a);
            im += w[t] * std::sin(a);
        }
        out[f] = {static_cast<float>(re), static_cast<float>(im)};
    }
    return out;
}

std::vector<float> BlockCirculantMatrix::blockMagnitude(std::int64_t i, std::int64_t j) const
{
    const auto s = blockSpectrum(i, j);
    std::vector<float> out(s.size());
    for (std::size_t t = 0; t < s.size(); ++t)
        out[t] = std::abs(s[t]);
    return out;
}

std::vector<float> BlockCirculantMatrix::blockPhase(std::int64_t i, std::int64_t j) const
{
    const auto s = blockSpectrum(i, j);
    std::vector<float> out(s.size());
    for (std::size_t t = 0; t < s.size(); ++t)
        out[t] = std::arg(s[t]);
    return out;
}

void BlockCirculantMatrix::prepareInput(const float* x, std::int64_t batch, InputSpectra& keep) const
{
    checkBatch("prepareInput", batch, x, x);
    const Impl& d = *m_impl;
    keep.m_batch = batch;
    keep.m_cols = d.n;
    keep.m_blockSize = d.k;
    keep.m_kernel = d.kernel;
    keep.m_segmentCols = 0;
    keep.m_rowStride = d.kernel == CirculantKernel::Fft ? d.rowX : d.rowXc;
    keep.m_data.resize(static_cast<std::size_t>(batch * keep.m_rowStride));
    if (batch == 0)
        return;
    if (d.kernel == CirculantKernel::Fft)
        d.transformInputRows(x, batch, keep.m_data.data());
    else
        d.deinterleaveRows(x, batch, keep.m_data.data());
}

void BlockCirculantMatrix::multiply(const float* x, float* y, std::int64_t batch) const
{
    checkBatch("multiply", batch, x, y);
    const Impl& d = *m_impl;
    if (d.kernel == CirculantKernel::Direct) {
        d.directMultiply(x, y, batch);
        return;
    }
    if (d.useBinGemm(batch)) {
        d.binGemmMultiply(x, y, batch);
        return;
    }
    if (d.useSmallPath(batch)) {
        d.smallMultiply(x, y);
        return;
    }
    // Inputs are transformed a chunk of rows at a time, so scratch memory stays small for any batch.
    const std::int64_t kChunk = d.forwardChunk();
    float* xs = ensure(scratch().xs, std::min(batch, kChunk) * d.rowX);
    for (std::int64_t b = 0; b < batch; b += kChunk) {
        const std::int64_t rows = std::min(kChunk, batch - b);
        d.transformInputRows(x + b * d.n, rows, xs);
        d.forwardFromSpectra(xs, rows, y + b * d.m);
    }
}

void BlockCirculantMatrix::multiply(const float* x, float* y, std::int64_t batch, InputSpectra& keep) const
{
    checkBatch("multiply", batch, x, y);
    prepareInput(x, batch, keep);
    if (batch == 0)
        return;
    const Impl& d = *m_impl;
    if (d.kernel == CirculantKernel::Fft)
        d.forwardFromSpectra(keep.m_data.data(), batch, y);
    else
        d.directFromInputs(keep.m_data.data(), batch, y);
}

void BlockCirculantMatrix::multiplyTransposed(const float* g, float* x, std::int64_t batch) const
{
    checkBatch("multiplyTransposed", batch, g, x);
    const Impl& d = *m_impl;
    if (d.kernel == CirculantKernel::Direct)
        d.directMultiplyTransposed(g, x, batch);
    else
        d.fftMultiplyTransposed(g, x, batch);
}

void BlockCirculantMatrix::vectorGradient(const float* x, const float* g, std::int64_t batch, float* grad) const
{
    checkBatch("vectorGradient", batch, x, g);
    if (!grad)
        throw ShapeError("BlockCirculantMatrix::vectorGradient: null gradient pointer");
    // Large batches (e.g. im2col rows of a convolution) go in chunks, so the transformed inputs never
    // need more than kGradientChunk rows of memory; chunk gradients are summed in order.
    const Impl& d = *m_impl;
    const std::int64_t total = d.p * d.q * d.k;
    InputSpectra inputs;
    if (batch <= kGradientChunk) {
        prepareInput(x, batch, inputs);
        vectorGradient(inputs, g, batch, grad);
        return;
    }
    std::vector<float> part(static_cast<std::size_t>(total));
    std::fill(grad, grad + total, 0.0f);
    for (std::int64_t b = 0; b < batch; b += kGradientChunk) {
        const std::int64_t rows = std::min(kGradientChunk, batch - b);
        prepareInput(x + b * d.n, rows, inputs);
        vectorGradient(inputs, g + b * d.m, rows, part.data());
        for (std::int64_t t = 0; t < total; ++t)
            grad[t] += part[t];
    }
}

void BlockCirculantMatrix::vectorGradient(const InputSpectra& inputs, const float* g, std::int64_t batch,
                                          float* grad) const
{
    checkBatch("vectorGradient", batch, g, grad);
    const Impl& d = *m_impl;
    if (!grad)
        throw ShapeError("BlockCirculantMatrix::vectorGradient: null gradient pointer");
    if (inputs.m_batch != batch || inputs.m_cols != d.n || inputs.m_blockSize != d.k || inputs.m_kernel != d.kernel ||
        inputs.m_segmentCols != 0)
        throw ShapeError("BlockCirculantMatrix::vectorGradient: kept input spectra (batch " +
                         std::to_string(inputs.m_batch) + ", n = " + std::to_string(inputs.m_cols) +
                         ", k = " + std::to_string(inputs.m_blockSize) + ", " + kernelName(inputs.m_kernel) +
                         ") do not match this call (batch " + std::to_string(batch) + ", " + shapeText(d.m, d.n, d.k) +
                         ", " + kernelName(d.kernel) + ")");
    const std::int64_t total = d.p * d.q * d.k;
    if (batch == 0) {
        std::fill(grad, grad + total, 0.0f);
        return;
    }
    if (d.kernel == CirculantKernel::Direct)
        d.directGradient(inputs, g, batch, grad);
    else
        d.fftGradient(inputs, g, batch, grad);
}

// ---------------------------------------------------------------------------------------------
// Inputs as spectra: multiply(InputSpectra) and rows assembled from segment spectra (each kernel
// family documents its segment layout).
// ---------------------------------------------------------------------------------------------

void BlockCirculantMatrix::multiply(const InputSpectra& x, float* y) const
{
    const Impl& d = *m_impl;
    if (x.m_cols != d.n || x.m_blockSize != d.k || x.m_kernel != d.kernel || x.m_segmentCols != 0)
        throw ShapeError("BlockCirculantMatrix::multiply: input spectra (n = " + std::to_string(x.m_cols) +
                         ", k = " + std::to_string(x.m_blockSize) + ", " + kernelName(x.m_kernel) +
                         (x.m_segmentCols ? ", segments" : "") + ") do not match this " + shapeText(d.m, d.n, d.k) +
                         " (" + kernelName(d.kernel) + ")");
    checkBatch("multiply", x.m_batch, x.m_data.data(), y);
    if (x.m_batch == 0)
        return;
    if (d.kernel == CirculantKernel::Fft)
        d.forwardFromSpectra(x.m_data.data(), x.m_batch, y);
    else
        d.directFromInputs(x.m_data.data(), x.m_batch, y);
}

void BlockCirculantMatrix::prepareSegments(const float* x, std::int64_t count, std::int64_t len, std::int64_t stride,
                                           std::int64_t segmentCols, InputSpectra& out) const
{
    checkBatch("prepareSegments", count, x, x);
    const Impl& d = *m_impl;
    if (segmentCols < 1 || segmentCols % d.k != 0 || d.n % segmentCols != 0)
        throw ShapeError("BlockCirculantMatrix::prepareSegments: segments of " + std::to_string(segmentCols) +
                         " columns do not tile the " + shapeText(d.m, d.n, d.k) +
                         " (they must be a multiple of k and divide n)");
    if (len < 1 || len > segmentCols || stride < 0)
        throw ShapeError("BlockCirculantMatrix::prepareSegments: segment length " + std::to_string(len) + " (stride " +
                         std::to_string(stride) + ") out of range [1, " + std::to_string(segmentCols) + "]");
    const std::int64_t qs = segmentCols / d.k;
    out.m_batch = count;
    out.m_cols = segmentCols;
    out.m_segmentCols = segmentCols;
    out.m_blockSize = d.k;
    out.m_kernel = d.kernel;
    out.m_rowStride = d.kernel == CirculantKernel::Direct ? segmentCols
                      : d.rowLanes                        ? d.rowLaneSegmentStride(qs)
                                                          : qs * d.groups * 3 * kernels::kLanes;
    out.m_data.resize(static_cast<std::size_t>(count * out.m_rowStride));
    if (count == 0)
        return;
    if (d.kernel == CirculantKernel::Fft)
        d.fftPrepareSegments(x, count, len, stride, qs, out);
    else
        d.directPrepareSegments(x, count, len, stride, qs, out);
}

void BlockCirculantMatrix::Impl::checkSegments(const char* what, const InputSpectra& segments,
                                               std::span<const std::int64_t> index, std::int64_t batch) const
{
    const std::string fn = std::string("BlockCirculantMatrix::") + what;
    if (batch < 0)
        throw ShapeError(fn + ": negative batch size " + std::to_string(batch));
    if (segments.m_segmentCols < 1 || segments.m_blockSize != k || segments.m_kernel != kernel ||
        n % segments.m_segmentCols != 0)
        throw ShapeError(fn + ": the segment spectra (" +
                         (segments.m_segmentCols ? std::to_string(segments.m_segmentCols) + " columns per segment"
                                                 : std::string("not segments")) +
                         ", k = " + std::to_string(segments.m_blockSize) + ", " + kernelName(segments.m_kernel) +
                         ") were not made by prepareSegments of a matrix like this " + shapeText(m, n, k) + " (" +
                         kernelName(kernel) + ")");
    const std::int64_t per = n / segments.m_segmentCols;
    if (static_cast<std::int64_t>(index.size()) != batch * per)
        throw ShapeError(fn + ": " + std::to_string(batch) + " rows of " + std::to_string(per) + " segments need " +
                         std::to_string(batch * per) + " indices, got " + std::to_string(index.size()));
    for (const std::int64_t i : index)
        if (i >= segments.m_batch)
            throw ShapeError(fn + ": segment index " + std::to_string(i) + " out of range (" +
                             std::to_string(segments.m_batch) + " segments)");
}

void BlockCirculantMatrix::gatherSegments(const InputSpectra& segments, std::span<const std::int64_t> index,
                                          std::int64_t batch, InputSpectra& out) const
{
    const Impl& d = *m_impl;
    d.checkSegments("gatherSegments", segments, index, batch);
    if (&segments == &out)
        throw ShapeError("BlockCirculantMatrix::gatherSegments: the output must not be the segment spectra");
    out.m_batch = batch;
    out.m_cols = d.n;
    out.m_blockSize = d.k;
    out.m_kernel = d.kernel;
    out.m_segmentCols = 0;
    out.m_rowStride = d.kernel == CirculantKernel::Fft ? d.rowX : d.rowXc;
    out.m_data.resize(static_cast<std::size_t>(batch * out.m_rowStride));
    if (batch == 0)
        return;
    if (d.kernel == CirculantKernel::Direct)
        d.directGatherRows(segments, index.data(), 0, batch, out.m_data.data());
    else if (d.rowLanes)
        d.rowLaneGatherRows(segments, index.data(), 0, batch, out.m_data.data());
    else
        d.slotLaneGatherRows(segments, index.data(), 0, batch, out.m_data.data());
}

void BlockCirculantMatrix::multiplyGathered(const InputSpectra& segments, std::span<const std::int64_t> index,
                                            std::int64_t batch, float* y) const
{
    const Impl& d = *m_impl;
    d.checkSegments("multiplyGathered", segments, index, batch);
    checkBatch("multiplyGathered", batch, y, y);
    if (d.kernel == CirculantKernel::Fft && d.useBinGemm(batch))
        d.binGemmGathered(segments, index.data(), batch, y);
    else if (d.kernel == CirculantKernel::Direct)
        d.directMultiplyGathered(segments, index.data(), batch, y);
    else if (d.rowLanes)
        d.rowLaneMultiplyGathered(segments, index.data(), batch, y);
    else
        d.slotLaneMultiplyGathered(segments, index.data(), batch, y);
}

} // namespace circnn
