#include "analysis/EstimateWorkflow.h"

#include <filesystem>

#include "common/Error.h"
#include "hw/Estimator.h"
#include "model/ArchitectureParser.h"

namespace circnn {

ModelSpec architectureForEstimate(const std::string& text)
{
    ModelSpec m = parseArchitecture(text, LayerNaming::Numbered).model;
    m.name = text;
    return m;
}

bool looksLikeArchitecture(const std::string& text)
{
    std::error_code ec;
    return isArchitectureShorthand(text) && !std::filesystem::exists(text, ec);
}

EstimateResult estimateModel(const EstimateConfig& config)
{
    std::shared_ptr<const ModelSpec> spec;
    if (!config.architecture.empty())
        spec = std::make_shared<const ModelSpec>(architectureForEstimate(config.architecture));
    else
        spec = loadModelSource(config.model);
    std::vector<ConversionPlan> plans;
    for (std::int64_t k : config.blockSizes) {
        if (k < 1)
            throw Error("estimate: block sizes must be at least 1, got " + std::to_string(k));
        ConversionPlan p = config.plan;
        p.defaultBlockSize = k;
        plans.push_back(p);
    }
    if (plans.empty())
        plans.push_back(config.plan);
    hw::EstimateOptions options;
    options.precision = config.precision;
    options.batch = config.batch;
    EstimateResult result;
    for (std::size_t i = 0; i < plans.size(); ++i) {
        reportProgress(config.progress, i, plans.size());
        options.blocks = plans[i];
        result.estimates.push_back(hw::estimateModel(*spec, config.platform, options));
    }
    reportProgress(config.progress, plans.size(), plans.size());
    return result;
}

} // namespace circnn
