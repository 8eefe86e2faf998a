#include "nn/Conv2DTransposeLayer.h"

#include <algorithm>
#include <cblas.h>

#include "common/Error.h"

namespace circnn::nn {

namespace {
constexpr std::int64_t kMaxColsFloats = std::int64_t(1) << 22; // bounds the scratch per group (16 MiB)
} // namespace

void Conv2DTransposeLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    const Shape& in = inputShapes.at(0);
    m_h = in[0];
    m_w = in[1];
    m_cin = in[2];
    m_oh = m_spec->outputShape[0];
    m_ow = m_spec->outputShape[1];
    m_cout = m_spec->units;
    m_taps = m_spec->kernelH * m_spec->kernelW;
    if (m_spec->padding == Padding::Same) {
        m_padTop = std::max<std::int64_t>(
                       (m_h - 1) * m_spec->strideH + (m_spec->kernelH - 1) * m_spec->dilationH + 1 - m_oh, 0) /
                   2;
        m_padLeft = std::max<std::int64_t>(
                        (m_w - 1) * m_spec->strideW + (m_spec->kernelW - 1) * m_spec->dilationW + 1 - m_ow, 0) /
                    2;
    }
    m_bias = m_spec->useBias ? m_spec->bias : Tensor();
    checkFinite(m_bias, "bias");
    if (m_spec->circulant) {
        const std::int64_t k = m_spec->circulant->k;
        m_coutPadded = (m_cout + k - 1) / k * k;
        m_vectors = m_spec->circulant->vectors;
        checkFinite(m_vectors, "block-circulant defining vectors");
        try {
            m_matrix.emplace(m_taps * m_coutPadded, m_cin, k,
                             std::span<const float>(m_vectors.data(), static_cast<std::size_t>(m_vectors.size())));
        } catch (const Error& e) {
            throw Error(where() + e.what());
        }
    } else {
        m_coutPadded = m_cout;
        m_kernel = m_spec->kernel;
        checkFinite(m_kernel, "kernel");
        parametersChanged();
    }
}

void Conv2DTransposeLayer::parametersChanged()
{
    if (m_matrix) {
        m_matrix->setVectors(std::span<const float>(m_vectors.data(), static_cast<std::size_t>(m_vectors.size())));
        return;
    }
    // Kmat[c][t·C_out + o] = K[t][o][c]
    const std::int64_t width = m_taps * m_cout;
    m_kmat.resize(static_cast<std::size_t>(m_cin * width));
    for (std::int64_t t = 0; t < m_taps; ++t)
        for (std::int64_t o = 0; o < m_cout; ++o)
            for (std::int64_t c = 0; c < m_cin; ++c)
                m_kmat[static_cast<std::size_t>(c * width + t * m_cout + o)] = m_kernel[(t * m_cout + o) * m_cin + c];
}

std::int64_t Conv2DTransposeLayer::target(std::int64_t i, std::int64_t j, std::int64_t t) const
{
    const std::int64_t r = t / m_spec->kernelW, s = t % m_spec->kernelW;
    const std::int64_t oi = i * m_spec->strideH - m_padTop + r * m_spec->dilationH;
    const std::int64_t oj = j * m_spec->strideW - m_padLeft + s * m_spec->dilationW;
    return oi < 0 || oi >= m_oh || oj < 0 || oj >= m_ow ? -1 : oi * m_ow + oj;
}

std::int64_t Conv2DTransposeLayer::pixelsPerGroup() const
{
    return std::max<std::int64_t>(1, kMaxColsFloats / (m_taps * m_coutPadded));
}

void Conv2DTransposeLayer::linear(const Tensor& x, Tensor& z) const
{
    const std::int64_t batch = x.dim(0), pixels = batch * m_h * m_w, width = m_taps * m_coutPadded;
    z.resize(withBatch(batch, m_spec->outputShape));
    z.fill(0.0f);
    const std::int64_t group = pixelsPerGroup();
    std::vector<float> cols(static_cast<std::size_t>(std::min(group, pixels) * width));
    for (std::int64_t first = 0; first < pixels; first += group) {
        const std::int64_t rows = std::min(group, pixels - first);
        const float* xs = x.data() + first * m_cin;
        if (m_matrix)
            m_matrix->multiply(xs, cols.data(), rows);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(width),
                        static_cast<int>(m_cin), 1.0f, xs, static_cast<int>(m_cin), m_kmat.data(),
                        static_cast<int>(width), 0.0f, cols.data(), static_cast<int>(width));
        for (std::int64_t row = 0; row < rows; ++row) {
            const std::int64_t pixel = first + row, n = pixel / (m_h * m_w), ij = pixel % (m_h * m_w);
            float* image = z.data() + n * m_oh * m_ow * m_cout;
            for (std::int64_t t = 0; t < m_taps; ++t) {
                const std::int64_t to = target(ij / m_w, ij % m_w, t);
                if (to < 0)
                    continue;
                const float* src = cols.data() + row * width + t * m_coutPadded;
                float* dst = image + to * m_cout;
                for (std::int64_t o = 0; o < m_cout; ++o)
                    dst[o] += src[o];
            }
        }
    }
    if (!m_bias.empty())
        for (std::int64_t i = 0; i < z.size(); i += m_cout)
            for (std::int64_t o = 0; o < m_cout; ++o)
                z[i + o] += m_bias[o];
}

void Conv2DTransposeLayer::forward(Inputs inputs, Tensor& out) const
{
    linear(*inputs[0], out);
    applyOwnActivation(out, nullptr, false, false);
}

void Conv2DTransposeLayer::forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937&,
                                        bool skipSoftmax) const
{
    linear(*inputs[0], out);
    applyOwnActivation(out, &cache, skipSoftmax, true);
}

void Conv2DTransposeLayer::backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                                    std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const
{
    const Tensor& x = *inputs[0];
    Tensor gz;
    ownActivationGradient(cache.aux.data(), output, outGrad, cache, gz);
    const std::int64_t batch = x.dim(0), pixels = batch * m_h * m_w, width = m_taps * m_coutPadded;
    const std::int64_t group = pixelsPerGroup();
    std::vector<float> gcols(static_cast<std::size_t>(std::min(group, pixels) * width));
    Tensor* gx = inGrads[0];
    if (gx)
        gx->resize(x.shape());
    Tensor& gw = paramGrads[0];
    std::vector<float> gkmat, part;
    if (m_matrix) {
        gw.resize(m_vectors.shape());
        gw.fill(0.0f);
        part.resize(static_cast<std::size_t>(m_vectors.size()));
    } else {
        gkmat.assign(static_cast<std::size_t>(m_cin * width), 0.0f);
    }
    for (std::int64_t first = 0; first < pixels; first += group) {
        const std::int64_t rows = std::min(group, pixels - first);
        // gcols[row][t·C_out' + o] = gz at the output pixel tap t of the row's pixel reached.
        std::fill(gcols.begin(), gcols.end(), 0.0f);
        for (std::int64_t row = 0; row < rows; ++row) {
            const std::int64_t pixel = first + row, n = pixel / (m_h * m_w), ij = pixel % (m_h * m_w);
            const float* image = gz.data() + n * m_oh * m_ow * m_cout;
            for (std::int64_t t = 0; t < m_taps; ++t) {
                const std::int64_t to = target(ij / m_w, ij % m_w, t);
                if (to >= 0)
                    std::copy_n(image + to * m_cout, m_cout, gcols.data() + row * width + t * m_coutPadded);
            }
        }
        const float* xs = x.data() + first * m_cin;
        if (m_matrix) {
            m_matrix->vectorGradient(xs, gcols.data(), rows, part.data());
            for (std::size_t i = 0; i < part.size(); ++i)
                gw.data()[i] += part[i];
            if (gx)
                m_matrix->multiplyTransposed(gcols.data(), gx->data() + first * m_cin, rows);
        } else {
            // dKmat += Xᵀ · gcols ; dX = gcols · Kmatᵀ
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(m_cin), static_cast<int>(width),
                        static_cast<int>(rows), 1.0f, xs, static_cast<int>(m_cin), gcols.data(),
                        static_cast<int>(width), 1.0f, gkmat.data(), static_cast<int>(width));
            if (gx)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(m_cin),
                            static_cast<int>(width), 1.0f, gcols.data(), static_cast<int>(width), m_kmat.data(),
                            static_cast<int>(width), 0.0f, gx->data() + first * m_cin, static_cast<int>(m_cin));
        }
    }
    if (!m_matrix) {
        gw.resize(m_kernel.shape());
        for (std::int64_t t = 0; t < m_taps; ++t)
            for (std::int64_t o = 0; o < m_cout; ++o)
                for (std::int64_t c = 0; c < m_cin; ++c)
                    gw[(t * m_cout + o) * m_cin + c] = gkmat[static_cast<std::size_t>(c * width + t * m_cout + o)];
    }
    if (!m_bias.empty())
        biasGradient(gz, m_cout, paramGrads[1]);
}

} // namespace circnn::nn
