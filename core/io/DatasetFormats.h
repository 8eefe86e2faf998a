#pragma once
// Internal to the dataset readers (DatasetFile.cpp dispatches to one file per format:
// DatasetIdx.cpp, DatasetHdf5.cpp, DatasetNpz.cpp). An array as read from a dataset file, before
// scaling and label checks, and the size checks every format applies to its header.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/Tensor.h"
#include "io/DatasetFile.h"

namespace circnn::dataset {

// Samples × values per sample above this are refused (8 GiB of float32).
constexpr std::int64_t kMaxValues = std::int64_t(1) << 31;

struct RawArray {
    Shape shape;               // including the sample dimension
    std::vector<float> values; // converted to float
    bool integer = false;      // stored as an integer type (pixels to be scaled)
};

// Images, labels and regression targets of one dataset, as stored. `labels` is empty (no shape)
// when DatasetOptions::readLabels is off and no labels file is given; `targets` is empty unless
// DatasetOptions::targetsKey names an array. `lengths` / `mask` (sequence padding) are empty
// unless the file holds DatasetOptions::lengthsKey / maskKey; `tokenIds` is the file's token-id
// mark (kTokenIdsMark).
struct RawPair {
    RawArray images, labels, targets, lengths, mask;
    bool tokenIds = false;
};

// Element count of `shape`; FormatError naming `where` when negative or above kMaxValues.
std::int64_t checkedCount(const Shape& shape, const std::string& where);

// checkedCount, then the memory needed to hold that many values checked against the memory
// budget (common/MemoryBudget.h) before anything is allocated.
std::int64_t budgetedCount(const Shape& shape, const std::string& where);

// `shape` with its first dimension cut to `limit` (0 = no limit).
Shape limited(Shape shape, std::int64_t limit);

// Keys tried for images or labels: key, key + "_test", testKey (duplicates dropped).
std::vector<std::string> candidateKeys(const std::string& key, const char* testKey);
std::string joinKeys(const std::vector<std::string>& keys);

// One reader per format; each throws FormatError naming the file.
RawPair readIdxPair(const std::string& imagesPath, const DatasetOptions& options);
RawPair readHdf5Pair(const std::string& path, const DatasetOptions& options);
RawPair readNpzPair(const std::string& path, const DatasetOptions& options);

// One .npy array held in memory (`where` names it in messages), the first `limit` samples. A
// 0-d (scalar) array is an error unless `allowScalar` (then its shape is empty, one value).
RawArray parseNpy(const std::string& bytes, const std::string& where, std::int64_t limit, bool allowScalar = false);

} // namespace circnn::dataset
