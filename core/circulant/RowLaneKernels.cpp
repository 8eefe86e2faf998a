// Row-lane FFT kernels (SIMD lanes over output block rows, one slot at a time): forward and transposed products.
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

// xsl[s][j][b][3] = (xr, xb, xc) of slot s, input block j, row b: compact per-slot inputs so that a
// row-lane tile reads 3·R consecutive floats per j.
void gatherSlots(const float* xs, std::int64_t rows, std::int64_t rowStride, std::int64_t q, std::int64_t groups,
                 std::int64_t slots, float* xsl)
{
    for (std::int64_t b = 0; b < rows; ++b) {
        const float* x = xs + b * rowStride;
        for (std::int64_t j = 0; j < q; ++j)
            for (std::int64_t s = 0; s < slots; ++s) {
                const float* t = x + (j * groups + s / L) * 3 * L + s % L;
                float* o = xsl + ((s * q + j) * rows + b) * 3;
                o[0] = t[0];
                o[1] = t[L];
                o[2] = t[2 * L];
            }
    }
}

// G groups of kLanes block rows (weight stripes wGStride apart) × R input rows, one slot, all j.
// Inputs of row b, block j at x + j·xStride + b·bStride (3 floats: xr, xb, xc).
template <int G, int R>
void rowLaneTile(const float* w, std::int64_t wGStride, const float* x, std::int64_t xStride, std::int64_t bStride,
                 std::int64_t q, float (*re)[L], float (*im)[L])
{
#if defined(__AVX2__) && defined(__FMA__)
    __m256 vr[G][R], vi[G][R];
    for (int g = 0; g < G; ++g)
        for (int b = 0; b < R; ++b)
            vr[g][b] = vi[g][b] = _mm256_setzero_ps();
    for (std::int64_t j = 0; j < q; ++j) {
        __m256 wr[G], wi[G];
        for (int g = 0; g < G; ++g) {
            wr[g] = _mm256_load_ps(w + g * wGStride + j * 2 * L);
            wi[g] = _mm256_load_ps(w + g * wGStride + j * 2 * L + L);
        }
        const float* xj = x + j * xStride;
        for (int b = 0; b < R; ++b) {
            const float* xt = xj + b * bStride;
            const __m256 xr = _mm256_broadcast_ss(xt), xb = _mm256_broadcast_ss(xt + 1),
                         xc = _mm256_broadcast_ss(xt + 2);
            for (int g = 0; g < G; ++g) {
                vr[g][b] = _mm256_fmadd_ps(wr[g], xr, vr[g][b]);
                vr[g][b] = _mm256_fnmadd_ps(wi[g], xb, vr[g][b]);
                vi[g][b] = _mm256_fmadd_ps(wr[g], xb, vi[g][b]);
                vi[g][b] = _mm256_fmadd_ps(wi[g], xc, vi[g][b]);
            }
        }
    }
    for (int g = 0; g < G; ++g)
        for (int b = 0; b < R; ++b) {
            _mm256_storeu_ps(re[g * R + b], vr[g][b]);
            _mm256_storeu_ps(im[g * R + b], vi[g][b]);
        }
#else
    for (int t = 0; t < G * R; ++t)
        for (std::int64_t l = 0; l < L; ++l)
            re[t][l] = im[t][l] = 0.0f;
    for (std::int64_t j = 0; j < q; ++j) {
        const float* xj = x + j * xStride;
        for (int g = 0; g < G; ++g) {
            const float* wt = w + g * wGStride + j * 2 * L;
            for (int b = 0; b < R; ++b)
                for (std::int64_t l = 0; l < L; ++l) {
                    const float* xt = xj + b * bStride;
                    re[g * R + b][l] += wt[l] * xt[0] - wt[L + l] * xt[1];
                    im[g * R + b][l] += wt[l] * xt[1] + wt[L + l] * xt[2];
                }
        }
    }
#endif
}

template <int G, int R>
void rowLaneRows(const float* w, std::int64_t wGStride, const float* xsl, std::int64_t rowStride,
                 std::int64_t blockStride, std::int64_t b0, std::int64_t q, std::int64_t ig0, std::int64_t p,
                 std::int64_t groups, std::int64_t s, float* acc, std::int64_t accStride)
{
    alignas(32) float re[G * R][L], im[G * R][L];
    rowLaneTile<G, R>(w, wGStride, xsl + b0 * rowStride, blockStride, rowStride, q, re, im);
    const std::int64_t v = s / L, l = s % L;
    for (int g = 0; g < G; ++g)
        for (int b = 0; b < R; ++b)
            for (std::int64_t t = 0; t < L && (ig0 + g) * L + t < p; ++t) {
                float* a = acc + (b0 + b) * accStride + (((ig0 + g) * L + t) * groups + v) * 2 * L + l;
                a[0] = re[g * R + b][t];
                a[L] = im[g * R + b][t];
            }
}

} // namespace

void forwardRowLanes(const float* wrl, const float* xs, std::int64_t rows, std::int64_t rowStride, std::int64_t p,
                     std::int64_t q, std::int64_t groups, std::int64_t slots, float* acc, std::int64_t accStride)
{
    thread_local std::vector<float> xslBuffer;
    if (static_cast<std::int64_t>(xslBuffer.size()) < slots * q * rows * 3)
        xslBuffer.resize(static_cast<std::size_t>(slots * q * rows * 3));
    float* xsl = xslBuffer.data();
    gatherSlots(xs, rows, rowStride, q, groups, slots, xsl);
    forwardRowLanesCompact(wrl, xsl, rows, q * rows * 3, 3, rows * 3, p, q, groups, slots, acc, accStride);
}

void forwardRowLanesCompact(const float* wrl, const float* xsl, std::int64_t rows, std::int64_t slotStride,
                            std::int64_t xRowStride, std::int64_t blockStride, std::int64_t p, std::int64_t q,
                            std::int64_t groups, std::int64_t slots, float* acc, std::int64_t accStride)
{
    const std::int64_t pGroups = (p + L - 1) / L;
    for (std::int64_t s = 0; s < slots; ++s) {
        const float* xs_s = xsl + s * slotStride;
        const float* ws = wrl + s * pGroups * q * 2 * L;
        const std::int64_t stripe = q * 2 * L;
        // Batch rows in fours share each weight load; a single row instead takes four row groups at
        // once (four weight streams in flight, which a lone stream cannot keep the memory bus busy with).
        const std::int64_t full = rows / 4 * 4;
        for (std::int64_t ig = 0; ig < pGroups; ++ig) // the stripe stays in L2 across the row quads
            for (std::int64_t b = 0; b < full; b += 4)
                rowLaneRows<1, 4>(ws + ig * stripe, stripe, xs_s, xRowStride, blockStride, b, q, ig, p, groups, s, acc,
                                  accStride);
        for (std::int64_t b = full; b < rows; ++b) {
            std::int64_t ig = 0;
            for (; ig + 4 <= pGroups; ig += 4)
                rowLaneRows<4, 1>(ws + ig * stripe, stripe, xs_s, xRowStride, blockStride, b, q, ig, p, groups, s, acc,
                                  accStride);
            for (; ig < pGroups; ++ig)
                rowLaneRows<1, 1>(ws + ig * stripe, stripe, xs_s, xRowStride, blockStride, b, q, ig, p, groups, s, acc,
                                  accStride);
        }
    }
}

void transposedRowLanes(const float* wrl, const float* gs, std::int64_t p, std::int64_t q, std::int64_t groups,
                        std::int64_t slots, float* acc)
{
    std::memset(acc, 0, sizeof(float) * q * groups * 2 * L);
    const std::int64_t pGroups = (p + L - 1) / L;
    // gsl[s][ig][3][L]: the conjugate-expanded gradient of slot s for kLanes block rows, so one
    // vector serves kLanes rows; rows >= p are zero.
    thread_local std::vector<float> gslBuffer;
    if (static_cast<std::int64_t>(gslBuffer.size()) < slots * pGroups * 3 * L)
        gslBuffer.resize(static_cast<std::size_t>(slots * pGroups * 3 * L));
    float* gsl = gslBuffer.data();
    std::memset(gsl, 0, sizeof(float) * slots * pGroups * 3 * L);
    for (std::int64_t i = 0; i < p; ++i)
        for (std::int64_t s = 0; s < slots; ++s) {
            const float* g = gs + (i * groups + s / L) * 3 * L + s % L;
            float* o = gsl + (s * pGroups + i / L) * 3 * L + i % L;
            o[0] = g[0];
            o[L] = g[L];
            o[2 * L] = g[2 * L];
        }
    for (std::int64_t s = 0; s < slots; ++s) {
        const std::int64_t v = s / L, l = s % L;
        for (std::int64_t j = 0; j < q; ++j) {
            float re[L] = {}, im[L] = {};
            for (std::int64_t ig = 0; ig < pGroups; ++ig) {
                const float* wt = wrl + ((s * pGroups + ig) * q + j) * 2 * L;
                const float* g = gsl + (s * pGroups + ig) * 3 * L;
                for (std::int64_t t = 0; t < L; ++t) {
                    re[t] += wt[t] * g[t] + wt[L + t] * g[L + t];
                    im[t] += wt[t] * g[L + t] + wt[L + t] * g[2 * L + t];
                }
            }
            float sr = 0.0f, si = 0.0f;
            for (std::int64_t t = 0; t < L; ++t) {
                sr += re[t];
                si += im[t];
            }
            float* a = acc + (j * groups + v) * 2 * L + l;
            a[0] = sr;
            a[L] = si;
        }
    }
}

} // namespace circnn::kernels
