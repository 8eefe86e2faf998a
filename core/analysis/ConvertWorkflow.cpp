#include "analysis/ConvertWorkflow.h"

#include "common/Error.h"
#include "model/ShapeInference.h"
#include "nn/Model.h"

namespace circnn {

ConvertResult convertModel(const ConvertConfig& config)
{
    if (config.calibrationSamples < 1)
        throw Error("conversion: calibration samples must be >= 1, got " + std::to_string(config.calibrationSamples));
    if (!(config.relativeRidge >= 0))
        throw Error("conversion: the relative ridge must be >= 0");
    checkSaveTarget(true, config.output, config.save); // before the conversion's work
    const std::shared_ptr<const ModelSpec> model = loadModelSource(config.model);
    ConversionRequest request = config.conversion;
    if (request.reorderUnits && !request.reorderProgress)
        request.reorderProgress = config.progress;
    if (request.reorderUnits && config.onPhase)
        config.onPhase("reordering units, layer");
    ConvertResult result;
    result.input = config.model.label();
    result.output = config.output.string();
    if (!config.calibration.empty()) {
        DataSource source = config.calibration;
        if (!source.data && (source.options.limit == 0 || source.options.limit > config.calibrationSamples))
            source.options.limit = config.calibrationSamples;
        const std::shared_ptr<const Dataset> calib = loadDataSource(source, Model(*model).inputShape());
        Tensor images = calib->images;
        if (images.dim(0) > config.calibrationSamples) {
            std::vector<std::int64_t> first(static_cast<std::size_t>(config.calibrationSamples));
            for (std::size_t i = 0; i < first.size(); ++i)
                first[i] = static_cast<std::int64_t>(i);
            images = selectSamples(*calib, first).images;
        }
        DataAwareSummary s;
        s.calibrationSamples = images.dim(0);
        s.relativeRidge = config.relativeRidge;
        if (config.onPhase)
            config.onPhase("projecting");
        result.conversion =
            convertModelDataAware(*model, request, images, config.relativeRidge, config.progress, &s.layers);
        result.dataAware = std::move(s);
    } else {
        result.conversion = convertModel(*model, request);
    }
    ModelSpec& converted = result.conversion.model;
    if (converted.provenance.sourceFile.empty())
        converted.provenance.sourceFile = result.input;
    result.parametersBefore = modelStats(*model).parameters;
    ModelSpec shaped = converted;
    inferShapes(shaped);
    result.parametersAfter = modelStats(shaped).parameters;
    result.compression =
        result.parametersAfter > 0 ? double(result.parametersBefore) / double(result.parametersAfter) : 1.0;
    if (!config.output.empty()) {
        if (config.onPhase)
            config.onPhase("saving");
        result.saved = saveModel(converted, config.output, config.save);
    }
    return result;
}

} // namespace circnn
