#include "circulant/BlockCirculantMatrix.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "circulant/CirculantKernels.h"
#include "circulant/FftPlanCache.h"
#include "common/Error.h"

namespace circnn {

namespace {

// Input rows transformed and multiplied together (bounds scratch memory; enough rows to reuse
// each weight slab many times from cache).
constexpr std::int64_t kForwardChunk = 16;
// Rows per chunk in vectorGradient(x, g, ...).
constexpr std::int64_t kGradientChunk = 256;

// Per-thread scratch for the forward and transposed products: const members stay thread-safe and
// repeated calls do not allocate. Buffers only grow; contents are never assumed between calls.
struct Scratch {
    AlignedVector<float> xs, in, acc, rbuf, split, gs;
    AlignedVector<float> spec, cbuf; // complex buffers, 2 floats per bin
};

Scratch& scratch()
{
    thread_local Scratch s;
    return s;
}

template <typename T> T* ensure(AlignedVector<T>& v, std::int64_t n)
{
    if (static_cast<std::int64_t>(v.size()) < n)
        v.resize(static_cast<std::size_t>(n));
    return v.data();
}

fftwf_complex* ensureComplex(AlignedVector<float>& v, std::int64_t n)
{
    return reinterpret_cast<fftwf_complex*>(ensure(v, 2 * n));
}

std::int64_t roundUp(std::int64_t v, std::int64_t to)
{
    return (v + to - 1) / to * to;
}

std::string shapeText(std::int64_t m, std::int64_t n, std::int64_t k)
{
    return std::to_string(m) + "×" + std::to_string(n) + " with block size k = " + std::to_string(k);
}

void checkShape(std::int64_t m, std::int64_t n, std::int64_t k)
{
    if (m < 1 || n < 1)
        throw ShapeError("BlockCirculantMatrix: empty matrix " + std::to_string(m) + "×" + std::to_string(n) +
                         " (rows and cols must be at least 1)");
    if (k < 1 || k > std::max(m, n))
        throw ShapeError("BlockCirculantMatrix: block size k = " + std::to_string(k) + " out of range [1, " +
                         std::to_string(std::max(m, n)) + "] for a " + std::to_string(m) + "×" + std::to_string(n) +
                         " matrix");
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Layouts (all buffers 64-byte aligned; every per-row stride is a multiple of 16 floats so each
// row starts aligned exactly like the buffers the FFT plans were made on).
//
// FFT kernel, block size k, S = (k+1)/2 "slots", Sp = S rounded up to kLanes, V = Sp / kLanes:
//   slot 0 holds (DC, Nyquist or 0), slot s in [1, S) holds bin s; slots >= S are zero.
//   weights  W[i][v][j][2·kLanes]  (kLanes real parts of slots v·kLanes.., then kLanes imaginary)
//   inputs   X[row][j][v][3·kLanes] expanded as (xr, xb, xc): see CirculantKernels.h
// Direct kernel:
//   weights  D[i][d][j] = w_ij[d];   inputs Xc[row][c][j] = x[j·k + c] (0 in padding)
// ---------------------------------------------------------------------------------------------
struct BlockCirculantMatrix::Impl {
    std::int64_t m = 0, n = 0, k = 0, p = 0, q = 0;
    std::vector<float> vectors;
    CirculantKernel kernel = CirculantKernel::Fft;

    // FFT geometry.
    std::int64_t slots = 0, slotsPadded = 0, groups = 0; // S, Sp, V
    std::int64_t bins = 0, cdist = 0, kin = 0;           // k/2+1, complex distance, real distance
    std::int64_t rowInQ = 0, rowInP = 0;                 // floats per row: q (resp. p) blocks of kin
    std::int64_t rowSpecQ = 0, rowSpecP = 0;             // complex per row: q (resp. p) blocks of cdist
    std::int64_t rowX = 0;                               // floats per row of expanded input spectra
    std::shared_ptr<const FftwPlan> fwdQ, fwdP, invQ, invP;
    AlignedVector<float> spectra; // W (FFT kernel, slot lanes), empty when rowLanes
    // Row-lane layout (CirculantKernels.h) replaces W where padding S slots to kLanes would waste
    // more than padding p block rows to kLanes (small k): wrl[s][ig][j][2L].
    bool rowLanes = false;
    std::int64_t pGroups = 0;
    AlignedVector<float> rowLaneSpectra;

    // Direct geometry.
    std::int64_t rowXc = 0;      // floats per row of de-interleaved input
    AlignedVector<float> direct; // D (direct kernel)

    void setup(CirculantKernel requested);
    void computeWeights();

    // FFT helpers.
    void transformInputRows(const float* x, std::int64_t rows, float* xs) const;
    void transformRows(const float* x, std::int64_t rows, std::int64_t xStride, std::int64_t len, std::int64_t blocks,
                       const FftwPlan& plan, float* xs, std::int64_t outStride) const;
    // Segment gathering: copies rows [b0, b0 + rows) of the assembled input into xs (rows rowStride
    // apart, layout of prepareInput for the kernel in use).
    void gatherRows(const InputSpectra& segments, const std::int64_t* index, std::int64_t b0, std::int64_t rows,
                    float* xs) const;
    // Row-lane layout only: the same rows straight into a per-slot layout xsl[s][b][j][3] (b < rows)
    // for forwardRowLanesCompact, skipping the full expanded rows.
    void gatherSlotRows(const InputSpectra& segments, const std::int64_t* index, std::int64_t b0, std::int64_t rows,
                        float* xsl) const;
    void checkSegments(const char* what, const InputSpectra& segments, std::span<const std::int64_t> index,
                       std::int64_t batch) const;
    void forwardFromSpectra(const float* xs, std::int64_t rows, float* y) const;
    void inverseRow(const float* split, std::int64_t blocks, const FftwPlan& plan, float* out, std::int64_t len,
                    fftwf_complex* cbuf, float* rbuf) const;
    void packRowSpectra(const fftwf_complex* spec, std::int64_t blocks, float* split) const;

    // Direct helpers.
    void deinterleaveRows(const float* x, std::int64_t rows, float* xc) const;
};

void BlockCirculantMatrix::Impl::setup(CirculantKernel requested)
{
    kernel = requested == CirculantKernel::Auto ? BlockCirculantMatrix::autoKernel(k) : requested;
    spectra.clear();
    spectra.shrink_to_fit();
    rowLaneSpectra.clear();
    rowLaneSpectra.shrink_to_fit();
    rowLanes = false;
    direct.clear();
    direct.shrink_to_fit();
    fwdQ = fwdP = invQ = invP = nullptr;

    if (kernel == CirculantKernel::Fft) {
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
        auto& cache = FftPlanCache::instance();
        fwdQ = cache.realForward(k, q, kin, cdist);
        fwdP = cache.realForward(k, p, kin, cdist);
        invQ = cache.realInverse(k, q, cdist, kin);
        invP = cache.realInverse(k, p, cdist, kin);
    } else {
        rowXc = roundUp(k * q, 16);
    }
    computeWeights();
}

void BlockCirculantMatrix::Impl::computeWeights()
{
    if (kernel == CirculantKernel::Direct) {
        direct.assign(static_cast<std::size_t>(p * k * q), 0.0f);
        for (std::int64_t i = 0; i < p; ++i)
            for (std::int64_t j = 0; j < q; ++j)
                for (std::int64_t d = 0; d < k; ++d)
                    direct[(i * k + d) * q + j] = vectors[(i * q + j) * k + d];
        return;
    }
    const std::int64_t L = kernels::kLanes;
    if (rowLanes)
        rowLaneSpectra.assign(static_cast<std::size_t>(slots * pGroups * q * 2 * L), 0.0f);
    else
        spectra.assign(static_cast<std::size_t>(p * groups * q * 2 * L), 0.0f);
    AlignedVector<float> in(static_cast<std::size_t>(rowInQ), 0.0f);
    AlignedVector<fftwf_complex> spec(static_cast<std::size_t>(rowSpecQ));
    AlignedVector<float> split(static_cast<std::size_t>(q * groups * 2 * L));
    for (std::int64_t i = 0; i < p; ++i) {
        for (std::int64_t j = 0; j < q; ++j)
            std::memcpy(&in[j * kin], &vectors[(i * q + j) * k], sizeof(float) * k);
        fwdQ->executeR2c(in.data(), spec.data());
        packRowSpectra(spec.data(), q, split.data()); // split[j][v][2L]
        if (rowLanes) {
            const std::int64_t ig = i / L, t = i % L;
            for (std::int64_t s = 0; s < slots; ++s)
                for (std::int64_t j = 0; j < q; ++j) {
                    const float* src = &split[(j * groups + s / L) * 2 * L + s % L];
                    float* dst = &rowLaneSpectra[((s * pGroups + ig) * q + j) * 2 * L + t];
                    dst[0] = src[0];
                    dst[L] = src[L];
                }
            continue;
        }
        for (std::int64_t j = 0; j < q; ++j)
            for (std::int64_t v = 0; v < groups; ++v)
                std::memcpy(&spectra[((i * groups + v) * q + j) * 2 * L], &split[(j * groups + v) * 2 * L],
                            sizeof(float) * 2 * L);
    }
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

// Unpacks `blocks` split spectra (split[b][v][2L], packed slot 0), scaled by 1/k, into cbuf and
// runs the inverse plan into rbuf; copies the first `len` values (blocks of kin, padding dropped)
// into out.
void BlockCirculantMatrix::Impl::inverseRow(const float* split, std::int64_t blocks, const FftwPlan& plan, float* out,
                                            std::int64_t len, fftwf_complex* cbuf, float* rbuf) const
{
    const std::int64_t L = kernels::kLanes;
    const float scale = 1.0f / static_cast<float>(k);
    for (std::int64_t b = 0; b < blocks; ++b) {
        const float* in = split + b * groups * 2 * L;
        fftwf_complex* c = cbuf + b * cdist;
        c[0][0] = in[0] * scale;
        c[0][1] = 0.0f;
        for (std::int64_t s = 1; s < slots; ++s) {
            const float* g = in + (s / L) * 2 * L;
            c[s][0] = g[s % L] * scale;
            c[s][1] = g[L + s % L] * scale;
        }
        if (k % 2 == 0) {
            c[k / 2][0] = in[L] * scale;
            c[k / 2][1] = 0.0f;
        }
    }
    plan.executeC2r(cbuf, rbuf);
    for (std::int64_t b = 0; b < blocks; ++b) {
        const std::int64_t begin = b * k;
        if (begin >= len)
            break;
        std::memcpy(out + begin, rbuf + b * kin, sizeof(float) * std::min(k, len - begin));
    }
}

// x: rows×n -> xs: rows×rowX expanded spectra (see CirculantKernels.h), written in one pass from
// FFTW's interleaved output.
void BlockCirculantMatrix::Impl::transformInputRows(const float* x, std::int64_t rows, float* xs) const
{
    transformRows(x, rows, n, n, q, *fwdQ, xs, rowX);
}

// Rows of `len` values (x rows xStride apart), each zero-padded to `blocks` blocks of k, through
// `plan` (blocks transforms of k, distances kin / cdist) -> expanded spectra [j][v][3L], out rows
// outStride floats apart (the tail beyond blocks·groups·3L zeroed).
void BlockCirculantMatrix::Impl::transformRows(const float* x, std::int64_t rows, std::int64_t xStride,
                                               std::int64_t len, std::int64_t blocks, const FftwPlan& plan, float* xs,
                                               std::int64_t outStride) const
{
    const std::int64_t L = kernels::kLanes;
    Scratch& sc = scratch();
    float* in = ensure(sc.in, roundUp(blocks * kin, 16));
    fftwf_complex* spec = ensureComplex(sc.spec, roundUp(blocks * cdist, 8));
    const std::int64_t fullGroups = slots / L;
    for (std::int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * xStride;
        for (std::int64_t j = 0; j < blocks; ++j) {
            const std::int64_t begin = j * k, n0 = std::clamp<std::int64_t>(len - begin, 0, k);
            if (n0 > 0)
                std::memcpy(in + j * kin, xr + begin, sizeof(float) * n0);
            std::fill(in + j * kin + n0, in + j * kin + k, 0.0f);
        }
        plan.executeR2c(in, spec);
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
    const std::int64_t accStride = p * groups * 2 * kernels::kLanes;
    // Row chunks bound the accumulator memory for large batches.
    const std::int64_t chunk = std::min<std::int64_t>(rows, kForwardChunk);
    Scratch& sc = scratch();
    float* acc = ensure(sc.acc, chunk * accStride);
    fftwf_complex* cbuf = ensureComplex(sc.cbuf, rowSpecP);
    float* rbuf = ensure(sc.rbuf, rowInP);
    for (std::int64_t r0 = 0; r0 < rows; r0 += chunk) {
        const std::int64_t n0 = std::min(chunk, rows - r0);
        if (rowLanes)
            kernels::forwardRowLanes(rowLaneSpectra.data(), xs + r0 * rowX, n0, rowX, p, q, groups, slots, acc,
                                     accStride);
        else
            kernels::forwardRows(spectra.data(), xs + r0 * rowX, n0, rowX, p, q, groups, acc, accStride);
        for (std::int64_t r = 0; r < n0; ++r)
            inverseRow(acc + r * accStride, p, *invP, y + (r0 + r) * m, m, cbuf, rbuf);
    }
}

void BlockCirculantMatrix::Impl::deinterleaveRows(const float* x, std::int64_t rows, float* xc) const
{
    for (std::int64_t r = 0; r < rows; ++r) {
        const float* xr = x + r * n;
        float* out = xc + r * rowXc;
        std::memset(out, 0, sizeof(float) * rowXc);
        for (std::int64_t idx = 0; idx < n; ++idx)
            out[(idx % k) * q + idx / k] = xr[idx];
    }
}

// ---------------------------------------------------------------------------------------------

BlockCirculantMatrix::BlockCirculantMatrix(std::int64_t rows, std::int64_t cols, std::int64_t k,
                                           std::span<const float> vectors)
    : m_impl(std::make_unique<Impl>())
{
    checkShape(rows, cols, k);
    Impl& d = *m_impl;
    d.m = rows;
    d.n = cols;
    d.k = k;
    d.p = (rows + k - 1) / k;
    d.q = (cols + k - 1) / k;
    if (static_cast<std::int64_t>(vectors.size()) != d.p * d.q * k)
        throw ShapeError("BlockCirculantMatrix: " + shapeText(rows, cols, k) + " needs " + std::to_string(d.p) + "×" +
                         std::to_string(d.q) + "×" + std::to_string(k) + " = " + std::to_string(d.p * d.q * k) +
                         " defining-vector values, got " + std::to_string(vectors.size()));
    d.vectors.assign(vectors.begin(), vectors.end());
    d.setup(CirculantKernel::Auto);
}

BlockCirculantMatrix BlockCirculantMatrix::project(std::span<const float> dense, std::int64_t rows, std::int64_t cols,
                                                   std::int64_t k)
{
    checkShape(rows, cols, k);
    if (static_cast<std::int64_t>(dense.size()) != rows * cols)
        throw ShapeError("BlockCirculantMatrix::project: a " + std::to_string(rows) + "×" + std::to_string(cols) +
                         " matrix needs " + std::to_string(rows * cols) + " values, got " +
                         std::to_string(dense.size()));
    const std::int64_t p = (rows + k - 1) / k, q = (cols + k - 1) / k;
    std::vector<double> sum(static_cast<std::size_t>(p * q * k), 0.0);
    std::vector<std::int64_t> count(static_cast<std::size_t>(p * q * k), 0);
    for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t i = r / k, rr = r % k;
        for (std::int64_t c = 0; c < cols; ++c) {
            const std::int64_t j = c / k, cc = c % k;
            const std::int64_t idx = (i * q + j) * k + (rr - cc + k) % k;
            sum[idx] += dense[r * cols + c];
            ++count[idx];
        }
    }
    // A wrapped diagonal with no entry inside the unpadded matrix only touches padding: any value is
    // optimal there, 0 is the minimum-norm choice.
    std::vector<float> w(sum.size());
    for (std::size_t t = 0; t < w.size(); ++t)
        w[t] = count[t] ? static_cast<float>(sum[t] / static_cast<double>(count[t])) : 0.0f;
    return BlockCirculantMatrix(rows, cols, k, w);
}

BlockCirculantMatrix::BlockCirculantMatrix(const BlockCirculantMatrix& other)
    : m_impl(std::make_unique<Impl>(*other.m_impl))
{
}

BlockCirculantMatrix& BlockCirculantMatrix::operator=(const BlockCirculantMatrix& other)
{
    if (this != &other)
        m_impl = std::make_unique<Impl>(*other.m_impl);
    return *this;
}

BlockCirculantMatrix::BlockCirculantMatrix(BlockCirculantMatrix&&) noexcept = default;
BlockCirculantMatrix& BlockCirculantMatrix::operator=(BlockCirculantMatrix&&) noexcept = default;
BlockCirculantMatrix::~BlockCirculantMatrix() = default;

std::int64_t BlockCirculantMatrix::rows() const
{
    return m_impl->m;
}
std::int64_t BlockCirculantMatrix::cols() const
{
    return m_impl->n;
}
std::int64_t BlockCirculantMatrix::blockSize() const
{
    return m_impl->k;
}
std::int64_t BlockCirculantMatrix::blockRows() const
{
    return m_impl->p;
}
std::int64_t BlockCirculantMatrix::blockCols() const
{
    return m_impl->q;
}
std::int64_t BlockCirculantMatrix::parameterCount() const
{
    return m_impl->p * m_impl->q * m_impl->k;
}
double BlockCirculantMatrix::compression() const
{
    return static_cast<double>(m_impl->m) * static_cast<double>(m_impl->n) / static_cast<double>(parameterCount());
}

std::span<const float> BlockCirculantMatrix::vectors() const
{
    return m_impl->vectors;
}

void BlockCirculantMatrix::setVectors(std::span<const float> vectors)
{
    Impl& d = *m_impl;
    if (vectors.size() != d.vectors.size())
        throw ShapeError("BlockCirculantMatrix::setVectors: " + shapeText(d.m, d.n, d.k) + " needs " +
                         std::to_string(d.vectors.size()) + " values, got " + std::to_string(vectors.size()));
    std::copy(vectors.begin(), vectors.end(), d.vectors.begin());
    d.computeWeights();
}

void BlockCirculantMatrix::setKernel(CirculantKernel kernel)
{
    m_impl->setup(kernel);
}
CirculantKernel BlockCirculantMatrix::kernel() const
{
    return m_impl->kernel;
}
CirculantKernel BlockCirculantMatrix::autoKernel(std::int64_t k)
{
    return k <= kDirectMaxBlockSize ? CirculantKernel::Direct : CirculantKernel::Fft;
}

std::vector<float> BlockCirculantMatrix::toDense() const
{
    const Impl& d = *m_impl;
    std::vector<float> dense(static_cast<std::size_t>(d.m * d.n));
    for (std::int64_t r = 0; r < d.m; ++r) {
        const std::int64_t i = r / d.k, rr = r % d.k;
        float* row = dense.data() + r * d.n;
        for (std::int64_t j = 0; j < d.q; ++j) {
            const float* w = d.vectors.data() + (i * d.q + j) * d.k;
            const std::int64_t c0 = j * d.k, cols = std::min(d.k, d.n - c0);
            // Entry (rr, cc) of the block is w[(rr − cc) mod k].
            for (std::int64_t cc = 0; cc < cols; ++cc)
                row[c0 + cc] = w[cc <= rr ? rr - cc : rr - cc + d.k];
        }
    }
    return dense;
}

std::vector<std::complex<float>> BlockCirculantMatrix::blockSpectrum(std::int64_t i, std::int64_t j) const
{
    const Impl& d = *m_impl;
    if (i < 0 || i >= d.p || j < 0 || j >= d.q)
        throw ShapeError("BlockCirculantMatrix::blockSpectrum: block (" + std::to_string(i) + ", " + std::to_string(j) +
                         ") outside the " + std::to_string(d.p) + "×" + std::to_string(d.q) + " block grid");
    // Computed on demand in double precision: exact reference values for visualisation.
    const float* w = &d.vectors[(i * d.q + j) * d.k];
    std::vector<std::complex<float>> out(static_cast<std::size_t>(d.k / 2 + 1));
    const double twoPi = 6.283185307179586476925286766559;
    for (std::int64_t f = 0; f <= d.k / 2; ++f) {
        double re = 0, im = 0;
        for (std::int64_t t = 0; t < d.k; ++t) {
            const double a = -twoPi * static_cast<double>((f * t) % d.k) / static_cast<double>(d.k);
            re += w[t] * std::cos(a);
            im += w[t] * std::sin(a);
        }
        out[f] = {static_cast<float>(re), static_cast<float>(im)};
    }
    return out;
}

std::vector<float> BlockCirculantMatrix::blockMagnitude(std::int64_t i, std::int64_t j) const
{
    const auto s = blockSpectrum(i, j);
    std::vector<float> out(s.size());
    for (std::size_t t = 0; t < s.size(); ++t)
        out[t] = std::abs(s[t]);
    return out;
}

std::vector<float> BlockCirculantMatrix::blockPhase(std::int64_t i, std::int64_t j) const
{
    const auto s = blockSpectrum(i, j);
    std::vector<float> out(s.size());
    for (std::size_t t = 0; t < s.size(); ++t)
        out[t] = std::arg(s[t]);
    return out;
}

namespace {
void checkBatch(const char* what, std::int64_t batch, const void* a, const void* b)
{
    if (batch < 0)
        throw ShapeError(std::string("BlockCirculantMatrix::") + what + ": negative batch size " +
                         std::to_string(batch));
    if (batch > 0 && (!a || !b))
        throw ShapeError(std::string("BlockCirculantMatrix::") + what + ": null data pointer for a batch of " +
                         std::to_string(batch));
}
} // namespace

void BlockCirculantMatrix::prepareInput(const float* x, std::int64_t batch, InputSpectra& keep) const
{
    checkBatch("prepareInput", batch, x, x);
    const Impl& d = *m_impl;
    keep.m_batch = batch;
    keep.m_cols = d.n;
    keep.m_blockSize = d.k;
    keep.m_kernel = d.kernel;
    keep.m_segmentCols = 0;
    keep.m_rowStride = d.kernel == CirculantKernel::Fft ? d.rowX : d.rowXc;
    keep.m_data.resize(static_cast<std::size_t>(batch * keep.m_rowStride));
    if (batch == 0)
        return;
    if (d.kernel == CirculantKernel::Fft)
        d.transformInputRows(x, batch, keep.m_data.data());
    else
        d.deinterleaveRows(x, batch, keep.m_data.data());
}

void BlockCirculantMatrix::multiply(const float* x, float* y, std::int64_t batch) const
{
    checkBatch("multiply", batch, x, y);
    const Impl& d = *m_impl;
    // Inputs are transformed a chunk of rows at a time, so scratch memory stays small for any batch.
    constexpr std::int64_t kChunk = kForwardChunk;
    if (d.kernel == CirculantKernel::Fft) {
        float* xs = ensure(scratch().xs, std::min(batch, kChunk) * d.rowX);
        for (std::int64_t b = 0; b < batch; b += kChunk) {
            const std::int64_t rows = std::min(kChunk, batch - b);
            d.transformInputRows(x + b * d.n, rows, xs);
            d.forwardFromSpectra(xs, rows, y + b * d.m);
        }
    } else {
        AlignedVector<float> xc(static_cast<std::size_t>(std::min(batch, kChunk) * d.rowXc));
        for (std::int64_t b = 0; b < batch; b += kChunk) {
            const std::int64_t rows = std::min(kChunk, batch - b);
            d.deinterleaveRows(x + b * d.n, rows, xc.data());
            kernels::directForward(d.direct.data(), xc.data(), rows, d.rowXc, d.m, d.k, d.p, d.q, y + b * d.m);
        }
    }
}

void BlockCirculantMatrix::multiply(const float* x, float* y, std::int64_t batch, InputSpectra& keep) const
{
    checkBatch("multiply", batch, x, y);
    prepareInput(x, batch, keep);
    if (batch == 0)
        return;
    const Impl& d = *m_impl;
    if (d.kernel == CirculantKernel::Fft)
        d.forwardFromSpectra(keep.m_data.data(), batch, y);
    else
        kernels::directForward(d.direct.data(), keep.m_data.data(), batch, d.rowXc, d.m, d.k, d.p, d.q, y);
}

void BlockCirculantMatrix::multiplyTransposed(const float* g, float* x, std::int64_t batch) const
{
    checkBatch("multiplyTransposed", batch, g, x);
    const Impl& d = *m_impl;
    if (d.kernel == CirculantKernel::Direct) {
        AlignedVector<float> acc(static_cast<std::size_t>(d.k * d.q));
        for (std::int64_t b = 0; b < batch; ++b) {
            kernels::directTransposedRow(d.direct.data(), g + b * d.m, d.m, d.k, d.p, d.q, acc.data());
            for (std::int64_t idx = 0; idx < d.n; ++idx)
                x[b * d.n + idx] = acc[(idx % d.k) * d.q + idx / d.k];
        }
        return;
    }
    const std::int64_t L = kernels::kLanes;
    Scratch& sc = scratch();
    float* in = ensure(sc.in, d.rowInP);
    fftwf_complex* spec = ensureComplex(sc.spec, std::max(d.rowSpecP, d.rowSpecQ));
    float* split = ensure(sc.split, d.p * d.groups * 2 * L);
    const std::int64_t gStride = roundUp(d.p * d.groups * 3 * L, 16);
    const std::int64_t accStride = d.q * d.groups * 2 * L;
    const std::int64_t chunk = std::min(batch, kForwardChunk);
    float* gs = ensure(sc.gs, chunk * gStride);
    float* acc = ensure(sc.acc, chunk * accStride);
    float* rbuf = ensure(sc.rbuf, d.rowInQ);
    for (std::int64_t b0 = 0; b0 < batch; b0 += chunk) {
        const std::int64_t rows = std::min(chunk, batch - b0);
        for (std::int64_t r = 0; r < rows; ++r) {
            const float* gr = g + (b0 + r) * d.m;
            for (std::int64_t i = 0; i < d.p; ++i) {
                const std::int64_t begin = i * d.k, len = std::min(d.k, d.m - begin);
                std::memcpy(in + i * d.kin, gr + begin, sizeof(float) * len);
                std::fill(in + i * d.kin + len, in + i * d.kin + d.k, 0.0f);
            }
            d.fwdP->executeR2c(in, spec);
            d.packRowSpectra(spec, d.p, split);
            kernels::expandConjugateSpectra(split, d.p, d.groups, gs + r * gStride);
        }
        if (d.rowLanes) {
            for (std::int64_t r = 0; r < rows; ++r)
                kernels::transposedRowLanes(d.rowLaneSpectra.data(), gs + r * gStride, d.p, d.q, d.groups, d.slots,
                                            acc + r * accStride);
        } else {
            kernels::transposedRows(d.spectra.data(), gs, rows, gStride, d.p, d.q, d.groups, acc, accStride);
        }
        for (std::int64_t r = 0; r < rows; ++r)
            d.inverseRow(acc + r * accStride, d.q, *d.invQ, x + (b0 + r) * d.n, d.n, spec, rbuf);
    }
}

void BlockCirculantMatrix::vectorGradient(const float* x, const float* g, std::int64_t batch, float* grad) const
{
    checkBatch("vectorGradient", batch, x, g);
    if (!grad)
        throw ShapeError("BlockCirculantMatrix::vectorGradient: null gradient pointer");
    // Large batches (e.g. im2col rows of a convolution) go in chunks, so the transformed inputs never
    // need more than kGradientChunk rows of memory; chunk gradients are summed in order.
    const Impl& d = *m_impl;
    const std::int64_t total = d.p * d.q * d.k;
    InputSpectra inputs;
    if (batch <= kGradientChunk) {
        prepareInput(x, batch, inputs);
        vectorGradient(inputs, g, batch, grad);
        return;
    }
    std::vector<float> part(static_cast<std::size_t>(total));
    std::fill(grad, grad + total, 0.0f);
    for (std::int64_t b = 0; b < batch; b += kGradientChunk) {
        const std::int64_t rows = std::min(kGradientChunk, batch - b);
        prepareInput(x + b * d.n, rows, inputs);
        vectorGradient(inputs, g + b * d.m, rows, part.data());
        for (std::int64_t t = 0; t < total; ++t)
            grad[t] += part[t];
    }
}

void BlockCirculantMatrix::vectorGradient(const InputSpectra& inputs, const float* g, std::int64_t batch,
                                          float* grad) const
{
    checkBatch("vectorGradient", batch, g, grad);
    const Impl& d = *m_impl;
    if (!grad)
        throw ShapeError("BlockCirculantMatrix::vectorGradient: null gradient pointer");
    if (inputs.m_batch != batch || inputs.m_cols != d.n || inputs.m_blockSize != d.k || inputs.m_kernel != d.kernel ||
        inputs.m_segmentCols != 0)
        throw ShapeError("BlockCirculantMatrix::vectorGradient: kept input spectra (batch " +
                         std::to_string(inputs.m_batch) + ", n = " + std::to_string(inputs.m_cols) +
                         ", k = " + std::to_string(inputs.m_blockSize) + ", " + kernelName(inputs.m_kernel) +
                         ") do not match this call (batch " + std::to_string(batch) + ", " + shapeText(d.m, d.n, d.k) +
                         ", " + kernelName(d.kernel) + ")");
    const std::int64_t total = d.p * d.q * d.k;
    if (batch == 0) {
        std::fill(grad, grad + total, 0.0f);
        return;
    }
    if (d.kernel == CirculantKernel::Direct) {
        AlignedVector<float> acc(static_cast<std::size_t>(total), 0.0f); // acc[i][d][j]
        kernels::directGradient(inputs.m_data.data(), inputs.m_rowStride, g, batch, d.m, d.k, d.p, d.q, acc.data());
        for (std::int64_t i = 0; i < d.p; ++i)
            for (std::int64_t dd = 0; dd < d.k; ++dd)
                for (std::int64_t j = 0; j < d.q; ++j)
                    grad[(i * d.q + j) * d.k + dd] = acc[(i * d.k + dd) * d.q + j];
        return;
    }
    const std::int64_t L = kernels::kLanes;
    // Output-gradient spectra, batch-major: gT[i][v][b][2L]; inputs re-laid batch-major: xT[j][v][b][3L],
    // so the sums over the batch read contiguous memory.
    AlignedVector<float> gT(static_cast<std::size_t>(d.p * d.groups * batch * 2 * L));
    AlignedVector<float> xT(static_cast<std::size_t>(d.q * d.groups * batch * 3 * L));
    {
        AlignedVector<float> in(static_cast<std::size_t>(d.rowInP), 0.0f);
        AlignedVector<float> specBuf(static_cast<std::size_t>(2 * d.rowSpecP));
        auto* spec = reinterpret_cast<fftwf_complex*>(specBuf.data());
        AlignedVector<float> split(static_cast<std::size_t>(d.p * d.groups * 2 * L));
        for (std::int64_t b = 0; b < batch; ++b) {
            const float* gr = g + b * d.m;
            for (std::int64_t i = 0; i < d.p; ++i) {
                const std::int64_t begin = i * d.k, len = std::min(d.k, d.m - begin);
                std::memcpy(&in[i * d.kin], gr + begin, sizeof(float) * len);
                std::fill(&in[i * d.kin + len], &in[i * d.kin + d.k], 0.0f);
            }
            d.fwdP->executeR2c(in.data(), spec);
            d.packRowSpectra(spec, d.p, split.data());
            for (std::int64_t t = 0; t < d.p * d.groups; ++t)
                std::memcpy(&gT[(t * batch + b) * 2 * L], &split[t * 2 * L], sizeof(float) * 2 * L);
            const float* xs = inputs.m_data.data() + b * inputs.m_rowStride;
            for (std::int64_t t = 0; t < d.q * d.groups; ++t)
                std::memcpy(&xT[(t * batch + b) * 3 * L], xs + t * 3 * L, sizeof(float) * 3 * L);
        }
    }
    const std::int64_t accStride = d.q * d.groups * 2 * L;
    AlignedVector<float> acc(static_cast<std::size_t>(2 * accStride));
    AlignedVector<float> cbuf(static_cast<std::size_t>(2 * d.rowSpecQ));
    AlignedVector<float> rbuf(static_cast<std::size_t>(d.rowInQ));
    for (std::int64_t i = 0; i < d.p; i += 2) {
        const std::int64_t count = std::min<std::int64_t>(2, d.p - i);
        kernels::gradientRows(gT.data(), xT.data(), batch, i, count, d.q, d.groups, acc.data());
        for (std::int64_t a = 0; a < count; ++a)
            d.inverseRow(acc.data() + a * accStride, d.q, *d.invQ, grad + (i + a) * d.q * d.k, d.q * d.k,
                         reinterpret_cast<fftwf_complex*>(cbuf.data()), rbuf.data());
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs as spectra: multiply(InputSpectra) and rows assembled from segment spectra.
//
// Segment spectra layout (qs = segmentCols / k blocks per segment):
//   FFT kernel     segment s at s·qs·V·3L floats: its qs blocks [js][v][3L], exactly the layout of
//                  blocks t·qs .. t·qs + qs − 1 inside an input row of prepareInput, so assembling a
//                  row is T contiguous copies.
//   FFT kernel with row lanes (small k): segment s at s·qs·S·3 floats, compact [slot][js][3] =
//                  (xr, xb, xc): multiplyGathered copies each slot's qs·3 floats straight into the
//                  row-lane kernel's per-slot layout; gatherSegments re-expands them into tiles
//                  (exact: the other lanes of an expanded tile are zero).
//   Direct kernel  segment s at s·segmentCols floats: [c][js] = value js·k + c, copied into the
//                  row's [c][t·qs + js] (k runs of qs floats per segment).
// ---------------------------------------------------------------------------------------------

void BlockCirculantMatrix::multiply(const InputSpectra& x, float* y) const
{
    const Impl& d = *m_impl;
    if (x.m_cols != d.n || x.m_blockSize != d.k || x.m_kernel != d.kernel || x.m_segmentCols != 0)
        throw ShapeError("BlockCirculantMatrix::multiply: input spectra (n = " + std::to_string(x.m_cols) +
                         ", k = " + std::to_string(x.m_blockSize) + ", " + kernelName(x.m_kernel) +
                         (x.m_segmentCols ? ", segments" : "") + ") do not match this " + shapeText(d.m, d.n, d.k) +
                         " (" + kernelName(d.kernel) + ")");
    checkBatch("multiply", x.m_batch, x.m_data.data(), y);
    if (x.m_batch == 0)
        return;
    if (d.kernel == CirculantKernel::Fft)
        d.forwardFromSpectra(x.m_data.data(), x.m_batch, y);
    else
        kernels::directForward(d.direct.data(), x.m_data.data(), x.m_batch, d.rowXc, d.m, d.k, d.p, d.q, y);
}

void BlockCirculantMatrix::prepareSegments(const float* x, std::int64_t count, std::int64_t len, std::int64_t stride,
                                           std::int64_t segmentCols, InputSpectra& out) const
{
    checkBatch("prepareSegments", count, x, x);
    const Impl& d = *m_impl;
    if (segmentCols < 1 || segmentCols % d.k != 0 || d.n % segmentCols != 0)
        throw ShapeError("BlockCirculantMatrix::prepareSegments: segments of " + std::to_string(segmentCols) +
                         " columns do not tile the " + shapeText(d.m, d.n, d.k) +
                         " (they must be a multiple of k and divide n)");
    if (len < 1 || len > segmentCols || stride < 0)
        throw ShapeError("BlockCirculantMatrix::prepareSegments: segment length " + std::to_string(len) +
                         " (stride " + std::to_string(stride) + ") out of range [1, " + std::to_string(segmentCols) +
                         "]");
    const std::int64_t qs = segmentCols / d.k;
    out.m_batch = count;
    out.m_cols = segmentCols;
    out.m_segmentCols = segmentCols;
    out.m_blockSize = d.k;
    out.m_kernel = d.kernel;
    const std::int64_t L = kernels::kLanes;
    out.m_rowStride = d.kernel == CirculantKernel::Direct ? segmentCols
                      : d.rowLanes                        ? qs * d.slots * 3
                                                          : qs * d.groups * 3 * L;
    out.m_data.resize(static_cast<std::size_t>(count * out.m_rowStride));
    if (count == 0)
        return;
    if (d.kernel == CirculantKernel::Fft) {
        const auto plan = FftPlanCache::instance().realForward(d.k, qs, d.kin, d.cdist);
        if (!d.rowLanes) {
            d.transformRows(x, count, stride, len, qs, *plan, out.m_data.data(), out.m_rowStride);
            return;
        }
        // Row lanes: expanded spectra of a few segments at a time, kept compact as [s][js][3].
        constexpr std::int64_t kChunk = 64;
        const std::int64_t expanded = qs * d.groups * 3 * L;
        AlignedVector<float> tmp(static_cast<std::size_t>(std::min(count, kChunk) * expanded));
        for (std::int64_t s0 = 0; s0 < count; s0 += kChunk) {
            const std::int64_t n0 = std::min(kChunk, count - s0);
            d.transformRows(x + s0 * stride, n0, stride, len, qs, *plan, tmp.data(), expanded);
            for (std::int64_t r = 0; r < n0; ++r) {
                const float* e = tmp.data() + r * expanded;
                float* o = out.m_data.data() + (s0 + r) * out.m_rowStride;
                for (std::int64_t sl = 0; sl < d.slots; ++sl)
                    for (std::int64_t js = 0; js < qs; ++js) {
                        const float* t = e + (js * d.groups + sl / L) * 3 * L + sl % L;
                        float* c = o + (sl * qs + js) * 3;
                        c[0] = t[0];
                        c[1] = t[L];
                        c[2] = t[2 * L];
                    }
            }
        }
        return;
    }
    for (std::int64_t s = 0; s < count; ++s) {
        const float* xs = x + s * stride;
        float* o = out.m_data.data() + s * segmentCols;
        std::fill(o, o + segmentCols, 0.0f);
        for (std::int64_t idx = 0; idx < len; ++idx)
            o[(idx % d.k) * qs + idx / d.k] = xs[idx];
    }
}

void BlockCirculantMatrix::Impl::checkSegments(const char* what, const InputSpectra& segments,
                                               std::span<const std::int64_t> index, std::int64_t batch) const
{
    const std::string fn = std::string("BlockCirculantMatrix::") + what;
    if (batch < 0)
        throw ShapeError(fn + ": negative batch size " + std::to_string(batch));
    if (segments.m_segmentCols < 1 || segments.m_blockSize != k || segments.m_kernel != kernel ||
        n % segments.m_segmentCols != 0)
        throw ShapeError(fn + ": the segment spectra (" +
                         (segments.m_segmentCols ? std::to_string(segments.m_segmentCols) + " columns per segment"
                                                 : std::string("not segments")) +
                         ", k = " + std::to_string(segments.m_blockSize) + ", " + kernelName(segments.m_kernel) +
                         ") were not made by prepareSegments of a matrix like this " + shapeText(m, n, k) + " (" +
                         kernelName(kernel) + ")");
    const std::int64_t per = n / segments.m_segmentCols;
    if (static_cast<std::int64_t>(index.size()) != batch * per)
        throw ShapeError(fn + ": " + std::to_string(batch) + " rows of " + std::to_string(per) + " segments need " +
                         std::to_string(batch * per) + " indices, got " + std::to_string(index.size()));
    for (const std::int64_t i : index)
        if (i >= segments.m_batch)
            throw ShapeError(fn + ": segment index " + std::to_string(i) + " out of range (" +
                             std::to_string(segments.m_batch) + " segments)");
}

void BlockCirculantMatrix::Impl::gatherRows(const InputSpectra& segments, const std::int64_t* index, std::int64_t b0,
                                            std::int64_t rows, float* xs) const
{
    const std::int64_t qs = segments.m_segmentCols / k, per = q / qs, seg = segments.m_rowStride;
    const float* data = segments.m_data.data();
    if (kernel == CirculantKernel::Fft && rowLanes) {
        // Compact segments [s][js][3] back into expanded tiles (all other lanes are zero).
        const std::int64_t L = kernels::kLanes, tile = 3 * L;
        for (std::int64_t r = 0; r < rows; ++r) {
            float* out = xs + r * rowX;
            std::memset(out, 0, sizeof(float) * rowX);
            const std::int64_t* ix = index + (b0 + r) * per;
            for (std::int64_t t = 0; t < per; ++t) {
                if (ix[t] < 0)
                    continue;
                const float* src = data + ix[t] * seg;
                for (std::int64_t sl = 0; sl < slots; ++sl)
                    for (std::int64_t js = 0; js < qs; ++js) {
                        const float* c = src + (sl * qs + js) * 3;
                        float* o = out + ((t * qs + js) * groups + sl / L) * tile + sl % L;
                        o[0] = c[0];
                        o[L] = c[1];
                        o[2 * L] = c[2];
                    }
            }
        }
        return;
    }
    if (kernel == CirculantKernel::Fft) {
        const std::int64_t used = q * groups * 3 * kernels::kLanes;
        for (std::int64_t r = 0; r < rows; ++r) {
            float* out = xs + r * rowX;
            const std::int64_t* ix = index + (b0 + r) * per;
            for (std::int64_t t = 0; t < per; ++t) {
                if (ix[t] < 0)
                    std::memset(out + t * seg, 0, sizeof(float) * seg);
                else
                    std::memcpy(out + t * seg, data + ix[t] * seg, sizeof(float) * seg);
            }
            if (rowX > used)
                std::memset(out + used, 0, sizeof(float) * (rowX - used));
        }
        return;
    }
    for (std::int64_t r = 0; r < rows; ++r) {
        float* out = xs + r * rowXc;
        const std::int64_t* ix = index + (b0 + r) * per;
        for (std::int64_t t = 0; t < per; ++t)
            for (std::int64_t c = 0; c < k; ++c) {
                float* dst = out + c * q + t * qs;
                if (ix[t] < 0)
                    std::memset(dst, 0, sizeof(float) * qs);
                else
                    std::memcpy(dst, data + ix[t] * seg + c * qs, sizeof(float) * qs);
            }
        if (rowXc > k * q)
            std::memset(out + k * q, 0, sizeof(float) * (rowXc - k * q));
    }
}

void BlockCirculantMatrix::Impl::gatherSlotRows(const InputSpectra& segments, const std::int64_t* index,
                                                std::int64_t b0, std::int64_t rows, float* xsl) const
{
    // xsl[s][b][j][3]: per row, tap and slot one contiguous copy of the segment's qs·3 floats.
    const std::int64_t qs = segments.m_segmentCols / k, per = q / qs, seg = segments.m_rowStride;
    const float* data = segments.m_data.data();
    const std::int64_t run = qs * 3, slotStride = rows * q * 3;
    for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t* ix = index + (b0 + r) * per;
        float* row = xsl + r * q * 3;
        for (std::int64_t t = 0; t < per; ++t)
            for (std::int64_t sl = 0; sl < slots; ++sl) {
                float* o = row + sl * slotStride + t * run;
                if (ix[t] < 0)
                    std::memset(o, 0, sizeof(float) * run);
                else
                    std::memcpy(o, data + ix[t] * seg + sl * run, sizeof(float) * run);
            }
    }
}

void BlockCirculantMatrix::gatherSegments(const InputSpectra& segments, std::span<const std::int64_t> index,
                                          std::int64_t batch, InputSpectra& out) const
{
    const Impl& d = *m_impl;
    d.checkSegments("gatherSegments", segments, index, batch);
    if (&segments == &out)
        throw ShapeError("BlockCirculantMatrix::gatherSegments: the output must not be the segment spectra");
    out.m_batch = batch;
    out.m_cols = d.n;
    out.m_blockSize = d.k;
    out.m_kernel = d.kernel;
    out.m_segmentCols = 0;
    out.m_rowStride = d.kernel == CirculantKernel::Fft ? d.rowX : d.rowXc;
    out.m_data.resize(static_cast<std::size_t>(batch * out.m_rowStride));
    if (batch > 0)
        d.gatherRows(segments, index.data(), 0, batch, out.m_data.data());
}

void BlockCirculantMatrix::multiplyGathered(const InputSpectra& segments, std::span<const std::int64_t> index,
                                            std::int64_t batch, float* y) const
{
    const Impl& d = *m_impl;
    d.checkSegments("multiplyGathered", segments, index, batch);
    checkBatch("multiplyGathered", batch, y, y);
    constexpr std::int64_t kChunk = kForwardChunk;
    if (d.kernel == CirculantKernel::Fft && d.rowLanes) {
        // Small k: gather straight into the per-slot layout of the row-lane kernel (what
        // forwardRowLanes would gather from full expanded rows), then as forwardFromSpectra.
        Scratch& sc = scratch();
        const std::int64_t chunk = std::min(batch, kChunk);
        const std::int64_t accStride = d.p * d.groups * 2 * kernels::kLanes;
        float* xsl = ensure(sc.xs, chunk * d.q * d.slots * 3);
        float* acc = ensure(sc.acc, chunk * accStride);
        fftwf_complex* cbuf = ensureComplex(sc.cbuf, d.rowSpecP);
        float* rbuf = ensure(sc.rbuf, d.rowInP);
        for (std::int64_t b = 0; b < batch; b += kChunk) {
            const std::int64_t rows = std::min(kChunk, batch - b);
            d.gatherSlotRows(segments, index.data(), b, rows, xsl);
            kernels::forwardRowLanesCompact(d.rowLaneSpectra.data(), xsl, rows, rows * d.q * 3, d.q * 3, 3, d.p, d.q,
                                            d.groups, d.slots, acc, accStride);
            for (std::int64_t r = 0; r < rows; ++r)
                d.inverseRow(acc + r * accStride, d.p, *d.invP, y + (b + r) * d.m, d.m, cbuf, rbuf);
        }
    } else if (d.kernel == CirculantKernel::Fft) {
        float* xs = ensure(scratch().xs, std::min(batch, kChunk) * d.rowX);
        for (std::int64_t b = 0; b < batch; b += kChunk) {
            const std::int64_t rows = std::min(kChunk, batch - b);
            d.gatherRows(segments, index.data(), b, rows, xs);
            d.forwardFromSpectra(xs, rows, y + b * d.m);
        }
    } else {
        AlignedVector<float> xc(static_cast<std::size_t>(std::min(batch, kChunk) * d.rowXc));
        for (std::int64_t b = 0; b < batch; b += kChunk) {
            const std::int64_t rows = std::min(kChunk, batch - b);
            d.gatherRows(segments, index.data(), b, rows, xc.data());
            kernels::directForward(d.direct.data(), xc.data(), rows, d.rowXc, d.m, d.k, d.p, d.q, y + b * d.m);
        }
    }
}

} // namespace circnn
