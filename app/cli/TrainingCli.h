#pragma once
// Pieces shared by `circnn train` and `circnn finetune`: the training flags, dataset loading,
// the terminal progress line, saving the result and the JSON / text summaries.

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "ArgParser.h"
#include "model/Dataset.h"
#include "model/ModelSpec.h"
#include "nn/Evaluation.h"
#include "nn/training/Trainer.h"

namespace circnn::cli {

// Adds --data --labels --limit --epochs --optimizer --lr --momentum --weight-decay --schedule
// --step-epochs --gamma --warmup --batch --val-split --seed --test --test-labels -o --json.
// The defaults differ between commands (finetune uses the recipe measured in docs/accuracy.md).
struct TrainingDefaults {
    std::string epochs = "10", optimizer = "adam", batch = "64", schedule = "constant", warmup = "0";
};
void addTrainingOptions(ArgParser& parser, const TrainingDefaults& defaults);

// Options from the parsed flags (ArgError for bad values). Progress reporting is attached here:
// a one-line status on stderr when stderr is a terminal, per-epoch lines on `out` unless --json.
TrainOptions trainOptionsFromArgs(const ArgParser& parser, std::ostream& out, std::ostream& err);

// Reads --data (with --labels / --limit) shaped for `inputShape`; `imageShape` (optional)
// receives the (H, W, C) layout of the samples as stored (empty when they are not images).
Dataset loadTrainingData(const ArgParser& parser, const Shape& inputShape, Shape* imageShape = nullptr);
// Reads --test (with --test-labels) if given; returns false otherwise.
bool loadTestData(const ArgParser& parser, const Shape& inputShape, Dataset& test);

// Writes the model: OUT ending in .h5 (not .circnn.h5) with only dense layers → Keras .h5;
// otherwise the native format. Returns "keras-h5" or "circnn"; may add a warning. An existing
// OUT of another format is replaced only with `force` (--force).
std::string saveTrainedModel(ModelSpec model, const std::filesystem::path& path, const std::string& command,
                             std::vector<std::string>& warnings, bool force = false);

// Stored parameters of a model (block-circulant layers count p·q·k per matrix).
std::int64_t storedParameters(const ModelSpec& model);

nlohmann::json historyToJson(const std::vector<EpochRecord>& history);
nlohmann::json evaluationToJson(const Evaluation& e);
// The --json report common to train and finetune: command, output, format, parameters, best
// epoch, counts, timing, history, warnings (callers add their own keys).
nlohmann::json trainResultToJson(const std::string& command, const std::string& output, const std::string& format,
                                 const TrainResult& result, const std::vector<std::string>& warnings);

} // namespace circnn::cli
