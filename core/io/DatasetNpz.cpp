#include "io/DatasetFormats.h"

// NumPy .npz archives (as keras.datasets caches them): one .npy member for images, one for labels.

#include <cstring>

#include "common/Error.h"
#include "io/ZipArchive.h"

namespace circnn::dataset {

RawArray parseNpy(const std::string& bytes, const std::string& where, std::int64_t limit, bool allowScalar)
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
        const std::size_t s = header.find_first_not_of(' ', colon + 1);
        if (s == std::string::npos)
            throw FormatError(where + ": .npy header has no value for '" + key + "'");
        return header.substr(s);
    };
    std::string descr = valueOf("descr");
    if (descr.size() < 2 || descr[0] != '\'')
        throw FormatError(where + ": malformed .npy dtype");
    descr = descr.substr(1, descr.find('\'', 1) - 1);
    if (descr.size() < 2)
        throw FormatError(where + ": malformed .npy dtype");
    const std::string fortran = valueOf("fortran_order");
    if (fortran.rfind("True", 0) == 0)
        throw FormatError(where + ": Fortran-order arrays are not supported (save with C order, "
                                  "e.g. numpy.ascontiguousarray)");
    std::string shapeText = valueOf("shape");
    if (shapeText.empty() || shapeText[0] != '(')
        throw FormatError(where + ": malformed .npy shape");
    shapeText = shapeText.substr(1, shapeText.find(')') - 1);
    RawArray raw;
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
    if (raw.shape.empty() && !allowScalar)
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
    const std::int64_t n = budgetedCount(raw.shape, where);
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

RawPair readNpzPair(const std::string& path, const DatasetOptions& options)
{
    ZipArchive zip(path);
    auto member = [&](const std::string& key, const char* testKey, const char* what) {
        const auto keys = candidateKeys(key, testKey);
        for (const auto& k : keys)
            if (zip.contains(k + ".npy"))
                return k + ".npy";
        throw FormatError(path + ": no " + what + " array (tried " + joinKeys(keys) + ")");
    };
    const std::string im = member(options.imagesKey, "x_test", "images");
    RawPair pair;
    pair.images = parseNpy(zip.read(im), path + ": member '" + im + "'", options.limit);
    if (!options.labelsPath.empty())
        throw FormatError(path + ": a separate labels file is supported for IDX and HDF5 data, not .npz");
    if (options.readLabels) {
        const std::string lb = member(options.labelsKey, "y_test", "labels");
        pair.labels = parseNpy(zip.read(lb), path + ": member '" + lb + "'", options.limit);
    }
    if (!options.targetsKey.empty()) {
        const std::string tk = member(options.targetsKey, "y_test", "targets");
        pair.targets = parseNpy(zip.read(tk), path + ": member '" + tk + "'", options.limit);
    }
    // Sequence padding and the token-id mark: read when present.
    auto optional = [&](const std::string& key, bool scalar) {
        if (key.empty() || !zip.contains(key + ".npy"))
            return RawArray{};
        return parseNpy(zip.read(key + ".npy"), path + ": member '" + key + ".npy'", scalar ? 0 : options.limit,
                        scalar);
    };
    pair.lengths = optional(options.lengthsKey, false);
    pair.mask = optional(options.maskKey, false);
    if (zip.contains(std::string(kTokenIdsMark) + ".npy")) {
        const RawArray mark = optional(kTokenIdsMark, true);
        if (mark.values.size() != 1 || !mark.integer)
            throw FormatError(path + ": member '" + kTokenIdsMark +
                              ".npy' must hold one integer (1: x holds token ids)");
        pair.tokenIds = mark.values[0] != 0;
    }
    return pair;
}

} // namespace circnn::dataset
