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

// Portable reference for the SIMD kernel below (same layout, same summation order per lane).
[[maybe_unused]] void forwardRowsGeneric(const float* weights, const float* xs, std::int64_t rows,
                                         std::int64_t rowStride, std::int64_t p, std::int64_t q, std::int64_t groups,
                                         float* acc, std::int64_t accStride)
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

#if defined(__AVX2__) && defined(__FMA__)
// Register-blocked tile: I output block rows × R input rows, one tile group v, all j.
// Per j: 2·I weight loads, 3·R input loads, 4·I·R FMAs.
template <int I, int R>
inline void forwardTile(const float* w, std::int64_t wStride, const float* x, std::int64_t xStride,
                        std::int64_t xTileStride, std::int64_t q, float* acc, std::int64_t accIStride,
                        std::int64_t accRStride, bool first = true)
{
    // first = false: continue the sums already in acc (a later block of j).
    __m256 re[I][R], im[I][R];
    for (int a = 0; a < I; ++a)
        for (int b = 0; b < R; ++b) {
            if (first) {
                re[a][b] = im[a][b] = _mm256_setzero_ps();
            } else {
                re[a][b] = _mm256_load_ps(acc + a * accIStride + b * accRStride);
                im[a][b] = _mm256_load_ps(acc + a * accIStride + b * accRStride + L);
            }
        }
    for (std::int64_t j = 0; j < q; ++j) {
        __m256 wr[I], wi[I];
        for (int a = 0; a < I; ++a) {
            wr[a] = _mm256_load_ps(w + a * wStride + j * 2 * L);
            wi[a] = _mm256_load_ps(w + a * wStride + j * 2 * L + L);
        }
        for (int b = 0; b < R; ++b) {
            const float* xt = x + b * xStride + j * xTileStride;
            const __m256 xr = _mm256_load_ps(xt), xb = _mm256_load_ps(xt + L), xc = _mm256_load_ps(xt + 2 * L);
            for (int a = 0; a < I; ++a) {
                re[a][b] = _mm256_fmadd_ps(wr[a], xr, re[a][b]);
                re[a][b] = _mm256_fnmadd_ps(wi[a], xb, re[a][b]);
                im[a][b] = _mm256_fmadd_ps(wr[a], xb, im[a][b]);
                im[a][b] = _mm256_fmadd_ps(wi[a], xc, im[a][b]);
            }
        }
    }
    for (int a = 0; a < I; ++a)
        for (int b = 0; b < R; ++b) {
            float* o = acc + a * accIStride + b * accRStride;
            _mm256_store_ps(o, re[a][b]);
            _mm256_store_ps(o + L, im[a][b]);
        }
}

template <int I, int R>
void forwardBlockRows(const float* weights, const float* xs, std::int64_t rowStride, std::int64_t i0, std::int64_t q,
                      std::int64_t groups, float* acc, std::int64_t accStride)
{
    const std::int64_t wStride = groups * q * 2 * L; // between output block rows
    for (std::int64_t v = 0; v < groups; ++v)
        forwardTile<I, R>(weights + (i0 * groups + v) * q * 2 * L, wStride, xs + v * 3 * L, rowStride, groups * 3 * L,
                          q, acc + (i0 * groups + v) * 2 * L, groups * 2 * L, accStride);
}

// Input blocks per j-block in batched tiles: the tile's inputs (R rows × 64 × 96 B) stay in L1.
constexpr std::int64_t kJBlockAvx2 = 64;

template <int R>
void forwardRowGroup(const float* weights, const float* xs, std::int64_t rowStride, std::int64_t iBegin,
                     std::int64_t iEnd, std::int64_t q, std::int64_t groups, float* acc, std::int64_t accStride)
{
    constexpr int I = R == 1 ? 4 : 2;
    if constexpr (R == 1) {
        std::int64_t i = iBegin;
        for (; i + I <= iEnd; i += I)
            forwardBlockRows<I, R>(weights, xs, rowStride, i, q, groups, acc, accStride);
        for (; i < iEnd; ++i)
            forwardBlockRows<1, R>(weights, xs, rowStride, i, q, groups, acc, accStride);
    } else {
        const std::int64_t wStride = groups * q * 2 * L;
        for (std::int64_t v = 0; v < groups; ++v)
            for (std::int64_t jb = 0; jb < q; jb += kJBlockAvx2) {
                const std::int64_t jn = std::min(kJBlockAvx2, q - jb);
                const float* x = xs + (jb * groups + v) * 3 * L;
                std::int64_t i = iBegin;
                for (; i + I <= iEnd; i += I)
                    forwardTile<I, R>(weights + ((i * groups + v) * q + jb) * 2 * L, wStride, x, rowStride,
                                      groups * 3 * L, jn, acc + (i * groups + v) * 2 * L, groups * 2 * L, accStride,
                                      jb == 0);
                for (; i < iEnd; ++i)
                    forwardTile<1, R>(weights + ((i * groups + v) * q + jb) * 2 * L, wStride, x, rowStride,
                                      groups * 3 * L, jn, acc + (i * groups + v) * 2 * L, groups * 2 * L, accStride,
                                      jb == 0);
            }
    }
}
#endif

} // namespace

#if defined(__AVX2__) && defined(__FMA__) && defined(__x86_64__) && defined(__GNUC__)
#define CIRCNN_AVX512_FORWARD 1
// GCC 12 reports its own _mm512_undefined_ps() placeholders as uninitialised: not our code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
namespace {

// AVX-512 variant of the batched forward product, used when the CPU has AVX-512F/DQ (runtime
// check; the project is built for x86-64-v3). One zmm holds the same 8 lanes of two input rows;
// a tile is I output block rows × P row pairs over a block of kJBlock input blocks, so the inputs
// of the tile stay in L1 while the weights stream from L2. Accumulators carry over between
// j-blocks in memory. Per lane the operations and their order are those of forwardTile, so
// results are bit-identical to the AVX2 path.
constexpr std::int64_t kJBlock = 64;

template <int I, int P>
__attribute__((target("avx512f,avx512dq"))) void
forwardTile512(const float* w, std::int64_t wStride, const float* x, std::int64_t xStride, std::int64_t xTileStride,
               std::int64_t jn, float* acc, std::int64_t accIStride, std::int64_t accRStride, bool first)
{
    __m512 re[I][P], im[I][P];
    for (int a = 0; a < I; ++a)
        for (int c = 0; c < P; ++c) {
            if (first) {
                re[a][c] = im[a][c] = _mm512_setzero_ps();
            } else {
                const float* o = acc + a * accIStride + 2 * c * accRStride;
                re[a][c] =
                    _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_load_ps(o)), _mm256_load_ps(o + accRStride), 1);
                im[a][c] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_load_ps(o + L)),
                                              _mm256_load_ps(o + accRStride + L), 1);
            }
        }
    for (std::int64_t j = 0; j < jn; ++j) {
        __m512 xr[P], xb[P], xc[P];
        for (int c = 0; c < P; ++c) {
            const float* xt = x + 2 * c * xStride + j * xTileStride;
            xr[c] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_load_ps(xt)), _mm256_load_ps(xt + xStride), 1);
            xb[c] =
                _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_load_ps(xt + L)), _mm256_load_ps(xt + xStride + L), 1);
            xc[c] = _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_load_ps(xt + 2 * L)),
                                       _mm256_load_ps(xt + xStride + 2 * L), 1);
        }
        for (int a = 0; a < I; ++a) {
            const __m512 wr = _mm512_broadcast_f32x8(_mm256_load_ps(w + a * wStride + j * 2 * L));
            const __m512 wi = _mm512_broadcast_f32x8(_mm256_load_ps(w + a * wStride + j * 2 * L + L));
            for (int c = 0; c < P; ++c) {
                re[a][c] = _mm512_fmadd_ps(wr, xr[c], re[a][c]);
                re[a][c] = _mm512_fnmadd_ps(wi, xb[c], re[a][c]);
                im[a][c] = _mm512_fmadd_ps(wr, xb[c], im[a][c]);
                im[a][c] = _mm512_fmadd_ps(wi, xc[c], im[a][c]);
            }
        }
    }
    for (int a = 0; a < I; ++a)
        for (int c = 0; c < P; ++c) {
            float* o = acc + a * accIStride + 2 * c * accRStride;
            _mm256_store_ps(o, _mm512_castps512_ps256(re[a][c]));
            _mm256_store_ps(o + L, _mm512_castps512_ps256(im[a][c]));
            _mm256_store_ps(o + accRStride, _mm512_extractf32x8_ps(re[a][c], 1));
            _mm256_store_ps(o + accRStride + L, _mm512_extractf32x8_ps(im[a][c], 1));
        }
}

template <int P>
__attribute__((target("avx512f,avx512dq"))) void
forwardRows512(const float* weights, const float* xs, std::int64_t rowStride, std::int64_t iBegin, std::int64_t iEnd,
               std::int64_t q, std::int64_t groups, float* acc, std::int64_t accStride)
{
    const std::int64_t wStride = groups * q * 2 * L;
    for (std::int64_t v = 0; v < groups; ++v)
        for (std::int64_t jb = 0; jb < q; jb += kJBlock) {
            const std::int64_t jn = std::min(kJBlock, q - jb);
            const float* x = xs + (jb * groups + v) * 3 * L;
            std::int64_t i = iBegin;
            for (; i + 4 <= iEnd; i += 4)
                forwardTile512<4, P>(weights + ((i * groups + v) * q + jb) * 2 * L, wStride, x, rowStride,
                                     groups * 3 * L, jn, acc + (i * groups + v) * 2 * L, groups * 2 * L, accStride,
                                     jb == 0);
            for (; i < iEnd; ++i)
                forwardTile512<1, P>(weights + ((i * groups + v) * q + jb) * 2 * L, wStride, x, rowStride,
                                     groups * 3 * L, jn, acc + (i * groups + v) * 2 * L, groups * 2 * L, accStride,
                                     jb == 0);
        }
}

// AVX-512F and DQ usable (CPUID and OS register state, as checked by libgcc);
// CIRCNN_NO_AVX512=1 in the environment disables the path (comparisons, debugging).
bool useAvx512()
{
    static const bool use = [] {
        const char* off = std::getenv("CIRCNN_NO_AVX512");
        if (off && *off && std::string(off) != "0")
            return false;
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
    }();
    return use;
}

} // namespace
#pragma GCC diagnostic pop
#endif

void forwardRows(const float* weights, const float* xs, std::int64_t rows, std::int64_t rowStride, std::int64_t p,
                 std::int64_t q, std::int64_t groups, float* acc, std::int64_t accStride)
{
#if defined(__AVX2__) && defined(__FMA__)
    // Output block rows are taken in slabs whose weights (~256 KiB) stay in L2 while every input
    // row of the call streams past them; with one input row this is a single pass over the weights.
    const std::int64_t rowBytes = q * groups * 2 * L * static_cast<std::int64_t>(sizeof(float));
    const std::int64_t slab = rows == 1 ? p : std::max<std::int64_t>(4, (256 << 10) / rowBytes / 4 * 4);
    for (std::int64_t i0 = 0; i0 < p; i0 += slab) {
        const std::int64_t i1 = std::min(p, i0 + slab);
        std::int64_t r = 0;
#ifdef CIRCNN_AVX512_FORWARD
        if (useAvx512()) {
            for (; r + 4 <= rows; r += 4)
                forwardRows512<2>(weights, xs + r * rowStride, rowStride, i0, i1, q, groups, acc + r * accStride,
                                  accStride);
            for (; r + 2 <= rows; r += 2)
                forwardRows512<1>(weights, xs + r * rowStride, rowStride, i0, i1, q, groups, acc + r * accStride,
                                  accStride);
        }
#endif
        for (; r + 2 <= rows; r += 2)
            forwardRowGroup<2>(weights, xs + r * rowStride, rowStride, i0, i1, q, groups, acc + r * accStride,
                               accStride);
        for (; r < rows; ++r)
            forwardRowGroup<1>(weights, xs + r * rowStride, rowStride, i0, i1, q, groups, acc + r * accStride,
                               accStride);
    }
#else
    forwardRowsGeneric(weights, xs, rows, rowStride, p, q, groups, acc, accStride);
#endif
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
                rowLaneRows<1, 4>(ws + ig * stripe, stripe, xs_s, xRowStride, blockStride, b, q, ig, p, groups, s, acc, accStride);
        for (std::int64_t b = full; b < rows; ++b) {
            std::int64_t ig = 0;
            for (; ig + 4 <= pGroups; ig += 4)
                rowLaneRows<4, 1>(ws + ig * stripe, stripe, xs_s, xRowStride, blockStride, b, q, ig, p, groups, s, acc, accStride);
            for (; ig < pGroups; ++ig)
                rowLaneRows<1, 1>(ws + ig * stripe, stripe, xs_s, xRowStride, blockStride, b, q, ig, p, groups, s, acc, accStride);
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

namespace circnn::kernels {

namespace {
#if defined(__AVX2__) && defined(__FMA__)
// Transposed tile: J consecutive input blocks j0.. × R rows, one tile group, summed over all i.
template <int J, int R>
inline void transposedTile(const float* w, std::int64_t wLoopStride, const float* g, std::int64_t gRowStride,
                           std::int64_t gLoopStride, std::int64_t p, float* acc, std::int64_t accJStride,
                           std::int64_t accRStride)
{
    __m256 re[J][R], im[J][R];
    for (int a = 0; a < J; ++a)
        for (int b = 0; b < R; ++b)
            re[a][b] = im[a][b] = _mm256_setzero_ps();
    for (std::int64_t i = 0; i < p; ++i) {
        __m256 wr[J], wi[J];
        for (int a = 0; a < J; ++a) {
            wr[a] = _mm256_load_ps(w + i * wLoopStride + a * 2 * L);
            wi[a] = _mm256_load_ps(w + i * wLoopStride + a * 2 * L + L);
        }
        for (int b = 0; b < R; ++b) {
            const float* gt = g + b * gRowStride + i * gLoopStride;
            const __m256 gr = _mm256_load_ps(gt), gb = _mm256_load_ps(gt + L), gd = _mm256_load_ps(gt + 2 * L);
            for (int a = 0; a < J; ++a) {
                re[a][b] = _mm256_fmadd_ps(wr[a], gr, re[a][b]);
                re[a][b] = _mm256_fmadd_ps(wi[a], gb, re[a][b]);
                im[a][b] = _mm256_fmadd_ps(wr[a], gb, im[a][b]);
                im[a][b] = _mm256_fmadd_ps(wi[a], gd, im[a][b]);
            }
        }
    }
    for (int a = 0; a < J; ++a)
        for (int b = 0; b < R; ++b) {
            float* o = acc + a * accJStride + b * accRStride;
            _mm256_store_ps(o, re[a][b]);
            _mm256_store_ps(o + L, im[a][b]);
        }
}

template <int R>
void transposedRowGroup(const float* weights, const float* gs, std::int64_t gStride, std::int64_t p, std::int64_t q,
                        std::int64_t groups, float* acc, std::int64_t accStride)
{
    constexpr int J = R == 1 ? 4 : 2;
    const std::int64_t wLoop = groups * q * 2 * L;
    for (std::int64_t v = 0; v < groups; ++v) {
        std::int64_t j = 0;
        for (; j + J <= q; j += J)
            transposedTile<J, R>(weights + (v * q + j) * 2 * L, wLoop, gs + v * 3 * L, gStride, groups * 3 * L, p,
                                 acc + (j * groups + v) * 2 * L, groups * 2 * L, accStride);
        for (; j < q; ++j)
            transposedTile<1, R>(weights + (v * q + j) * 2 * L, wLoop, gs + v * 3 * L, gStride, groups * 3 * L, p,
                                 acc + (j * groups + v) * 2 * L, groups * 2 * L, accStride);
    }
}
#endif
} // namespace

void transposedRows(const float* weights, const float* gs, std::int64_t rows, std::int64_t gStride, std::int64_t p,
                    std::int64_t q, std::int64_t groups, float* acc, std::int64_t accStride)
{
#if defined(__AVX2__) && defined(__FMA__)
    std::int64_t r = 0;
    for (; r + 2 <= rows; r += 2)
        transposedRowGroup<2>(weights, gs + r * gStride, gStride, p, q, groups, acc + r * accStride, accStride);
    for (; r < rows; ++r)
        transposedRowGroup<1>(weights, gs + r * gStride, gStride, p, q, groups, acc + r * accStride, accStride);
#else
    for (std::int64_t r = 0; r < rows; ++r)
        transposedRow(weights, gs + r * gStride, p, q, groups, acc + r * accStride);
#endif
}

} // namespace circnn::kernels

namespace circnn::kernels {

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
