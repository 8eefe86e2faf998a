// FFT kernel, small-product path: one input row (batch 1) times a matrix of few blocks (at most
// kSmallPathBins frequency bins in all, e.g. 1024×1024 at k >= 256). Such a call does little
// arithmetic, so the repacking between FFTW's interleaved spectra and the split / expanded layouts of
// the slot-lane kernel would be a visible share of it. This path multiplies in FFTW's layout instead:
//   forward r2c of the row -> spec (interleaved, blocks cdist apart)
//   cbuf[i][s] = (1/k) · Σ_j W_ij[s] · X_j[s]   straight from spec into the inverse plan's input
//   inverse c2r -> the output row
//   weights  smallWeights[i][j][g][16]: for each group g of 4 bins, A = (wr, wr) per bin, then
//            C = (−wi, wi) per bin (8 floats each), so one complex multiply-accumulate is two FMAs:
//            acc += A · (xr, xi);  acc += C · (xi, xr).
// Per lane these are the operations of the slot-lane kernel in the same order (re: +wr·xr, then −wi·xi;
// im: +wr·xi, then +wi·xr; the DC and Nyquist bins, real, see an exact no-op where the slot-lane
// kernel's packed lane does), and the 1/k scaling is the same multiplication: results are bit-identical
// to those of the slot-lane kernel, so a row's result still does not depend on its batch (tests hold
// the two together). Used only where the slot-lane layout is (not at small k, where row lanes are).
#include <algorithm>
#include <cmath>

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

#include "circulant/BlockCirculantImpl.h"
#include "circulant/CirculantKernels.h"

namespace circnn {

using namespace detail;

void BlockCirculantMatrix::Impl::storeSmallRow(std::int64_t i, const float* split)
{
    // split[j][v][2L] with slot 0 packed (DC, Nyquist); bin s of block j -> (wr, wi).
    const std::int64_t L = kernels::kLanes;
    const std::int64_t bins4 = roundUp(bins, 4);
    for (std::int64_t j = 0; j < q; ++j) {
        const float* b = split + j * groups * 2 * L;
        float* out = &smallWeights[(i * q + j) * bins4 * 4];
        for (std::int64_t s = 0; s < bins4; ++s) {
            float wr = 0.0f, wi = 0.0f;
            if (s == 0) {
                wr = b[0];
            } else if (k % 2 == 0 && s == k / 2) {
                wr = b[L]; // Nyquist, packed into slot 0
            } else if (s < slots) {
                wr = b[(s / L) * 2 * L + s % L];
                wi = b[(s / L) * 2 * L + L + s % L];
            }
            float* a = out + (s / 4) * 16 + 2 * (s % 4);
            a[0] = wr;
            a[1] = wr;
            a[8] = -wi;
            a[9] = wi;
        }
    }
}

namespace {

// cbuf[i][s] = scale · Σ_j W_ij[s] · X_j[s] for s < bins (layout above); spec and cbuf blocks cdist apart.
void smallMultiplyAccumulate(const float* w, const float* spec, std::int64_t p, std::int64_t q, std::int64_t bins,
                             std::int64_t cdist, float scale, float* cbuf)
{
    const std::int64_t bins4 = (bins + 3) / 4 * 4;
    for (std::int64_t i = 0; i < p; ++i) {
        const float* wRow = w + i * q * bins4 * 4;
        float* out = cbuf + 2 * i * cdist;
        std::int64_t g = 0;
#if defined(__AVX2__) && defined(__FMA__)
        const std::int64_t full = bins / 4; // whole groups of 4 bins
        const __m256 sc = _mm256_set1_ps(scale);
        constexpr std::int64_t G = 4; // independent accumulators (latency of the FMA chains)
        for (; g + G <= full; g += G) {
            __m256 acc[G];
            for (auto& a : acc)
                a = _mm256_setzero_ps();
            for (std::int64_t j = 0; j < q; ++j) {
                const float* wj = wRow + (j * bins4 + 4 * g) * 4;
                const float* xj = spec + 2 * (j * cdist + 4 * g);
                for (std::int64_t t = 0; t < G; ++t) {
                    const __m256 x = _mm256_loadu_ps(xj + 8 * t);
                    const __m256 xs = _mm256_permute_ps(x, 0xB1); // (xi, xr) per bin
                    acc[t] = _mm256_fmadd_ps(_mm256_load_ps(wj + 16 * t), x, acc[t]);
                    acc[t] = _mm256_fmadd_ps(_mm256_load_ps(wj + 16 * t + 8), xs, acc[t]);
                }
            }
            for (std::int64_t t = 0; t < G; ++t)
                _mm256_storeu_ps(out + 8 * (g + t), _mm256_mul_ps(acc[t], sc));
        }
        for (; g < full; ++g) {
            __m256 acc = _mm256_setzero_ps();
            for (std::int64_t j = 0; j < q; ++j) {
                const float* wj = wRow + (j * bins4 + 4 * g) * 4;
                const __m256 x = _mm256_loadu_ps(spec + 2 * (j * cdist + 4 * g));
                acc = _mm256_fmadd_ps(_mm256_load_ps(wj), x, acc);
                acc = _mm256_fmadd_ps(_mm256_load_ps(wj + 8), _mm256_permute_ps(x, 0xB1), acc);
            }
            _mm256_storeu_ps(out + 8 * g, _mm256_mul_ps(acc, sc));
        }
#endif
        // Remaining bins one at a time (with FMA where the SIMD kernels use it, else the portable
        // slot-lane kernel's expressions: re += wr·xr − wi·xi, im += wr·xi + wi·xr).
        for (std::int64_t s = 4 * g; s < bins; ++s) {
            float re = 0.0f, im = 0.0f;
            for (std::int64_t j = 0; j < q; ++j) {
                const float* a = wRow + (j * bins4 + (s / 4) * 4) * 4 + 2 * (s % 4);
                const float* x = spec + 2 * (j * cdist + s);
#if defined(__AVX2__) && defined(__FMA__)
                re = std::fma(a[0], x[0], re);
                im = std::fma(a[1], x[1], im);
                re = std::fma(a[8], x[1], re);
                im = std::fma(a[9], x[0], im);
#else
                re += a[0] * x[0] - a[9] * x[1];
                im += a[0] * x[1] + a[9] * x[0];
#endif
            }
            out[2 * s] = re * scale;
            out[2 * s + 1] = im * scale;
        }
    }
}

} // namespace

void BlockCirculantMatrix::Impl::smallMultiply(const float* x, float* y) const
{
    Scratch& sc = scratch();
    fftwf_complex* spec = ensureComplex(sc.spec, rowSpecQ);
    fftwf_complex* cbuf = ensureComplex(sc.cbuf, rowSpecP);
    float* rbuf = ensure(sc.rbuf, rowInP);
    forwardSpectrumRow(x, n, q, *fwdQ, spec);
    smallMultiplyAccumulate(smallWeights.data(), reinterpret_cast<const float*>(spec), p, q, bins, cdist,
                            1.0f / static_cast<float>(k), reinterpret_cast<float*>(cbuf));
    // DC and Nyquist are real (their imaginary sums are zeros of the weights' padding, set exactly).
    for (std::int64_t i = 0; i < p; ++i) {
        cbuf[i * cdist][1] = 0.0f;
        if (k % 2 == 0)
            cbuf[i * cdist + k / 2][1] = 0.0f;
    }
    inverseSpectrumRow(cbuf, p, *invP, y, m, rbuf);
}

} // namespace circnn
