#include "io/DatasetFormats.h"

// HDF5 datasets: images and labels as two numeric datasets (names configurable); the writer.

#include <algorithm>
#include <cmath>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "io/Hdf5.h"

namespace circnn {

namespace dataset {

namespace {

RawArray readH5Dataset(const h5::File& f, const std::string& key, std::int64_t limit)
{
    h5::Handle ds = h5::openDataset(f, f.id(), key);
    const Shape full = h5::datasetShape(f, ds.id(), key);
    if (full.empty())
        throw FormatError(f.name + ": dataset '" + key + "' is a scalar, expected samples along the first axis");
    RawArray raw;
    raw.shape = limited(full, limit);
    const std::int64_t n = budgetedCount(raw.shape, f.name + ": dataset '" + key + "'");
    const h5::Handle type(H5Dget_type(ds.id()), H5Tclose);
    const H5T_class_t cls = type.valid() ? H5Tget_class(type.id()) : H5T_NO_CLASS;
    if (cls != H5T_INTEGER && cls != H5T_FLOAT)
        throw FormatError(f.name + ": dataset '" + key + "' is not numeric");
    raw.integer = cls == H5T_INTEGER;
    if (n > 0 && H5Dget_storage_size(ds.id()) == 0)
        throw FormatError(f.name + ": dataset '" + key + "' has no data stored");
    raw.values.resize(static_cast<std::size_t>(n));
    if (n == 0)
        return raw;
    std::vector<hsize_t> start(full.size(), 0), count(raw.shape.begin(), raw.shape.end());
    const h5::Handle fileSpace(H5Dget_space(ds.id()), H5Sclose);
    const h5::Handle memSpace(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr), H5Sclose);
    herr_t status = H5Sselect_hyperslab(fileSpace.id(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
    if (status >= 0)
        status = H5Dread(ds.id(), H5T_NATIVE_FLOAT, memSpace.id(), fileSpace.id(), H5P_DEFAULT, raw.values.data());
    if (status < 0)
        throw FormatError(f.name + ": cannot read dataset '" + key + "' (truncated or corrupt)");
    return raw;
}

} // namespace

RawPair readHdf5Pair(const std::string& path, const DatasetOptions& options)
{
    h5::File f = h5::openFile(path);
    auto pick = [&](const std::string& key, const char* testKey, const char* what) {
        const auto keys = candidateKeys(key, testKey);
        for (const auto& k : keys)
            if (h5::linkExists(f.id(), k))
                return k;
        throw FormatError(path + ": no " + what + " dataset (tried " + joinKeys(keys) + ")");
    };
    RawPair pair;
    const std::string imagesKey = pick(options.imagesKey, "x_test", "images");
    pair.images = readH5Dataset(f, imagesKey, options.limit);
    {
        const h5::Handle images = h5::openDataset(f, f.id(), imagesKey);
        if (const auto mark = h5::readIntAttr(f, images.id(), kTokenIdsMark, "dataset '" + imagesKey + "'"))
            pair.tokenIds = *mark != 0;
    }
    if (!options.labelsPath.empty()) {
        h5::File lf = h5::openFile(options.labelsPath.string());
        const auto keys = candidateKeys(options.labelsKey, "y_test");
        std::string found;
        for (const auto& k : keys)
            if (found.empty() && h5::linkExists(lf.id(), k))
                found = k;
        if (found.empty())
            throw FormatError(lf.name + ": no labels dataset (tried " + joinKeys(keys) + ")");
        pair.labels = readH5Dataset(lf, found, options.limit);
    } else if (options.readLabels) {
        pair.labels = readH5Dataset(f, pick(options.labelsKey, "y_test", "labels"), options.limit);
    }
    if (!options.targetsKey.empty())
        pair.targets = readH5Dataset(f, pick(options.targetsKey, "y_test", "targets"), options.limit);
    // Sequence padding: read when present.
    if (!options.lengthsKey.empty() && h5::linkExists(f.id(), options.lengthsKey))
        pair.lengths = readH5Dataset(f, options.lengthsKey, options.limit);
    if (!options.maskKey.empty() && h5::linkExists(f.id(), options.maskKey))
        pair.mask = readH5Dataset(f, options.maskKey, options.limit);
    return pair;
}

} // namespace dataset

void writeDatasetH5(const Dataset& data, const std::filesystem::path& path, bool asUint8)
{
    h5::silenceHdf5Errors();
    const std::string file = path.string();
    if (static_cast<std::int64_t>(data.labels.size()) != data.count())
        throw ShapeError(file + ": dataset has " + std::to_string(data.count()) + " images but " +
                         std::to_string(data.labels.size()) + " labels");
    {
        // Built in memory, then written by writeBytesAtomically: the HDF5 library never holds a
        // handle on the destination's disk, so a full disk cannot leave a file open in it.
        h5::File f = h5::createInMemory(file);
        if (asUint8) {
            // Images are taken as scaled by 1/255 and stored as round(x·255), clamped to [0, 255].
            std::vector<std::uint8_t> bytes(static_cast<std::size_t>(data.images.size()));
            for (std::size_t i = 0; i < bytes.size(); ++i) {
                const float v = std::round(data.images[static_cast<std::int64_t>(i)] * 255.0f);
                bytes[i] = static_cast<std::uint8_t>(std::clamp(v, 0.0f, 255.0f));
            }
            h5::writeRawDataset(f, f.id(), "x", H5T_NATIVE_UINT8, H5T_STD_U8LE, data.images.shape(), bytes.data());
        } else {
            h5::writeFloatDataset(f, f.id(), "x", data.images);
        }
        h5::writeRawDataset(f, f.id(), "y", H5T_NATIVE_INT32, H5T_STD_I32LE,
                            {static_cast<std::int64_t>(data.labels.size())}, data.labels.data());
        if (data.targets.rank() > 0)
            h5::writeFloatDataset(f, f.id(), "targets", data.targets);
        h5::commitImage(f, path);
    }
}

} // namespace circnn
