#pragma once
// Reading labelled datasets: IDX (raw or .gz: MNIST, Fashion-MNIST), HDF5 (image and label
// datasets, names configurable), NumPy .npz archives as keras.datasets caches them; sequence
// data (token ids or float frames, padded, with per-sample lengths or a mask) from HDF5 / .npz
// (docs/sequence-models.md, "Sequence datasets").

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "model/Dataset.h"
#include "model/ModelSpec.h"

namespace circnn {

// What integer sample values mean. Float data is always taken as is.
enum class IntegerValues {
    Auto,     // token ids when the file marks them (below), else pixels
    Pixels,   // multiplied by DatasetOptions::scale (uint8 images → [0, 1])
    TokenIds, // kept as they are (ids for an Embedding layer; exact up to 2^24)
};
// The file's mark for token ids: HDF5, an integer attribute "token_ids" ≠ 0 on the images
// dataset; .npz, a member "token_ids.npy" holding one integer ≠ 0 (a scalar or a one-element
// array).
inline constexpr const char* kTokenIdsMark = "token_ids";

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
    // Integer pixels are multiplied by this (default 1/255); float data and token ids are taken
    // as is.
    double scale = 1.0 / 255.0;
    IntegerValues integerValues = IntegerValues::Auto;
    // Sequence padding, applied when the HDF5 dataset / npz member exists (empty = never): the
    // valid steps per sample, (N) integers in [0, steps] with the padding after them, or a mask
    // (N, steps) of 0 (padding) / 1 (valid) values. Padded steps are set to 0 in the samples —
    // the padding id a mask_zero Embedding masks, zero frames for float data. A file with both is
    // an error (they could disagree). Samples are (N, steps, ...).
    std::string lengthsKey = "lengths";
    std::string maskKey = "mask";
    std::int64_t limit = 0; // read only the first `limit` samples (0 = all)
};

// "auto", "pixels", "ids" (ArgError-free: throws Error naming the accepted words).
IntegerValues parseIntegerValues(const std::string& word);
const char* integerValuesName(IntegerValues v);

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
