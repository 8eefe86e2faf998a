#pragma once
// PerBinGemmReference: the batched block-circulant product written the way a tensor library would
// (the reference variant of `circnn bench --reference`, issue 14 §2):
//   1. one FFTW many-plan: real FFT of every input block, written bin-major, X[f][b][j];
//   2. per frequency bin f (k/2 + 1 of them, DC and Nyquist treated as complex like the rest), one
//      complex GEMM  Y_f (batch × p) = X_f (batch × q) · W_f (q × p)  with OpenBLAS cblas_cgemm;
//   3. one FFTW many-plan: inverse real FFT of every output block, read bin-major from Y[f][b][i].
// The transposes between the block-major time domain and the bin-major GEMM operands are done by the
// FFT plans' strides (no separate copies). W_f is FFT(w_ij)[f] / k (the inverse FFT's 1/k folded in).
// Inputs and outputs are row-major batch×n / batch×m; rows or columns k does not divide are
// zero-padded through a copy. Single-threaded as far as OpenBLAS is (the benchmark sets 1 thread).
// Not thread-safe (owns its buffers).

#include <fftw3.h>

#include <cstdint>
#include <memory>
#include <span>

#include "circulant/FftwPlan.h"
#include "common/AlignedAllocator.h"

namespace circnn {

class PerBinGemmReference {
public:
    // vectors: p·q·k defining vectors (BlockCirculantMatrix layout); batch: rows per multiply().
    PerBinGemmReference(std::int64_t rows, std::int64_t cols, std::int64_t k, std::span<const float> vectors,
                        std::int64_t batch);
    PerBinGemmReference(const PerBinGemmReference&) = delete;
    PerBinGemmReference& operator=(const PerBinGemmReference&) = delete;
    ~PerBinGemmReference();

    // y = W·x for the batch given at construction: x is batch×n, y is batch×m. x must be 64-byte
    // aligned when k divides n (FFTW executes on it directly).
    void multiply(const float* x, float* y);

private:
    std::int64_t m_m, m_n, m_k, m_p, m_q, m_batch, m_bins;
    AlignedVector<float> m_weights; // W[f][j][i] complex (2 floats each)
    AlignedVector<float> m_xSpec;   // X[f][b][j] complex
    AlignedVector<float> m_ySpec;   // Y[f][b][i] complex
    AlignedVector<float> m_xPad;    // padded inputs (only when k does not divide n)
    AlignedVector<float> m_yPad;    // padded outputs (only when k does not divide m)
    std::unique_ptr<FftwPlan> m_forward, m_inverse;
};

} // namespace circnn
