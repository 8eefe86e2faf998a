#pragma once
// The JSON form of every workflow result: one serialiser per result, one set of key names
// (snake_case, units in the name where there is one), and a versioned "schema" key
// ("circnn.<kind>/1"). `circnn ... --json` prints these; reports and the GUI's exports use them.
// Renamed keys are listed in README.md, "Changelog".

#include <vector>

#include <nlohmann/json.hpp>

#include "analysis/Conversion.h"
#include "analysis/ConvertWorkflow.h"
#include "analysis/DataAwareProjection.h"
#include "analysis/EstimateWorkflow.h"
#include "analysis/EvaluateWorkflow.h"
#include "analysis/FinetuneWorkflow.h"
#include "analysis/InspectWorkflow.h"
#include "analysis/TrainWorkflow.h"
#include "nn/Evaluation.h"

namespace circnn {

// Results: {"schema": "circnn.inspect/1", ...} and so on.
nlohmann::json toJson(const InspectResult& result);    // circnn.inspect/1
nlohmann::json toJson(const EvaluateResult& result);   // circnn.evaluate/1
nlohmann::json toJson(const TrainModelResult& result); // circnn.train/1
nlohmann::json toJson(const FinetuneResult& result);   // circnn.finetune/1
nlohmann::json toJson(const ConvertResult& result);    // circnn.convert/1
// One estimate: an object (circnn.estimate/1); several: an array of them.
nlohmann::ordered_json toJson(const EstimateResult& result);

// Parts shared by several results (the same keys wherever they appear).
// {task, metric, count, top1, top5, cross_entropy, seconds, images_per_second, per_class_accuracy
// (null when a class is absent), confusion, warnings} + layer_seconds when per-layer times were
// measured. For task reconstruct / regress: mse, mae, per_sample_mse, per_sample_mae, roc_auc
// (null without 0/1 labels; with it normal_count, anomalous_count) instead of top1 ... confusion.
// "metric" names the key a sweep ranks by ("top1" or "mse").
nlohmann::json evaluationToJson(const Evaluation& evaluation);
// [{epoch, loss, accuracy, val_loss, val_accuracy, seconds}, ...]
nlohmann::json historyToJson(const std::vector<EpochRecord>& history);
// [{layer, reordered, reason, consumer, residual_before, residual_after, steps}, ...]
nlohmann::json reorderingToJson(const std::vector<LayerReordering>& layers);
// [{layer, kind, converted, k, reason, parameters_before, parameters_after, compression,
//   relative_residual}, ...]
nlohmann::json layerConversionsToJson(const std::vector<LayerConversion>& layers);
// {calibration_samples, relative_ridge, layers: [{layer, data_aware, reason, unknowns, ridge,
//  frobenius_output_error, data_aware_output_error}, ...]}
nlohmann::json dataAwareToJson(std::int64_t calibrationSamples, double relativeRidge,
                               const std::vector<DataAwareLayerReport>& layers);
// The fields of a TrainingSummary: {best_epoch, best_validation_accuracy, train_count,
// validation_count, seconds, images_per_second, history}.
nlohmann::json trainingSummaryToJson(const TrainingSummary& summary);

} // namespace circnn
