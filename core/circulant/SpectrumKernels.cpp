// Spectrum helpers shared by the FFT layouts: expanded spectra and the batch-major gradient.
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

namespace {
#if defined(__AVX2__) && defined(__FMA__)
// I block rows × J input blocks, one tile group, summed over the batch: per row 2·I + 3·J loads, 4·I·J FMAs.
template <int I, int J>
inline void gradientTile(const float* g, std::int64_t gIStride, const float* x, std::int64_t xJStride,
                         std::int64_t batch, float* acc, std::int64_t accIStride, std::int64_t accJStride)
{
    __m256 re[I][J], im[I][J];
    for (int a = 0; a < I; ++a)
        for (int c = 0; c < J; ++c)
            re[a][c] = im[a][c] = _mm256_setzero_ps();
    for (std::int64_t b = 0; b < batch; ++b) {
        __m256 gr[I], gi[I];
        for (int a = 0; a < I; ++a) {
            gr[a] = _mm256_load_ps(g + a * gIStride + b * 2 * L);
            gi[a] = _mm256_load_ps(g + a * gIStride + b * 2 * L + L);
        }
        for (int c = 0; c < J; ++c) {
            const float* xt = x + c * xJStride + b * 3 * L;
            const __m256 xr = _mm256_load_ps(xt), xb = _mm256_load_ps(xt + L), xc = _mm256_load_ps(xt + 2 * L);
            for (int a = 0; a < I; ++a) {
                re[a][c] = _mm256_fmadd_ps(gr[a], xr, re[a][c]);
                re[a][c] = _mm256_fmadd_ps(gi[a], xb, re[a][c]);
                im[a][c] = _mm256_fmadd_ps(gi[a], xc, im[a][c]);
                im[a][c] = _mm256_fnmadd_ps(gr[a], xb, im[a][c]);
            }
        }
    }
    for (int a = 0; a < I; ++a)
        for (int c = 0; c < J; ++c) {
            float* o = acc + a * accIStride + c * accJStride;
            _mm256_store_ps(o, re[a][c]);
            _mm256_store_ps(o + L, im[a][c]);
        }
}

template <int I>
void gradientRowGroup(const float* gT, const float* xT, std::int64_t batch, std::int64_t i0, std::int64_t q,
                      std::int64_t groups, float* acc)
{
    const std::int64_t gIStride = groups * batch * 2 * L, xJStride = groups * batch * 3 * L;
    const std::int64_t accIStride = q * groups * 2 * L, accJStride = groups * 2 * L;
    for (std::int64_t v = 0; v < groups; ++v) {
        const float* g = gT + (i0 * groups + v) * batch * 2 * L;
        std::int64_t j = 0;
        for (; j + 2 <= q; j += 2)
            gradientTile<I, 2>(g, gIStride, xT + (j * groups + v) * batch * 3 * L, xJStride, batch,
                               acc + (j * groups + v) * 2 * L, accIStride, accJStride);
        for (; j < q; ++j)
            gradientTile<I, 1>(g, gIStride, xT + (j * groups + v) * batch * 3 * L, xJStride, batch,
                               acc + (j * groups + v) * 2 * L, accIStride, accJStride);
    }
}
#endif
} // namespace

void gradientRows(const float* gT, const float* xT, std::int64_t batch, std::int64_t i0, std::int64_t count,
                  std::int64_t q, std::int64_t groups, float* acc)
{
#if defined(__AVX2__) && defined(__FMA__)
    if (count == 2)
        gradientRowGroup<2>(gT, xT, batch, i0, q, groups, acc);
    else
        for (std::int64_t a = 0; a < count; ++a)
            gradientRowGroup<1>(gT, xT, batch, i0 + a, q, groups, acc + a * q * groups * 2 * L);
#else
    for (std::int64_t a = 0; a < count; ++a)
        for (std::int64_t j = 0; j < q; ++j)
            for (std::int64_t v = 0; v < groups; ++v) {
                float re[L] = {}, im[L] = {};
                const float* g = gT + ((i0 + a) * groups + v) * batch * 2 * L;
                const float* x = xT + (j * groups + v) * batch * 3 * L;
                for (std::int64_t b = 0; b < batch; ++b)
                    for (std::int64_t l = 0; l < L; ++l) {
                        const float gr = g[b * 2 * L + l], gi = g[b * 2 * L + L + l];
                        const float* xt = x + b * 3 * L;
                        re[l] += gr * xt[l] + gi * xt[L + l];
                        im[l] += gi * xt[2 * L + l] - gr * xt[L + l];
                    }
                float* o = acc + a * q * groups * 2 * L + (j * groups + v) * 2 * L;
                std::memcpy(o, re, sizeof re);
                std::memcpy(o + L, im, sizeof im);
            }
#endif
}

} // namespace circnn::kernels
