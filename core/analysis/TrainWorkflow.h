#pragma once
// trainModel (workflow form): trains a model from an architecture description (dense or
// block-circulant) or further from an existing model, evaluates it on a test set and saves it.
// `circnn train` prints the result; the desktop app's training view plots the per-epoch records.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "analysis/SaveWorkflow.h"
#include "analysis/WorkflowSources.h"
#include "common/Progress.h"
#include "nn/Evaluation.h"
#include "nn/training/Trainer.h"

namespace circnn {

// What a training run reports besides the model (shared by train and fine-tune results).
struct TrainingSummary {
    std::vector<EpochRecord> history; // every epoch (epoch counted from 1)
    int bestEpoch = 0;                // the epoch the model comes from (0 = the starting point)
    double bestValidationAccuracy = 0;
    std::int64_t trainCount = 0, validationCount = 0;
    double seconds = 0;
    double imagesPerSecond = 0;
};
TrainingSummary summariseTraining(const TrainResult& result);

// Live reporting for front ends (all optional, called on the calling thread).
struct TrainingCallbacks {
    ProgressFn progress;                              // (batches done, batches of the phase); false cancels
    PhaseFn onPhase;                                  // step names ("loading data", "training", ...)
    std::function<bool(const TrainStatus&)> onStatus; // after every mini-batch; false cancels
    std::function<void(const EpochRecord&)> onEpoch;  // after every epoch (plot it live)
};

struct TrainConfig {
    // What to train: an architecture description (shorthand "784-256-10", CNN shorthand, JSON text
    // starting with '{', or a .json file holding it; model/ArchitectureParser.h), or a model file
    // (or a model in memory) trained further as it is. `source` is interpreted in that order;
    // `initialModel.model`, when set, wins.
    std::string source;
    ModelSource initialModel;
    std::int64_t blockSize = 1;      // architectures only: k for Dense/Conv2D layers (1 = dense)
    bool convertOutputLayer = false; // architectures only
    std::string name;                // architectures only: model name (default from the description)
    DataSource trainData;
    DataSource testData; // optional: evaluated after training
    // Training options; its progress/onStatus/onEpoch and imageShape are set by the workflow
    // (use `callbacks`). training.task may be Auto here: an architecture then trains a classifier,
    // a model file its detectTask. Reconstruct / Regress train with the MSE loss (Regress reads
    // trainData.options.targetsKey); the data is then read without labels (testData with labels
    // only when it names a labels file: 0/1 anomaly labels for the ROC AUC), and an architecture's
    // output layer is linear unless the description sets its activation.
    TrainOptions training;
    std::filesystem::path output; // empty = do not save
    SavePolicy save;
    TrainingCallbacks callbacks;
};

struct TrainModelResult {
    std::string source;
    Task task = Task::Classify; // as trained (resolved from Auto); not Classify: the summary's
                                // bestValidationAccuracy is the validation MSE (lower is better)
    ModelSpec model;            // the best epoch's model
    TrainingSummary training;
    std::optional<Evaluation> test;
    std::int64_t parameters = 0; // stored parameters of the model
    std::optional<SaveResult> saved;
    std::vector<std::string> warnings;
};

// True when `source` is an architecture description (JSON text, a .json file name, or shorthand)
// rather than a model file.
bool isArchitectureDescription(const std::string& source);

// The workflow overload of trainModel (nn/training/Trainer.h trains a ModelSpec on a Dataset).
// Throws Error for bad descriptions / options (e.g. blockSize > 1 with a model file), ShapeError
// when data and model do not fit, Cancelled on request (nothing is written then).
TrainModelResult trainModel(const TrainConfig& config);

} // namespace circnn
