#include "nn/Conv2DLayer.h"

#include <algorithm>
#include <cblas.h>

#include "common/Error.h"

namespace circnn::nn {

namespace {
constexpr std::int64_t kMaxIm2colRows = 8192; // bounds the im2col scratch per group of images
// Block-circulant inference: input pixels per group, so that the group's pixel spectra (a few
// hundred bytes per pixel) stay in L2 while its im2col rows are gathered from them.
constexpr std::int64_t kGatherPixels = 1024;
} // namespace

void Conv2DLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    // Conv1D runs as a convolution over a 1 x L image: same data layout, kernelH = 1.
    const Shape& in = inputShapes.at(0);
    const bool oneD = in.size() == 2;
    m_h = oneD ? 1 : in[0];
    m_w = oneD ? in[0] : in[1];
    m_cin = in.back();
    m_oh = oneD ? 1 : m_spec->outputShape[0];
    m_ow = oneD ? m_spec->outputShape[0] : m_spec->outputShape[1];
    m_cout = m_spec->units;
    m_taps = m_spec->kernelH * m_spec->kernelW;
    if (m_spec->padding == Padding::Causal)
        m_padLeft = (m_spec->kernelW - 1) * m_spec->dilationW; // all padding before the sequence
    if (m_spec->padding == Padding::Same) {
        m_padTop = std::max<std::int64_t>(
                       (m_oh - 1) * m_spec->strideH + (m_spec->kernelH - 1) * m_spec->dilationH + 1 - m_h, 0) /
                   2;
        m_padLeft = std::max<std::int64_t>(
                        (m_ow - 1) * m_spec->strideW + (m_spec->kernelW - 1) * m_spec->dilationW + 1 - m_w, 0) /
                    2;
    }
    m_bias = m_spec->useBias ? m_spec->bias : Tensor();
    checkFinite(m_bias, "bias");
    if (m_spec->circulant) {
        m_k = m_spec->circulant->k;
        m_p = (m_cout + m_k - 1) / m_k;
        m_q = (m_cin + m_k - 1) / m_k;
        m_cinPadded = m_q * m_k;
        m_vectors = m_spec->circulant->vectors;
        checkFinite(m_vectors, "block-circulant defining vectors");
        const std::vector<float> big = toBigLayout(m_vectors.data());
        try {
            m_matrix.emplace(m_cout, m_taps * m_cinPadded, m_k, big);
        } catch (const Error& e) {
            throw Error(where() + e.what());
        }
    } else {
        m_cinPadded = m_cin;
        m_kernel = m_spec->kernel;
        checkFinite(m_kernel, "kernel");
    }
}

std::vector<float> Conv2DLayer::toBigLayout(const float* v) const
{
    const std::int64_t bigQ = m_taps * m_q;
    std::vector<float> big(static_cast<std::size_t>(m_p * bigQ * m_k));
    for (std::int64_t t = 0; t < m_taps; ++t)
        for (std::int64_t i = 0; i < m_p; ++i)
            for (std::int64_t j = 0; j < m_q; ++j)
                std::copy_n(v + ((t * m_p + i) * m_q + j) * m_k, m_k, big.data() + (i * bigQ + t * m_q + j) * m_k);
    return big;
}

void Conv2DLayer::fromBigLayout(const float* big, float* v) const
{
    const std::int64_t bigQ = m_taps * m_q;
    for (std::int64_t t = 0; t < m_taps; ++t)
        for (std::int64_t i = 0; i < m_p; ++i)
            for (std::int64_t j = 0; j < m_q; ++j)
                std::copy_n(big + (i * bigQ + t * m_q + j) * m_k, m_k, v + ((t * m_p + i) * m_q + j) * m_k);
}

void Conv2DLayer::parametersChanged()
{
    if (m_matrix)
        m_matrix->setVectors(toBigLayout(m_vectors.data()));
}

std::int64_t Conv2DLayer::imagesPerGroup() const
{
    return std::max<std::int64_t>(1, kMaxIm2colRows / (m_oh * m_ow));
}

void Conv2DLayer::im2col(const Tensor& x, std::int64_t first, std::int64_t count, float* cols) const
{
    const std::int64_t width = m_taps * m_cinPadded;
    std::int64_t row = 0;
    for (std::int64_t n = first; n < first + count; ++n)
        for (std::int64_t oi = 0; oi < m_oh; ++oi)
            for (std::int64_t oj = 0; oj < m_ow; ++oj, ++row) {
                float* c = cols + row * width;
                for (std::int64_t r = 0; r < m_spec->kernelH; ++r) {
                    const std::int64_t i = oi * m_spec->strideH - m_padTop + r * m_spec->dilationH;
                    for (std::int64_t s = 0; s < m_spec->kernelW; ++s) {
                        const std::int64_t j = oj * m_spec->strideW - m_padLeft + s * m_spec->dilationW;
                        float* dst = c + (r * m_spec->kernelW + s) * m_cinPadded;
                        if (i < 0 || i >= m_h || j < 0 || j >= m_w) {
                            std::fill_n(dst, m_cinPadded, 0.0f);
                        } else {
                            std::copy_n(x.data() + ((n * m_h + i) * m_w + j) * m_cin, m_cin, dst);
                            std::fill(dst + m_cin, dst + m_cinPadded, 0.0f);
                        }
                    }
                }
            }
}

void Conv2DLayer::col2im(const float* cols, std::int64_t first, std::int64_t count, Tensor& gx) const
{
    const std::int64_t width = m_taps * m_cinPadded;
    std::int64_t row = 0;
    for (std::int64_t n = first; n < first + count; ++n)
        for (std::int64_t oi = 0; oi < m_oh; ++oi)
            for (std::int64_t oj = 0; oj < m_ow; ++oj, ++row) {
                const float* c = cols + row * width;
                for (std::int64_t r = 0; r < m_spec->kernelH; ++r) {
                    const std::int64_t i = oi * m_spec->strideH - m_padTop + r * m_spec->dilationH;
                    if (i < 0 || i >= m_h)
                        continue;
                    for (std::int64_t s = 0; s < m_spec->kernelW; ++s) {
                        const std::int64_t j = oj * m_spec->strideW - m_padLeft + s * m_spec->dilationW;
                        if (j < 0 || j >= m_w)
                            continue;
                        const float* src = c + (r * m_spec->kernelW + s) * m_cinPadded;
                        float* dst = gx.data() + ((n * m_h + i) * m_w + j) * m_cin;
                        for (std::int64_t ch = 0; ch < m_cin; ++ch)
                            dst[ch] += src[ch];
                    }
                }
            }
}

void Conv2DLayer::im2colIndex(std::int64_t count, std::vector<std::int64_t>& index) const
{
    index.resize(static_cast<std::size_t>(count * m_oh * m_ow * m_taps));
    std::int64_t* out = index.data();
    for (std::int64_t n = 0; n < count; ++n)
        for (std::int64_t oi = 0; oi < m_oh; ++oi)
            for (std::int64_t oj = 0; oj < m_ow; ++oj)
                for (std::int64_t r = 0; r < m_spec->kernelH; ++r) {
                    const std::int64_t i = oi * m_spec->strideH - m_padTop + r * m_spec->dilationH;
                    for (std::int64_t s = 0; s < m_spec->kernelW; ++s) {
                        const std::int64_t j = oj * m_spec->strideW - m_padLeft + s * m_spec->dilationW;
                        *out++ = (i < 0 || i >= m_h || j < 0 || j >= m_w) ? -1 : (n * m_h + i) * m_w + j;
                    }
                }
}

void Conv2DLayer::linear(const Tensor& x, Tensor& z, std::vector<InputSpectra>* keep) const
{
    const std::int64_t batch = x.dim(0);
    z.resize(withBatch(batch, m_spec->outputShape));
    const std::int64_t width = m_taps * m_cinPadded;
    // Training keeps one InputSpectra per group of imagesPerGroup() (backward() walks the same
    // groups); inference takes smaller groups for cache locality.
    const std::int64_t group =
        m_matrix && !keep ? std::max<std::int64_t>(1, kGatherPixels / (m_h * m_w)) : imagesPerGroup();
    std::vector<float> cols;
    InputSpectra pixels;
    std::vector<std::int64_t> index;
    if (!m_matrix)
        cols.resize(static_cast<std::size_t>(std::min(group, batch) * m_oh * m_ow * width));
    if (keep)
        keep->resize(static_cast<std::size_t>((batch + group - 1) / group));
    for (std::int64_t first = 0; first < batch; first += group) {
        const std::int64_t count = std::min(group, batch - first);
        const std::int64_t rows = count * m_oh * m_ow;
        float* y = z.data() + first * m_oh * m_ow * m_cout;
        if (m_matrix) {
            // Each pixel of the group is transformed once; the im2col rows are gathered from the
            // pixel spectra (zero spectra for 'same' padding).
            m_matrix->prepareSegments(x.data() + first * m_h * m_w * m_cin, count * m_h * m_w, m_cin, m_cin,
                                      m_cinPadded, pixels);
            im2colIndex(count, index);
            if (keep) {
                InputSpectra& kept = (*keep)[static_cast<std::size_t>(first / group)];
                m_matrix->gatherSegments(pixels, index, rows, kept);
                m_matrix->multiply(kept, y);
            } else {
                m_matrix->multiplyGathered(pixels, index, rows, y);
            }
            continue;
        }
        im2col(x, first, count, cols.data());
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(m_cout),
                    static_cast<int>(width), 1.0f, cols.data(), static_cast<int>(width), m_kernel.data(),
                    static_cast<int>(m_cout), 0.0f, y, static_cast<int>(m_cout));
    }
    if (!m_bias.empty())
        for (std::int64_t i = 0; i < z.size(); i += m_cout)
            for (std::int64_t o = 0; o < m_cout; ++o)
                z[i + o] += m_bias[o];
}

void Conv2DLayer::forward(Inputs inputs, Tensor& out) const
{
    linear(*inputs[0], out);
    applyOwnActivation(out, nullptr, false, false);
}

void Conv2DLayer::forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937&, bool skipSoftmax) const
{
    linear(*inputs[0], out, m_matrix ? &cache.groupSpectra : nullptr);
    applyOwnActivation(out, &cache, skipSoftmax, true);
}

void Conv2DLayer::backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                           std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const
{
    const Tensor& x = *inputs[0];
    Tensor gz;
    ownActivationGradient(cache.aux.data(), output, outGrad, cache, gz);
    const std::int64_t batch = x.dim(0);
    const std::int64_t width = m_taps * m_cinPadded;
    const std::int64_t group = imagesPerGroup();
    const std::size_t scratch = static_cast<std::size_t>(std::min(group, batch) * m_oh * m_ow * width);
    std::vector<float> cols(scratch), gcols;
    Tensor* gx = inGrads[0];
    if (gx) {
        gx->resize(x.shape());
        gx->fill(0.0f);
        gcols.resize(scratch);
    }
    Tensor& gw = paramGrads[0];
    std::vector<float> bigGrad, bigPart;
    if (m_matrix) {
        gw.resize(m_vectors.shape());
        bigGrad.assign(static_cast<std::size_t>(m_vectors.size()), 0.0f);
        bigPart.resize(bigGrad.size());
    } else {
        gw.resize(m_kernel.shape());
        gw.fill(0.0f);
    }
    for (std::int64_t first = 0; first < batch; first += group) {
        const std::int64_t count = std::min(group, batch - first);
        const std::int64_t rows = count * m_oh * m_ow;
        const float* g = gz.data() + first * m_oh * m_ow * m_cout;
        const std::size_t gi = static_cast<std::size_t>(first / group);
        const bool kept = m_matrix && gi < cache.groupSpectra.size() && cache.groupSpectra[gi].batch() == rows;
        if (!kept)
            im2col(x, first, count, cols.data());
        if (m_matrix) {
            if (kept)
                m_matrix->vectorGradient(cache.groupSpectra[gi], g, rows, bigPart.data());
            else
                m_matrix->vectorGradient(cols.data(), g, rows, bigPart.data());
            for (std::size_t i = 0; i < bigGrad.size(); ++i)
                bigGrad[i] += bigPart[i];
            if (gx)
                m_matrix->multiplyTransposed(g, gcols.data(), rows);
        } else {
            // dK += colsᵀ · g ; dcols = g · Kᵀ
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(width), static_cast<int>(m_cout),
                        static_cast<int>(rows), 1.0f, cols.data(), static_cast<int>(width), g, static_cast<int>(m_cout),
                        1.0f, gw.data(), static_cast<int>(m_cout));
            if (gx)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(width),
                            static_cast<int>(m_cout), 1.0f, g, static_cast<int>(m_cout), m_kernel.data(),
                            static_cast<int>(m_cout), 0.0f, gcols.data(), static_cast<int>(width));
        }
        if (gx)
            col2im(gcols.data(), first, count, *gx);
    }
    if (m_matrix)
        fromBigLayout(bigGrad.data(), gw.data());
    if (!m_bias.empty())
        biasGradient(gz, m_cout, paramGrads[1]);
}

} // namespace circnn::nn
