#include "nn/DenseLayer.h"

#include <cblas.h>

#include "common/Error.h"
#include "common/Parallel.h"

namespace circnn::nn {

namespace {
// Training's dense products, when the trainer runs a mini-batch as one shard (a model made of
// large dense kernels, nn/training/Trainer.cpp), are split over the cores here: in fixed blocks of
// output columns, each the same BLAS call for any thread count (so results do not depend on it).
// Inside a parallelFor chunk (the trainer's per-thread shards, batched inference) they stay one call.
constexpr std::int64_t kColumnBlock = 512;
constexpr std::int64_t kSplitMinMultiplies = std::int64_t(1) << 24;

// C (rows × n, row-major, leading dimension ldc) = op(A) · op(B): op(A) is A (rows × depth, lda) or,
// with transA, Aᵀ for A (depth × rows, lda); op(B) is B (depth × n, ldb) or, with transB, Bᵀ for
// B (n × depth, ldb).
void trainingProduct(bool transA, bool transB, std::int64_t rows, std::int64_t n, std::int64_t depth, const float* a,
                     std::int64_t lda, const float* b, std::int64_t ldb, float* c, std::int64_t ldc)
{
    const auto columns = [&](std::int64_t c0, std::int64_t c1) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    static_cast<int>(rows), static_cast<int>(c1 - c0), static_cast<int>(depth), 1.0f, a,
                    static_cast<int>(lda), transB ? b + c0 * ldb : b + c0, static_cast<int>(ldb), 0.0f, c + c0,
                    static_cast<int>(ldc));
    };
    if (insideParallelFor() || rows * n * depth < kSplitMinMultiplies) {
        columns(0, n);
        return;
    }
    const std::size_t blocks = static_cast<std::size_t>((n + kColumnBlock - 1) / kColumnBlock);
    parallelFor(blocks, [&](std::size_t b0, std::size_t b1) {
        for (std::size_t blk = b0; blk < b1; ++blk) {
            const std::int64_t c0 = static_cast<std::int64_t>(blk) * kColumnBlock;
            columns(c0, std::min(n, c0 + kColumnBlock));
        }
    });
}
} // namespace

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
        const Tensor& x = *inputs[0];
        Shape s = x.shape();
        s.back() = m_out;
        out.resize(s);
        const std::int64_t rows = x.size() / m_in;
        trainingProduct(false, false, rows, m_out, m_in, x.data(), m_in, m_kernel.data(), m_out, out.data(), m_out);
        addBias(out, rows);
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
        trainingProduct(true, false, m_in, m_out, rows, x.data(), m_in, gz.data(), m_out, paramGrads[0].data(), m_out);
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
            trainingProduct(false, true, rows, m_in, m_out, gz.data(), m_out, m_kernel.data(), m_out, gx.data(), m_in);
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
