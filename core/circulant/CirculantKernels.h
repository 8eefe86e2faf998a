#pragma once
// Inner loops of BlockCirculantMatrix (internal; layouts are described in BlockCirculantImpl.h), one
// translation unit per kernel family: SpectrumKernels.cpp (expanded spectra, gradient),
// SlotLaneKernels.cpp, RowLaneKernels.cpp, DirectKernels.cpp.
//
// Split spectra: a block's spectrum is stored as V groups ("tiles") of kLanes slots, each tile
// = kLanes real parts then kLanes imaginary parts. Slot 0 of tile 0 is packed: real part = DC,
// imaginary part = Nyquist (even k) or 0; it must be multiplied component-wise, not as a complex
// number. Expanded spectra make that branch-free: an input tile (xr, xi) is expanded to three
// vectors (xr, xb, xc) with xb = xi, xc = xr except in the packed lane, where xb = 0, xc = xi_packed.
// Then for every lane (packed or not)
//     W·X   : re += wr·xr − wi·xb,  im += wr·xb + wi·xc
//     G·X̄   : re += gr·xr + gi·xb,  im += gi·xc − gr·xb
// and the conjugate-expanded (gr, gb, gd) with gb = gi, gd = −gr (packed lane: gb = 0, gd = gi_packed)
//     W̄·G   : re += wr·gr + wi·gb,  im += wr·gb + wi·gd
// are exact in both cases.

#include <cstdint>

namespace circnn::kernels {

inline constexpr std::int64_t kLanes = 8; // floats per SIMD register (AVX2)

// split: blocks×groups tiles of 2·kLanes -> out: blocks×groups tiles of 3·kLanes.
void expandSpectra(const float* split, std::int64_t blocks, std::int64_t groups, float* out);
void expandConjugateSpectra(const float* split, std::int64_t blocks, std::int64_t groups, float* out);

// acc[i][v][2L] = Σ_j W[i][v][j] · X[j][v]  for one input row (xs expanded, [j][v][3L]).
void forwardRows(const float* weights, const float* xs, std::int64_t rows, std::int64_t rowStride, std::int64_t p,
                 std::int64_t q, std::int64_t groups, float* acc, std::int64_t accStride);
// Row-lane layout (small k, where padding S slots to kLanes would waste work): for slot s, group of
// kLanes output block rows ig, input block j, a tile of kLanes real parts (one per row) then kLanes
// imaginary parts: wrl[((s·pGroups + ig)·q + j)·2L]; rows >= p are zero. Same products as forwardRows
// (acc in the same [i][v][2L] layout, only lanes s < slots written), reading xs in its usual layout.
void forwardRowLanes(const float* wrl, const float* xs, std::int64_t rows, std::int64_t rowStride, std::int64_t p,
                     std::int64_t q, std::int64_t groups, std::int64_t slots, float* acc, std::int64_t accStride);
// forwardRowLanes with the inputs already in a compact per-slot layout: (xr, xb, xc) of slot s, input
// block j, row b (b < rows) at xsl + s·slotStride + b·rowStride + j·blockStride (forwardRowLanes
// gathers xs into [s][j][b][3] first; gathered convolution rows use [s][b][j][3]).
void forwardRowLanesCompact(const float* wrl, const float* xsl, std::int64_t rows, std::int64_t slotStride,
                            std::int64_t rowStride, std::int64_t blockStride, std::int64_t p, std::int64_t q,
                            std::int64_t groups, std::int64_t slots, float* acc, std::int64_t accStride);
// acc[j][v][2L] = Σ_i conj(W[i][v][j]) · G[i][v] with row-lane weights (see forwardRowLanes).
void transposedRowLanes(const float* wrl, const float* gs, std::int64_t p, std::int64_t q, std::int64_t groups,
                        std::int64_t slots, float* acc);

// acc[j][v][2L] = Σ_i conj(W[i][v][j]) · G[i][v]  (gs conjugate-expanded, [i][v][3L]).
void transposedRow(const float* weights, const float* gs, std::int64_t p, std::int64_t q, std::int64_t groups,
                   float* acc);
// transposedRow for `rows` rows: gs rows gStride apart, acc rows accStride apart (register-blocked).
void transposedRows(const float* weights, const float* gs, std::int64_t rows, std::int64_t gStride, std::int64_t p,
                    std::int64_t q, std::int64_t groups, float* acc, std::int64_t accStride);
// Batch-major gradient: gT[i][v][b][2L] (output-gradient spectra), xT[j][v][b][3L] (expanded input
// spectra); acc[a][j][v][2L] = Σ_b G_b[i0 + a][v] · conj(X_b[j][v]) for a < count (count <= 2 is
// register-blocked).
void gradientRows(const float* gT, const float* xT, std::int64_t batch, std::int64_t i0, std::int64_t count,
                  std::int64_t q, std::int64_t groups, float* acc);

// Direct kernel. D[i][d][j] = w_ij[d]; xc rows are [c][j] = x[j·k + c] (0 in padding), rowXc apart.
void directForward(const float* D, const float* xc, std::int64_t rows, std::int64_t rowXc, std::int64_t m,
                   std::int64_t k, std::int64_t p, std::int64_t q, float* y);
// acc[c][j] = Σ_i Σ_r w_ij[(r − c) mod k] · g[i·k + r] for one row g (length m).
void directTransposedRow(const float* D, const float* g, std::int64_t m, std::int64_t k, std::int64_t p, std::int64_t q,
                         float* acc);
// acc[i][d][j] += Σ_b Σ_r g_b[i·k + r] · xc_b[(r − d) mod k][j]  (acc must be zeroed by the caller).
void directGradient(const float* xc, std::int64_t rowXc, const float* g, std::int64_t batch, std::int64_t m,
                    std::int64_t k, std::int64_t p, std::int64_t q, float* acc);

} // namespace circnn::kernels
