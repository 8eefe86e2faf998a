// FFT geometry shared by both spectrum layouts (slot lanes, row lanes): plans, forward transforms
// into expanded spectra, inverse transforms, the transposed product's transforms and the gradient.
#include <algorithm>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "circulant/BlockCirculantImpl.h"
#include "circulant/CirculantKernels.h"
#include "circulant/FftPlanCache.h"
#include "common/Parallel.h"

namespace circnn {

using namespace detail;

void BlockCirculantMatrix::Impl::setupFft()
{
    slots = (k + 1) / 2;
    slotsPadded = roundUp(slots, kernels::kLanes);
    groups = slotsPadded / kernels::kLanes;
    bins = k / 2 + 1;
    cdist = roundUp(bins, 2);
    kin = roundUp(k, 4);
    rowInQ = roundUp(q * kin, 16);
    rowInP = roundUp(p * kin, 16);
    rowSpecQ = roundUp(q * cdist, 8);
    rowSpecP = roundUp(p * cdist, 8);
    rowX = roundUp(q * groups * 3 * kernels::kLanes, 16);
    pGroups = (p + kernels::kLanes - 1) / kernels::kLanes;
    rowLanes = slotsPadded * p > slots * pGroups * kernels::kLanes;
    binGemm = k > 1 && k <= binGemmMaxBlockSize();
    smallPath = !rowLanes && p * q * bins <= kSmallPathBins;
    auto& cache = FftPlanCache::instance();
    fwdQ = cache.realForward(k, q, kin, cdist);
    fwdP = cache.realForward(k, p, kin, cdist);
    invQ = cache.realInverse(k, q, cdist, kin);
    invP = cache.realInverse(k, p, cdist, kin);
}

void BlockCirculantMatrix::Impl::computeFftWeights()
{
    const std::int64_t L = kernels::kLanes;
    // Buffers are zeroed only when (re)allocated: every call writes all entries except the padding
    // (row-lane rows >= p), which stays zero. Training calls this after every optimizer step.
    auto reset = [](AlignedVector<float>& v, std::int64_t size) {
        if (static_cast<std::int64_t>(v.size()) != size)
            v.assign(static_cast<std::size_t>(size), 0.0f);
    };
    if (rowLanes)
        reset(rowLaneSpectra, slots * pGroups * q * 2 * L);
    else
        reset(spectra, p * groups * q * 2 * L);
    if (binGemm)
        reset(binWeights, 2 * slots * q * p);
    if (smallPath)
        reset(smallWeights, p * q * roundUp(bins, 4) * 4);
    // Block rows are independent: split over the cores in units of kLanes rows (the rows of one
    // row-lane group share cache lines), each unit worth at least ~16 K transformed values. Each entry
    // is written by exactly one thread, so the weights do not depend on the thread count.
    const std::int64_t units = (p + L - 1) / L;
    const auto minUnits = static_cast<std::size_t>(std::max<std::int64_t>(1, (16 << 10) / (L * q * k)));
    parallelFor(
        static_cast<std::size_t>(units),
        [&](std::size_t u0, std::size_t u1) {
            Scratch& sc = scratch();
            float* in = ensure(sc.in, rowInQ);
            fftwf_complex* spec = ensureComplex(sc.spec, rowSpecQ);
            float* split = ensure(sc.split, q * groups * 2 * L);
            const std::int64_t i1 = std::min(p, static_cast<std::int64_t>(u1) * L);
            for (std::int64_t i = static_cast<std::int64_t>(u0) * L; i < i1; ++i) {
                for (std::int64_t j = 0; j < q; ++j) {
                    std::memcpy(&in[j * kin], &vectors[(i * q + j) * k], sizeof(float) * k);
                    std::fill(in + j * kin + k, in + (j + 1) * kin, 0.0f);
                }
                fwdQ->executeR2c(in, spec);
                packRowSpectra(spec, q, split); // split[j][v][2L]
                if (rowLanes)
                    storeRowLaneRow(i, split);
                else
                    storeSlotLaneRow(i, split);
                if (binGemm)
                    storeBinGemmRow(i, split);
                if (smallPath)
                    storeSmallRow(i, split);
            }
        },
        minUnits);
}

// spec: `blocks` blocks of cdist complex bins -> split[b][v][2L] with the packed slot 0.
void BlockCirculantMatrix::Impl::packRowSpectra(const fftwf_complex* spec, std::int64_t blocks, float* split) const
{
    const std::int64_t L = kernels::kLanes;
    std::memset(split, 0, sizeof(float) * blocks * groups * 2 * L);
    for (std::int64_t b = 0; b < blocks; ++b) {
        const fftwf_complex* c = spec + b * cdist;
        float* out = split + b * groups * 2 * L;
        out[0] = c[0][0];
        out[L] = (k % 2 == 0) ? c[k / 2][0] : 0.0f;
        for (std::int64_t s = 1; s < slots; ++s) {
            float* g = out + (s / L) * 2 * L;
            g[s % L] = c[s][0];
            g[L + s % L] = c[s][1];
        }
    }
}

// Unpacks `blocks` split spectra (split[b][v][2L], packed slot 0), scaled by 1/k, into cbuf (FFTW's
// layout, blocks cdist apart).
void BlockCirculantMatrix::Impl::unpackRowSpectra(const float* split, std::int64_t blocks, fftwf_complex* cbuf) const
{
    const std::int64_t L = kernels::kLanes;
    const float scale = 1.0f / static_cast<float>(k);
    for (std::int64_t b = 0; b < blocks; ++b) {
        const float* in = split + b * groups * 2 * L;
        fftwf_complex* c = cbuf + b * cdist;
        std::int64_t s = 1;
#if defined(__AVX2__)
        const std::int64_t fullGroups = slots / L;
        // Whole tiles: interleave L real and L imaginary parts into L complex bins (slot 0 fixed below).
        const __m256 sc = _mm256_set1_ps(scale);
        for (std::int64_t v = 0; v < fullGroups; ++v) {
            const __m256 re = _mm256_mul_ps(_mm256_load_ps(in + v * 2 * L), sc);
            const __m256 im = _mm256_mul_ps(_mm256_load_ps(in + v * 2 * L + L), sc);
            const __m256 lo = _mm256_unpacklo_ps(re, im), hi = _mm256_unpackhi_ps(re, im);
            float* o = reinterpret_cast<float*>(c + v * L);
            _mm256_storeu_ps(o, _mm256_permute2f128_ps(lo, hi, 0x20));
            _mm256_storeu_ps(o + L, _mm256_permute2f128_ps(lo, hi, 0x31));
        }
        s = std::max<std::int64_t>(1, fullGroups * L);
#endif
        for (; s < slots; ++s) {
            const float* g = in + (s / L) * 2 * L;
            c[s][0] = g[s % L] * scale;
            c[s][1] = g[L + s % L] * scale;
        }
        c[0][0] = in[0] * scale;
        c[0][1] = 0.0f;
        if (k % 2 == 0) {
            c[k / 2][0] = in[L] * scale;
            c[k / 2][1] = 0.0f;
        }
    }
}

// unpackRowSpectra, then the inverse plan into rbuf; copies the first `len` values (blocks of kin,
// padding dropped) into out.
void BlockCirculantMatrix::Impl::inverseRow(const float* split, std::int64_t blocks, const FftwPlan& plan, float* out,
                                            std::int64_t len, fftwf_complex* cbuf, float* rbuf) const
{
    unpackRowSpectra(split, blocks, cbuf);
    inverseSpectrumRow(cbuf, blocks, plan, out, len, rbuf);
}

void BlockCirculantMatrix::Impl::inverseSpectrumRow(fftwf_complex* cbuf, std::int64_t blocks, const FftwPlan& plan,
                                                    float* out, std::int64_t len, float* rbuf) const
{
    if (len == blocks * k && kin == k && fftwf_alignment_of(out) == 0) {
        plan.executeC2r(cbuf, out); // the output row is FFTW's layout already: no copy
        return;
    }
    plan.executeC2r(cbuf, rbuf);
    copyOutRow(rbuf, blocks, out, len);
}

void BlockCirculantMatrix::Impl::forwardSpectrumRow(const float* xr, std::int64_t len, std::int64_t blocks,
                                                    const FftwPlan& plan, fftwf_complex* spec) const
{
    if (len == blocks * k && kin == k && fftwf_alignment_of(const_cast<float*>(xr)) == 0) {
        // The row is FFTW's layout already (no padding, aligned like the planning arrays): no copy.
        // r2c plans leave their input unchanged.
        plan.executeR2c(const_cast<float*>(xr), spec);
        return;
    }
    float* in = ensure(scratch().in, roundUp(blocks * kin, 16));
    for (std::int64_t j = 0; j < blocks; ++j) {
        const std::int64_t begin = j * k, n0 = std::clamp<std::int64_t>(len - begin, 0, k);
        if (n0 > 0)
            std::memcpy(in + j * kin, xr + begin, sizeof(float) * n0);
        std::fill(in + j * kin + n0, in + j * kin + k, 0.0f);
    }
    plan.executeR2c(in, spec);
}

// rbuf: blocks of kin values -> out: the first `len` values (padding dropped).
void BlockCirculantMatrix::Impl::copyOutRow(const float* rbuf, std::int64_t blocks, float* out, std::int64_t len) const
{
    for (std::int64_t b = 0; b < blocks; ++b) {
        const std::int64_t begin = b * k;
        if (begin >= len)
            break;
        std::memcpy(out + begin, rbuf + b * kin, sizeof(float) * std::min(k, len - begin));
    }
}

// Forward MAC of `rows` expanded input rows (rowX apart) into acc (rows accStride apart), by layout.
void BlockCirculantMatrix::Impl::multiplyAccumulate(const float* xs, std::int64_t rows, float* acc,
                                                    std::int64_t accStride) const
{
    if (rowLanes)
        rowLaneForward(xs, rows, acc, accStride);
    else
        slotLaneForward(xs, rows, acc, accStride);
}

// x: rows×n -> xs: rows×rowX expanded spectra (see CirculantKernels.h), written in one pass from
// FFTW's interleaved output.
void BlockCirculantMatrix::Impl::transformInputRows(const float* x, std::int64_t rows, float* xs) const
{
    transformRows(x, rows, n, n, q, *fwdQ, xs, rowX);
}

// `plan`: `blocks` transforms of k, distances kin / cdist. The tail of each out row beyond
// blocks·groups·3L is zeroed.
void BlockCirculantMatrix::Impl::transformRows(const float* x, std::int64_t rows, std::int64_t xStride,
                                               std::int64_t len, std::int64_t blocks, const FftwPlan& plan, float* xs,
                                               std::int64_t outStride) const
{
    const std::int64_t L = kernels::kLanes;
    Scratch& sc = scratch();
    fftwf_complex* spec = ensureComplex(sc.spec, roundUp(blocks * cdist, 8));
    const std::int64_t fullGroups = slots / L;
    for (std::int64_t r = 0; r < rows; ++r) {
        forwardSpectrumRow(x + r * xStride, len, blocks, plan, spec);
        float* out = xs + r * outStride;
        for (std::int64_t j = 0; j < blocks; ++j) {
            const float* c = reinterpret_cast<const float*>(spec + j * cdist);
            float* o = out + j * groups * 3 * L;
            std::int64_t v = 0;
            for (; v < fullGroups; ++v) {
                float* t = o + v * 3 * L;
                const float* cv = c + v * 2 * L;
#if defined(__AVX2__)
                // De-interleave 8 complex bins: even floats are real parts, odd ones imaginary.
                static_assert(kernels::kLanes == 8);
                const __m256 a = _mm256_loadu_ps(cv), b = _mm256_loadu_ps(cv + 8);
                const __m256 re = _mm256_castpd_ps(_mm256_permute4x64_pd(
                    _mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0))), _MM_SHUFFLE(3, 1, 2, 0)));
                const __m256 im = _mm256_castpd_ps(_mm256_permute4x64_pd(
                    _mm256_castps_pd(_mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1))), _MM_SHUFFLE(3, 1, 2, 0)));
                _mm256_store_ps(t, re);
                _mm256_store_ps(t + L, im);
                _mm256_store_ps(t + 2 * L, re);
#else
                for (std::int64_t l = 0; l < L; ++l) {
                    t[l] = cv[2 * l];
                    t[L + l] = cv[2 * l + 1];
                    t[2 * L + l] = cv[2 * l];
                }
#endif
            }
            for (; v < groups; ++v) {
                float* t = o + v * 3 * L;
                for (std::int64_t l = 0; l < L; ++l) {
                    const std::int64_t s = v * L + l;
                    const float re = s < slots ? c[2 * s] : 0.0f, im = s < slots ? c[2 * s + 1] : 0.0f;
                    t[l] = re;
                    t[L + l] = im;
                    t[2 * L + l] = re;
                }
            }
            // Packed lane: (DC, Nyquist) multiply component-wise.
            o[L] = 0.0f;
            o[2 * L] = (k % 2 == 0) ? c[k] : 0.0f;
        }
        if (outStride > blocks * groups * 3 * L)
            std::fill(out + blocks * groups * 3 * L, out + outStride, 0.0f);
    }
}

void BlockCirculantMatrix::Impl::forwardFromSpectra(const float* xs, std::int64_t rows, float* y) const
{
    if (useBinGemm(rows)) {
        binGemmFromSpectra(xs, y, rows);
        return;
    }
    const std::int64_t accStride = p * groups * 2 * kernels::kLanes;
    // Row chunks bound the accumulator memory for large batches.
    const std::int64_t chunk = std::min<std::int64_t>(rows, forwardChunk());
    Scratch& sc = scratch();
    float* acc = ensure(sc.acc, chunk * accStride);
    fftwf_complex* cbuf = ensureComplex(sc.cbuf, rowSpecP);
    float* rbuf = ensure(sc.rbuf, rowInP);
    for (std::int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const std::int64_t n0 = std::min(chunk, rows - r0);
        multiplyAccumulate(xs + r0 * rowX, n0, acc, accStride);
        for (std::int64_t r = 0; r < n0; ++r)
            inverseRow(acc + r * accStride, p, *invP, y + (r0 + r) * m, m, cbuf, rbuf);
    }
}

void BlockCirculantMatrix::Impl::fftMultiplyTransposed(const float* g, float* x, std::int64_t batch) const
{
    const std::int64_t L = kernels::kLanes;
    Scratch& sc = scratch();
    float* in = ensure(sc.in, rowInP);
    fftwf_complex* spec = ensureComplex(sc.spec, std::max(rowSpecP, rowSpecQ));
    float* split = ensure(sc.split, p * groups * 2 * L);
    const std::int64_t gStride = roundUp(p * groups * 3 * L, 16);
    const std::int64_t accStride = q * groups * 2 * L;
    const std::int64_t chunk = std::min(batch, kForwardChunk);
    float* gs = ensure(sc.gs, chunk * gStride);
    float* acc = ensure(sc.acc, chunk * accStride);
    float* rbuf = ensure(sc.rbuf, rowInQ);
    for (std::int64_t b0 = 0; b0 < batch; b0 += chunk) {
        const std::int64_t rows = std::min(chunk, batch - b0);
        for (std::int64_t r = 0; r < rows; ++r) {
            const float* gr = g + (b0 + r) * m;
            for (std::int64_t i = 0; i < p; ++i) {
                const std::int64_t begin = i * k, len = std::min(k, m - begin);
                std::memcpy(in + i * kin, gr + begin, sizeof(float) * len);
                std::fill(in + i * kin + len, in + i * kin + k, 0.0f);
            }
            fwdP->executeR2c(in, spec);
            packRowSpectra(spec, p, split);
            kernels::expandConjugateSpectra(split, p, groups, gs + r * gStride);
        }
        if (rowLanes)
            rowLaneTransposed(gs, rows, gStride, acc, accStride);
        else
            slotLaneTransposed(gs, rows, gStride, acc, accStride);
        for (std::int64_t r = 0; r < rows; ++r)
            inverseRow(acc + r * accStride, q, *invQ, x + (b0 + r) * n, n, spec, rbuf);
    }
}

void BlockCirculantMatrix::Impl::fftGradient(const InputSpectra& inputs, const float* g, std::int64_t batch,
                                             float* grad) const
{
    const std::int64_t L = kernels::kLanes;
    // Output-gradient spectra, batch-major: gT[i][v][b][2L]; inputs re-laid batch-major: xT[j][v][b][3L],
    // so the sums over the batch read contiguous memory. All buffers are per-thread scratch: training
    // calls this every step, and fresh large allocations there cost page faults that serialise threads.
    Scratch& sc = scratch();
    float* gT = ensure(sc.gT, p * groups * batch * 2 * L);
    float* xT = ensure(sc.xT, q * groups * batch * 3 * L);
    {
        float* in = ensure(sc.in, rowInP);
        fftwf_complex* spec = ensureComplex(sc.spec, rowSpecP);
        float* split = ensure(sc.split, p * groups * 2 * L);
        for (std::int64_t b = 0; b < batch; ++b) {
            const float* gr = g + b * m;
            for (std::int64_t i = 0; i < p; ++i) {
                const std::int64_t begin = i * k, len = std::min(k, m - begin);
                std::memcpy(in + i * kin, gr + begin, sizeof(float) * len);
                std::fill(in + i * kin + len, in + i * kin + k, 0.0f);
            }
            fwdP->executeR2c(in, spec);
            packRowSpectra(spec, p, split);
            for (std::int64_t t = 0; t < p * groups; ++t)
                std::memcpy(gT + (t * batch + b) * 2 * L, split + t * 2 * L, sizeof(float) * 2 * L);
            const float* xs = inputs.m_data.data() + b * inputs.m_rowStride;
            for (std::int64_t t = 0; t < q * groups; ++t)
                std::memcpy(xT + (t * batch + b) * 3 * L, xs + t * 3 * L, sizeof(float) * 3 * L);
        }
    }
    const std::int64_t accStride = q * groups * 2 * L;
    float* acc = ensure(sc.acc, 2 * accStride);
    fftwf_complex* cbuf = ensureComplex(sc.cbuf, rowSpecQ);
    float* rbuf = ensure(sc.rbuf, rowInQ);
    for (std::int64_t i = 0; i < p; i += 2) {
        const std::int64_t count = std::min<std::int64_t>(2, p - i);
        kernels::gradientRows(gT, xT, batch, i, count, q, groups, acc);
        for (std::int64_t a = 0; a < count; ++a)
            inverseRow(acc + a * accStride, q, *invQ, grad + (i + a) * q * k, q * k, cbuf, rbuf);
    }
}

void BlockCirculantMatrix::Impl::fftPrepareSegments(const float* x, std::int64_t count, std::int64_t len,
                                                    std::int64_t stride, std::int64_t qs, InputSpectra& out) const
{
    const auto plan = FftPlanCache::instance().realForward(k, qs, kin, cdist);
    if (rowLanes)
        rowLanePrepareSegments(x, count, len, stride, qs, *plan, out);
    else // the slot-lane segment layout is that of expanded input rows
        transformRows(x, count, stride, len, qs, *plan, out.m_data.data(), out.m_rowStride);
}

} // namespace circnn
