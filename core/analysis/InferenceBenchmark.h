#pragma once
// InferenceBenchmark: whole-network inference time, dense vs block-circulant, through nn::Model
// (the same code paths as `circnn eval`), side by side in one process. Used by `circnn bench --model`
// and `circnn bench --conv`.
//
//   benchmarkModelInference  a model file's network converted at block size k (convertModel: every
//                            eligible Dense / Conv2D layer, the output layer stays dense) against the
//                            same network with those weights expanded to dense (same architecture,
//                            same function: the outputs are compared).
//   benchmarkConvolutions    single 3×3 stride-1 'same' Conv2D layers (the shapes of VGG-scale
//                            networks): random block-circulant weights against the same weights
//                            expanded to a dense kernel (im2col + OpenBLAS sgemm).
// Threads: 1 (OpenBLAS single-threaded too) or all (Model splits the batch into chunks of 32 images,
// so batch 1 runs on one thread either way). Times are per call: the calling thread's CPU time when
// every row is single-threaded (robust on a shared machine), else wall clock for all rows; the
// median of `repeat` samples, each averaging enough calls to last >= minSampleSeconds (warm caches).
// Every row also checks that both outputs agree (maxRelDiff).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/ModelSpec.h"

namespace circnn {

struct InferenceBenchConfig {
    std::vector<std::int64_t> batches{1, 64};
    std::vector<std::size_t> threads{1, 0}; // 0 = all cores (workerCount())
    int repeat = 5;
    double minSampleSeconds = 0.05;
    std::uint32_t seed = 1;
};

struct ConvBenchShape {
    std::int64_t channelsIn = 0, channelsOut = 0, height = 0, width = 0;
};

struct InferenceBenchRow {
    std::string label; // model name or conv shape, e.g. "512->512@14x14"
    std::int64_t blockSize = 0, batch = 0;
    std::size_t threads = 0; // actual number used
    double denseUs = 0, circulantUs = 0, speedup = 0;
    double maxRelDiff = 0; // max |y_circ − y_dense| / max |y_dense|
    std::int64_t denseParameters = 0, circulantParameters = 0;
};

// Throws Error if the model has no layer that converts at k.
std::vector<InferenceBenchRow> benchmarkModelInference(const ModelSpec& model, std::int64_t k,
                                                       const InferenceBenchConfig& config,
                                                       const std::function<void(const InferenceBenchRow&)>& onRow = {});

// One recurrent layer (SimpleRNN / LSTM / GRU, last output only) over `steps` time steps: random
// weights projected to block-circulant at each k (W and U) against the same weights expanded
// (dense: OpenBLAS sgemm for the input projection of all steps and per step for h·U).
struct RecurrentBenchShape {
    LayerKind kind = LayerKind::LSTM;
    std::int64_t units = 1024, inputs = 1024, steps = 100;
};
std::vector<InferenceBenchRow> benchmarkRecurrent(const RecurrentBenchShape& shape,
                                                  const std::vector<std::int64_t>& blockSizes,
                                                  const InferenceBenchConfig& config,
                                                  const std::function<void(const InferenceBenchRow&)>& onRow = {});

std::vector<InferenceBenchRow> benchmarkConvolutions(const std::vector<ConvBenchShape>& shapes,
                                                     const std::vector<std::int64_t>& blockSizes,
                                                     const InferenceBenchConfig& config,
                                                     const std::function<void(const InferenceBenchRow&)>& onRow = {});

} // namespace circnn
