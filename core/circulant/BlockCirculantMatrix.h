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

#include <complex>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

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

    std::int64_t rows() const;        // m
    std::int64_t cols() const;        // n
    std::int64_t blockSize() const;   // k
    std::int64_t blockRows() const;   // p
    std::int64_t blockCols() const;   // q

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
    // and output gradients g (batch×m): grad has p·q·k floats (overwritten).
    void vectorGradient(const float* x, const float* g, std::int64_t batch, float* grad) const;

    // Visualisation: spectrum FFT(w_ij) of block (i, j), k/2+1 complex bins.
    std::vector<std::complex<float>> blockSpectrum(std::int64_t i, std::int64_t j) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace circnn
