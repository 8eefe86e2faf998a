#pragma once
// convertModel (workflow form): reads a model, converts it (Frobenius projection, or the
// data-aware one with calibration data; convertModel / convertModelDataAware do the work), and
// saves it in the native format. `circnn convert` prints the result.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "analysis/Conversion.h"
#include "analysis/DataAwareProjection.h"
#include "analysis/SaveWorkflow.h"
#include "analysis/WorkflowSources.h"
#include "common/Progress.h"

namespace circnn {

// What the data-aware projection did (calibration samples used, ridge, per-layer figures).
struct DataAwareSummary {
    std::int64_t calibrationSamples = 0;
    double relativeRidge = 0;
    std::vector<DataAwareLayerReport> layers;
};

struct ConvertConfig {
    ModelSource model;
    ConversionRequest conversion; // plan + reordering (reorderProgress defaults to `progress`)
    // Data-aware projection of the Dense layers when set: the first `calibrationSamples` samples of
    // this dataset (set calibration.options.limit, or they are taken here).
    DataSource calibration;
    std::int64_t calibrationSamples = 2000; // ≥ 1
    double relativeRidge = kDefaultRelativeRidge;
    std::filesystem::path output; // empty = do not save; saved in the native format
    SavePolicy save{SaveFormat::Native, {}, true};
    ProgressFn progress; // the current phase's units; false cancels
    PhaseFn onPhase;     // "reordering units, layer", "projecting", "saving"
};

struct ConvertResult {
    std::string input, output;
    ConversionResult conversion; // model, per-layer figures, reordering, warnings
    std::optional<DataAwareSummary> dataAware;
    std::int64_t parametersBefore = 0, parametersAfter = 0;
    double compression = 1; // parametersBefore / parametersAfter
    std::optional<SaveResult> saved;
};

// Throws Error for unreadable files, bad plans and options; Cancelled on request (nothing written).
ConvertResult convertModel(const ConvertConfig& config);

} // namespace circnn
