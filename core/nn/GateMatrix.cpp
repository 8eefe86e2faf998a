#include "nn/GateMatrix.h"

#include <cblas.h>

namespace circnn::nn {

void GateMatrix::setDense(const float* kernel, std::int64_t n, std::int64_t m)
{
    m_kernel = kernel;
    m_n = n;
    m_m = m;
    m_matrix.reset();
}

void GateMatrix::setCirculant(std::int64_t n, std::int64_t m, std::int64_t k, std::span<const float> vectors)
{
    m_kernel = nullptr;
    m_n = n;
    m_m = m;
    m_matrix.emplace(m, n, k, vectors);
}

void GateMatrix::multiply(const float* x, float* y, std::int64_t rows, InputSpectra* keep) const
{
    if (rows == 0)
        return;
    if (m_matrix) {
        if (keep)
            m_matrix->multiply(x, y, rows, *keep);
        else
            m_matrix->multiply(x, y, rows);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<int>(rows), static_cast<int>(m_m),
                static_cast<int>(m_n), 1.0f, x, static_cast<int>(m_n), m_kernel, static_cast<int>(m_m), 0.0f, y,
                static_cast<int>(m_m));
}

void GateMatrix::multiplyTransposed(const float* gy, float* gx, std::int64_t rows) const
{
    if (rows == 0)
        return;
    if (m_matrix) {
        m_matrix->multiplyTransposed(gy, gx, rows);
        return;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(m_n),
                static_cast<int>(m_m), 1.0f, gy, static_cast<int>(m_m), m_kernel, static_cast<int>(m_m), 0.0f, gx,
                static_cast<int>(m_n));
}

void GateMatrix::gradient(const float* x, const float* gy, std::int64_t rows, float* grad,
                          const InputSpectra* keep) const
{
    if (m_matrix) {
        if (keep && keep->batch() == rows)
            m_matrix->vectorGradient(*keep, gy, rows, grad);
        else
            m_matrix->vectorGradient(x, gy, rows, grad);
        return;
    }
    // dK = xᵀ · gy  (n × m)
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(m_n), static_cast<int>(m_m),
                static_cast<int>(rows), 1.0f, x, static_cast<int>(m_n), gy, static_cast<int>(m_m), 0.0f, grad,
                static_cast<int>(m_m));
}

} // namespace circnn::nn
