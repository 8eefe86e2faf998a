#include "analysis/EvaluateWorkflow.h"

#include "common/Error.h"
#include "nn/Model.h"

namespace circnn {

namespace {

void phase(const EvaluateConfig& c, const std::string& name)
{
    if (c.onPhase)
        c.onPhase(name);
}

} // namespace

EvaluateResult evaluateModel(const EvaluateConfig& config)
{
    if (config.batchSize < 1)
        throw Error("evaluation: batch size must be at least 1, got " + std::to_string(config.batchSize));
    if (config.limit < 0)
        throw Error("evaluation: the sample limit must be >= 0, got " + std::to_string(config.limit));
    const std::shared_ptr<const ModelSpec> spec = loadModelSource(config.model);
    const Model model(*spec);
    const Task task = config.task == Task::Auto ? detectTask(model) : config.task;
    DataSource source = config.data;
    if (task != Task::Classify)
        source.options.readLabels = config.anomalyLabels;
    const std::shared_ptr<const Dataset> data = loadDataSource(source, model.inputShape());

    EvalOptions eo;
    eo.batchSize = config.batchSize;
    eo.limit = config.limit;
    eo.perLayerTiming = config.perLayerTiming;
    eo.progress = config.progress;
    eo.task = task;
    EvaluateResult result;
    result.task = eo.task;
    result.model = config.model.label();
    result.data = config.data.label();
    phase(config, "evaluating");
    result.evaluation = evaluate(model, *data, eo);
    if (!config.conversion)
        return result;

    ConversionRequest request = *config.conversion;
    if (request.reorderUnits && !request.reorderProgress && config.progress) {
        request.reorderProgress = config.progress;
        phase(config, "reordering units, layer");
    }
    const ConversionResult conversion = convertModel(*spec, request);
    const Model circulant(conversion.model);
    ConvertedEvaluation c;
    c.blockSize = request.defaultBlockSize;
    phase(config, "evaluating block-circulant");
    c.evaluation = evaluate(circulant, *data, eo);
    phase(config, "comparing");
    c.agreement = compareModels(model, circulant, *data, eo);
    c.layers = conversion.layers;
    c.reordering = conversion.reordering;
    c.warnings = conversion.warnings;
    result.circulant = std::move(c);
    return result;
}

EvaluateResult compareDenseVsConverted(EvaluateConfig config, const ConversionRequest& request)
{
    config.conversion = request;
    return evaluateModel(config);
}

} // namespace circnn
