#include "analysis/TrainWorkflow.h"

#include <algorithm>

#include "common/Error.h"
#include "common/InputFile.h"
#include "model/ShapeInference.h"
#include "nn/Model.h"
#include "nn/training/Architecture.h"

namespace circnn {

namespace {

bool isJsonText(const std::string& s)
{
    const std::size_t first = s.find_first_not_of(" \t\r\n");
    return first != std::string::npos && s[first] == '{';
}

void phase(const TrainingCallbacks& c, const std::string& name)
{
    if (c.onPhase)
        c.onPhase(name);
}

} // namespace

TrainingSummary summariseTraining(const TrainResult& r)
{
    return {r.history,         r.bestEpoch, r.bestValidationAccuracy, r.trainCount,
            r.validationCount, r.seconds,   r.imagesPerSecond};
}

bool isArchitectureDescription(const std::string& source)
{
    return isJsonText(source) || std::filesystem::path(source).extension() == ".json" ||
           isArchitectureShorthand(source);
}

TrainModelResult trainModel(const TrainConfig& config)
{
    if (config.blockSize < 1)
        throw Error("training: block size k must be >= 1, got " + std::to_string(config.blockSize));
    TrainModelResult result;
    result.source = config.initialModel.model ? config.initialModel.label() : config.source;
    ModelSpec initial;
    Task task = config.training.task;
    if (config.initialModel.model) {
        initial = *config.initialModel.model;
    } else if (isArchitectureDescription(config.source)) {
        const bool jsonFile = !isJsonText(config.source) && std::filesystem::path(config.source).extension() == ".json";
        const std::string text = jsonFile ? readTextInput(config.source, "architecture file") : config.source;
        ArchitectureOptions ao;
        ao.blockSize = config.blockSize;
        ao.circulantOutput = config.convertOutputLayer;
        ao.seed = config.training.seed;
        ao.name = config.name;
        ao.trainingBatch = config.training.batchSize;
        if (task == Task::Auto)
            task = Task::Classify;
        if (task != Task::Classify)
            ao.outputActivation = ActivationKind::Linear;
        BuiltArchitecture built = buildArchitecture(text, ao);
        initial = std::move(built.model);
        result.warnings = std::move(built.warnings);
    } else {
        std::error_code ec;
        if (!std::filesystem::exists(config.source, ec))
            throw Error("'" + config.source +
                        "' is neither an architecture description (e.g. 784-256-10) nor an "
                        "existing model file");
        if (config.blockSize != 1)
            throw Error("training: a block size applies to architectures; to convert a trained model, fine-tune it");
        initial = *loadModelSource(ModelSource::file(config.source));
    }

    // Before training: an output the run could not write (another format without force, a
    // special file) is refused now rather than after the epochs.
    checkSaveTarget(std::any_of(initial.layers.begin(), initial.layers.end(),
                                [](const LayerSpec& l) { return l.circulant.has_value(); }),
                    config.output, config.save);

    const Model initialModel(initial);
    if (task == Task::Auto)
        task = detectTask(initialModel);
    result.task = task;
    TrainOptions options = config.training;
    options.task = task;
    DataSource trainSource = config.trainData, testSource = config.testData;
    if (task != Task::Classify) { // the MSE needs no labels (a file's "y" may hold other arrays)
        trainSource.options.readLabels = false;
        testSource.options.readLabels = false; // a labels file given still gives the ROC AUC
    }
    phase(config.callbacks, "loading data");
    const std::shared_ptr<const Dataset> data =
        loadDataSource(trainSource, initialModel.inputShape(), &options.imageShape);
    options.progress = config.callbacks.progress;
    options.onStatus = config.callbacks.onStatus;
    options.onEpoch = config.callbacks.onEpoch;
    phase(config.callbacks, "training");
    TrainResult trained = trainModel(initial, *data, options);
    for (const std::string& w : trained.warnings)
        result.warnings.push_back(w);
    result.training = summariseTraining(trained);
    result.model = std::move(trained.model);
    result.parameters = modelStats(result.model).parameters;
    if (!config.testData.empty()) {
        phase(config.callbacks, "evaluating");
        const Model model(result.model);
        const std::shared_ptr<const Dataset> test = loadDataSource(testSource, model.inputShape());
        EvalOptions eo;
        eo.progress = config.callbacks.progress;
        eo.task = task;
        result.test = evaluate(model, *test, eo);
    }
    if (!config.output.empty()) {
        phase(config.callbacks, "saving");
        result.saved = saveModel(result.model, config.output, config.save);
        for (const std::string& w : result.saved->warnings)
            result.warnings.push_back(w);
    }
    return result;
}

} // namespace circnn
