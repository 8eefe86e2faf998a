#include "analysis/WeightView.h"

#include "analysis/Conversion.h"
#include "common/Error.h"
#include "model/LayerTraits.h"
#include "model/RecurrentKinds.h"

#include <algorithm>

namespace circnn {

bool hasWeightMatrix(const LayerSpec& layer)
{
    if (!layerTraits(layer.kind).convertible || isRecurrent(layer.kind)) // Dense and the convolutions
        return false;
    return layer.circulant.has_value() || !layer.kernel.empty();
}

WeightMatrixView weightMatrix(const LayerSpec& layer)
{
    if (!hasWeightMatrix(layer))
        throw Error("layer '" + layer.name + "' (" + layerKindName(layer.kind) + ") has no weight matrix");
    const Tensor kernel = layer.circulant ? expandedKernel(layer) : layer.kernel;
    WeightMatrixView v;
    v.blockSize = layer.circulant ? layer.circulant->k : 1;
    if (layer.kind == LayerKind::Dense) {
        const std::int64_t n = kernel.dim(0), m = kernel.dim(1);
        v.rows = m;
        v.cols = n;
        v.values.resize(static_cast<std::size_t>(m * n));
        for (std::int64_t i = 0; i < n; ++i)
            for (std::int64_t o = 0; o < m; ++o)
                v.values[static_cast<std::size_t>(o * n + i)] = kernel[i * m + o];
        v.description = "W = kernelᵀ (" + std::to_string(m) + " × " + std::to_string(n) + ")";
    } else {
        // Conv2D (kh, kw, C_in, C_out), Conv1D (kw, C_in, C_out), Conv2DTranspose (kh, kw, C_out, C_in).
        const bool transposed = layer.kind == LayerKind::Conv2DTranspose;
        const std::int64_t taps = layer.kernelH * layer.kernelW, cout = layer.units;
        const std::int64_t cin = kernel.size() / std::max<std::int64_t>(1, taps * cout);
        v.rows = cout;
        v.cols = taps * cin;
        v.values.resize(static_cast<std::size_t>(v.rows * v.cols));
        for (std::int64_t t = 0; t < taps; ++t)
            for (std::int64_t c = 0; c < cin; ++c)
                for (std::int64_t o = 0; o < cout; ++o)
                    v.values[static_cast<std::size_t>(o * v.cols + t * cin + c)] =
                        transposed ? kernel[(t * cout + o) * cin + c] : kernel[(t * cin + c) * cout + o];
        v.description = "C_out × (taps·C_in) = " + std::to_string(cout) + " × " + std::to_string(v.cols) + " (" +
                        std::to_string(taps) + " taps)";
    }
    return v;
}

} // namespace circnn
