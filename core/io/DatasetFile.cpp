#include "io/DatasetFile.h"

// Dispatch by content (IDX, HDF5, npz: one file per format, see DatasetFormats.h), label checks,
// scaling.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "common/Error.h"
#include "common/InputFile.h"
#include "common/MemoryBudget.h"
#include "io/DatasetFormats.h"
#include "io/Hdf5.h"
#include "io/IsolatedReader.h"

namespace circnn {

namespace dataset {

std::int64_t checkedCount(const Shape& shape, const std::string& where)
{
    std::int64_t n = 1;
    for (auto d : shape) {
        if (d < 0 || (d > 0 && n > kMaxValues / d))
            throw FormatError(where + ": shape " + shapeToString(shape) + " is too large");
        n *= d;
    }
    return n;
}

std::int64_t budgetedCount(const Shape& shape, const std::string& where)
{
    const std::int64_t n = checkedCount(shape, where);
    // The values as read (float) plus the scaled images tensor: 8 bytes per value.
    checkMemoryBudget(saturatingMultiply(n, 8), where + ": reading shape " + shapeToString(shape));
    return n;
}

// Applies `limit` to the first dimension of a shape.
Shape limited(Shape shape, std::int64_t limit)
{
    if (!shape.empty() && limit > 0 && shape[0] > limit)
        shape[0] = limit;
    return shape;
}

std::vector<std::string> candidateKeys(const std::string& key, const char* testKey)
{
    std::vector<std::string> keys{key, key + "_test", testKey};
    std::vector<std::string> unique;
    for (auto& k : keys)
        if (std::find(unique.begin(), unique.end(), k) == unique.end())
            unique.push_back(k);
    return unique;
}

std::string joinKeys(const std::vector<std::string>& keys)
{
    std::string s;
    for (const auto& k : keys)
        s += (s.empty() ? "" : ", ") + k;
    return s;
}

} // namespace dataset

namespace {

using dataset::RawArray;

// Sets the padded steps of every sample to 0, from per-sample lengths or a 0/1 mask (one of them;
// DatasetOptions::lengthsKey / maskKey). Samples are (N, steps, ...).
void applyPadding(const std::string& name, RawArray& images, const RawArray& lengths, const RawArray& mask,
                  const DatasetOptions& options)
{
    const bool hasLengths = !lengths.shape.empty(), hasMask = !mask.shape.empty();
    if (!hasLengths && !hasMask)
        return;
    if (hasLengths && hasMask)
        throw FormatError(name + ": both '" + options.lengthsKey + "' (lengths) and '" + options.maskKey +
                          "' (mask) are present; keep one");
    const std::string key = hasLengths ? options.lengthsKey : options.maskKey;
    if (images.shape.size() < 2)
        throw FormatError(name + ": '" + key + "' describes sequence padding, but the samples have shape " +
                          shapeToString(Shape(images.shape.begin() + 1, images.shape.end())) +
                          " (expected (steps, ...))");
    const std::int64_t n = images.shape[0], steps = images.shape[1];
    const std::int64_t perStep = steps ? static_cast<std::int64_t>(images.values.size()) / (n * steps) : 0;
    const Shape expected = hasLengths ? Shape{n} : Shape{n, steps};
    const RawArray& given = hasLengths ? lengths : mask;
    if (given.shape != expected)
        throw FormatError(name + ": '" + key + "' has shape " + shapeToString(given.shape) + ", expected " +
                          shapeToString(expected) + (hasLengths ? " (one length per sample)" : " (samples, steps)"));
    auto clear = [&](std::int64_t i, std::int64_t t) {
        float* step = images.values.data() + (i * steps + t) * perStep;
        std::fill(step, step + perStep, 0.0f);
    };
    for (std::int64_t i = 0; i < n; ++i) {
        if (hasLengths) {
            const float v = lengths.values[static_cast<std::size_t>(i)];
            if (!(v >= 0) || v != std::floor(v) || v > static_cast<float>(steps))
                throw FormatError(name + ": '" + key + "' of sample " + std::to_string(i) + " is " + std::to_string(v) +
                                  ", expected a whole number of steps in [0, " + std::to_string(steps) + "]");
            for (auto t = static_cast<std::int64_t>(v); t < steps; ++t)
                clear(i, t);
            continue;
        }
        for (std::int64_t t = 0; t < steps; ++t) {
            const float v = mask.values[static_cast<std::size_t>(i * steps + t)];
            if (v != 0.0f && v != 1.0f)
                throw FormatError(name + ": '" + key + "' of sample " + std::to_string(i) + ", step " +
                                  std::to_string(t) + " is " + std::to_string(v) + ", expected 0 (padding) or 1");
            if (v == 0.0f)
                clear(i, t);
        }
    }
}

// Token ids must be whole numbers in [0, 2^24] (exact as float32); named by sample and position.
void checkTokenIds(const std::string& name, const RawArray& images)
{
    const std::int64_t perSample =
        images.shape[0] ? static_cast<std::int64_t>(images.values.size()) / images.shape[0] : 0;
    for (std::size_t i = 0; i < images.values.size(); ++i) {
        const float v = images.values[i];
        if (!(v >= 0) || v != std::floor(v) || v > 16777216.0f)
            throw FormatError(name + ": token id " + std::to_string(v) + " at sample " +
                              std::to_string(static_cast<std::int64_t>(i) / perSample) + ", position " +
                              std::to_string(static_cast<std::int64_t>(i) % perSample) +
                              " is not a whole number in [0, 2^24]");
    }
}

// Builds the Dataset from raw images, labels and targets: padding, scaling, label checks.
Dataset assemble(const std::string& name, dataset::RawPair raw, const DatasetOptions& options)
{
    RawArray& images = raw.images;
    RawArray& labels = raw.labels;
    const RawArray& targets = raw.targets;
    const bool tokenIds = options.integerValues == IntegerValues::TokenIds ||
                          (options.integerValues == IntegerValues::Auto && raw.tokenIds);
    if (!images.shape.empty() && images.shape[0] > 0) {
        applyPadding(name, images, raw.lengths, raw.mask, options);
        if (tokenIds)
            checkTokenIds(name, images);
    }
    Dataset d;
    d.name = name;
    if (!targets.shape.empty()) {
        if (images.shape.empty() || targets.shape[0] != images.shape[0])
            throw FormatError(name + ": " + std::to_string(images.shape.empty() ? 0 : images.shape[0]) +
                              " images but " + std::to_string(targets.shape[0]) + " targets ('" + options.targetsKey +
                              "')");
        d.targets = Tensor(targets.shape);
        std::copy(targets.values.begin(), targets.values.end(), d.targets.data());
    }
    const bool labelled = options.readLabels || !options.labelsPath.empty();
    // One-hot labels (N, C) → class index.
    if (labels.shape.size() == 2 && labels.shape[1] > 1) {
        const std::int64_t n = labels.shape[0], c = labels.shape[1];
        std::vector<float> idx(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) {
            const float* row = labels.values.data() + i * c;
            idx[static_cast<std::size_t>(i)] = static_cast<float>(std::max_element(row, row + c) - row);
        }
        labels.values = std::move(idx);
        labels.shape = {n};
    }
    const std::int64_t n = images.shape[0];
    if (n == 0)
        throw FormatError(name + ": the dataset has no samples");
    const std::int64_t labelCount = static_cast<std::int64_t>(labels.values.size());
    if (labelled && labelCount != n)
        throw FormatError(name + ": " + std::to_string(n) + " images but " + std::to_string(labelCount) + " labels");
    d.labels.resize(static_cast<std::size_t>(labelled ? n : 0));
    std::int64_t maxLabel = -1;
    for (std::int64_t i = 0; labelled && i < n; ++i) {
        const float v = labels.values[static_cast<std::size_t>(i)];
        if (!(v >= 0) || v != std::floor(v) || v > 1e6)
            throw FormatError(name + ": label " + std::to_string(i) + " is " + std::to_string(v) +
                              ", expected a non-negative class index");
        d.labels[static_cast<std::size_t>(i)] = static_cast<std::int32_t>(v);
        maxLabel = std::max<std::int64_t>(maxLabel, d.labels[static_cast<std::size_t>(i)]);
    }
    d.classCount = maxLabel + 1;
    d.images = Tensor(images.shape);
    const float scale = images.integer && !tokenIds ? static_cast<float>(options.scale) : 1.0f;
    for (std::size_t i = 0; i < images.values.size(); ++i)
        d.images[static_cast<std::int64_t>(i)] = images.values[i] * scale;
    return d;
}

enum class DataKind { Idx, Hdf5, Npz };

DataKind detect(const std::filesystem::path& path)
{
    requireRegularFile(path, "dataset");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw FormatError(path.string() + ": cannot open (missing or unreadable)");
    unsigned char head[8] = {};
    in.read(reinterpret_cast<char*>(head), 8);
    const auto got = in.gcount();
    if (got == 8 && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0)
        return DataKind::Hdf5;
    if (got >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0)
        return DataKind::Npz;
    if (got >= 2 && head[0] == 0x1f && head[1] == 0x8b)
        return DataKind::Idx;
    if (got >= 4 && head[0] == 0 && head[1] == 0)
        return DataKind::Idx;
    throw FormatError(path.string() + ": not a dataset file (expected IDX [.gz], HDF5 or .npz)");
}

} // namespace

IntegerValues parseIntegerValues(const std::string& word)
{
    if (word == "auto")
        return IntegerValues::Auto;
    if (word == "pixels")
        return IntegerValues::Pixels;
    if (word == "ids")
        return IntegerValues::TokenIds;
    throw Error("integer values must be auto, pixels or ids, got '" + word + "'");
}

const char* integerValuesName(IntegerValues v)
{
    switch (v) {
    case IntegerValues::Pixels:
        return "pixels";
    case IntegerValues::TokenIds:
        return "ids";
    case IntegerValues::Auto:
        break;
    }
    return "auto";
}

Dataset readDataset(const std::filesystem::path& path, const DatasetOptions& options)
{
    if (options.limit < 0)
        throw ShapeError("dataset limit must be non-negative, got " + std::to_string(options.limit));
    if (!isolationEnabled() || detect(path) != DataKind::Hdf5)
        return readDatasetInProcess(path, options);
    Dataset d = readDatasetIsolated(path, options);
    // Checked again here: nothing from the child is trusted.
    const std::string file = path.string();
    const bool labelled = options.readLabels || !options.labelsPath.empty();
    if (d.images.rank() < 2 || (labelled && d.count() != static_cast<std::int64_t>(d.labels.size())) ||
        (!labelled && !d.labels.empty()) || (d.targets.rank() > 0 && d.targets.dim(0) != d.count()) ||
        (d.targets.rank() > 0) != !options.targetsKey.empty() || d.classCount < 0 || d.classCount > 1000001)
        throw FormatError(file + ": the isolated reader returned an inconsistent dataset");
    for (const std::int32_t label : d.labels)
        if (label < 0 || label >= d.classCount)
            throw FormatError(file + ": the isolated reader returned a label outside [0, classes)");
    if (d.count() == 0)
        throw FormatError(file + ": the dataset has no samples");
    return d;
}

Dataset readDatasetInProcess(const std::filesystem::path& path, const DatasetOptions& options)
{
    h5::silenceHdf5Errors();
    const std::string file = path.string();
    if (options.limit < 0)
        throw ShapeError("dataset limit must be non-negative, got " + std::to_string(options.limit));
    try {
        dataset::RawPair raw;
        switch (detect(path)) {
        case DataKind::Idx:
            raw = dataset::readIdxPair(file, options);
            break;
        case DataKind::Hdf5:
            raw = dataset::readHdf5Pair(file, options);
            break;
        case DataKind::Npz:
            raw = dataset::readNpzPair(file, options);
            break;
        }
        return assemble(file, std::move(raw), options);
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw FormatError(file + ": out of memory while reading the dataset");
    } catch (const std::exception& e) {
        throw FormatError(file + ": cannot read dataset: " + e.what());
    }
    throw FormatError(file + ": unknown dataset format");
}

void fitDatasetToInput(Dataset& data, const Shape& modelInputShape)
{
    if (data.images.rank() == 0)
        throw ShapeError("dataset '" + data.name + "' is empty");
    const Shape sample(data.images.shape().begin() + 1, data.images.shape().end());
    if (shapeSize(sample) != shapeSize(modelInputShape))
        throw ShapeError("dataset '" + data.name + "' has samples of shape " + shapeToString(sample) + " (" +
                         std::to_string(shapeSize(sample)) + " values), the model expects " +
                         shapeToString(modelInputShape) + " (" + std::to_string(shapeSize(modelInputShape)) +
                         " values)");
    Shape full{data.images.dim(0)};
    full.insert(full.end(), modelInputShape.begin(), modelInputShape.end());
    data.images.reshape(full);
}

} // namespace circnn
