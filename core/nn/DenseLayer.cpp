#include "nn/DenseLayer.h"

#include <cblas.h>

#include "common/Error.h"

namespace circnn::nn {

void DenseLayer::prepare(const std::vector<Shape>& inputShapes)
{
    Layer::prepare(inputShapes);
    m_in = inputShapes.at(0).back();
    m_out = m_spec->units;
    m_bias = m_spec->useBias ? m_spec->bias : Tensor();
    checkFinite(m_bias, "bias");
    if (m_spec->circulant) {
        m_vectors = m_spec->circulant->vectors;
        checkFinite(m_vectors, "block-circulant defining vectors");
        try {
            m_matrix.emplace(m_out, m_in, m_spec->circulant->k,
                             std::span<const float>(m_vectors.data(), static_cast<std::size_t>(m_vectors.size())));
        } catch (const Error& e) {
            throw Error(where() + e.what());
        }
    } else {
        m_kernel = m_spec->kernel;
        checkFinite(m_kernel, "kernel");
    }
}

void DenseLayer::parametersChanged()
{
    if (m_matrix)
        m_matrix->setVectors({m_vectors.data(), static_cast<std::size_t>(m_vectors.size())});
}

void DenseLayer::linear(const Tensor& x, Tensor& z) const
{
    Shape s = x.shape();
    s.back() = m_out;
    z.resize(s);
    const std::int64_t rows = x.size() / m_in;
    if (m_matrix) {
        m_matrix->multiply(x.data(), z.data(), rows);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(m_out),
                    static_cast<int>(m_in), 1.0f, x.data(), static_cast<int>(m_in), m_kernel.data(),
                    static_cast<int>(m_out), 0.0f, z.data(), static_cast<int>(m_out));
    }
    addBias(z, rows);
}

void DenseLayer::addBias(Tensor& z, std::int64_t rows) const
{
    if (!m_bias.empty())
        for (std::int64_t r = 0; r < rows; ++r) {
            float* zr = z.data() + r * m_out;
            for (std::int64_t o = 0; o < m_out; ++o)
                zr[o] += m_bias[o];
        }
}

void DenseLayer::forward(Inputs inputs, Tensor& out) const
{
    linear(*inputs[0], out);
    applyOwnActivation(out, nullptr, false, false);
}

void DenseLayer::forwardTrain(Inputs inputs, Tensor& out, LayerCache& cache, std::mt19937&, bool skipSoftmax) const
{
    if (m_matrix) {
        // Same product as linear(), keeping the input spectra for vectorGradient() in backward().
        const Tensor& x = *inputs[0];
        Shape s = x.shape();
        s.back() = m_out;
        out.resize(s);
        const std::int64_t rows = x.size() / m_in;
        m_matrix->multiply(x.data(), out.data(), rows, cache.spectra);
        addBias(out, rows);
    } else {
        linear(*inputs[0], out);
    }
    applyOwnActivation(out, &cache, skipSoftmax, true);
}

void DenseLayer::backward(Inputs inputs, const Tensor& output, const Tensor& outGrad, const LayerCache& cache,
                          std::span<Tensor* const> inGrads, std::span<Tensor> paramGrads) const
{
    const Tensor& x = *inputs[0];
    Tensor gz;
    ownActivationGradient(cache.aux.data(), output, outGrad, cache, gz);
    const std::int64_t rows = x.size() / m_in;
    const int r = static_cast<int>(rows), in = static_cast<int>(m_in), out = static_cast<int>(m_out);
    const bool deferKernel = cache.deferKernelGradient && !m_matrix;
    if (m_matrix) {
        paramGrads[0].resize(m_vectors.shape());
        if (cache.spectra.batch() == rows)
            m_matrix->vectorGradient(cache.spectra, gz.data(), rows, paramGrads[0].data());
        else
            m_matrix->vectorGradient(x.data(), gz.data(), rows, paramGrads[0].data());
    } else if (!deferKernel) {
        paramGrads[0].resize({m_in, m_out});
        // dK = xᵀ · gz  (in × out)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, r, 1.0f, x.data(), in, gz.data(), out, 0.0f,
                    paramGrads[0].data(), out);
    }
    if (!m_bias.empty()) {
        std::vector<double> acc(static_cast<std::size_t>(m_out), 0.0);
        for (std::int64_t i = 0; i < rows; ++i)
            for (std::int64_t o = 0; o < m_out; ++o)
                acc[static_cast<std::size_t>(o)] += gz[i * m_out + o];
        paramGrads[1].resize({m_out});
        for (std::int64_t o = 0; o < m_out; ++o)
            paramGrads[1][o] = static_cast<float>(acc[static_cast<std::size_t>(o)]);
    }
    if (inGrads[0]) {
        Tensor& gx = *inGrads[0];
        gx.resize(x.shape());
        if (m_matrix)
            m_matrix->multiplyTransposed(gz.data(), gx.data(), rows);
        else // dx = gz · Kᵀ
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r, in, out, 1.0f, gz.data(), out, m_kernel.data(), out,
                        0.0f, gx.data(), in);
    }
    if (deferKernel) { // the caller forms dK = xᵀ·gz (Layer::deferrableKernelSize())
        gz.reshape({rows, m_out});
        paramGrads[0] = std::move(gz);
    }
}

std::int64_t DenseLayer::deferrableKernelSize() const
{
    return m_matrix ? 0 : m_in * m_out;
}

} // namespace circnn::nn
