#pragma once
// The one block-size decision rule: which Dense / Conv2D layers of a model become block-circulant
// under a ConversionPlan, at which k, and why the others stay as they are. Model conversion
// (core/analysis), hardware estimates (core/hw) and architecture building (training from scratch)
// all apply it, so a plan means the same everywhere.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "model/ConversionPlan.h"
#include "model/ModelSpec.h"

namespace circnn {

// The layer whose weights produce the model output: the output layer itself or, when the output
// is an Activation / Dropout / Flatten / Reshape / BatchNormalization, the weighted layer behind it.
// Empty for an empty model.
std::string outputWeightLayer(const ModelSpec& model);

// Checks a per-layer block-size map against the model: every named layer exists, is Dense or
// Conv2D, and has k ≥ 1. Throws ShapeError naming the model and the layer.
void checkPlanLayers(const ModelSpec& model, const std::map<std::string, std::int64_t>& perLayer);

// What the plan does to one Dense / Conv2D layer.
enum class BlockSizeOutcome {
    Converts,         // dense now, block-circulant at `blockSize` after the plan
    AlreadyCirculant, // block-circulant already, at the requested k
    NotRequested,     // no k for this layer (defaultBlockSize 0 and not named)
    DenseRequested,   // k = 1
    OutputLayer,      // the output layer under defaultBlockSize without convertOutputLayer
    ChannelsBelowK,   // Conv2D with C_in < k
    DimensionBelowK,  // a dimension of the weight matrix is smaller than k
    Conflict,         // block-circulant already at a different k than requested
};

struct BlockSizeDecision {
    std::string layer;
    LayerKind kind = LayerKind::Dense;
    std::int64_t requestedK = 0; // the plan's k for this layer (0 = none)
    bool explicitK = false;      // named in plan.perLayer
    std::int64_t currentK = 1;   // k of the layer as it is (1 = dense)
    // k of the layer after the plan (1 = dense); for a Conflict the layer keeps currentK.
    std::int64_t blockSize = 1;
    BlockSizeOutcome outcome = BlockSizeOutcome::NotRequested;
    std::int64_t rows = 0, cols = 0; // weight matrix: Dense out × in, Conv2D C_out × C_in
    std::string reason;              // why the layer does not convert now (empty for Converts)

    bool converts() const { return outcome == BlockSizeOutcome::Converts; }
    // Block-circulant after the plan (converted now or already).
    bool circulantAfter() const { return blockSize > 1 || currentK > 1; }
    // Kept dense because k does not fit the layer (ChannelsBelowK / DimensionBelowK).
    bool tooSmall() const
    {
        return outcome == BlockSizeOutcome::ChannelsBelowK || outcome == BlockSizeOutcome::DimensionBelowK;
    }
};

// One decision per Dense / Conv2D layer of `model` (in layer order; shapes must be inferred, weights
// are not needed). Throws ShapeError for defaultBlockSize < 0 and for a perLayer map that
// checkPlanLayers rejects. Rules, in order: no k → NotRequested; a block-circulant layer keeps its
// k (AlreadyCirculant, or Conflict when another k ≥ 1 is requested — the caller decides whether
// that is an error); k = 1 → DenseRequested; the output layer stays dense under defaultBlockSize
// unless convertOutputLayer (a perLayer entry always applies); Conv2D with C_in < k and layers with
// a weight-matrix dimension below k stay dense (the blocks would be mostly zero padding).
std::vector<BlockSizeDecision> decideBlockSizes(const ModelSpec& model, const ConversionPlan& plan);

} // namespace circnn
