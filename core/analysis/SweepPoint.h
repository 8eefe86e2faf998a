#pragma once
// Computing one sweep point: a composition of the core workflows (conversion / data-aware
// projection / fine-tuning / training, evaluation, hardware estimate), never a copy of them.
// What a point shares with the other points of its model (the model read and prepared, the data,
// the dense evaluation) is prepared once in a SweepModelContext and used read-only, so points of
// one model may be computed on several threads at once.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "analysis/SweepConfig.h"
#include "analysis/SweepResult.h"
#include "hw/Platform.h"
#include "model/Dataset.h"
#include "model/ModelSpec.h"
#include "nn/Evaluation.h"
#include "nn/Model.h"

namespace circnn {

struct SweepModelContext {
    std::string file;
    std::shared_ptr<const ModelSpec> spec;
    std::unique_ptr<Model> dense;         // prepared, shared read-only (the timing reference)
    std::shared_ptr<const Dataset> eval;  // shaped for the model input
    std::shared_ptr<const Dataset> train; // null unless a mode needs it
    Task task = Task::Classify;           // config.task resolved for this model (detectTask for Auto)
    Evaluation denseEval;
    std::int64_t denseParameters = 0; // stored numbers of the whole model
};

// Reads the model and the data of config.models[modelIndex], resolves the task and evaluates the
// dense model (evaluateModel).
SweepModelContext prepareSweepModel(const SweepConfig& config, std::size_t modelIndex);

// The resolved platforms of a config ("all" = every built-in preset, in registry order).
std::vector<hw::Platform> resolveSweepPlatforms(const SweepConfig& config);

// Computes one point by composing the workflows: convertModel (project, data), finetuneModel
// (finetune), trainModel (scratch), then evaluateModel and estimateModel per platform. `step` (optional) is told the
// current step ("converting", "evaluating", "training epoch 1/2", ...); `cancel` (optional) returning true stops at the
// next safe point (throws Cancelled). Deterministic for a given config apart from SweepPointResult::timing and
// ::seconds (the measured figures).
SweepPointResult computeSweepPoint(const SweepConfig& config, const std::string& configHash,
                                   const SweepModelContext& context, const std::vector<hw::Platform>& platforms,
                                   const SweepPointSpec& point,
                                   const std::function<void(const std::string&)>& step = {},
                                   const std::function<bool()>& cancel = {});

// A scratch point's starting model: the converted model (its architecture and block sizes) with
// every weight redrawn from `seed` — Dense, the convolutions, recurrent layers, Embedding,
// MultiHeadAttention's four projections, gamma 1 / beta 0 of the normalisations — by the rules of
// training from scratch (nn/training/WeightInitialiser.h: Keras' defaults; block-circulant layers
// draw their defining vectors from the dense kernel's distribution). Deterministic for a seed.
ModelSpec scratchStartingPoint(ModelSpec converted, std::uint32_t seed);

// Measured CPU speed of a prepared model on `samples` samples of `data`, single thread (the
// engine's own speed): latency = the median over up to 64 single-sample passes, throughput = the
// best of three passes over `samples` in batches of 32.
SweepTiming measureSweepTiming(const Model& dense, const Model& circulant, const Dataset& data, std::int64_t samples);

} // namespace circnn
