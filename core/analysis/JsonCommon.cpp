// The JSON parts shared by several workflow results (WorkflowJson.h).
#include <cmath>

#include "analysis/WorkflowJson.h"

namespace circnn {

using nlohmann::json;

json evaluationToJson(const Evaluation& e)
{
    json j;
    j["task"] = taskName(e.task);
    j["metric"] = metricName(e);
    j["count"] = e.count;
    if (e.task == Task::Classify) {
        j["top1"] = e.top1;
        j["top5"] = e.top5;
        j["cross_entropy"] = e.meanCrossEntropy;
    } else {
        j["mse"] = e.errors.meanSquaredError;
        j["mae"] = e.errors.meanAbsoluteError;
        j["per_sample_mse"] = e.errors.perSampleSquaredError;
        j["per_sample_mae"] = e.errors.perSampleAbsoluteError;
        j["roc_auc"] = e.errors.rocAuc ? json(*e.errors.rocAuc) : json(nullptr);
        if (e.errors.rocAuc) {
            j["normal_count"] = e.errors.normalCount;
            j["anomalous_count"] = e.errors.anomalousCount;
        }
    }
    j["seconds"] = e.seconds;
    j["images_per_second"] = e.imagesPerSecond;
    if (e.task == Task::Classify) {
        json pc = json::array();
        for (double a : e.perClassAccuracy)
            pc.push_back(std::isnan(a) ? json(nullptr) : json(a));
        j["per_class_accuracy"] = pc;
        j["confusion"] = e.confusion;
    }
    if (!e.layerTimes.empty()) {
        j["layer_seconds"] = json::object();
        for (const auto& t : e.layerTimes)
            j["layer_seconds"][t.name] = t.seconds;
    }
    j["warnings"] = e.warnings;
    return j;
}

json historyToJson(const std::vector<EpochRecord>& history)
{
    json a = json::array();
    for (const EpochRecord& r : history)
        a.push_back({{"epoch", r.epoch},
                     {"loss", r.trainLoss},
                     {"accuracy", r.trainAccuracy},
                     {"val_loss", r.valLoss},
                     {"val_accuracy", r.valAccuracy},
                     {"seconds", r.seconds}});
    return a;
}

json reorderingToJson(const std::vector<LayerReordering>& layers)
{
    json j = json::array();
    for (const LayerReordering& r : layers)
        j.push_back({{"layer", r.layer},
                     {"reordered", r.reordered},
                     {"reason", r.reason},
                     {"consumer", r.consumer},
                     {"residual_before", r.residualBefore},
                     {"residual_after", r.residualAfter},
                     {"steps", r.steps}});
    return j;
}

json layerConversionsToJson(const std::vector<LayerConversion>& layers)
{
    json j = json::array();
    for (const LayerConversion& c : layers)
        j.push_back({{"layer", c.layer},
                     {"kind", c.kind},
                     {"converted", c.converted},
                     {"k", c.blockSize},
                     {"reason", c.reason},
                     {"parameters_before", c.parametersBefore},
                     {"parameters_after", c.parametersAfter},
                     {"compression", c.compression},
                     {"relative_residual", c.relativeResidual}});
    return j;
}

json dataAwareToJson(std::int64_t calibrationSamples, double relativeRidge,
                     const std::vector<DataAwareLayerReport>& layers)
{
    json l = json::array();
    for (const DataAwareLayerReport& r : layers)
        l.push_back({{"layer", r.layer},
                     {"data_aware", r.dataAware},
                     {"reason", r.reason},
                     {"unknowns", r.unknowns},
                     {"ridge", r.ridge},
                     {"frobenius_output_error", r.frobeniusOutputError},
                     {"data_aware_output_error", r.dataAwareOutputError}});
    return {{"calibration_samples", calibrationSamples}, {"relative_ridge", relativeRidge}, {"layers", l}};
}

json trainingSummaryToJson(const TrainingSummary& s)
{
    return {{"best_epoch", s.bestEpoch},
            {"best_validation_accuracy", s.bestValidationAccuracy},
            {"train_count", s.trainCount},
            {"validation_count", s.validationCount},
            {"seconds", s.seconds},
            {"images_per_second", s.imagesPerSecond},
            {"history", historyToJson(s.history)}};
}

} // namespace circnn
