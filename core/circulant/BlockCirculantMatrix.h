#pragma once
// BlockCirculantMatrix: an m×n matrix made of a p×q grid of k×k circulant blocks,
// p = ⌈m/k⌉, q = ⌈n/k⌉; dimensions k does not divide are zero-padded (padded rows are dropped
// on output, padded columns see zeros), never aliased.
//
// Convention: FIRST-COLUMN circulant. Block (i, j) is defined by w_ij (length k) with
//   C_ij[r][c] = w_ij[(r − c) mod k],   so   C_ij · x = IFFT(FFT(w_ij) ∘ FFT(x))  (circular convolution).
// Defining vectors are stored as one array of p·q·k floats, block (i, j) at offset (i·q + j)·k.
//
// Products use FFTW (single precision). Weight spectra are computed once, at construction and in
// setVectors(); every product accumulates in the frequency domain (one inverse FFT per output block
// per input vector). All const member functions are thread-safe: a matrix can be shared read-only
// by any number of threads.
//
// Batches are row-major: input row b is x[b·n .. b·n + n), output row b is y[b·m .. b·m + m).
//
// Kernels (CirculantKernel.h): by default the matrix picks the FFT kernel, or the direct O(k²)
// kernel for k <= kDirectMaxBlockSize; setKernel() forces one (tests, benchmarks). All products,
// the transposed product and the gradient follow the chosen kernel.
//
// FFT layout (internal): a block's spectrum has k/2+1 complex bins, of which DC (and, for even k,
// Nyquist) are real; it is stored split (real parts, then imaginary parts) with the Nyquist value
// packed into the imaginary slot of DC, so a block costs k floats (k+1 for odd k). For k >= 16 the
// SIMD lanes run over bins (padded to 8); for small k they run over 8 output block rows instead
// (one bin at a time, a per-bin complex GEMM), whichever pads less. See CirculantKernels.h.
//
// Scratch memory is per call or thread_local; large batches are processed in chunks of bounded
// memory. Results for a given input row do not depend on threads, nor on the batch it is part of,
// except that forward products of >= 32 rows at small k (k <= 8, or 16 when OpenBLAS runs AVX-512
// kernels) take the per-bin GEMM path (BlockCirculantBinGemm.cpp: DC / Nyquist bins as real sgemm,
// the other bins cgemm), which rounds differently (within float tolerance). All forward overloads
// follow that rule, so multiply(x), multiply(kept spectra) and multiplyGathered stay bit-identical.
//
// Training: multiply(x, y, batch, keep) also returns the transformed inputs in `keep`
// (InputSpectra); vectorGradient(keep, g, batch, grad) reuses them instead of transforming x again:
//     InputSpectra keep;                      // e.g. a member of the layer's forward cache
//     w.multiply(x, y, batch, keep);          // forward
//     w.multiplyTransposed(gy, gx, batch);    // backward: input gradient
//     w.vectorGradient(keep, gy, batch, gw);  // backward: defining-vector gradient
// Convolutions transform each pixel once (prepareSegments) and gather the spectra of the im2col
// rows (gatherSegments / multiplyGathered) instead of transforming every im2col row.

#include <complex>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "circulant/CirculantKernel.h"
#include "circulant/InputSpectra.h"
#include "common/AlignedAllocator.h"

namespace circnn {

class BlockCirculantMatrix {
public:
    // Throws ShapeError if rows or cols < 1, k < 1, k > max(rows, cols), or vectors.size() != p·q·k.
    BlockCirculantMatrix(std::int64_t rows, std::int64_t cols, std::int64_t k, std::span<const float> vectors);

    // Frobenius-nearest block-circulant matrix to the row-major rows×cols matrix `dense`:
    // each defining-vector entry is the mean of the corresponding wrapped diagonal of its block
    // (T. Chan's optimal circulant), counting only entries inside the unpadded matrix.
    static BlockCirculantMatrix project(std::span<const float> dense, std::int64_t rows, std::int64_t cols,
                                        std::int64_t k);

    BlockCirculantMatrix(const BlockCirculantMatrix&);
    BlockCirculantMatrix& operator=(const BlockCirculantMatrix&);
    BlockCirculantMatrix(BlockCirculantMatrix&&) noexcept;
    BlockCirculantMatrix& operator=(BlockCirculantMatrix&&) noexcept;
    ~BlockCirculantMatrix();

    std::int64_t rows() const;      // m
    std::int64_t cols() const;      // n
    std::int64_t blockSize() const; // k
    std::int64_t blockRows() const; // p
    std::int64_t blockCols() const; // q

    // Defining vectors, p·q·k floats (layout above).
    std::span<const float> vectors() const;
    // Replaces the defining vectors (same size) and recomputes the weight spectra.
    void setVectors(std::span<const float> vectors);

    // The expanded dense matrix, row-major rows×cols (the slow reference path).
    std::vector<float> toDense() const;

    // y = W·x for each of `batch` rows: x is batch×n, y is batch×m (overwritten).
    void multiply(const float* x, float* y, std::int64_t batch = 1) const;
    // x = Wᵀ·g for each of `batch` rows: g is batch×m, x is batch×n (overwritten).
    void multiplyTransposed(const float* g, float* x, std::int64_t batch = 1) const;
    // dL/dw for the defining vectors, summed over the batch, given the layer inputs x (batch×n)
    // and output gradients g (batch×m): grad has p·q·k floats (overwritten). Batches of any size
    // are processed in chunks of bounded memory.
    void vectorGradient(const float* x, const float* g, std::int64_t batch, float* grad) const;

    // Visualisation: spectrum FFT(w_ij) of block (i, j), k/2+1 complex bins.
    std::vector<std::complex<float>> blockSpectrum(std::int64_t i, std::int64_t j) const;
    // |FFT(w_ij)| and arg FFT(w_ij) (radians, in (−π, π]) of block (i, j), k/2+1 values each.
    std::vector<float> blockMagnitude(std::int64_t i, std::int64_t j) const;
    std::vector<float> blockPhase(std::int64_t i, std::int64_t j) const;

    // ---- additions beyond the original contract ----

    // As multiply(x, y, batch), and also stores the transformed inputs in `keep` (replacing its
    // contents) for a later vectorGradient(keep, ...). Results are identical to multiply(x, y, batch).
    void multiply(const float* x, float* y, std::int64_t batch, InputSpectra& keep) const;
    // Transforms inputs x (batch×n) into `keep` without multiplying.
    void prepareInput(const float* x, std::int64_t batch, InputSpectra& keep) const;
    // As vectorGradient(x, g, batch, grad), with the inputs given as spectra kept by multiply().
    // Throws ShapeError if `inputs` was made by a matrix of another shape/k/kernel or holds another batch.
    void vectorGradient(const InputSpectra& inputs, const float* g, std::int64_t batch, float* grad) const;

    // y = W·x for the x.batch() input rows held in x (made by prepareInput, multiply(..., keep) or
    // gatherSegments of a matrix with the same shape, k and kernel); y is x.batch()×m. Identical to
    // multiply() on the inputs x was made from.
    void multiply(const InputSpectra& x, float* y) const;

    // ---- inputs assembled from transformed segments ("im2col in the frequency domain") ----
    // When every input row is a concatenation of T = n / segmentCols segments taken from a smaller
    // set of distinct segments (a convolution's im2col row: one segment per kernel tap, each one
    // pixel's channels zero-padded to segmentCols), each distinct segment can be transformed once
    // and the rows assembled by copying spectra: no forward FFT per row. segmentCols must be a
    // multiple of k that divides n, so no block straddles two segments. Works with every kernel.
    //
    // Transforms `count` segments into `out` (segment spectra, see InputSpectra.h): segment s is
    // x[s·stride .. s·stride + len) followed by segmentCols − len zeros (1 <= len <= segmentCols).
    void prepareSegments(const float* x, std::int64_t count, std::int64_t len, std::int64_t stride,
                         std::int64_t segmentCols, InputSpectra& out) const;
    // Assembles `batch` input rows into `out` (replacing its contents): segment t of row b is segment
    // index[b·T + t] of `segments`, or all zeros if that index is negative. `out` is then exactly what
    // prepareInput() makes of the same rows written out in the time domain, up to float rounding of
    // the FFTs: usable by multiply(const InputSpectra&, y) and vectorGradient(out, ...).
    void gatherSegments(const InputSpectra& segments, std::span<const std::int64_t> index, std::int64_t batch,
                        InputSpectra& out) const;
    // gatherSegments + multiply(InputSpectra) a chunk of rows at a time (bounded scratch memory, no
    // InputSpectra of the whole batch); y is batch×m. Results equal those of the two-step form.
    void multiplyGathered(const InputSpectra& segments, std::span<const std::int64_t> index, std::int64_t batch,
                          float* y) const;

    // Chooses the kernel (Auto resolves by block size). Recomputes the precomputed weight layout.
    void setKernel(CirculantKernel kernel);
    // The kernel in use (never Auto).
    CirculantKernel kernel() const;
    // The kernel Auto picks for block size k.
    static CirculantKernel autoKernel(std::int64_t k);

    // Number of stored parameters (p·q·k) and the compression m·n / (p·q·k).
    std::int64_t parameterCount() const;
    double compression() const;

private:
    friend class CirculantPhases; // benchmark: the phases of multiply() one at a time
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace circnn
