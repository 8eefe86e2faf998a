#include "circulant/CirculantKernels.h"

#include <cstring>

namespace circnn::kernels {

namespace {
constexpr std::int64_t L = kLanes;
}

void expandSpectra(const float* split, std::int64_t blocks, std::int64_t groups, float* out)
{
    for (std::int64_t b = 0; b < blocks; ++b)
        for (std::int64_t v = 0; v < groups; ++v) {
            const float* s = split + (b * groups + v) * 2 * L;
            float* o = out + (b * groups + v) * 3 * L;
            for (std::int64_t l = 0; l < L; ++l) {
                o[l] = s[l];
                o[L + l] = s[L + l];
                o[2 * L + l] = s[l];
            }
            if (v == 0) {
                o[L] = 0.0f;
                o[2 * L] = s[L];
            }
        }
}

void expandConjugateSpectra(const float* split, std::int64_t blocks, std::int64_t groups, float* out)
{
    for (std::int64_t b = 0; b < blocks; ++b)
        for (std::int64_t v = 0; v < groups; ++v) {
            const float* s = split + (b * groups + v) * 2 * L;
            float* o = out + (b * groups + v) * 3 * L;
            for (std::int64_t l = 0; l < L; ++l) {
                o[l] = s[l];
                o[L + l] = s[L + l];
                o[2 * L + l] = -s[l];
            }
            if (v == 0) {
                o[L] = 0.0f;
                o[2 * L] = s[L];
            }
        }
}

void forwardRows(const float* weights, const float* xs, std::int64_t rows, std::int64_t rowStride, std::int64_t p,
                 std::int64_t q, std::int64_t groups, float* acc, std::int64_t accStride)
{
    for (std::int64_t r = 0; r < rows; ++r) {
        const float* x = xs + r * rowStride;
        for (std::int64_t i = 0; i < p; ++i)
            for (std::int64_t v = 0; v < groups; ++v) {
                float re[L] = {}, im[L] = {};
                const float* w = weights + (i * groups + v) * q * 2 * L;
                for (std::int64_t j = 0; j < q; ++j) {
                    const float* wt = w + j * 2 * L;
                    const float* xt = x + (j * groups + v) * 3 * L;
                    for (std::int64_t l = 0; l < L; ++l) {
                        re[l] += wt[l] * xt[l] - wt[L + l] * xt[L + l];
                        im[l] += wt[l] * xt[L + l] + wt[L + l] * xt[2 * L + l];
                    }
                }
                float* a = acc + r * accStride + (i * groups + v) * 2 * L;
                std::memcpy(a, re, sizeof re);
                std::memcpy(a + L, im, sizeof im);
            }
    }
}

void transposedRow(const float* weights, const float* gs, std::int64_t p, std::int64_t q, std::int64_t groups,
                   float* acc)
{
    std::memset(acc, 0, sizeof(float) * q * groups * 2 * L);
    for (std::int64_t i = 0; i < p; ++i)
        for (std::int64_t v = 0; v < groups; ++v) {
            const float* w = weights + (i * groups + v) * q * 2 * L;
            const float* gt = gs + (i * groups + v) * 3 * L;
            for (std::int64_t j = 0; j < q; ++j) {
                const float* wt = w + j * 2 * L;
                float* a = acc + (j * groups + v) * 2 * L;
                for (std::int64_t l = 0; l < L; ++l) {
                    a[l] += wt[l] * gt[l] + wt[L + l] * gt[L + l];
                    a[L + l] += wt[l] * gt[L + l] + wt[L + l] * gt[2 * L + l];
                }
            }
        }
}

void gradientRow(const float* gsplit, std::int64_t gStride, const float* xs, std::int64_t xStride,
                 std::int64_t batch, std::int64_t q, std::int64_t groups, float* acc)
{
    for (std::int64_t j = 0; j < q; ++j)
        for (std::int64_t v = 0; v < groups; ++v) {
            float re[L] = {}, im[L] = {};
            for (std::int64_t b = 0; b < batch; ++b) {
                const float* gt = gsplit + b * gStride + v * 2 * L;
                const float* xt = xs + b * xStride + (j * groups + v) * 3 * L;
                for (std::int64_t l = 0; l < L; ++l) {
                    re[l] += gt[l] * xt[l] + gt[L + l] * xt[L + l];
                    im[l] += gt[L + l] * xt[2 * L + l] - gt[l] * xt[L + l];
                }
            }
            float* a = acc + (j * groups + v) * 2 * L;
            std::memcpy(a, re, sizeof re);
            std::memcpy(a + L, im, sizeof im);
        }
}

namespace {
// Σ_j a[j]·b[j] with kLanes independent partial sums (vectorisable, deterministic order).
float dot(const float* a, const float* b, std::int64_t n)
{
    float part[L] = {};
    std::int64_t j = 0;
    for (; j + L <= n; j += L)
        for (std::int64_t l = 0; l < L; ++l)
            part[l] += a[j + l] * b[j + l];
    float s = 0.0f;
    for (; j < n; ++j)
        s += a[j] * b[j];
    for (std::int64_t l = 0; l < L; ++l)
        s += part[l];
    return s;
}

void axpy(float alpha, const float* x, float* y, std::int64_t n)
{
    for (std::int64_t j = 0; j < n; ++j)
        y[j] += alpha * x[j];
}
} // namespace

void directForward(const float* D, const float* xc, std::int64_t rows, std::int64_t rowXc, std::int64_t m,
                   std::int64_t k, std::int64_t p, std::int64_t q, float* y)
{
    for (std::int64_t b = 0; b < rows; ++b) {
        const float* x = xc + b * rowXc;
        for (std::int64_t i = 0; i < p; ++i)
            for (std::int64_t r = 0; r < k && i * k + r < m; ++r) {
                float s = 0.0f;
                for (std::int64_t c = 0; c < k; ++c)
                    s += dot(D + (i * k + (r - c + k) % k) * q, x + c * q, q);
                y[b * m + i * k + r] = s;
            }
    }
}

void directTransposedRow(const float* D, const float* g, std::int64_t m, std::int64_t k, std::int64_t p,
                         std::int64_t q, float* acc)
{
    std::memset(acc, 0, sizeof(float) * k * q);
    for (std::int64_t i = 0; i < p; ++i)
        for (std::int64_t r = 0; r < k && i * k + r < m; ++r) {
            const float gv = g[i * k + r];
            for (std::int64_t c = 0; c < k; ++c)
                axpy(gv, D + (i * k + (r - c + k) % k) * q, acc + c * q, q);
        }
}

void directGradient(const float* xc, std::int64_t rowXc, const float* g, std::int64_t batch, std::int64_t m,
                    std::int64_t k, std::int64_t p, std::int64_t q, float* acc)
{
    for (std::int64_t b = 0; b < batch; ++b) {
        const float* x = xc + b * rowXc;
        for (std::int64_t i = 0; i < p; ++i)
            for (std::int64_t r = 0; r < k && i * k + r < m; ++r) {
                const float gv = g[b * m + i * k + r];
                for (std::int64_t d = 0; d < k; ++d)
                    axpy(gv, x + ((r - d + k) % k) * q, acc + (i * k + d) * q, q);
            }
    }
}

} // namespace circnn::kernels
