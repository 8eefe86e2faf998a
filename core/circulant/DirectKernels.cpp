// Direct (time-domain) kernels: O(k²) per block straight from the defining vectors.
#include "circulant/CirculantKernels.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

namespace circnn::kernels {

namespace {
constexpr std::int64_t L = kLanes;
}

namespace {
void axpy(float alpha, const float* x, float* y, std::int64_t n)
{
    for (std::int64_t j = 0; j < n; ++j)
        y[j] += alpha * x[j];
}
} // namespace

namespace {
// R input rows at once: each weight vector load serves R FMAs. Partial sums per lane, reduced in a
// fixed order, so results do not depend on R.
template <int R>
void directForwardRows(const float* D, const float* xc, std::int64_t rowXc, std::int64_t m, std::int64_t k,
                       std::int64_t p, std::int64_t q, float* y)
{
    for (std::int64_t i = 0; i < p; ++i)
        for (std::int64_t r = 0; r < k && i * k + r < m; ++r) {
            float part[R][L] = {};
            float tail[R] = {};
            for (std::int64_t c = 0; c < k; ++c) {
                const float* a = D + (i * k + (r - c + k) % k) * q;
                const float* x = xc + c * q;
                std::int64_t j = 0;
                for (; j + L <= q; j += L)
                    for (int b = 0; b < R; ++b)
                        for (std::int64_t l = 0; l < L; ++l)
                            part[b][l] += a[j + l] * x[b * rowXc + j + l];
                for (; j < q; ++j)
                    for (int b = 0; b < R; ++b)
                        tail[b] += a[j] * x[b * rowXc + j];
            }
            for (int b = 0; b < R; ++b) {
                float sum = tail[b];
                for (std::int64_t l = 0; l < L; ++l)
                    sum += part[b][l];
                y[b * m + i * k + r] = sum;
            }
        }
}
} // namespace

void directForward(const float* D, const float* xc, std::int64_t rows, std::int64_t rowXc, std::int64_t m,
                   std::int64_t k, std::int64_t p, std::int64_t q, float* y)
{
    std::int64_t b = 0;
    for (; b + 4 <= rows; b += 4)
        directForwardRows<4>(D, xc + b * rowXc, rowXc, m, k, p, q, y + b * m);
    for (; b < rows; ++b)
        directForwardRows<1>(D, xc + b * rowXc, rowXc, m, k, p, q, y + b * m);
}

void directTransposedRow(const float* D, const float* g, std::int64_t m, std::int64_t k, std::int64_t p, std::int64_t q,
                         float* acc)
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
