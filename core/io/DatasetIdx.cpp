#include "io/DatasetFormats.h"

// IDX datasets (MNIST, Fashion-MNIST): raw or gzip-compressed, images and labels in two files.

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <filesystem>

#include "common/Error.h"
#include "common/InputFile.h"

namespace circnn::dataset {

namespace {

class GzFile {
public:
    explicit GzFile(const std::string& path) : m_file(openChecked(path)), m_path(path)
    {
        if (!m_file)
            throw FormatError(path + ": cannot open (missing or unreadable)");
    }
    ~GzFile()
    {
        if (m_file)
            gzclose(m_file);
    }
    static gzFile openChecked(const std::string& path)
    {
        requireRegularFile(path, "dataset");
        return gzopen(path.c_str(), "rb");
    }
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

RawArray readIdx(const std::string& path, std::int64_t limit)
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
    RawArray raw;
    for (int i = 0; i < magic[3]; ++i) {
        unsigned char b[4];
        f.read(b, 4, "the IDX dimensions");
        raw.shape.push_back((std::int64_t(b[0]) << 24) | (std::int64_t(b[1]) << 16) | (std::int64_t(b[2]) << 8) | b[3]);
    }
    checkedCount(raw.shape, path);
    raw.shape = limited(raw.shape, limit);
    const std::int64_t n = budgetedCount(raw.shape, path);
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

} // namespace

RawPair readIdxPair(const std::string& imagesPath, const DatasetOptions& options)
{
    RawPair pair;
    pair.images = readIdx(imagesPath, options.limit);
    if (options.readLabels || !options.labelsPath.empty()) {
        const std::filesystem::path labelsPath =
            options.labelsPath.empty() ? idxLabelsPath(imagesPath) : options.labelsPath;
        pair.labels = readIdx(labelsPath.string(), options.limit);
    }
    if (!options.targetsKey.empty())
        throw FormatError(imagesPath + ": IDX files hold no regression targets (use HDF5 or .npz)");
    if (pair.images.shape.size() < 2)
        throw FormatError(imagesPath + ": IDX images need at least 2 dimensions, found " +
                          shapeToString(pair.images.shape));
    return pair;
}

} // namespace circnn::dataset
