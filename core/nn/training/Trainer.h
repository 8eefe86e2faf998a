#pragma once
// Supervised training of a model (dense or block-circulant) with softmax cross-entropy.
//
// - Mini-batch SGD-with-momentum or Adam (Optimizer.h), L2 weight decay, per-epoch learning-rate
//   schedule (LearningRateSchedule.h).
// - Validation split: a seeded random `validationSplit` fraction of the samples is held out (never
//   trained on); each epoch ends with an evaluation on it. The best epoch (highest validation
//   accuracy; the earliest on ties; training accuracy when there is no validation set) is kept and
//   returned, not the last one.
// - Each epoch visits the training samples in a seeded random order (Fisher–Yates over a
//   std::mt19937_64, so identical on every standard library).
// - Parallelism: every mini-batch is split into T = min(workerCount(), batch) contiguous shards,
//   run forwardTrain/backward concurrently (one ForwardCache each), and the shard gradients are
//   summed in shard order. Results are therefore bit-identical for a given seed, data and thread
//   count; a different thread count changes float summation order (tiny differences).
// - The loss is the mean over the mini-batch; if the model ends in softmax it is skipped and the
//   loss works on logits (stable log-softmax); otherwise the model's outputs are taken as logits.
// - Task Reconstruct / Regress (TrainOptions::task): the loss is the mean squared error
//   (MeanSquaredError.h) against the input (Reconstruct, after augmentation) or Dataset::targets
//   (Regress); the best epoch is the one with the lowest validation (else training) MSE, and the
//   accuracy figures of the history are NaN.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/Progress.h"
#include "model/Dataset.h"
#include "model/ModelSpec.h"
#include "nn/RegressionMetrics.h"
#include "nn/training/LearningRateSchedule.h"
#include "nn/training/Optimizer.h"

namespace circnn {

// Reported after every mini-batch (on the calling thread).
struct TrainStatus {
    int epoch = 0, epochs = 0;           // epoch counted from 1
    std::int64_t batch = 0, batches = 0; // batch counted from 1, per epoch
    double loss = 0, accuracy = 0;       // running means over this epoch so far (accuracy NaN for the MSE loss)
    double learningRate = 0;
    double elapsedSeconds = 0, etaSeconds = 0; // whole run
};

// ADMM structured training (optional; the pretrained-model route of the CirCNN group's later work,
// e.g. Zhang et al., ECCV 2018 "A systematic DNN weight pruning framework using ADMM"): the DENSE
// kernels W of the target layers are trained with the extra loss term (ρ/2)·‖W − Z + U‖²_F, where
//   Z = P_k(W + U)   the Frobenius-nearest block-circulant kernel (KernelProjection.h), and
//   U ← U + W − Z    the scaled dual variable,
// both updated every `updateEveryBatches` mini-batches (0 = once per epoch, after its last batch);
// initially Z = P_k(W), U = 0. The proximal gradient ρ·(W − Z + U) is added to the summed
// mini-batch gradient of each target's "kernel" before the optimizer step (the reported loss
// excludes the term). W is pulled toward block-circulant form, so a later hard projection
// (convertModel) loses less. ρ is multiplied by `rhoGrowth` after every Z/U update.
struct ProximalTarget {
    std::string layer;          // a Dense or Conv2D layer of the model, still dense
    std::int64_t blockSize = 0; // k of the block-circulant form it is pulled toward
};

struct AdmmOptions {
    std::vector<ProximalTarget> targets; // empty = off
    double rho = 1e-2;
    double rhoGrowth = 1.0;
    std::int64_t updateEveryBatches = 0;
};

struct TrainOptions {
    int epochs = 10;
    std::int64_t batchSize = 64;
    OptimizerOptions optimizer;
    ScheduleOptions schedule;
    double validationSplit = 0.1; // fraction in [0, 1) held out for validation
    std::uint32_t seed = 1;       // shuffling, split, dropout masks
    // Classify (softmax cross-entropy against labels), Reconstruct or Regress (mean squared error);
    // Auto is taken as Classify (front ends resolve it with detectTask).
    Task task = Task::Classify;
    // Knowledge distillation (optional): a teacher model's output probabilities (inference mode)
    // are mixed into the targets with weight `distillation` in [0, 1] (see softmaxCrossEntropy).
    // For Reconstruct / Regress the MSE target is (1 − distillation)·target + distillation·teacher
    // output (the temperature is not used).
    // Used by fine-tuning with the original dense model as teacher.
    const ModelSpec* teacher = nullptr;
    double distillation = 0.0;
    double temperature = 1.0; // distillation temperature T (> 0)
    // Data augmentation (optional): every training sample is shifted by a random (dy, dx) in
    // [−augmentShift, augmentShift]² pixels (zero fill), drawn from the seed. `imageShape` (H, W, C)
    // says how a sample's values are laid out (needed when the model input is flat, e.g. 784);
    // empty = the sample shape, which must then be (H, W, C).
    int augmentShift = 0;
    Shape imageShape;
    // ADMM structured training of dense layers toward block-circulant form (off by default).
    AdmmOptions admm;
    // true: the best epoch (validation accuracy) is returned; false: the last epoch (bestEpoch and
    // bestValidationAccuracy then describe it; used for the ADMM phase, whose last epoch is the
    // most nearly block-circulant).
    bool keepBestEpoch = true;
    // true: gradients of large dense kernels are formed inside the optimizer step, block by block,
    // instead of being stored whole per thread (faster; the same sums, see Optimizer.h
    // KernelGradientSource). false keeps the stored gradients (tests compare the two).
    bool fuseKernelGradients = true;
    // true: a model made of large dense kernels (≥ 90 % of its parameters, no other layer doing real
    // work) runs each mini-batch as one shard whose dense products are split over the cores, instead
    // of one shard per thread that each read every weight (faster on several cores; such a run is
    // then bit-identical for any thread count). false: one shard per thread, as for other models.
    bool oneShardForDenseModels = true;
    // Cancellation and progress: (batches done, total batches of the run); false cancels
    // (Cancelled is thrown after the current batch).
    ProgressFn progress;
    // Optional richer status after every batch; returning false cancels too.
    std::function<bool(const TrainStatus&)> onStatus;
    // Optional: called after every epoch with its record.
    std::function<void(const EpochRecord&)> onEpoch;
};

struct TrainResult {
    ModelSpec model;                   // the best epoch's model; provenance.history filled
    std::vector<EpochRecord> history;  // every epoch (epoch counted from 1)
    int bestEpoch = 0;                 // 1-based epoch the model comes from
    double bestValidationAccuracy = 0; // (training accuracy without validation set); for
                                       // Reconstruct / Regress the best epoch's MSE instead
    std::int64_t trainCount = 0, validationCount = 0;
    double seconds = 0;
    double imagesPerSecond = 0; // training samples processed per second (forward+backward+update)
    std::vector<std::string> warnings;
    // With ADMM targets: ‖W − P_k(W)‖_F / ‖W‖_F over all target kernels together; [0] before
    // training, [e] after epoch e (empty without ADMM).
    std::vector<double> structureResidual;
};

// Trains a copy of `initial` (which must have weights) on `data` (images already shaped for the
// model input; see fitDatasetToInput). Throws Error for bad options, ShapeError when data and
// model do not fit (naming both shapes, or the first out-of-range label), Cancelled on request.
TrainResult trainModel(const ModelSpec& initial, const Dataset& data, const TrainOptions& options);

// Splits [0, n) into (train, validation) index lists: a seeded permutation, the first
// round(fraction·n) indices go to validation (each list sorted ascending).
void splitIndices(std::int64_t n, double fraction, std::uint32_t seed, std::vector<std::int64_t>& train,
                  std::vector<std::int64_t>& validation);

// In-place Fisher–Yates shuffle driven by `rng` (deterministic across platforms).
void shuffleIndices(std::vector<std::int64_t>& indices, std::uint64_t seed);

} // namespace circnn
