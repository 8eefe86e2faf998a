// Slot-lane FFT kernels (SIMD lanes over frequency slots): forward (AVX2, AVX-512, portable) and transposed products.
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
// Cache blocking of the batched forward product (forwardRows): input blocks per j-block, and the
// bytes of weights per slab of output block rows (one j-block's worth), sized for a 1 MiB L2 with
// room for the j-block's inputs and the accumulators. Measured on Zen 5 (docs/benchmarks.md,
// "Engine round 2"); simulated L2 misses (cachegrind) agree.
[[maybe_unused]] constexpr std::int64_t kJBlock = 32; // (used only by the AVX-512 kernels below)
[[maybe_unused]] constexpr std::int64_t kSlabBytes = 256 << 10;
} // namespace

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

// Tiles of rows [iBegin, iEnd) × R input rows over input blocks [jb, jb + jn), every tile group.
template <int R>
void forwardPanel(const float* weights, const float* xs, std::int64_t rowStride, std::int64_t iBegin, std::int64_t iEnd,
                  std::int64_t jb, std::int64_t jn, std::int64_t q, std::int64_t groups, float* acc,
                  std::int64_t accStride)
{
    constexpr int I = R == 1 ? 4 : 2;
    const std::int64_t wStride = groups * q * 2 * L;
    for (std::int64_t v = 0; v < groups; ++v) {
        const float* x = xs + (jb * groups + v) * 3 * L;
        std::int64_t i = iBegin;
        for (; i + I <= iEnd; i += I)
            forwardTile<I, R>(weights + ((i * groups + v) * q + jb) * 2 * L, wStride, x, rowStride, groups * 3 * L, jn,
                              acc + (i * groups + v) * 2 * L, groups * 2 * L, accStride, jb == 0);
        for (; i < iEnd; ++i)
            forwardTile<1, R>(weights + ((i * groups + v) * q + jb) * 2 * L, wStride, x, rowStride, groups * 3 * L, jn,
                              acc + (i * groups + v) * 2 * L, groups * 2 * L, accStride, jb == 0);
    }
}
#endif

} // namespace

#if defined(__AVX2__) && defined(__FMA__) && defined(__x86_64__) && defined(__GNUC__)
#define CIRCNN_AVX512_FORWARD 1
// GCC 12 reports its own _mm512_undefined_ps() placeholders as uninitialised: not our code.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
namespace {

// AVX-512 variant of the batched forward product, used when the CPU has AVX-512F/DQ (runtime
// check; the project is built for x86-64-v3). One zmm holds the same 8 lanes of two input rows;
// a tile is I output block rows × P row pairs over a block of kJBlock input blocks, so the inputs
// of the tile stay in L1 while the weights stream from L2. Accumulators carry over between
// j-blocks in memory. Per lane the operations and their order are those of forwardTile, so
// results are bit-identical to the AVX2 path.

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

// Tiles of rows [iBegin, iEnd) × P row pairs over input blocks [jb, jb + jn), every tile group.
template <int P>
__attribute__((target("avx512f,avx512dq"))) void
forwardPanel512(const float* weights, const float* xs, std::int64_t rowStride, std::int64_t iBegin, std::int64_t iEnd,
                std::int64_t jb, std::int64_t jn, std::int64_t q, std::int64_t groups, float* acc,
                std::int64_t accStride)
{
    const std::int64_t wStride = groups * q * 2 * L;
    for (std::int64_t v = 0; v < groups; ++v) {
        const float* x = xs + (jb * groups + v) * 3 * L;
        std::int64_t i = iBegin;
        for (; i + 4 <= iEnd; i += 4)
            forwardTile512<4, P>(weights + ((i * groups + v) * q + jb) * 2 * L, wStride, x, rowStride, groups * 3 * L,
                                 jn, acc + (i * groups + v) * 2 * L, groups * 2 * L, accStride, jb == 0);
        for (; i < iEnd; ++i)
            forwardTile512<1, P>(weights + ((i * groups + v) * q + jb) * 2 * L, wStride, x, rowStride, groups * 3 * L,
                                 jn, acc + (i * groups + v) * 2 * L, groups * 2 * L, accStride, jb == 0);
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
    // Cache blocking, as in a GEMM: the input blocks are taken kJBlock at a time (outermost), then the
    // output block rows in slabs whose weights for those input blocks (~kSlabBytes) stay in L2 while
    // every input row of the call streams past them; a tile's inputs (a few rows × kJBlock blocks of
    // one tile group) stay in L1 across the slab's output block rows. Accumulators carry over between
    // input-block blocks in memory, so the sum over j runs in the same order whatever the blocking:
    // results do not depend on the number of rows or on these constants.
    if (rows == 1) {
        // With one input row the blocking buys nothing (each weight is used once): one pass over the
        // weights in memory order (4 output block rows at a time, all their tile groups, all j), as
        // before the blocking was introduced; the j-blocked order sweeps the whole weight array once
        // per tile group. Same tiles, same order per lane: bit-identical to the blocked path.
        const std::int64_t wStride = groups * q * 2 * L;
        for (std::int64_t i = 0; i < p;) {
            const bool four = i + 4 <= p;
            for (std::int64_t v = 0; v < groups; ++v) {
                const float* w = weights + (i * groups + v) * q * 2 * L;
                float* a = acc + (i * groups + v) * 2 * L;
                if (four)
                    forwardTile<4, 1>(w, wStride, xs + v * 3 * L, rowStride, groups * 3 * L, q, a, groups * 2 * L,
                                      accStride);
                else
                    forwardTile<1, 1>(w, wStride, xs + v * 3 * L, rowStride, groups * 3 * L, q, a, groups * 2 * L,
                                      accStride);
            }
            i += four ? 4 : 1;
        }
        return;
    }
    const std::int64_t slabRowBytes = kJBlock * groups * 2 * L * static_cast<std::int64_t>(sizeof(float));
    const std::int64_t slab = std::max<std::int64_t>(4, kSlabBytes / slabRowBytes / 4 * 4);
    for (std::int64_t jb = 0; jb < q; jb += kJBlock) {
        const std::int64_t jn = std::min(kJBlock, q - jb);
        for (std::int64_t i0 = 0; i0 < p; i0 += slab) {
            const std::int64_t i1 = std::min(p, i0 + slab);
            std::int64_t r = 0;
#ifdef CIRCNN_AVX512_FORWARD
            if (useAvx512()) {
                for (; r + 4 <= rows; r += 4)
                    forwardPanel512<2>(weights, xs + r * rowStride, rowStride, i0, i1, jb, jn, q, groups,
                                       acc + r * accStride, accStride);
                for (; r + 2 <= rows; r += 2)
                    forwardPanel512<1>(weights, xs + r * rowStride, rowStride, i0, i1, jb, jn, q, groups,
                                       acc + r * accStride, accStride);
            }
#endif
            for (; r + 2 <= rows; r += 2)
                forwardPanel<2>(weights, xs + r * rowStride, rowStride, i0, i1, jb, jn, q, groups, acc + r * accStride,
                                accStride);
            for (; r < rows; ++r)
                forwardPanel<1>(weights, xs + r * rowStride, rowStride, i0, i1, jb, jn, q, groups, acc + r * accStride,
                                accStride);
        }
    }
#else
    forwardRowsGeneric(weights, xs, rows, rowStride, p, q, groups, acc, accStride);
#endif
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
