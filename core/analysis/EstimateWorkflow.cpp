#include "analysis/EstimateWorkflow.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/Error.h"
#include "hw/Estimator.h"
#include "model/ArchitectureParser.h"

namespace circnn {

namespace {

bool isJsonArchitecture(const std::string& text)
{
    const std::size_t first = text.find_first_not_of(" \t\r\n");
    return first != std::string::npos && text[first] == '{';
}

bool isJsonArchitectureFile(const std::string& text)
{
    std::error_code ec;
    return std::filesystem::path(text).extension() == ".json" && std::filesystem::is_regular_file(text, ec);
}

} // namespace

ModelSpec architectureForEstimate(const std::string& text)
{
    // JSON descriptions (text or a .json file, e.g. with recurrent layers) keep their own name.
    if (isJsonArchitectureFile(text)) {
        std::ifstream in(text);
        std::stringstream body;
        body << in.rdbuf();
        if (!in)
            throw Error("estimate: cannot read the architecture file '" + text + "'");
        return parseArchitecture(body.str(), LayerNaming::Keras).model;
    }
    if (isJsonArchitecture(text))
        return parseArchitecture(text, LayerNaming::Keras).model;
    ModelSpec m = parseArchitecture(text, LayerNaming::Numbered).model;
    m.name = text;
    return m;
}

bool looksLikeArchitecture(const std::string& text)
{
    std::error_code ec;
    return (isArchitectureShorthand(text) && !std::filesystem::exists(text, ec)) || isJsonArchitecture(text) ||
           isJsonArchitectureFile(text);
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
