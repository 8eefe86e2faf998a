#pragma once
// A labelled dataset in memory: images as float32 already scaled for the model, batch first
// (N, ...) — e.g. (N, 784) or (N, 28, 28, 1) — and one integer class label per sample. For models
// whose output is not a class: labels may be empty (reconstruction), or mark normal (0) /
// anomalous (1) samples, and `targets` holds regression targets.

#include <cstdint>
#include <string>
#include <vector>

#include "common/Tensor.h"

namespace circnn {

struct Dataset {
    std::string name;                 // e.g. the file it was read from
    Tensor images;                    // (N, ...) float32
    std::vector<std::int32_t> labels; // N labels in [0, classCount), or empty (unlabelled)
    Tensor targets;                   // (N, ...) float32 regression targets, or empty (rank 0)
    std::int64_t classCount = 0;      // max label + 1 unless known otherwise

    std::int64_t count() const { return images.rank() ? images.dim(0) : 0; }
};

// The samples `indices` of `data` (in that order; images and labels) as a new dataset named
// name + suffix. Throws ShapeError for an index outside [0, count()).
Dataset selectSamples(const Dataset& data, const std::vector<std::int64_t>& indices, const std::string& suffix = "");

} // namespace circnn
