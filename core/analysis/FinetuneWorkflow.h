#pragma once
// finetuneModel: the structured-retraining recipe measured in docs/accuracy.md, as one core call.
//   1. hidden units of the layers to convert are reordered (function-preserving; UnitReordering.h);
//   2. the model is projected to block-circulant form: data-aware (convertModelDataAware, calibrated
//      on the first `calibrationSamples` of the trainer's seeded training split — never on the
//      validation split) or Frobenius (convertModel); Auto = data-aware when only Dense layers
//      convert, Frobenius when a Conv2D layer converts (the data-aware fit of Dense layers behind
//      Frobenius-projected convolutions gives weights too large to train from);
//   3. optional ADMM phase (admmEpochs > 0): the first admmEpochs of the epochs train the DENSE
//      reordered model with the proximal term toward block-circulant form, then it is projected again;
//   4. the structured model is trained with distillation from the (reordered) original;
//   5. the starting point counts as a checkpoint: if no epoch beats it on validation, it is kept
//      (with a warning);
//   6. optional test evaluation of the original, the projection alone and the result; saving.
// `circnn finetune` fills the config from its flags and prints the result; the desktop app plots
// the per-epoch records live (callbacks.onEpoch).

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analysis/Conversion.h"
#include "analysis/ConvertWorkflow.h"
#include "analysis/DataAwareProjection.h"
#include "analysis/SaveWorkflow.h"
#include "analysis/TrainWorkflow.h"
#include "analysis/WorkflowSources.h"
#include "nn/Evaluation.h"
#include "nn/training/Trainer.h"

namespace circnn {

enum class ProjectionChoice { Auto, DataAware, Frobenius };
// "auto", "data", "frobenius" and back (nullopt for other names).
const char* projectionName(ProjectionChoice choice);
std::optional<ProjectionChoice> projectionFromName(const std::string& name);

// The training options of the measured recipe: SGD, momentum 0.9, lr 0.01 warmed up linearly over
// the first 0.3 epoch, batch 32, cosine schedule, 5 epochs.
TrainOptions finetuneTrainingDefaults();
// The conversion of the recipe: reordering on, no block size (set defaultBlockSize or perLayer).
ConversionRequest finetuneConversionDefaults();

struct FinetuneConfig {
    ModelSource model;
    DataSource trainData;
    DataSource testData; // optional: test accuracy of original / projected / result
    ConversionRequest conversion = finetuneConversionDefaults();
    ProjectionChoice projection = ProjectionChoice::Auto;
    // Auto: detectTask (a reconstruction model is fine-tuned with the MSE loss against its input
    // and evaluated by MSE); Regress needs trainData.options.targetsKey (and testData's). For
    // Reconstruct / Regress the data is read without labels, startValidationAccuracy and
    // TrainingSummary::bestValidationAccuracy hold MSEs (lower is better) and the test
    // evaluations report errors.
    Task task = Task::Auto;
    std::int64_t calibrationSamples = 2000;       // data-aware projection: training samples used (≥ 1)
    double relativeRidge = kDefaultRelativeRidge; // data-aware projection (≥ 0)
    double distillation = 0.9;                    // weight of the teacher's probabilities in [0, 1]
    double temperature = 4;                       // distillation temperature (> 0)
    int admmEpochs = 0;                           // in [0, epochs − 1]; 0 = no ADMM phase
    double rho = 0.01;                            // ADMM penalty (> 0)
    double rhoGrowth = 1;                         // ADMM: rho × rhoGrowth after every Z/U update (≥ 1)
    std::int64_t admmEveryBatches = 0;            // ADMM: Z/U update interval (0 = once per epoch)
    // Training options (epochs counts the ADMM epochs too). teacher, distillation, temperature, admm,
    // keepBestEpoch, imageShape and the callbacks are set by the workflow.
    TrainOptions training = finetuneTrainingDefaults();
    std::filesystem::path output; // empty = do not save
    SavePolicy save;
    // Phases: "reordering units, layer", "projecting", "ADMM", "fine-tuning", "evaluating",
    // "saving". Epoch records are numbered across the ADMM and fine-tuning phases, and
    // TrainStatus::epochs is the total.
    TrainingCallbacks callbacks;
};

struct AdmmSummary {
    int epochs = 0;
    double rho = 0, rhoGrowth = 1;
    std::int64_t updateEveryBatches = 0;
    std::vector<EpochRecord> history;
    std::vector<double> structureResidual;          // TrainResult::structureResidual
    std::map<std::string, double> relativeResidual; // per converted layer, projection after ADMM
    double seconds = 0;
    std::optional<Evaluation> testDense, testProjected;
};

struct FinetuneResult {
    std::string source;
    Task task = Task::Classify;          // as fine-tuned (resolved from FinetuneConfig::task)
    ModelSpec model;                     // the result (saved when config.output is set)
    std::vector<LayerConversion> layers; // the (first) projection, per Dense / Conv2D layer
    std::vector<LayerReordering> reordering;
    ProjectionChoice projectionRequested = ProjectionChoice::Auto;
    ProjectionChoice projection = ProjectionChoice::Frobenius; // the one used
    std::optional<DataAwareSummary> dataAware;
    std::optional<AdmmSummary> admm;
    TrainingSummary training;                          // the fine-tuning phase (epochs numbered after ADMM)
    double startValidationAccuracy = -1;               // the projected starting point (−1 without validation)
    bool startingPointKept = false;                    // no epoch beat the starting point
    std::int64_t parametersBefore = 0, parameters = 0; // stored parameters
    std::optional<Evaluation> testOriginal, testProjected, testFinetuned;
    std::optional<SaveResult> saved;
    std::vector<std::string> warnings;
};

// Throws Error for bad options (naming the field), unreadable files, a plan that does not fit the
// model; ShapeError when data and model do not fit; Cancelled on request (nothing is written).
FinetuneResult finetuneModel(const FinetuneConfig& config);

} // namespace circnn
