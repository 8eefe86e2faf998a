#pragma once
// The hardware cost model: from an architecture (no weights needed) and a Platform to per-layer and
// total operation counts, storage, cycles, throughput and energy, for the dense model and for the
// model with block sizes applied. All formulas are in docs/hardware-model.md; the result carries
// them in words (`assumptions`).

#include <cstdint>
#include <map>
#include <string>

#include "hw/BlockSizeChoice.h"
#include "hw/Estimate.h"
#include "hw/Platform.h"
#include "model/ModelSpec.h"

namespace circnn::hw {

struct EstimateOptions {
    Precision precision = Precision::Fixed16;
    std::int64_t batch = 1; // frames processed together (weights fetched once per batch)
    ConversionPlan blocks;  // block sizes for the block-circulant design (decideBlockSizes)
};

// Radix-2 butterflies of one real-input FFT of size k: (k/4)·log2(k) (0 for k = 1). The inverse
// real FFT costs the same. Used for any k (mixed-radix FFTs cost about the same per point).
double realFftButterflies(std::int64_t k);

// Operation counts of one layer per frame at block size k (1 = dense; ignored for layers without a
// weight matrix). `spec` must have gone through inferShapes.
OpCounts layerOps(const ModelSpec& spec, const LayerSpec& layer, std::int64_t k);

// Stored weight numbers (not bits) of a layer at block size k: Dense/Conv2D weights (block-circulant:
// taps·p·q·k) plus bias; BatchNormalization 2·C (folded scale and shift); 0 otherwise.
double layerWeightCount(const ModelSpec& spec, const LayerSpec& layer, std::int64_t k);

// One design: every Dense/Conv2D layer at the block size in `blockSizes` (absent = 1, dense).
// `notes` are copied onto the layers they name. `spec` must have gone through inferShapes.
DesignEstimate estimateDesign(const ModelSpec& spec, const Platform& platform, Precision precision, std::int64_t batch,
                              const std::map<std::string, std::int64_t>& blockSizes,
                              const std::map<std::string, std::string>& notes = {});

// The full estimate: dense and block-circulant designs side by side, ratios, warnings and the
// assumptions in words. Runs inferShapes(copy, /*checkWeights=*/false) itself. Throws ShapeError
// for a batch < 1, a bad plan or a spec whose shapes do not infer.
Estimate estimateModel(const ModelSpec& spec, const Platform& platform, const EstimateOptions& options);

} // namespace circnn::hw
