#pragma once
// BlockCirculantMatrix::Impl (internal): the matrix's geometry and precomputed weight layouts, one
// group of members per kernel family. Each family lives in its own translation unit and owns its
// layout arithmetic:
//
//   BlockCirculantFft.cpp        FFT geometry shared by both spectrum layouts: plans, forward
//                                transforms into expanded spectra, inverse transforms, the gradient.
//   BlockCirculantSlotLanes.cpp  FFT kernel, SIMD lanes over frequency slots (k >= 16 typically).
//   BlockCirculantRowLanes.cpp   FFT kernel, SIMD lanes over output block rows (small k).
//   BlockCirculantBinGemm.cpp    FFT kernel, per-bin GEMM for batched products at small k.
//   BlockCirculantSmall.cpp      FFT kernel, batch-1 products of few blocks in FFTW's own layout
//                                (same arithmetic as the slot lanes, bit-identical; no repacking).
//   BlockCirculantDirect.cpp     time-domain O(k²) kernel.
//   BlockCirculantMatrix.cpp     the public class: argument checks, chunking, dispatch.
//
// Weight spectra are computed over all cores (computeFftWeights; identical for any thread count).
//
// Layouts (all buffers 64-byte aligned; every per-row stride is a multiple of 16 floats so each
// row starts aligned exactly like the buffers the FFT plans were made on).
//
// FFT kernel, block size k, S = (k+1)/2 "slots", Sp = S rounded up to kLanes, V = Sp / kLanes:
//   slot 0 holds (DC, Nyquist or 0), slot s in [1, S) holds bin s; slots >= S are zero.
//   inputs   X[row][j][v][3·kLanes] expanded as (xr, xb, xc): see CirculantKernels.h
//   slot-lane weights  W[i][v][j][2·kLanes]  (kLanes real parts of slots v·kLanes.., then kLanes imaginary)
//   row-lane weights   wrl[s][ig][j][2·kLanes] (kLanes output block rows ig·kLanes.. of slot s)
// Direct kernel:
//   weights  D[i][d][j] = w_ij[d];   inputs Xc[row][c][j] = x[j·k + c] (0 in padding)

#include <fftw3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "circulant/BlockCirculantMatrix.h"
#include "circulant/FftwPlan.h"

namespace circnn {

namespace detail {

// Input rows transformed and multiplied together (bounds scratch memory; enough rows to reuse
// each weight slab many times from cache). The slot-lane forward product is cache-blocked
// (SlotLaneKernels.cpp) and takes bigger chunks: every weight then comes from memory once per 64 rows.
inline constexpr std::int64_t kForwardChunk = 16;
inline constexpr std::int64_t kForwardChunkSlotLanes = 64;
// Per-bin GEMM path (BlockCirculantBinGemm.cpp): taken by forward products of >= kBinGemmMinBatch
// rows for 1 < k <= binGemmMaxBlockSize(); rows go in chunks of kBinGemmChunk.
inline constexpr std::int64_t kBinGemmMinBatch = 32;
inline constexpr std::int64_t kBinGemmChunk = 64;
// 16 when OpenBLAS runs AVX-512 kernels (its cgemm then beats the engine's own kernels at k = 16),
// else 8 (measured, docs/benchmarks.md). Fixed for the process: results do not depend on timing.
std::int64_t binGemmMaxBlockSize();
// Small-product path (BlockCirculantSmall.cpp): batch-1 products of slot-lane matrices with at most
// this many frequency bins in all (p·q·(k/2+1)); its weights take 16·bins bytes.
inline constexpr std::int64_t kSmallPathBins = 4096;
// Rows per chunk in vectorGradient(x, g, ...).
inline constexpr std::int64_t kGradientChunk = 256;

// Per-thread scratch for the forward and transposed products: const members stay thread-safe and
// repeated calls do not allocate. Buffers only grow; contents are never assumed between calls.
struct Scratch {
    AlignedVector<float> xs, in, acc, rbuf, split, gs;
    AlignedVector<float> spec, cbuf; // complex buffers, 2 floats per bin
    AlignedVector<float> gT, xT;     // the gradient's batch-major spectra
};

inline Scratch& scratch()
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

inline fftwf_complex* ensureComplex(AlignedVector<float>& v, std::int64_t n)
{
    return reinterpret_cast<fftwf_complex*>(ensure(v, 2 * n));
}

inline std::int64_t roundUp(std::int64_t v, std::int64_t to)
{
    return (v + to - 1) / to * to;
}

} // namespace detail

struct BlockCirculantMatrix::Impl {
    std::int64_t m = 0, n = 0, k = 0, p = 0, q = 0;
    std::vector<float> vectors;
    CirculantKernel kernel = CirculantKernel::Fft;

    // ---- FFT geometry (BlockCirculantFft.cpp) ----
    std::int64_t slots = 0, slotsPadded = 0, groups = 0; // S, Sp, V
    std::int64_t bins = 0, cdist = 0, kin = 0;           // k/2+1, complex distance, real distance
    std::int64_t rowInQ = 0, rowInP = 0;                 // floats per row: q (resp. p) blocks of kin
    std::int64_t rowSpecQ = 0, rowSpecP = 0;             // complex per row: q (resp. p) blocks of cdist
    std::int64_t rowX = 0;                               // floats per row of expanded input spectra
    std::shared_ptr<const FftwPlan> fwdQ, fwdP, invQ, invP;

    // ---- slot lanes (BlockCirculantSlotLanes.cpp): W, empty when rowLanes ----
    AlignedVector<float> spectra;

    // ---- row lanes (BlockCirculantRowLanes.cpp) ----
    // Replaces W where padding S slots to kLanes would waste more than padding p block rows to
    // kLanes (small k).
    bool rowLanes = false;
    std::int64_t pGroups = 0;
    AlignedVector<float> rowLaneSpectra;

    // ---- per-bin GEMM (BlockCirculantBinGemm.cpp): batched forward products at small k ----
    bool binGemm = false;
    AlignedVector<float> binWeights; // [DC q×p][Nyquist q×p, even k][bin s = 1..S−1: q×p complex], ·1/k

    // ---- small products (BlockCirculantSmall.cpp): batch 1, few blocks ----
    bool smallPath = false;
    AlignedVector<float> smallWeights; // [i][j][bin group of 4][A 8, C 8]

    // ---- direct (BlockCirculantDirect.cpp) ----
    std::int64_t rowXc = 0;      // floats per row of de-interleaved input
    AlignedVector<float> direct; // D

    // Chooses the kernel and layout, makes the plans, computes the weights (BlockCirculantMatrix.cpp).
    void setup(CirculantKernel requested);
    void computeWeights();
    // Checks shared by gatherSegments and multiplyGathered.
    void checkSegments(const char* what, const InputSpectra& segments, std::span<const std::int64_t> index,
                       std::int64_t batch) const;

    // ---- FFT (both layouts) ----
    void setupFft();
    void computeFftWeights();
    void transformInputRows(const float* x, std::int64_t rows, float* xs) const;
    // Rows of `len` values (x rows xStride apart), each zero-padded to `blocks` blocks of k, through
    // `plan` -> expanded spectra [j][v][3L], out rows outStride floats apart.
    // One row of `len` values zero-padded to `blocks` blocks of k through `plan` -> spec (FFTW's
    // interleaved layout, blocks cdist apart). Aligned unpadded rows are transformed in place of a copy.
    void forwardSpectrumRow(const float* xr, std::int64_t len, std::int64_t blocks, const FftwPlan& plan,
                            fftwf_complex* spec) const;
    // Inverse plan from cbuf (destroyed) into the output row (len values of `blocks` blocks of k).
    void inverseSpectrumRow(fftwf_complex* cbuf, std::int64_t blocks, const FftwPlan& plan, float* out,
                            std::int64_t len, float* rbuf) const;
    void transformRows(const float* x, std::int64_t rows, std::int64_t xStride, std::int64_t len, std::int64_t blocks,
                       const FftwPlan& plan, float* xs, std::int64_t outStride) const;
    void packRowSpectra(const fftwf_complex* spec, std::int64_t blocks, float* split) const;
    void unpackRowSpectra(const float* split, std::int64_t blocks, fftwf_complex* cbuf) const;
    void copyOutRow(const float* rbuf, std::int64_t blocks, float* out, std::int64_t len) const;
    void multiplyAccumulate(const float* xs, std::int64_t rows, float* acc, std::int64_t accStride) const;
    void inverseRow(const float* split, std::int64_t blocks, const FftwPlan& plan, float* out, std::int64_t len,
                    fftwf_complex* cbuf, float* rbuf) const;
    // y = W·x for `rows` expanded input rows xs (rowX apart).
    void forwardFromSpectra(const float* xs, std::int64_t rows, float* y) const;
    void fftMultiplyTransposed(const float* g, float* x, std::int64_t batch) const;
    void fftGradient(const InputSpectra& inputs, const float* g, std::int64_t batch, float* grad) const;
    void fftPrepareSegments(const float* x, std::int64_t count, std::int64_t len, std::int64_t stride, std::int64_t qs,
                            InputSpectra& out) const;

    // Rows per chunk of the forward product (kForwardChunk or kForwardChunkSlotLanes).
    std::int64_t forwardChunk() const { return rowLanes ? detail::kForwardChunk : detail::kForwardChunkSlotLanes; }

    // ---- slot lanes ----
    void storeSlotLaneRow(std::int64_t i, const float* split);
    void slotLaneForward(const float* xs, std::int64_t rows, float* acc, std::int64_t accStride) const;
    void slotLaneTransposed(const float* gs, std::int64_t rows, std::int64_t gStride, float* acc,
                            std::int64_t accStride) const;
    void slotLaneGatherRows(const InputSpectra& segments, const std::int64_t* index, std::int64_t b0, std::int64_t rows,
                            float* xs) const;
    void slotLaneMultiplyGathered(const InputSpectra& segments, const std::int64_t* index, std::int64_t batch,
                                  float* y) const;

    // ---- row lanes ----
    void storeRowLaneRow(std::int64_t i, const float* split);
    void rowLaneForward(const float* xs, std::int64_t rows, float* acc, std::int64_t accStride) const;
    void rowLaneTransposed(const float* gs, std::int64_t rows, std::int64_t gStride, float* acc,
                           std::int64_t accStride) const;
    std::int64_t rowLaneSegmentStride(std::int64_t qs) const;
    void rowLanePrepareSegments(const float* x, std::int64_t count, std::int64_t len, std::int64_t stride,
                                std::int64_t qs, const FftwPlan& plan, InputSpectra& out) const;
    void rowLaneGatherRows(const InputSpectra& segments, const std::int64_t* index, std::int64_t b0, std::int64_t rows,
                           float* xs) const;
    // The same rows straight into the per-slot layout xsl[s][b][j][3] (b < rows) of
    // forwardRowLanesCompact, skipping the full expanded rows.
    void gatherSlotRows(const InputSpectra& segments, const std::int64_t* index, std::int64_t b0, std::int64_t rows,
                        float* xsl) const;
    void rowLaneMultiplyGathered(const InputSpectra& segments, const std::int64_t* index, std::int64_t batch,
                                 float* y) const;

    // ---- per-bin GEMM ----
    void storeBinGemmRow(std::int64_t i, const float* split);
    // Whether multiply(x, y, batch) of `batch` rows takes the per-bin GEMM path.
    bool useBinGemm(std::int64_t batch) const { return binGemm && batch >= detail::kBinGemmMinBatch; }
    void binGemmMultiply(const float* x, float* y, std::int64_t batch) const;
    void binGemmFromSpectra(const float* xs, float* y, std::int64_t batch) const;
    void binGemmGathered(const InputSpectra& segments, const std::int64_t* index, std::int64_t batch, float* y) const;
    void scatterBins(const float* xs, std::int64_t rows, float* xb) const;
    // The chunk loop: fillBins(b0, rows, X) writes the bin-major inputs of rows [b0, b0 + rows).
    void binGemmForward(std::int64_t batch, float* y,
                        const std::function<void(std::int64_t, std::int64_t, float*)>& fillBins) const;

    // ---- small products ----
    void storeSmallRow(std::int64_t i, const float* split);
    // Whether multiply(x, y, batch) takes the small-product path.
    bool useSmallPath(std::int64_t batch) const { return smallPath && batch == 1; }
    void smallMultiply(const float* x, float* y) const;

    // ---- direct ----
    void setupDirect();
    void computeDirectWeights();
    void deinterleaveRows(const float* x, std::int64_t rows, float* xc) const;
    void directMultiply(const float* x, float* y, std::int64_t batch) const;
    void directFromInputs(const float* xc, std::int64_t rows, float* y) const;
    void directMultiplyTransposed(const float* g, float* x, std::int64_t batch) const;
    void directGradient(const InputSpectra& inputs, const float* g, std::int64_t batch, float* grad) const;
    void directPrepareSegments(const float* x, std::int64_t count, std::int64_t len, std::int64_t stride,
                               std::int64_t qs, InputSpectra& out) const;
    void directGatherRows(const InputSpectra& segments, const std::int64_t* index, std::int64_t b0, std::int64_t rows,
                          float* xc) const;
    void directMultiplyGathered(const InputSpectra& segments, const std::int64_t* index, std::int64_t batch,
                                float* y) const;
};

} // namespace circnn
