#include "io/Hdf5.h"

#include <H5LTpublic.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <fstream>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/InputFile.h"
#include "common/MemoryBudget.h"

#include <sys/stat.h>
#include <unistd.h>

namespace circnn::h5 {

namespace {

[[noreturn]] void fail(const File& f, const std::string& where, const std::string& what)
{
    throw FormatError(f.name + ": " + (where.empty() ? "" : where + ": ") + what);
}

herr_t closeType(hid_t id)
{
    return H5Tclose(id);
}
herr_t closeSpace(hid_t id)
{
    return H5Sclose(id);
}
herr_t closeAttr(hid_t id)
{
    return H5Aclose(id);
}
herr_t closeGroup(hid_t id)
{
    return H5Gclose(id);
}
herr_t closeDataset(hid_t id)
{
    return H5Dclose(id);
}
herr_t closeFile(hid_t id)
{
    return H5Fclose(id);
}
herr_t closePlist(hid_t id)
{
    return H5Pclose(id);
}

// Reads every element of an open string attribute (fixed or variable length).
std::vector<std::string> readStringAttribute(const File& f, hid_t attr, const std::string& where)
{
    Handle type(H5Aget_type(attr), closeType);
    Handle space(H5Aget_space(attr), closeSpace);
    if (!type.valid() || !space.valid())
        fail(f, where, "cannot read attribute type");
    const hssize_t n = H5Sget_simple_extent_npoints(space.id());
    if (n < 0)
        fail(f, where, "cannot read attribute size");
    if (n == 0)
        return {};
    if (H5Tget_class(type.id()) != H5T_STRING)
        fail(f, where, "expected a string attribute");
    if (n > 10'000'000)
        fail(f, where, "attribute has an absurd number of elements (" + std::to_string(n) + ")");
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(n));
    if (H5Tis_variable_str(type.id()) > 0) {
        Handle mem(H5Tcopy(H5T_C_S1), closeType);
        H5Tset_size(mem.id(), H5T_VARIABLE);
        H5Tset_cset(mem.id(), H5Tget_cset(type.id()));
        std::vector<char*> buf(static_cast<std::size_t>(n), nullptr);
        if (H5Aread(attr, mem.id(), buf.data()) < 0)
            fail(f, where, "cannot read variable-length string attribute");
        for (char* s : buf)
            out.emplace_back(s ? s : "");
        H5Dvlen_reclaim(mem.id(), space.id(), H5P_DEFAULT, buf.data());
    } else {
        const std::size_t size = H5Tget_size(type.id());
        if (size == 0 || size > (std::size_t(1) << 30) || static_cast<std::size_t>(n) * size > (std::size_t(1) << 30))
            fail(f, where, "string attribute has an absurd size");
        Handle mem(H5Tcopy(H5T_C_S1), closeType);
        H5Tset_size(mem.id(), size);
        H5Tset_strpad(mem.id(), H5T_STR_NULLPAD);
        std::vector<char> buf(static_cast<std::size_t>(n) * size, '\0');
        if (H5Aread(attr, mem.id(), buf.data()) < 0)
            fail(f, where, "cannot read fixed-length string attribute");
        for (hssize_t i = 0; i < n; ++i) {
            const char* p = buf.data() + static_cast<std::size_t>(i) * size;
            out.emplace_back(p, strnlen(p, size));
        }
    }
    return out;
}

} // namespace

void silenceHdf5Errors()
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

bool hasHdf5Signature(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    char sig[8] = {};
    if (!in.read(sig, 8))
        return false;
    return std::memcmp(sig, "\x89HDF\r\n\x1a\n", 8) == 0;
}

File openFile(const std::string& path)
{
    silenceHdf5Errors();
    File f;
    f.name = path;
    requireRegularFile(path, "HDF5 file");
    f.handle = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), closeFile);
    if (!f.handle.valid())
        fail(f, "", "cannot open as HDF5 (missing, unreadable, truncated or not an HDF5 file)");
    return f;
}

File openImage(const std::string& bytes, const std::string& name)
{
    silenceHdf5Errors();
    File f;
    f.name = name;
    if (bytes.size() < 8 || std::memcmp(bytes.data(), "\x89HDF\r\n\x1a\n", 8) != 0)
        fail(f, "", "not an HDF5 image (signature missing)");
    // flags 0: HDF5 copies the buffer, so `bytes` need not outlive the file.
    f.handle = Handle(H5LTopen_file_image(const_cast<char*>(bytes.data()), bytes.size(), 0), closeFile);
    if (!f.handle.valid())
        fail(f, "", "cannot open the in-memory HDF5 image (truncated or corrupt)");
    return f;
}

File createFile(const std::string& path)
{
    silenceHdf5Errors();
    File f;
    f.name = path;
    f.handle = Handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), closeFile);
    if (!f.handle.valid())
        fail(f, "", "cannot create HDF5 file");
    return f;
}

File createInMemory(const std::string& name)
{
    silenceHdf5Errors();
    static std::atomic<unsigned> counter{0};
    File f;
    f.name = name;
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS), closePlist);
    // 4 MiB growth steps; backing_store 0: nothing is ever written to disk by HDF5.
    if (!fapl.valid() || H5Pset_fapl_core(fapl.id(), std::size_t(4) << 20, 0) < 0)
        fail(f, "", "cannot set up an in-memory HDF5 file");
    // Unique per call: HDF5 refuses to create a second open file of the same name.
    const std::string memName = "circnn-memory-" + std::to_string(counter++) + ".h5";
    f.handle = Handle(H5Fcreate(memName.c_str(), H5F_ACC_EXCL, H5P_DEFAULT, fapl.id()), closeFile);
    if (!f.handle.valid())
        fail(f, "", "cannot create an in-memory HDF5 file");
    return f;
}

void commitImage(const File& f, const std::filesystem::path& path)
{
    if (H5Fflush(f.id(), H5F_SCOPE_GLOBAL) < 0)
        fail(f, "", "cannot flush the file");
    const ssize_t size = H5Fget_file_image(f.id(), nullptr, 0);
    if (size <= 0)
        fail(f, "", "cannot get the file image");
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (H5Fget_file_image(f.id(), bytes.data(), bytes.size()) != size)
        fail(f, "", "cannot get the file image");
    writeBytesAtomically(path, bytes.data(), bytes.size());
}

bool linkExists(hid_t loc, const std::string& path)
{
    if (path.empty())
        return false;
    std::size_t pos = path[0] == '/' ? 1 : 0;
    while (true) {
        const std::size_t next = path.find('/', pos);
        const std::string prefix = path.substr(0, next);
        if (!prefix.empty() && prefix != "/") {
            if (H5Lexists(loc, prefix.c_str(), H5P_DEFAULT) <= 0)
                return false;
            if (H5Oexists_by_name(loc, prefix.c_str(), H5P_DEFAULT) <= 0)
                return false;
        }
        if (next == std::string::npos)
            return true;
        pos = next + 1;
    }
}

bool attributeExists(hid_t obj, const std::string& name)
{
    return H5Aexists(obj, name.c_str()) > 0;
}

Handle openGroup(const File& f, hid_t loc, const std::string& path)
{
    if (!linkExists(loc, path))
        fail(f, path, "group is missing");
    Handle g(H5Gopen2(loc, path.c_str(), H5P_DEFAULT), closeGroup);
    if (!g.valid())
        fail(f, path, "cannot open group (not a group or corrupt)");
    return g;
}

Handle openDataset(const File& f, hid_t loc, const std::string& path)
{
    if (!linkExists(loc, path))
        fail(f, path, "dataset is missing");
    Handle d(H5Dopen2(loc, path.c_str(), H5P_DEFAULT), closeDataset);
    if (!d.valid())
        fail(f, path, "cannot open dataset (not a dataset or corrupt)");
    return d;
}

Handle createGroup(const File& f, hid_t loc, const std::string& path)
{
    Handle plist(H5Pcreate(H5P_LINK_CREATE), closePlist);
    H5Pset_create_intermediate_group(plist.id(), 1);
    Handle g(H5Gcreate2(loc, path.c_str(), plist.id(), H5P_DEFAULT, H5P_DEFAULT), closeGroup);
    if (!g.valid())
        fail(f, path, "cannot create group");
    return g;
}

std::vector<std::string> childNames(const File& f, hid_t group, const std::string& where)
{
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0)
        fail(f, where, "cannot list group");
    std::vector<std::string> names;
    for (hsize_t i = 0; i < info.nlinks; ++i) {
        const ssize_t len = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
        if (len < 0)
            fail(f, where, "cannot read a link name");
        std::string name(static_cast<std::size_t>(len) + 1, '\0');
        H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(), H5P_DEFAULT);
        name.resize(static_cast<std::size_t>(len));
        names.push_back(std::move(name));
    }
    return names;
}

std::optional<std::vector<std::string>> readStrings(const File& f, hid_t obj, const std::string& name,
                                                    const std::string& where)
{
    auto readOne = [&](const std::string& attrName) {
        Handle attr(H5Aopen(obj, attrName.c_str(), H5P_DEFAULT), closeAttr);
        if (!attr.valid())
            fail(f, where, "cannot open attribute '" + attrName + "'");
        return readStringAttribute(f, attr.id(), where + " attribute '" + attrName + "'");
    };
    if (attributeExists(obj, name))
        return readOne(name);
    // Keras splits attributes over 64 KiB into name0, name1, ...
    if (!attributeExists(obj, name + "0"))
        return std::nullopt;
    std::vector<std::string> all;
    for (int chunk = 0; attributeExists(obj, name + std::to_string(chunk)); ++chunk) {
        auto part = readOne(name + std::to_string(chunk));
        all.insert(all.end(), part.begin(), part.end());
    }
    return all;
}

std::optional<std::string> readString(const File& f, hid_t obj, const std::string& name, const std::string& where)
{
    if (!attributeExists(obj, name))
        return std::nullopt;
    auto list = readStrings(f, obj, name, where);
    if (!list || list->size() != 1)
        fail(f, where, "attribute '" + name + "' should be one string");
    return list->front();
}

std::optional<std::int64_t> readIntAttr(const File& f, hid_t obj, const std::string& name, const std::string& where)
{
    if (!attributeExists(obj, name))
        return std::nullopt;
    Handle attr(H5Aopen(obj, name.c_str(), H5P_DEFAULT), closeAttr);
    Handle type(H5Aget_type(attr.id()), closeType);
    Handle space(H5Aget_space(attr.id()), closeSpace);
    if (!attr.valid() || !type.valid() || H5Tget_class(type.id()) != H5T_INTEGER ||
        H5Sget_simple_extent_npoints(space.id()) != 1)
        fail(f, where, "attribute '" + name + "' should be one integer");
    std::int64_t v = 0;
    if (H5Aread(attr.id(), H5T_NATIVE_INT64, &v) < 0)
        fail(f, where, "cannot read attribute '" + name + "'");
    return v;
}

Shape datasetShape(const File& f, hid_t dataset, const std::string& path)
{
    Handle space(H5Dget_space(dataset), closeSpace);
    const int rank = space.valid() ? H5Sget_simple_extent_ndims(space.id()) : -1;
    if (rank < 0 || rank > 8)
        fail(f, path, "dataset has an unsupported rank (" + std::to_string(rank) + ")");
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space.id(), dims.data(), nullptr);
    Shape shape;
    for (hsize_t d : dims) {
        if (d > (hsize_t(1) << 40))
            fail(f, path, "dataset has an absurd dimension (" + std::to_string(d) + ")");
        shape.push_back(static_cast<std::int64_t>(d));
    }
    return shape;
}

Tensor readFloatDataset(const File& f, hid_t loc, const std::string& path, std::int64_t maxElements)
{
    Handle ds = openDataset(f, loc, path);
    Handle type(H5Dget_type(ds.id()), closeType);
    const H5T_class_t cls = type.valid() ? H5Tget_class(type.id()) : H5T_NO_CLASS;
    if (cls != H5T_FLOAT && cls != H5T_INTEGER)
        fail(f, path, "dataset is not numeric");
    const Shape shape = datasetShape(f, ds.id(), path);
    std::int64_t n = 1;
    for (auto d : shape) {
        if (d != 0 && n > maxElements / d)
            fail(f, path, "dataset " + shapeToString(shape) + " is too large");
        n *= d;
    }
    if (n > maxElements)
        fail(f, path, "dataset " + shapeToString(shape) + " is too large");
    checkMemoryBudget(saturatingMultiply(n, 4), f.name + ": " + path + ": dataset " + shapeToString(shape));
    // A dataset with no storage at all would read back as fill values: the data is missing
    // (truncated writer, hand-made file).
    if (n > 0 && H5Dget_storage_size(ds.id()) == 0)
        fail(f, path, "dataset " + shapeToString(shape) + " has no data stored");
    Tensor t(shape);
    if (n > 0 && H5Dread(ds.id(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.data()) < 0)
        fail(f, path, "cannot read dataset (truncated or corrupt file)");
    return t;
}

std::optional<std::uint64_t> contiguousFloat32Offset(const File& f, hid_t loc, const std::string& path, int rawFd,
                                                     Shape& shape)
{
    Handle ds = openDataset(f, loc, path);
    Handle type(H5Dget_type(ds.id()), closeType);
    if (!type.valid() || H5Tequal(type.id(), H5T_IEEE_F32LE) <= 0)
        return std::nullopt;
    Handle dcpl(H5Dget_create_plist(ds.id()), closePlist);
    if (!dcpl.valid() || H5Pget_layout(dcpl.id()) != H5D_CONTIGUOUS || H5Pget_external_count(dcpl.id()) != 0 ||
        H5Pget_nfilters(dcpl.id()) != 0)
        return std::nullopt;
    shape = datasetShape(f, ds.id(), path);
    std::int64_t n = 1;
    for (auto d : shape) {
        if (d <= 0 || n > (std::int64_t(1) << 40) / d)
            return std::nullopt;
        n *= d;
    }
    const std::uint64_t bytes = static_cast<std::uint64_t>(n) * 4;
    const haddr_t offset = H5Dget_offset(ds.id());
    if (offset == HADDR_UNDEF || H5Dget_storage_size(ds.id()) != bytes)
        return std::nullopt;
    struct stat st {};
    if (::fstat(rawFd, &st) != 0 || offset > static_cast<std::uint64_t>(st.st_size) ||
        bytes > static_cast<std::uint64_t>(st.st_size) - offset)
        return std::nullopt;
    // Cross-check: the first and the last values through the library equal the raw bytes there.
    const hsize_t probe = static_cast<hsize_t>(std::min<std::int64_t>(n, 8));
    for (const std::int64_t first : {std::int64_t(0), n - static_cast<std::int64_t>(probe)}) {
        std::vector<hsize_t> coords;
        for (hsize_t e = 0; e < probe; ++e) {
            std::int64_t flat = first + static_cast<std::int64_t>(e);
            std::vector<hsize_t> c(shape.size());
            for (std::size_t d = shape.size(); d-- > 0;) {
                c[d] = static_cast<hsize_t>(flat % shape[d]);
                flat /= shape[d];
            }
            coords.insert(coords.end(), c.begin(), c.end());
        }
        Handle fileSpace(H5Dget_space(ds.id()), closeSpace);
        Handle memSpace(H5Screate_simple(1, &probe, nullptr), closeSpace);
        float viaLibrary[8] = {}, raw[8] = {};
        if (!fileSpace.valid() || !memSpace.valid() ||
            H5Sselect_elements(fileSpace.id(), H5S_SELECT_SET, probe, coords.data()) < 0 ||
            H5Dread(ds.id(), H5T_NATIVE_FLOAT, memSpace.id(), fileSpace.id(), H5P_DEFAULT, viaLibrary) < 0)
            return std::nullopt;
        const std::size_t probeBytes = static_cast<std::size_t>(probe) * 4;
        if (::pread(rawFd, raw, probeBytes, static_cast<off_t>(offset + static_cast<std::uint64_t>(first) * 4)) !=
                static_cast<ssize_t>(probeBytes) ||
            std::memcmp(raw, viaLibrary, probeBytes) != 0)
            return std::nullopt;
    }
    return static_cast<std::uint64_t>(offset);
}

void writeString(const File& f, hid_t obj, const std::string& name, const std::string& value)
{
    Handle type(H5Tcopy(H5T_C_S1), closeType);
    H5Tset_size(type.id(), H5T_VARIABLE);
    H5Tset_cset(type.id(), H5T_CSET_UTF8);
    Handle space(H5Screate(H5S_SCALAR), closeSpace);
    Handle attr(H5Acreate2(obj, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), closeAttr);
    const char* p = value.c_str();
    if (!attr.valid() || H5Awrite(attr.id(), type.id(), &p) < 0)
        fail(f, name, "cannot write attribute");
}

void writeStrings(const File& f, hid_t obj, const std::string& name, const std::vector<std::string>& values,
                  bool fixedLength)
{
    if (values.empty()) {
        // As Keras writes an empty list: a float64 array of length 0.
        hsize_t zero = 0;
        Handle space(H5Screate_simple(1, &zero, nullptr), closeSpace);
        Handle attr(H5Acreate2(obj, name.c_str(), H5T_IEEE_F64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT), closeAttr);
        if (!attr.valid())
            fail(f, name, "cannot write attribute");
        return;
    }
    hsize_t n = values.size();
    Handle space(H5Screate_simple(1, &n, nullptr), closeSpace);
    Handle type(H5Tcopy(H5T_C_S1), closeType);
    if (fixedLength) {
        std::size_t width = 1;
        for (const auto& v : values)
            width = std::max(width, v.size());
        H5Tset_size(type.id(), width);
        H5Tset_strpad(type.id(), H5T_STR_NULLPAD);
        std::vector<char> buf(values.size() * width, '\0');
        for (std::size_t i = 0; i < values.size(); ++i)
            std::memcpy(buf.data() + i * width, values[i].data(), values[i].size());
        Handle attr(H5Acreate2(obj, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), closeAttr);
        if (!attr.valid() || H5Awrite(attr.id(), type.id(), buf.data()) < 0)
            fail(f, name, "cannot write attribute");
    } else {
        H5Tset_size(type.id(), H5T_VARIABLE);
        H5Tset_cset(type.id(), H5T_CSET_UTF8);
        std::vector<const char*> ptrs;
        for (const auto& v : values)
            ptrs.push_back(v.c_str());
        Handle attr(H5Acreate2(obj, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT), closeAttr);
        if (!attr.valid() || H5Awrite(attr.id(), type.id(), ptrs.data()) < 0)
            fail(f, name, "cannot write attribute");
    }
}

void writeIntAttr(const File& f, hid_t obj, const std::string& name, std::int64_t value)
{
    Handle space(H5Screate(H5S_SCALAR), closeSpace);
    Handle attr(H5Acreate2(obj, name.c_str(), H5T_STD_I64LE, space.id(), H5P_DEFAULT, H5P_DEFAULT), closeAttr);
    if (!attr.valid() || H5Awrite(attr.id(), H5T_NATIVE_INT64, &value) < 0)
        fail(f, name, "cannot write attribute");
}

void writeRawDataset(const File& f, hid_t loc, const std::string& path, hid_t memType, hid_t fileType,
                     const Shape& shape, const void* data)
{
    std::vector<hsize_t> dims(shape.begin(), shape.end());
    Handle space(shape.empty() ? H5Screate(H5S_SCALAR)
                               : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                 closeSpace);
    Handle plist(H5Pcreate(H5P_LINK_CREATE), closePlist);
    H5Pset_create_intermediate_group(plist.id(), 1);
    Handle ds(H5Dcreate2(loc, path.c_str(), fileType, space.id(), plist.id(), H5P_DEFAULT, H5P_DEFAULT), closeDataset);
    if (!ds.valid())
        fail(f, path, "cannot create dataset");
    std::int64_t n = 1;
    for (auto d : shape)
        n *= d;
    if (n > 0 && H5Dwrite(ds.id(), memType, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        fail(f, path, "cannot write dataset");
}

void writeFloatDataset(const File& f, hid_t loc, const std::string& path, const Tensor& t)
{
    writeRawDataset(f, loc, path, H5T_NATIVE_FLOAT, H5T_IEEE_F32LE, t.shape(), t.data());
}

} // namespace circnn::h5
