#pragma once
// Data-aware ("output-matching") projection of Dense layers to block-circulant form.
//
// The Frobenius projection (convertModel) weighs every weight equally. With calibration inputs
// this module instead solves, per converted Dense layer with dense weights W (m×n = kernelᵀ),
//     min_C ‖X_new·Cᵀ − X_orig·Wᵀ‖²_F + λ·‖u − u_P‖²
// over block-circulant C with defining vectors u, where X_orig are the layer's inputs in the
// ORIGINAL dense model, X_new the inputs produced by the already converted preceding layers
// (layers are processed in model order, so later layers compensate earlier errors), and u_P the
// Frobenius projection's defining vectors. Padded output rows (k not dividing m) are not part of
// the objective; padded input columns are zero. The bias is unchanged (it cancels).
//
// Ridge: λ = relativeRidge · trace(G)/(q·k), G the normal-equation Gram matrix of a block row
// (the same for every block row; only a last, padded block row has its own). The ridge is on the
// defining vectors (one entry of u stands for k entries of C), pulling toward the Frobenius
// projection where the data says nothing (e.g. input pixels that are always 0).
//
// Solved in double: G from the n×n input moment matrix X_newᵀX_new, one Cholesky factorisation,
// one solve per block row. Layers with q·k > kDataAwareMaxUnknowns keep the Frobenius projection
// (with a warning); Conv2D layers always keep it (with a warning).

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "analysis/Conversion.h"
#include "common/Progress.h"
#include "common/Tensor.h"
#include "model/ModelSpec.h"

namespace circnn {

inline constexpr std::int64_t kDataAwareMaxUnknowns = 4096;
inline constexpr double kDefaultRelativeRidge = 1e-3;

// Per-layer figures of the data-aware solution (layers in model order, converted Dense only).
struct DataAwareLayerReport {
    std::string layer;
    bool dataAware = false;          // false: kept the Frobenius projection (see reason)
    std::string reason;
    std::int64_t unknowns = 0;       // q·k per block row
    double ridge = 0;                // absolute λ
    // ‖X_new·Cᵀ − X_orig·Wᵀ‖_F / ‖X_orig·Wᵀ‖_F on the calibration data (valid rows only), for
    // the Frobenius projection and for the data-aware solution.
    double frobeniusOutputError = 0, dataAwareOutputError = 0;
};

// The data-aware defining vectors (p·q·k floats, BlockCirculantMatrix layout) for the row-major
// rows×cols matrix `dense`: xNew and xOrig are N×cols row-major (the same samples, through the
// converted and the original model). Throws Error if rows·cols·k are invalid, the sizes do not
// match, or q·k > kDataAwareMaxUnknowns.
std::vector<float> projectDataAware(std::span<const float> dense, std::int64_t rows, std::int64_t cols,
                                    std::int64_t k, std::span<const float> xNew, std::span<const float> xOrig,
                                    std::int64_t samples, double relativeRidge = kDefaultRelativeRidge);

// convertModel(model, request), then every converted Dense layer's defining vectors replaced by the
// data-aware solution (relativeResidual recomputed as ‖W − C‖_F/‖W‖_F). calibrationInputs: (N, input
// shape...) shaped for the model input. progress: (layers done, layers to solve); false cancels
// (Cancelled). Adds warnings for Conv2D layers and for layers too large to solve.
ConversionResult convertModelDataAware(const ModelSpec& model, const ConversionRequest& request,
                                       const Tensor& calibrationInputs, double relativeRidge = kDefaultRelativeRidge,
                                       const ProgressFn& progress = {},
                                       std::vector<DataAwareLayerReport>* report = nullptr);

} // namespace circnn
