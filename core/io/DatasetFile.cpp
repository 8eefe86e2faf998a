#include "io/DatasetFile.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "io/Hdf5.h"
#include "io/ZipArchive.h"

namespace circnn {

namespace {

// Samples × values per sample above this are refused (8 GiB of float32).
constexpr std::int64_t kMaxValues = std::int64_t(1) << 31;

struct Raw {
    Shape shape;               // including the sample dimension
    std::vector<float> values; // converted to float
    bool integer = false;      // stored as an integer type (pixels to be scaled)
};

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

// Applies `limit` to the first dimension of a shape.
Shape limited(Shape shape, std::int64_t limit)
{
    if (!shape.empty() && limit > 0 && shape[0] > limit)
        shape[0] = limit;
    return shape;
}

// ---- IDX ----

class GzFile {
public:
    explicit GzFile(const std::string& path) : m_file(gzopen(path.c_str(), "rb")), m_path(path)
    {
        if (!m_file)
            throw FormatError(path + ": cannot open (missing or unreadable)");
    }
    ~GzFile() { gzclose(m_file); }
    GzFile(const GzFile&) = delete;
    GzFile& operator=(const GzFile&) = delete;
    // Reads exactly n bytes or throws FormatError (truncated / corrupt gzip).
    void read(void* dst, std::size_t n, const char* what)
    {
        auto* p = static_cast<unsigned char*>(dst);
        while (n > 0) {
            const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n, 1u << 30));
            const int got = gzread(m_file, p, chunk);
            if (got <= 0) {
                int err = 0;
                const char* msg = gzerror(m_file, &err);
                throw FormatError(m_path + ": truncated or corrupt while reading " + what +
                                  (err != Z_OK && err != Z_STREAM_END && msg ? std::string(" (") + msg + ")" : ""));
            }
            p += got;
            n -= static_cast<std::size_t>(got);
        }
    }

private:
    gzFile m_file;
    std::string m_path;
};

// One big-endian IDX element as float.
float idxValue(unsigned char type, const unsigned char* p)
{
    const auto be32 = [p] {
        return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
    };
    switch (type) {
    case 0x08:
        return p[0];
    case 0x09:
        return static_cast<signed char>(p[0]);
    case 0x0B:
        return static_cast<std::int16_t>((p[0] << 8) | p[1]);
    case 0x0C:
        return static_cast<float>(static_cast<std::int32_t>(be32()));
    case 0x0D: {
        const std::uint32_t u = be32();
        float v;
        std::memcpy(&v, &u, 4);
        return v;
    }
    default: {
        std::uint64_t u = 0;
        for (int b = 0; b < 8; ++b)
            u = (u << 8) | p[b];
        double d;
        std::memcpy(&d, &u, 8);
        return static_cast<float>(d);
    }
    }
}

Raw readIdx(const std::string& path, std::int64_t limit)
{
    GzFile f(path);
    unsigned char magic[4];
    f.read(magic, 4, "the IDX header");
    if (magic[0] != 0 || magic[1] != 0 || magic[3] < 1 || magic[3] > 4)
        throw FormatError(path + ": not an IDX file (bad magic number)");
    const unsigned char type = magic[2];
    std::size_t elemSize = 0;
    switch (type) {
    case 0x08: // unsigned byte
    case 0x09: // signed byte
        elemSize = 1;
        break;
    case 0x0B: // short
        elemSize = 2;
        break;
    case 0x0C: // int
    case 0x0D: // float
        elemSize = 4;
        break;
    case 0x0E: // double
        elemSize = 8;
        break;
    default:
        throw FormatError(path + ": IDX element type 0x" + std::to_string(type) + " is not supported");
    }
    Raw raw;
    for (int i = 0; i < magic[3]; ++i) {
        unsigned char b[4];
        f.read(b, 4, "the IDX dimensions");
        raw.shape.push_back((std::int64_t(b[0]) << 24) | (std::int64_t(b[1]) << 16) | (std::int64_t(b[2]) << 8) | b[3]);
    }
    checkedCount(raw.shape, path);
    raw.shape = limited(raw.shape, limit);
    const std::int64_t n = checkedCount(raw.shape, path);
    raw.integer = type != 0x0D && type != 0x0E;
    // Read in slices so that a header claiming far more data than the file holds fails on the
    // truncation before much memory is committed.
    constexpr std::int64_t kSlice = 1 << 20;
    raw.values.reserve(static_cast<std::size_t>(std::min(n, kSlice)));
    std::vector<unsigned char> bytes;
    for (std::int64_t start = 0; start < n; start += kSlice) {
        const std::int64_t count = std::min(kSlice, n - start);
        bytes.resize(static_cast<std::size_t>(count) * elemSize);
        f.read(bytes.data(), bytes.size(), "the IDX data");
        for (std::int64_t i = 0; i < count; ++i) {
            const unsigned char* p = bytes.data() + static_cast<std::size_t>(i) * elemSize;
            raw.values.push_back(idxValue(type, p));
        }
    }
    return raw;
}

std::filesystem::path idxLabelsPath(const std::filesystem::path& images)
{
    std::string name = images.filename().string();
    const auto replace = [&](const std::string& from, const std::string& to) {
        const auto pos = name.find(from);
        if (pos == std::string::npos)
            return false;
        name.replace(pos, from.size(), to);
        return true;
    };
    if (!replace("images", "labels"))
        throw FormatError(images.string() + ": cannot derive the labels file name (no 'images' in the name); "
                                            "give the labels file explicitly");
    replace("idx3", "idx1");
    return images.parent_path() / name;
}

// ---- HDF5 ----

Raw readH5Dataset(const h5::File& f, const std::string& key, std::int64_t limit)
{
    h5::Handle ds = h5::openDataset(f, f.id(), key);
    const Shape full = h5::datasetShape(f, ds.id(), key);
    if (full.empty())
        throw FormatError(f.name + ": dataset '" + key + "' is a scalar, expected samples along the first axis");
    Raw raw;
    raw.shape = limited(full, limit);
    const std::int64_t n = checkedCount(raw.shape, f.name + ": dataset '" + key + "'");
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

// ---- NumPy ----

Raw parseNpy(const std::string& bytes, const std::string& where, std::int64_t limit)
{
    if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
        throw FormatError(where + ": not a .npy array (bad magic)");
    const auto major = static_cast<unsigned char>(bytes[6]);
    std::size_t headerLen = 0, offset = 0;
    if (major == 1) {
        headerLen = static_cast<unsigned char>(bytes[8]) | (std::size_t(static_cast<unsigned char>(bytes[9])) << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12)
            throw FormatError(where + ": truncated .npy header");
        for (int i = 3; i >= 0; --i)
            headerLen = (headerLen << 8) | static_cast<unsigned char>(bytes[8 + i]);
        offset = 12;
    } else {
        throw FormatError(where + ": .npy version " + std::to_string(major) + " is not supported");
    }
    if (offset + headerLen > bytes.size())
        throw FormatError(where + ": truncated .npy header");
    const std::string header = bytes.substr(offset, headerLen);
    const std::size_t dataStart = offset + headerLen;
    auto valueOf = [&](const std::string& key) {
        const auto pos = header.find("'" + key + "'");
        if (pos == std::string::npos)
            throw FormatError(where + ": .npy header has no '" + key + "'");
        const auto colon = header.find(':', pos);
        if (colon == std::string::npos)
            throw FormatError(where + ": malformed .npy header");
        std::size_t s = header.find_first_not_of(' ', colon + 1);
        return header.substr(s);
    };
    std::string descr = valueOf("descr");
    if (descr.size() < 2 || descr[0] != '\'')
        throw FormatError(where + ": malformed .npy dtype");
    descr = descr.substr(1, descr.find('\'', 1) - 1);
    const std::string fortran = valueOf("fortran_order");
    if (fortran.rfind("True", 0) == 0)
        throw FormatError(where + ": Fortran-order arrays are not supported (save with C order, "
                                  "e.g. numpy.ascontiguousarray)");
    std::string shapeText = valueOf("shape");
    if (shapeText.empty() || shapeText[0] != '(')
        throw FormatError(where + ": malformed .npy shape");
    shapeText = shapeText.substr(1, shapeText.find(')') - 1);
    Raw raw;
    std::size_t p = 0;
    while (p < shapeText.size()) {
        const std::size_t comma = shapeText.find(',', p);
        std::string tok = shapeText.substr(p, comma == std::string::npos ? std::string::npos : comma - p);
        tok.erase(0, tok.find_first_not_of(' '));
        if (!tok.empty()) {
            try {
                raw.shape.push_back(std::stoll(tok));
            } catch (const std::exception&) {
                throw FormatError(where + ": malformed .npy shape '" + shapeText + "'");
            }
        }
        if (comma == std::string::npos)
            break;
        p = comma + 1;
    }
    if (raw.shape.empty())
        throw FormatError(where + ": scalar array, expected samples along the first axis");
    const char order = descr[0];
    const std::string kind = descr.substr(1);
    if (order == '>' && kind != "u1" && kind != "i1")
        throw FormatError(where + ": big-endian dtype '" + descr + "' is not supported (little-endian only)");
    std::size_t elemSize = 0;
    if (kind == "u1" || kind == "i1" || kind == "b1")
        elemSize = 1;
    else if (kind == "u2" || kind == "i2")
        elemSize = 2;
    else if (kind == "f4" || kind == "i4" || kind == "u4")
        elemSize = 4;
    else if (kind == "f8" || kind == "i8" || kind == "u8")
        elemSize = 8;
    else
        throw FormatError(where + ": dtype '" + descr + "' is not supported (uint8, integers, float32, float64)");
    const std::int64_t fullCount = checkedCount(raw.shape, where);
    if (bytes.size() - dataStart < static_cast<std::size_t>(fullCount) * elemSize)
        throw FormatError(where + ": array data is truncated (" + std::to_string(bytes.size() - dataStart) +
                          " bytes for shape " + shapeToString(raw.shape) + ")");
    raw.shape = limited(raw.shape, limit);
    const std::int64_t n = checkedCount(raw.shape, where);
    raw.integer = kind[0] != 'f';
    raw.values.resize(static_cast<std::size_t>(n));
    const char* d = bytes.data() + dataStart;
    for (std::int64_t i = 0; i < n; ++i) {
        const char* e = d + static_cast<std::size_t>(i) * elemSize;
        float v = 0;
        // The host is little-endian (x86-64 / arm64), like the data.
        if (kind == "u1" || kind == "b1") {
            std::uint8_t x;
            std::memcpy(&x, e, 1);
            v = x;
        } else if (kind == "i1") {
            std::int8_t x;
            std::memcpy(&x, e, 1);
            v = x;
        } else if (kind == "u2") {
            std::uint16_t x;
            std::memcpy(&x, e, 2);
            v = x;
        } else if (kind == "i2") {
            std::int16_t x;
            std::memcpy(&x, e, 2);
            v = x;
        } else if (kind == "i4") {
            std::int32_t x;
            std::memcpy(&x, e, 4);
            v = static_cast<float>(x);
        } else if (kind == "u4") {
            std::uint32_t x;
            std::memcpy(&x, e, 4);
            v = static_cast<float>(x);
        } else if (kind == "i8") {
            std::int64_t x;
            std::memcpy(&x, e, 8);
            v = static_cast<float>(x);
        } else if (kind == "u8") {
            std::uint64_t x;
            std::memcpy(&x, e, 8);
            v = static_cast<float>(x);
        } else if (kind == "f4") {
            std::memcpy(&v, e, 4);
        } else {
            double x;
            std::memcpy(&x, e, 8);
            v = static_cast<float>(x);
        }
        raw.values[static_cast<std::size_t>(i)] = v;
    }
    return raw;
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

// Builds the Dataset from raw images and labels: scaling, label checks.
Dataset assemble(const std::string& name, Raw images, Raw labels, const DatasetOptions& options, Raw targets = {})
{
    Dataset d;
    d.name = name;
    if (!targets.shape.empty()) {
        if (targets.shape[0] != images.shape[0])
            throw FormatError(name + ": " + std::to_string(images.shape[0]) + " images but " +
                              std::to_string(targets.shape[0]) + " targets ('" + options.targetsKey + "')");
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
    const float scale = images.integer ? static_cast<float>(options.scale) : 1.0f;
    for (std::size_t i = 0; i < images.values.size(); ++i)
        d.images[static_cast<std::int64_t>(i)] = images.values[i] * scale;
    return d;
}

enum class DataKind { Idx, Hdf5, Npz };

DataKind detect(const std::filesystem::path& path)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw FormatError(path.string() + ": is a directory, expected a dataset file");
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

Dataset readDataset(const std::filesystem::path& path, const DatasetOptions& options)
{
    h5::silenceHdf5Errors();
    const std::string file = path.string();
    if (options.limit < 0)
        throw ShapeError("dataset limit must be non-negative, got " + std::to_string(options.limit));
    try {
        switch (detect(path)) {
        case DataKind::Idx: {
            const std::filesystem::path labelsPath =
                options.labelsPath.empty() ? idxLabelsPath(path) : options.labelsPath;
            Raw images = readIdx(file, options.limit);
            Raw labels =
                options.readLabels || !options.labelsPath.empty() ? readIdx(labelsPath.string(), options.limit) : Raw{};
            if (!options.targetsKey.empty())
                throw FormatError(file + ": IDX files hold no regression targets (use HDF5 or .npz)");
            if (images.shape.size() < 2)
                throw FormatError(file + ": IDX images need at least 2 dimensions, found " +
                                  shapeToString(images.shape));
            return assemble(file, std::move(images), std::move(labels), options);
        }
        case DataKind::Hdf5: {
            h5::File f = h5::openFile(file);
            auto pick = [&](const std::string& key, const char* testKey, const char* what) {
                const auto keys = candidateKeys(key, testKey);
                for (const auto& k : keys)
                    if (h5::linkExists(f.id(), k))
                        return k;
                throw FormatError(file + ": no " + what + " dataset (tried " + joinKeys(keys) + ")");
            };
            Raw images = readH5Dataset(f, pick(options.imagesKey, "x_test", "images"), options.limit);
            Raw labels;
            if (!options.labelsPath.empty()) {
                h5::File lf = h5::openFile(options.labelsPath.string());
                const auto keys = candidateKeys(options.labelsKey, "y_test");
                std::string found;
                for (const auto& k : keys)
                    if (found.empty() && h5::linkExists(lf.id(), k))
                        found = k;
                if (found.empty())
                    throw FormatError(lf.name + ": no labels dataset (tried " + joinKeys(keys) + ")");
                labels = readH5Dataset(lf, found, options.limit);
            } else if (options.readLabels) {
                labels = readH5Dataset(f, pick(options.labelsKey, "y_test", "labels"), options.limit);
            }
            Raw targets;
            if (!options.targetsKey.empty())
                targets = readH5Dataset(f, pick(options.targetsKey, "y_test", "targets"), options.limit);
            return assemble(file, std::move(images), std::move(labels), options, std::move(targets));
        }
        case DataKind::Npz: {
            ZipArchive zip(file);
            auto member = [&](const std::string& key, const char* testKey, const char* what) {
                const auto keys = candidateKeys(key, testKey);
                for (const auto& k : keys)
                    if (zip.contains(k + ".npy"))
                        return k + ".npy";
                throw FormatError(file + ": no " + what + " array (tried " + joinKeys(keys) + ")");
            };
            const std::string im = member(options.imagesKey, "x_test", "images");
            Raw images = parseNpy(zip.read(im), file + ": member '" + im + "'", options.limit);
            Raw labels, targets;
            if (!options.labelsPath.empty())
                throw FormatError(file + ": a separate labels file is supported for IDX and HDF5 data, not .npz");
            if (options.readLabels) {
                const std::string lb = member(options.labelsKey, "y_test", "labels");
                labels = parseNpy(zip.read(lb), file + ": member '" + lb + "'", options.limit);
            }
            if (!options.targetsKey.empty()) {
                const std::string tk = member(options.targetsKey, "y_test", "targets");
                targets = parseNpy(zip.read(tk), file + ": member '" + tk + "'", options.limit);
            }
            return assemble(file, std::move(images), std::move(labels), options, std::move(targets));
        }
        }
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

void writeDatasetH5(const Dataset& data, const std::filesystem::path& path, bool asUint8)
{
    h5::silenceHdf5Errors();
    const std::string file = path.string();
    if (static_cast<std::int64_t>(data.labels.size()) != data.count())
        throw ShapeError(file + ": dataset has " + std::to_string(data.count()) + " images but " +
                         std::to_string(data.labels.size()) + " labels");
    writeFileAtomically(path, [&](const std::filesystem::path& temp) {
        h5::File f = h5::createFile(temp.string());
        f.name = file;
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
        if (H5Fflush(f.id(), H5F_SCOPE_GLOBAL) < 0)
            throw FormatError(file + ": cannot flush the file");
    });
}

} // namespace circnn
