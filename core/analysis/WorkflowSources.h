#pragma once
// Inputs shared by the workflows (InspectWorkflow.h, EvaluateWorkflow.h, FinetuneWorkflow.h, ...):
// a model and a dataset, each given either as a file or as an object a front end already holds in
// memory (the GUI's open document), and the phase callback that names each step of a workflow.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "io/DatasetFile.h"
#include "model/Dataset.h"
#include "model/ModelSpec.h"

namespace circnn {

// A model: `model` when set, else read from `path` (readModel: .h5, .keras, .circnn.h5).
struct ModelSource {
    std::filesystem::path path;
    std::shared_ptr<const ModelSpec> model;

    static ModelSource file(std::filesystem::path p) { return {std::move(p), nullptr}; }
    static ModelSource memory(ModelSpec m, std::filesystem::path label = {})
    {
        return {std::move(label), std::make_shared<const ModelSpec>(std::move(m))};
    }
    // For messages and reports: the path, or "(in memory)".
    std::string label() const;
};

// A labelled dataset: `data` when set, else read from `path` with `options` (readDataset: IDX,
// HDF5, .npz; options.limit keeps the first N samples).
struct DataSource {
    std::filesystem::path path;
    DatasetOptions options;
    std::shared_ptr<const Dataset> data;

    bool empty() const { return path.empty() && !data; }
    std::string label() const;
};

// Called when a workflow starts a new step ("reordering units", "evaluating", "epoch", ...); the
// workflow's ProgressFn then counts that step's units. Front ends show it as the progress label.
using PhaseFn = std::function<void(const std::string& phase)>;

// Throws Error naming the file when it cannot be read; Error when the source is empty.
std::shared_ptr<const ModelSpec> loadModelSource(const ModelSource& source);

// The dataset shaped for a model input (fitDatasetToInput): shared without a copy when it already
// fits. `imageShape` (optional) receives the (H, W, C) layout of the samples as stored (empty when
// they are not images). Throws ShapeError naming both shapes when they do not fit.
std::shared_ptr<const Dataset> loadDataSource(const DataSource& source, const Shape& inputShape,
                                              Shape* imageShape = nullptr);

} // namespace circnn
