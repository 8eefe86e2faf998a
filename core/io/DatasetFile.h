#pragma once
// Reading labelled datasets: IDX (raw or .gz: MNIST, Fashion-MNIST), HDF5 (image and label
// datasets, names configurable), NumPy .npz archives as keras.datasets caches them.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "model/Dataset.h"
#include "model/ModelSpec.h"

namespace circnn {

struct DatasetOptions {
    // IDX: the labels file; when empty, derived from the images file name
    // ("...-images-idx3-ubyte[.gz]" → "...-labels-idx1-ubyte[.gz]").
    std::filesystem::path labelsPath;
    std::string imagesKey = "x"; // HDF5 dataset / npz member for images ("x_test" etc. tried too)
    std::string labelsKey = "y";
    // false: no labels unless `labelsPath` is given (unlabelled data for reconstruction models).
    bool readLabels = true;
    // HDF5 dataset / npz member holding regression targets (float, one array per sample) read
    // into Dataset::targets; empty = none.
    std::string targetsKey;
    // uint8 pixels are multiplied by this (default 1/255); float data is taken as is.
    double scale = 1.0 / 255.0;
    std::int64_t limit = 0; // read only the first `limit` samples (0 = all)
};

// Reads a labelled dataset (format detected from the content). Only regular files are read;
// header sizes are checked against the memory budget before allocating. HDF5 datasets are parsed
// in the isolated reader (io/IsolatedReader.h) unless isolation is off. An empty dataset (no
// samples) is a FormatError.
Dataset readDataset(const std::filesystem::path& path, const DatasetOptions& options = {});

// The same, always in this process (the isolated reader's child; trusted files).
Dataset readDatasetInProcess(const std::filesystem::path& path, const DatasetOptions& options = {});

// Reshapes images to the model input (e.g. (N,28,28) → (N,784) or (N,28,28,1)); throws ShapeError
// naming both shapes when the element counts differ.
void fitDatasetToInput(Dataset& data, const Shape& modelInputShape);

// Writes images + labels as HDF5 (datasets named "x" (float32 or uint8) and "y" (int32), plus
// "targets" (float32) when the dataset has regression targets), atomically.
void writeDatasetH5(const Dataset& data, const std::filesystem::path& path, bool asUint8 = false);

} // namespace circnn
