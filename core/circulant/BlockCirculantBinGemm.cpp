// FFT kernel, per-bin GEMM path: the batched forward product at small k (k <= binGemmMaxBlockSize(),
// batch >= kBinGemmMinBatch). With few frequency bins per block, the multiply-accumulate is a set of
// large matrix products, one per bin, which OpenBLAS runs near peak; the DC and Nyquist bins are real,
// so they are real GEMMs (a quarter of the work of a complex one):
//   Y_0 (R×p) = X_0 (R×q) · W_0 (q×p)        real  (DC)
//   Y_N       = X_N · W_N                     real  (Nyquist, even k)
//   Y_s       = X_s · W_s,  s = 1 .. S−1      complex (cblas_cgemm)
//   weights  binWeights: [W_0 q×p][W_N q×p][W_1 q×p complex]...[W_{S−1}], W[j][i] = FFT(w_ij)[s] / k
//            (the inverse FFT's 1/k folded in).
//   inputs   per chunk of R rows: X_0, X_N (R×q real), X_s (R×q complex), bin-major, gathered from
//            FFTW's per-row output; outputs Y gathered back per row into FFTW's layout for the inverse.
// Every forward product of >= kBinGemmMinBatch rows takes this path, whatever its input (rows,
// kept spectra, gathered segments: the bins are gathered from the same FFT values), so the forward
// overloads stay bit-identical to each other. The transposed product, the gradient and the kept
// spectra use the layout of the FFT kernel (slot lanes or row lanes).
#include <cblas.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <functional>
#include <string>

#include "circulant/BlockCirculantImpl.h"
#include "circulant/CirculantKernels.h"

namespace circnn {

using namespace detail;

std::int64_t detail::binGemmMaxBlockSize()
{
    static const std::int64_t value = [] {
        std::string core = openblas_get_corename();
        std::transform(core.begin(), core.end(), core.begin(), [](unsigned char c) { return std::tolower(c); });
        for (const char* avx512 : {"skylakex", "cooperlake", "sapphirerapids"})
            if (core.find(avx512) != std::string::npos)
                return std::int64_t(16);
        return std::int64_t(8);
    }();
    return value;
}

void BlockCirculantMatrix::Impl::storeBinGemmRow(std::int64_t i, const float* split)
{
    // split[j][v][2L] with slot 0 packed (DC, Nyquist); see BlockCirculantImpl.h.
    const std::int64_t L = kernels::kLanes;
    const float scale = 1.0f / static_cast<float>(k);
    const std::int64_t qp = q * p;
    for (std::int64_t j = 0; j < q; ++j) {
        const float* b = split + j * groups * 2 * L;
        binWeights[j * p + i] = b[0] * scale;
        binWeights[qp + j * p + i] = b[L] * scale;
        for (std::int64_t s = 1; s < slots; ++s) {
            const float* t = b + (s / L) * 2 * L;
            float* o = &binWeights[2 * qp + (s - 1) * 2 * qp + 2 * (j * p + i)];
            o[0] = t[s % L] * scale;
            o[1] = t[L + s % L] * scale;
        }
    }
}

void BlockCirculantMatrix::Impl::binGemmMultiply(const float* x, float* y, std::int64_t batch) const
{
    Scratch& sc = scratch();
    fftwf_complex* spec = ensureComplex(sc.spec, rowSpecQ);
    binGemmForward(batch, y, [&](std::int64_t b0, std::int64_t rows, float* xb) {
        const std::int64_t xBin = rows * q;
        for (std::int64_t r = 0; r < rows; ++r) {
            forwardSpectrumRow(x + (b0 + r) * n, n, q, *fwdQ, spec);
            for (std::int64_t j = 0; j < q; ++j) {
                const fftwf_complex* c = spec + j * cdist;
                xb[r * q + j] = c[0][0];
                xb[xBin + r * q + j] = k % 2 == 0 ? c[k / 2][0] : 0.0f;
                for (std::int64_t s = 1; s < slots; ++s) {
                    float* o = xb + 2 * xBin * s + 2 * (r * q + j);
                    o[0] = c[s][0];
                    o[1] = c[s][1];
                }
            }
        }
    });
}

void BlockCirculantMatrix::Impl::binGemmFromSpectra(const float* xs, float* y, std::int64_t batch) const
{
    binGemmForward(batch, y,
                   [&](std::int64_t b0, std::int64_t rows, float* xb) { scatterBins(xs + b0 * rowX, rows, xb); });
}

void BlockCirculantMatrix::Impl::binGemmGathered(const InputSpectra& segments, const std::int64_t* index,
                                                 std::int64_t batch, float* y) const
{
    // Rows assembled into expanded spectra a chunk at a time (as gatherSegments), then as from spectra.
    AlignedVector<float> xs(static_cast<std::size_t>(std::min(batch, kBinGemmChunk) * rowX));
    binGemmForward(batch, y, [&](std::int64_t b0, std::int64_t rows, float* xb) {
        if (rowLanes)
            rowLaneGatherRows(segments, index, b0, rows, xs.data());
        else
            slotLaneGatherRows(segments, index, b0, rows, xs.data());
        scatterBins(xs.data(), rows, xb);
    });
}

// Expanded spectra rows (rowX apart; the values FFTW produced, copied) -> bin-major X, exactly the
// values binGemmMultiply scatters from FFTW's output.
void BlockCirculantMatrix::Impl::scatterBins(const float* xs, std::int64_t rows, float* xb) const
{
    const std::int64_t L = kernels::kLanes, xBin = rows * q;
    for (std::int64_t r = 0; r < rows; ++r) {
        const float* row = xs + r * rowX;
        for (std::int64_t j = 0; j < q; ++j) {
            const float* tiles = row + j * groups * 3 * L;
            xb[r * q + j] = tiles[0];
            xb[xBin + r * q + j] = tiles[2 * L]; // packed lane: Nyquist (0 for odd k)
            for (std::int64_t s = 1; s < slots; ++s) {
                const float* t = tiles + (s / L) * 3 * L + s % L;
                float* o = xb + 2 * xBin * s + 2 * (r * q + j);
                o[0] = t[0];
                o[1] = t[L];
            }
        }
    }
}

void BlockCirculantMatrix::Impl::binGemmForward(
    std::int64_t batch, float* y, const std::function<void(std::int64_t, std::int64_t, float*)>& fillBins) const
{
    const std::int64_t chunk = std::min(batch, kBinGemmChunk);
    const std::int64_t qp = q * p;
    const bool nyquist = k % 2 == 0;
    // Scratch: X (chunk rows, S bins: DC and Nyquist real, the others complex) and Y likewise.
    Scratch& sc = scratch();
    float* xb = ensure(sc.xs, 2 * slots * chunk * q);
    float* yb = ensure(sc.acc, 2 * slots * chunk * p);
    fftwf_complex* cbuf = ensureComplex(sc.cbuf, rowSpecP);
    float* rbuf = ensure(sc.rbuf, rowInP);
    const float one[2] = {1.0f, 0.0f}, zero[2] = {0.0f, 0.0f};
    for (std::int64_t b0 = 0; b0 < batch; b0 += chunk) {
        const std::int64_t rows = std::min(chunk, batch - b0);
        const std::int64_t yBin = rows * p; // floats per real bin matrix of Y
        // X_0 at 0, X_N at rows·q, X_s at 2·rows·q·s (floats).
        fillBins(b0, rows, xb);
        const std::int64_t xBin = rows * q;
        const int R = static_cast<int>(rows), P = static_cast<int>(p), Q = static_cast<int>(q);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, P, Q, 1.0f, xb, Q, binWeights.data(), P, 0.0f, yb, P);
        if (nyquist)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, P, Q, 1.0f, xb + xBin, Q, binWeights.data() + qp,
                        P, 0.0f, yb + yBin, P);
        for (std::int64_t s = 1; s < slots; ++s)
            cblas_cgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, R, P, Q, one, xb + 2 * xBin * s, Q,
                        binWeights.data() + 2 * qp * s, P, zero, yb + 2 * yBin * s, P);
        // Gather each row's output spectra into FFTW's layout and transform back.
        for (std::int64_t r = 0; r < rows; ++r) {
            const float* y0 = yb + r * p;
            const float* yn = yb + yBin + r * p;
            for (std::int64_t i = 0; i < p; ++i) {
                fftwf_complex* c = cbuf + i * cdist;
                c[0][0] = y0[i];
                c[0][1] = 0.0f;
                for (std::int64_t s = 1; s < slots; ++s) {
                    const float* t = yb + 2 * yBin * s + 2 * (r * p + i);
                    c[s][0] = t[0];
                    c[s][1] = t[1];
                }
                if (nyquist) {
                    c[k / 2][0] = yn[i];
                    c[k / 2][1] = 0.0f;
                }
            }
            inverseSpectrumRow(cbuf, p, *invP, y + (b0 + r) * m, m, rbuf);
        }
    }
}

} // namespace circnn
