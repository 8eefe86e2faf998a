// JSON of the training results: TrainModelResult (circnn.train/1) and FinetuneResult
// (circnn.finetune/1), which share the training keys.
#include "analysis/WorkflowJson.h"

namespace circnn {

using nlohmann::json;

namespace {

// The keys common to train and finetune.
json trainingResult(const char* schema, const char* command, const std::optional<SaveResult>& saved,
                    std::int64_t parameters, const TrainingSummary& training, const std::vector<std::string>& warnings)
{
    json j = trainingSummaryToJson(training);
    j["schema"] = schema;
    j["command"] = command;
    j["output"] = saved ? saved->path.string() : std::string();
    j["format"] = saved ? saved->format : std::string();
    j["parameters"] = parameters;
    j["warnings"] = warnings;
    return j;
}

} // namespace

json toJson(const TrainModelResult& r)
{
    json j = trainingResult("circnn.train/1", "train", r.saved, r.parameters, r.training, r.warnings);
    j["source"] = r.source;
    // reconstruct / regress: best_validation_accuracy holds the validation MSE.
    j["task"] = taskName(r.task);
    j["metric"] = r.task == Task::Classify ? "top1" : "mse";
    if (r.test)
        j["test"] = evaluationToJson(*r.test);
    return j;
}

json toJson(const FinetuneResult& r)
{
    json j = trainingResult("circnn.finetune/1", "finetune", r.saved, r.parameters, r.training, r.warnings);
    j["source"] = r.source;
    // reconstruct / regress: best_validation_accuracy and start_validation_accuracy hold MSEs.
    j["task"] = taskName(r.task);
    j["metric"] = r.task == Task::Classify ? "top1" : "mse";
    j["layers"] = layerConversionsToJson(r.layers);
    j["projection"] = projectionName(r.projection);
    j["projection_requested"] = projectionName(r.projectionRequested);
    j["reordering"] = reorderingToJson(r.reordering);
    if (r.dataAware)
        j["data_aware"] =
            dataAwareToJson(r.dataAware->calibrationSamples, r.dataAware->relativeRidge, r.dataAware->layers);
    if (r.admm) {
        const AdmmSummary& a = *r.admm;
        json residuals = json::object();
        for (const auto& [layer, v] : a.relativeResidual)
            residuals[layer] = v;
        j["admm"] = {{"epochs", a.epochs},
                     {"rho", a.rho},
                     {"rho_growth", a.rhoGrowth},
                     {"update_every_batches", a.updateEveryBatches},
                     {"history", historyToJson(a.history)},
                     {"structure_residual", a.structureResidual},
                     {"relative_residual", residuals},
                     {"seconds", a.seconds}};
        if (a.testDense && a.testProjected)
            j["admm"]["test"] = {{"dense", evaluationToJson(*a.testDense)},
                                 {"projected", evaluationToJson(*a.testProjected)}};
    }
    j["parameters_before"] = r.parametersBefore;
    j["start_validation_accuracy"] = r.startValidationAccuracy;
    j["starting_point_kept"] = r.startingPointKept;
    if (r.testOriginal && r.testProjected && r.testFinetuned)
        j["test"] = {{"original", evaluationToJson(*r.testOriginal)},
                     {"projected", evaluationToJson(*r.testProjected)},
                     {"finetuned", evaluationToJson(*r.testFinetuned)}};
    return j;
}

} // namespace circnn
