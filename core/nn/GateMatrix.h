#pragma once
// GateMatrix: the product y = x·K of a recurrent layer's input or recurrent weights, for a kernel in
// Keras layout K (n × m, the gates stacked along m), either dense (cblas_sgemm on the caller's
// storage) or block-circulant (W = Kᵀ, an m × n BlockCirculantMatrix with precomputed weight
// spectra reused by every call, i.e. by every time step). Batches are row-major.
//
// Dense storage is borrowed: the kernel tensor must outlive the GateMatrix and keep its address
// (a layer's own member). Block-circulant vectors are copied into the matrix; call setVectors()
// after changing them.

#include <cstdint>
#include <optional>

#include "circulant/BlockCirculantMatrix.h"

namespace circnn::nn {

class GateMatrix {
public:
    void setDense(const float* kernel, std::int64_t n, std::int64_t m);
    void setCirculant(std::int64_t n, std::int64_t m, std::int64_t k, std::span<const float> vectors);
    void setVectors(std::span<const float> vectors) { m_matrix->setVectors(vectors); }
    bool circulant() const { return m_matrix.has_value(); }
    std::int64_t inputs() const { return m_n; }
    std::int64_t outputs() const { return m_m; }

    // y = x·K for `rows` rows (x rows × n, y rows × m, overwritten). With `keep` (block-circulant
    // only) the transformed inputs are kept for gradient().
    void multiply(const float* x, float* y, std::int64_t rows, InputSpectra* keep = nullptr) const;
    // gx = gy·Kᵀ (gy rows × m, gx rows × n, overwritten).
    void multiplyTransposed(const float* gy, float* gx, std::int64_t rows) const;
    // dL/dK summed over rows (dense: n × m, Keras layout) or dL/d(defining vectors) (p·q·k),
    // overwritten. `keep`: spectra of exactly these x rows from multiply(), or nullptr.
    void gradient(const float* x, const float* gy, std::int64_t rows, float* grad,
                  const InputSpectra* keep = nullptr) const;

private:
    const float* m_kernel = nullptr;
    std::int64_t m_n = 0, m_m = 0;
    std::optional<BlockCirculantMatrix> m_matrix;
};

} // namespace circnn::nn
