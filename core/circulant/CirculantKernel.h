#pragma once
// CirculantKernel: which algorithm a BlockCirculantMatrix uses for its products and gradient.
//
//   Fft    frequency domain: weight spectra precomputed, one forward FFT per input block, complex
//          multiply-accumulate over blocks, one inverse FFT per output block. O(k log k + k) per block.
//   Direct time domain straight from the defining vectors, O(k²) per block (no FFTs); cheaper for
//          very small blocks, where FFT overheads and SIMD padding dominate.
//   Auto   Direct for k <= kDirectMaxBlockSize (= 1), Fft otherwise.
//
// Both kernels compute the same products (up to float rounding); the tests hold them together.

#include <cstdint>

namespace circnn {

enum class CirculantKernel { Auto, Fft, Direct };

// Largest block size for which Auto picks the Direct kernel. Measured (docs/benchmarks.md): with the
// row-lane spectrum layout the FFT kernel already wins from k = 2 on (batch 1 and 64), the direct
// kernel only at k = 1 (where the FFT layout wastes 3 of 4 multiplies on a real 1-point "spectrum").
inline constexpr std::int64_t kDirectMaxBlockSize = 1;

inline const char* kernelName(CirculantKernel kernel)
{
    switch (kernel) {
    case CirculantKernel::Fft:
        return "fft";
    case CirculantKernel::Direct:
        return "direct";
    default:
        return "auto";
    }
}

} // namespace circnn
