#pragma once
// Function-preserving reordering of hidden units before block-circulant projection.
//
// Block-circulant structure ties together the entries of every k×k block along its wrapped
// diagonals, so WHICH units share a block row — and in which cyclic order — decides how much of a
// trained dense layer survives the projection. The units of a hidden layer can be permuted freely:
// permuting a layer's outputs (kernel columns, bias, the parameters of a BatchNormalization in
// between) together with the matching inputs of the layer that consumes them leaves the network's
// function unchanged (up to float summation order). Only the input of the model (e.g. pixels) and
// its output (class order) are fixed.
//
// For every target layer, in model order, this module searches the permutation of its output
// units that minimises
//     ‖W_L − P_k(W_L)‖²/‖W_L‖²  (+ the same for the consumer's kernel, when the consumer is a
//                                  target too and sees the units one to one)
// where P_k is the Frobenius projection (T. Chan's optimal circulant per block, averaged over the
// real entries of each wrapped diagonal), by simulated annealing over swaps of two units (seeded,
// deterministic; the best permutation visited is kept, so the residual never grows). Each swap
// updates running sums of the block rows / block columns it touches: O(n) per tap and step.
//
// A layer's units are reordered only when its output reaches the next weighted layer through a
// single chain of unit-wise layers — Activation, Dropout, BatchNormalization (last axis), max /
// average pooling, ZeroPadding2D, and after a Conv2D also GlobalAverage/MaxPooling2D or Flatten —
// ending in one dense Dense or Conv2D layer. Layers feeding Add / Concatenate / Reshape, several
// consumers, the model output or an already block-circulant consumer keep their order (the
// report says why).

#include <cstdint>
#include <string>
#include <vector>

#include "common/Progress.h"
#include "model/ModelSpec.h"

namespace circnn {

struct ReorderTarget {
    std::string layer;            // a dense Dense or Conv2D layer that will be projected
    std::int64_t blockSize = 1;   // the k it will be projected at
};

struct UnitReorderingOptions {
    std::uint64_t seed = 1;
    // Annealing steps per unit of the layer; capped so that one layer costs at most about
    // `maxWorkPerLayer` multiply-adds (large layers get fewer steps per unit).
    std::int64_t stepsPerUnit = 2000;
    double maxWorkPerLayer = 4e9;
    // (target layers done, target layers); false cancels (Cancelled is thrown).
    ProgressFn progress;
};

struct LayerReordering {
    std::string layer;
    bool reordered = false;       // false: order kept (see reason)
    std::string reason;
    std::string consumer;         // the weighted layer whose inputs were permuted to match
    // Relative projection residual ‖W − P_k(W)‖_F/‖W‖_F of this layer's kernel at its block size
    // (with its inputs as already permuted by earlier layers), before and after its outputs were
    // reordered.
    double residualBefore = 0, residualAfter = 0;
    std::int64_t steps = 0;       // annealing steps taken
    // New unit u is original unit permutation[u] (empty when not reordered).
    std::vector<std::int64_t> permutation;
};

struct UnitReorderingResult {
    ModelSpec model;                       // the reordered model: same function, same layers
    std::vector<LayerReordering> layers;   // one entry per target, model order
};

// Throws Error for unknown target layers, targets that are not dense Dense/Conv2D layers, or
// block sizes < 1; Cancelled when progress returns false.
UnitReorderingResult reorderUnits(const ModelSpec& model, const std::vector<ReorderTarget>& targets,
                                  const UnitReorderingOptions& options = {});

} // namespace circnn
