#include "circulant/PerBinGemmReference.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "common/Error.h"

namespace circnn {

PerBinGemmReference::PerBinGemmReference(std::int64_t rows, std::int64_t cols, std::int64_t k,
                                         std::span<const float> vectors, std::int64_t batch)
    : m_m(rows), m_n(cols), m_k(k), m_p((rows + k - 1) / k), m_q((cols + k - 1) / k), m_batch(batch), m_bins(k / 2 + 1)
{
    if (rows < 1 || cols < 1 || k < 1 || batch < 1)
        throw ShapeError("PerBinGemmReference: bad shape " + std::to_string(rows) + "x" + std::to_string(cols) +
                         ", k = " + std::to_string(k) + ", batch " + std::to_string(batch));
    if (static_cast<std::int64_t>(vectors.size()) != m_p * m_q * k)
        throw ShapeError("PerBinGemmReference: expected " + std::to_string(m_p * m_q * k) +
                         " defining-vector values, got " + std::to_string(vectors.size()));
    // Weight spectra in double precision, one DFT per block (setup cost is not what is measured).
    m_weights.assign(static_cast<std::size_t>(2 * m_bins * m_q * m_p), 0.0f);
    const double twoPi = 6.283185307179586476925286766559;
    std::vector<double> c(static_cast<std::size_t>(k)), s(static_cast<std::size_t>(k));
    for (std::int64_t t = 0; t < k; ++t) {
        c[t] = std::cos(twoPi * static_cast<double>(t) / static_cast<double>(k));
        s[t] = std::sin(twoPi * static_cast<double>(t) / static_cast<double>(k));
    }
    for (std::int64_t i = 0; i < m_p; ++i)
        for (std::int64_t j = 0; j < m_q; ++j) {
            const float* w = vectors.data() + (i * m_q + j) * k;
            for (std::int64_t f = 0; f < m_bins; ++f) {
                double re = 0, im = 0;
                for (std::int64_t t = 0; t < k; ++t) {
                    const std::int64_t a = (f * t) % k;
                    re += w[t] * c[a];
                    im -= w[t] * s[a];
                }
                float* o = &m_weights[2 * ((f * m_q + j) * m_p + i)];
                o[0] = static_cast<float>(re / static_cast<double>(k));
                o[1] = static_cast<float>(im / static_cast<double>(k));
            }
        }
    m_xSpec.assign(static_cast<std::size_t>(2 * m_bins * batch * m_q), 0.0f);
    m_ySpec.assign(static_cast<std::size_t>(2 * m_bins * batch * m_p), 0.0f);
    if (m_n % k)
        m_xPad.assign(static_cast<std::size_t>(batch * m_q * k), 0.0f);
    if (m_m % k)
        m_yPad.assign(static_cast<std::size_t>(batch * m_p * k), 0.0f);

    // Plans on scratch arrays of the same alignment (MEASURE overwrites them), executed on new arrays.
    const int n = static_cast<int>(k);
    AlignedVector<float> realIn(static_cast<std::size_t>(batch * m_q * k)),
        realOut(static_cast<std::size_t>(batch * m_p * k));
    std::lock_guard planner(fftwPlannerMutex());
    m_forward = std::make_unique<FftwPlan>(fftwf_plan_many_dft_r2c(
        1, &n, static_cast<int>(batch * m_q), realIn.data(), nullptr, 1, n,
        reinterpret_cast<fftwf_complex*>(m_xSpec.data()), nullptr, static_cast<int>(batch * m_q), 1, FFTW_MEASURE));
    m_inverse = std::make_unique<FftwPlan>(fftwf_plan_many_dft_c2r(
        1, &n, static_cast<int>(batch * m_p), reinterpret_cast<fftwf_complex*>(m_ySpec.data()), nullptr,
        static_cast<int>(batch * m_p), 1, realOut.data(), nullptr, 1, n, FFTW_MEASURE | FFTW_DESTROY_INPUT));
    if (!*m_forward || !*m_inverse)
        throw Error("PerBinGemmReference: FFTW could not plan transforms of length " + std::to_string(k));
}

PerBinGemmReference::~PerBinGemmReference()
{
    // FftwPlan's destructor takes the planner lock itself.
    m_forward.reset();
    m_inverse.reset();
}

void PerBinGemmReference::multiply(const float* x, float* y)
{
    const float* in = x;
    if (!m_xPad.empty()) {
        for (std::int64_t b = 0; b < m_batch; ++b)
            std::memcpy(&m_xPad[b * m_q * m_k], x + b * m_n, sizeof(float) * m_n);
        in = m_xPad.data();
    }
    m_forward->executeR2c(const_cast<float*>(in), reinterpret_cast<fftwf_complex*>(m_xSpec.data()));
    const float one[2] = {1.0f, 0.0f}, zero[2] = {0.0f, 0.0f};
    const int b = static_cast<int>(m_batch), p = static_cast<int>(m_p), q = static_cast<int>(m_q);
    for (std::int64_t f = 0; f < m_bins; ++f)
        cblas_cgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, p, q, one, &m_xSpec[2 * f * m_batch * m_q], q,
                    &m_weights[2 * f * m_q * m_p], p, zero, &m_ySpec[2 * f * m_batch * m_p], p);
    float* out = m_yPad.empty() ? y : m_yPad.data();
    m_inverse->executeC2r(reinterpret_cast<fftwf_complex*>(m_ySpec.data()), out);
    if (!m_yPad.empty())
        for (std::int64_t r = 0; r < m_batch; ++r)
            std::memcpy(y + r * m_m, &m_yPad[r * m_p * m_k], sizeof(float) * m_m);
}

} // namespace circnn
