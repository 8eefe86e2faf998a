#pragma once
// Pieces shared by `circnn train` and `circnn finetune`: the training flags and their mapping onto
// the workflow configs (TrainOptions, data sources, save policy), and the terminal progress.

#include <iosfwd>
#include <string>

#include "ArgParser.h"
#include "analysis/SaveWorkflow.h"
#include "analysis/TrainWorkflow.h"
#include "analysis/WorkflowSources.h"
#include "nn/training/Trainer.h"

namespace circnn::cli {

// Adds --data --labels --limit --epochs --optimizer --lr --momentum --weight-decay --schedule
// --step-epochs --gamma --warmup --batch --val-split --seed --test --test-labels -o --json.
// The defaults differ between commands (finetune uses the recipe measured in docs/accuracy.md).
struct TrainingDefaults {
    std::string epochs = "10", optimizer = "adam", batch = "64", schedule = "constant", warmup = "0";
};
void addTrainingOptions(ArgParser& parser, const TrainingDefaults& defaults);

// Options from the parsed flags (ArgError for bad values); no callbacks.
TrainOptions trainOptionsFromArgs(const ArgParser& parser);

// Progress reporting: a one-line status on stderr when stderr is a terminal, per-epoch lines
// ("epoch 3/5  loss ...") on `out` unless --json.
TrainingCallbacks terminalTrainingCallbacks(const ArgParser& parser, int totalEpochs, std::ostream& out,
                                            std::ostream& err);

// --integers auto|pixels|ids (DatasetOptions::integerValues), for every command reading data.
void addIntegerValuesOption(ArgParser& parser);
IntegerValues integerValuesFromArgs(const ArgParser& parser);

// --data (with --labels / --limit / --integers); ArgError when --data is missing.
DataSource trainingDataSource(const ArgParser& parser);
// --test (with --test-labels); empty when not given.
DataSource testDataSource(const ArgParser& parser);

// "circnn <command> <version>" as the saved model's creator.
SavePolicy savePolicyFor(const std::string& command);

// The parts every training command fills the same way (TrainConfig, FinetuneConfig): --data,
// --test, -o, the save policy (--force) and the terminal progress (after `config.training` is set).
template <class Config>
void fillTrainingRun(const ArgParser& parser, const std::string& command, Config& config, std::ostream& out,
                     std::ostream& err)
{
    config.trainData = trainingDataSource(parser);
    config.testData = testDataSource(parser);
    config.output = parser.get("output");
    config.save = savePolicyFor(command);
    config.save.force = parser.given("force");
    config.callbacks = terminalTrainingCallbacks(parser, config.training.epochs, out, err);
}

} // namespace circnn::cli
