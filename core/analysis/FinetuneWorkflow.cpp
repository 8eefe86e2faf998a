#include "analysis/FinetuneWorkflow.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "common/Error.h"
#include "model/ShapeInference.h"
#include "nn/Model.h"

namespace circnn {

namespace {

void phase(const TrainingCallbacks& c, const std::string& name)
{
    if (c.onPhase)
        c.onPhase(name);
}

void checkConfig(const FinetuneConfig& c)
{
    auto fail = [](const std::string& what) { throw Error("fine-tuning: " + what); };
    if (c.calibrationSamples < 1)
        fail("calibration samples must be >= 1, got " + std::to_string(c.calibrationSamples));
    if (!(c.relativeRidge >= 0))
        fail("the relative ridge must be >= 0");
    if (!(c.distillation >= 0 && c.distillation <= 1))
        fail("distillation must be in [0, 1]");
    if (!(c.temperature > 0))
        fail("the distillation temperature must be > 0");
    if (c.training.epochs < 1)
        fail("epochs must be >= 1, got " + std::to_string(c.training.epochs));
    if (c.admmEpochs < 0 || c.admmEpochs >= c.training.epochs)
        fail("ADMM epochs must be in [0, epochs - 1] (at least one fine-tuning epoch), got " +
             std::to_string(c.admmEpochs));
    if (c.admmEpochs > 0) {
        if (!(c.rho > 0))
            fail("ADMM rho must be > 0");
        if (!(c.rhoGrowth >= 1))
            fail("ADMM rho growth must be >= 1");
        if (c.admmEveryBatches < 0)
            fail("ADMM update interval must be >= 0 batches");
    }
}

// Auto: data-aware unless a Conv2D layer converts.
ProjectionChoice resolveProjection(ProjectionChoice requested, const ModelSpec& model, const ConversionRequest& request)
{
    if (requested != ProjectionChoice::Auto)
        return requested;
    for (const LayerConversion& l : planConversion(model, request))
        if (l.converted && l.kind == "Conv2D")
            return ProjectionChoice::Frobenius;
    return ProjectionChoice::DataAware;
}

// The projection chosen, with the calibration samples of the data-aware one.
ConversionResult project(ProjectionChoice projection, const ModelSpec& model, const ConversionRequest& request,
                         const Tensor& calibration, double ridge, const ProgressFn& progress,
                         std::vector<DataAwareLayerReport>* report = nullptr)
{
    if (projection == ProjectionChoice::DataAware)
        return convertModelDataAware(model, request, calibration, ridge, progress, report);
    return convertModel(model, request);
}

Evaluation evaluateOn(const ModelSpec& spec, const Dataset& data, const ProgressFn& progress, Task task)
{
    EvalOptions eo;
    eo.progress = progress;
    eo.task = task;
    return evaluate(Model(spec), data, eo);
}

// The ADMM phase: trains the dense reference toward block-circulant form, then projects it again.
// Returns the new starting point; fills result.admm and adds warnings.
ModelSpec runAdmm(const FinetuneConfig& config, const ModelSpec& reference, const Dataset& data,
                  const TrainOptions& options, const ConversionResult& converted, ProjectionChoice projection,
                  const Tensor& calibration, const Dataset* test, FinetuneResult& result)
{
    phase(config.callbacks, "ADMM");
    TrainOptions admmOptions = options;
    admmOptions.epochs = config.admmEpochs;
    admmOptions.keepBestEpoch = false;
    admmOptions.admm.rho = config.rho;
    admmOptions.admm.rhoGrowth = config.rhoGrowth;
    admmOptions.admm.updateEveryBatches = config.admmEveryBatches;
    for (const LayerConversion& l : converted.layers)
        if (l.converted)
            admmOptions.admm.targets.push_back({l.layer, l.blockSize});
    const TrainResult admm = trainModel(reference, data, admmOptions);
    for (const std::string& w : admm.warnings)
        result.warnings.push_back(w);
    ConversionRequest again = config.conversion;
    again.reorderUnits = false; // ADMM trained the reordered model toward its block structure
    phase(config.callbacks, "projecting");
    const ConversionResult reconverted =
        project(projection, admm.model, again, calibration, config.relativeRidge, config.callbacks.progress);
    AdmmSummary s;
    s.epochs = config.admmEpochs;
    s.rho = config.rho;
    s.rhoGrowth = config.rhoGrowth;
    s.updateEveryBatches = config.admmEveryBatches;
    s.history = admm.history;
    s.structureResidual = admm.structureResidual;
    for (const LayerConversion& l : reconverted.layers)
        if (l.converted)
            s.relativeResidual[l.layer] = l.relativeResidual;
    s.seconds = admm.seconds;
    if (test) {
        phase(config.callbacks, "evaluating");
        s.testDense = evaluateOn(admm.model, *test, config.callbacks.progress, options.task);
        s.testProjected = evaluateOn(reconverted.model, *test, config.callbacks.progress, options.task);
    }
    result.admm = std::move(s);
    return reconverted.model;
}

} // namespace

const char* projectionName(ProjectionChoice c)
{
    switch (c) {
    case ProjectionChoice::Auto:
        return "auto";
    case ProjectionChoice::DataAware:
        return "data";
    case ProjectionChoice::Frobenius:
        return "frobenius";
    }
    return "?";
}

std::optional<ProjectionChoice> projectionFromName(const std::string& name)
{
    for (ProjectionChoice c : {ProjectionChoice::Auto, ProjectionChoice::DataAware, ProjectionChoice::Frobenius})
        if (name == projectionName(c))
            return c;
    return std::nullopt;
}

TrainOptions finetuneTrainingDefaults()
{
    TrainOptions o;
    o.epochs = 5;
    o.batchSize = 32;
    o.optimizer.kind = OptimizerKind::Sgd;
    o.optimizer.learningRate = 0.01;
    o.optimizer.momentum = 0.9;
    o.schedule.kind = ScheduleKind::Cosine;
    o.schedule.warmupEpochs = 0.3;
    return o;
}

ConversionRequest finetuneConversionDefaults()
{
    ConversionRequest r;
    r.reorderUnits = true;
    return r;
}

FinetuneResult finetuneModel(const FinetuneConfig& config)
{
    checkConfig(config);
    // Before any work: the fine-tuned model is block-circulant, so an existing output of another
    // format (e.g. the user's Keras .h5) is refused unless config.save.force.
    checkSaveTarget(true, config.output, config.save);
    const TrainingCallbacks& cb = config.callbacks;
    FinetuneResult result;
    result.source = config.model.label();
    const std::shared_ptr<const ModelSpec> originalPtr = loadModelSource(config.model);
    const ModelSpec& original = *originalPtr;
    ConversionRequest request = config.conversion;
    if (request.reorderUnits && !request.reorderProgress)
        request.reorderProgress = cb.progress;
    result.projectionRequested = config.projection;
    const ProjectionChoice projection = resolveProjection(config.projection, original, request);
    result.projection = projection;

    TrainOptions options = config.training;
    options.progress = cb.progress;
    options.onStatus = cb.onStatus;
    options.onEpoch = cb.onEpoch;
    std::shared_ptr<const Dataset> data, test;
    std::vector<std::int64_t> trainIdx, valIdx; // the trainer's seeded split
    Tensor calibration;
    ConversionResult converted;
    {
        const Model before(original);
        const Task task = config.task == Task::Auto ? detectTask(before) : config.task;
        options.task = task;
        result.task = task;
        DataSource trainSource = config.trainData, testSource = config.testData;
        if (task != Task::Classify) // the MSE needs no labels (a "y" may hold other arrays)
            trainSource.options.readLabels = testSource.options.readLabels = false;
        phase(cb, "loading data");
        data = loadDataSource(trainSource, before.inputShape(), &options.imageShape);
        splitIndices(data->count(), options.validationSplit, options.seed, trainIdx, valIdx);
        if (!config.testData.empty())
            test = loadDataSource(testSource, before.inputShape());
        if (request.reorderUnits)
            phase(cb, "reordering units, layer");
        if (projection == ProjectionChoice::DataAware) {
            // Calibration samples: the first N of the trainer's training split, so the validation
            // accuracy stays an honest selection criterion.
            const std::size_t n =
                std::min<std::size_t>(static_cast<std::size_t>(config.calibrationSamples), trainIdx.size());
            calibration =
                selectSamples(*data, std::vector<std::int64_t>(trainIdx.begin(), trainIdx.begin() + n)).images;
            DataAwareSummary s;
            s.calibrationSamples = calibration.dim(0);
            s.relativeRidge = config.relativeRidge;
            converted =
                project(projection, original, request, calibration, config.relativeRidge, cb.progress, &s.layers);
            result.dataAware = std::move(s);
        } else {
            converted = project(projection, original, request, calibration, config.relativeRidge, cb.progress);
        }
        if (test) {
            phase(cb, "evaluating");
            result.testOriginal = evaluateOn(original, *test, cb.progress, task);
            result.testProjected = evaluateOn(converted.model, *test, cb.progress, task);
        }
    }
    result.layers = converted.layers;
    result.reordering = converted.reordering;
    result.warnings = converted.warnings;
    const bool anyConverted = std::any_of(converted.layers.begin(), converted.layers.end(),
                                          [](const LayerConversion& l) { return l.converted; });
    if (!anyConverted)
        result.warnings.push_back("no layer was converted (block size too large for every eligible layer?)");

    // The teacher (and the ADMM phase's dense model) is the original with its hidden units in the
    // converted model's order: the same function, and ADMM then pulls each kernel toward the block
    // structure the reordering chose.
    const ModelSpec& reference = converted.reorderedSource ? *converted.reorderedSource : original;
    options.teacher = &reference;
    options.distillation = config.distillation;
    options.temperature = config.temperature;
    ModelSpec start = converted.model;
    const int admmEpochs = anyConverted ? config.admmEpochs : 0;
    if (admmEpochs > 0) {
        start = runAdmm(config, reference, *data, options, converted, projection, calibration, test.get(), result);
        // The fine-tuning phase continues the epoch count.
        const int total = options.epochs;
        options.epochs -= admmEpochs;
        if (options.onEpoch)
            options.onEpoch = [f = options.onEpoch, admmEpochs](EpochRecord r) {
                r.epoch += admmEpochs;
                f(r);
            };
        if (options.onStatus)
            options.onStatus = [f = options.onStatus, admmEpochs, total](TrainStatus s) {
                s.epoch += admmEpochs;
                s.epochs = total;
                return f(s);
            };
    }
    phase(cb, "fine-tuning");
    TrainResult trained = trainModel(start, *data, options);
    if (admmEpochs > 0) { // number the fine-tuning epochs after the ADMM ones
        trained.bestEpoch += admmEpochs;
        for (EpochRecord& r : trained.history)
            r.epoch += admmEpochs;
        trained.model.provenance.history = trained.history;
    }
    for (const std::string& w : trained.warnings)
        if (std::find(result.warnings.begin(), result.warnings.end(), w) == result.warnings.end())
            result.warnings.push_back(w); // the ADMM phase may have said it

    // The starting point is a checkpoint too: if no epoch beats it on validation (training
    // diverged, or the learning rate does not suit the model), keep it and say so.
    // (For Reconstruct / Regress both figures are validation MSEs: lower is better.)
    const bool classify = options.task == Task::Classify;
    result.startValidationAccuracy =
        valIdx.empty() ? -1.0 : primaryMetric(evaluateOn(start, selectSamples(*data, valIdx), {}, options.task));
    if (!valIdx.empty() && (classify ? result.startValidationAccuracy > trained.bestValidationAccuracy
                                     : result.startValidationAccuracy < trained.bestValidationAccuracy)) {
        std::ostringstream w;
        const double f = classify ? 100.0 : 1.0;
        const char* unit = classify ? "%" : " MSE";
        if (classify)
            w << std::fixed << std::setprecision(2);
        else
            w << std::scientific << std::setprecision(3);
        w << "fine-tuning did not improve on its starting point (validation " << f * result.startValidationAccuracy
          << unit << " before training, " << f * trained.bestValidationAccuracy << unit << " at the best epoch, "
          << trained.bestEpoch << "): the projected model is kept as it was; try a smaller --lr (now "
          << options.optimizer.learningRate << ")";
        result.warnings.push_back(w.str());
        const std::vector<EpochRecord> history = trained.model.provenance.history;
        trained.model = start;
        trained.model.provenance.history = history;
        std::string& notes = trained.model.provenance.notes;
        notes += std::string(notes.empty() ? "" : "; ") +
                 "fine-tuning did not improve on the starting point on validation: the projected model was kept";
        trained.bestEpoch = 0;
        trained.bestValidationAccuracy = result.startValidationAccuracy;
        result.startingPointKept = true;
    }
    result.training = summariseTraining(trained);
    result.model = std::move(trained.model);
    result.parametersBefore = modelStats(original).parameters;
    result.parameters = modelStats(result.model).parameters;
    if (test) {
        phase(cb, "evaluating");
        result.testFinetuned = evaluateOn(result.model, *test, cb.progress, options.task);
    }
    if (!config.output.empty()) {
        phase(cb, "saving");
        result.saved = saveModel(result.model, config.output, config.save);
        for (const std::string& w : result.saved->warnings)
            result.warnings.push_back(w);
    }
    return result;
}

} // namespace circnn
