#pragma once
// Per-layer sensitivity (the method users know from pruning tools): convert ONE layer at a time
// over the k list, all other layers dense, and record the accuracy. It is a sweep of kind
// SweepKind::Sensitivity (its points are ordinary sweep points: resumable, shardable, reported);
// this header turns its points into per-layer curves.

#include <cstdint>
#include <string>
#include <vector>

#include "analysis/SweepResult.h"

namespace circnn {

struct SensitivityCurve {
    std::size_t modelIndex = 0;
    std::string model;
    std::string mode;
    std::string layer;
    std::string task = "classify";               // the points' task: top1 / denseTop1 hold MSEs unless "classify"
    double denseTop1 = 0;                        // the dense model's SweepPointResult::denseScore()
    std::vector<std::int64_t> blockSizes;        // ascending
    std::vector<double> top1;                    // per block size: SweepPointResult::score()
    std::vector<double> residual;                // the layer's relative residual per block size
    std::vector<std::int64_t> parameters;        // the layer's stored weights per block size
    std::vector<const SweepPointResult*> points; // into the input vector
};

// One curve per (model, mode, layer) among the sensitivity points (sensitivityLayer set), in the
// order they first appear; other points are ignored. The returned curves point into `points`.
std::vector<SensitivityCurve> sensitivityCurves(const std::vector<SweepPointResult>& points);

} // namespace circnn
