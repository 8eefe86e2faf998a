#pragma once
// Thin RAII layer over the HDF5 C API used by the model and dataset readers/writers.
//
// Contract: every function here throws FormatError naming `file` (the file the user gave) and the
// HDF5 path involved; none prints anything (HDF5's automatic error printing is switched off by
// silenceHdf5Errors(), which every entry point of core/io calls first).

#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/Tensor.h"

namespace circnn::h5 {

// Turns off HDF5's automatic printing of error stacks for the calling thread.
void silenceHdf5Errors();

// Owns one HDF5 identifier; closes it with the matching H5*close on destruction.
class Handle {
public:
    using Closer = herr_t (*)(hid_t);
    Handle() = default;
    Handle(hid_t id, Closer closer) : m_id(id), m_closer(closer) {}
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    Handle(Handle&& o) noexcept : m_id(std::exchange(o.m_id, H5I_INVALID_HID)), m_closer(o.m_closer) {}
    Handle& operator=(Handle&& o) noexcept
    {
        if (this != &o) {
            reset();
            m_id = std::exchange(o.m_id, H5I_INVALID_HID);
            m_closer = o.m_closer;
        }
        return *this;
    }
    ~Handle() { reset(); }

    hid_t id() const { return m_id; }
    bool valid() const { return m_id >= 0; }
    void reset()
    {
        if (m_id >= 0 && m_closer)
            m_closer(m_id);
        m_id = H5I_INVALID_HID;
    }

private:
    hid_t m_id = H5I_INVALID_HID;
    Closer m_closer = nullptr;
};

// An open HDF5 file plus the user-facing file name used in every error message.
struct File {
    Handle handle;
    std::string name; // for messages
    hid_t id() const { return handle.id(); }
};

// True if the file starts with the HDF5 signature (at offset 0; user blocks are not supported).
bool hasHdf5Signature(const std::string& path);

File openFile(const std::string& path);                            // read-only
File openImage(const std::string& bytes, const std::string& name); // in-memory image, read-only
File createFile(const std::string& path);                          // truncating
// A new file held in memory only (HDF5's core driver, no backing store); `name` is for messages.
// Writers build the whole file this way and then call commitImage: the library never writes to
// the destination's disk itself, so a full disk is one clear error and leaves no handle open.
File createInMemory(const std::string& name);
// Flushes the in-memory file and writes its bytes to `path` with writeBytesAtomically.
void commitImage(const File& f, const std::filesystem::path& path);

bool linkExists(hid_t loc, const std::string& path); // each component checked; never throws
bool attributeExists(hid_t obj, const std::string& name);
Handle openGroup(const File& f, hid_t loc, const std::string& path);
Handle openDataset(const File& f, hid_t loc, const std::string& path);
Handle createGroup(const File& f, hid_t loc, const std::string& path);
// Names of the direct children of a group, in HDF5 name order.
std::vector<std::string> childNames(const File& f, hid_t group, const std::string& where);

// String attributes: fixed-length byte strings or variable-length strings, scalar or 1-D.
// readStrings: a list (scalar → one element); an attribute of any non-string type with zero
// elements (Keras writes empty weight_names as float64[0]) gives an empty list. Attribute arrays
// Keras split into name0, name1, ... (over 64 KiB) are concatenated.
std::optional<std::vector<std::string>> readStrings(const File& f, hid_t obj, const std::string& name,
                                                    const std::string& where);
std::optional<std::string> readString(const File& f, hid_t obj, const std::string& name, const std::string& where);
std::optional<std::int64_t> readIntAttr(const File& f, hid_t obj, const std::string& name, const std::string& where);

// Reads a numeric dataset as float32 (any integer or float type; HDF5 converts). Rank ≤ 8; total
// elements ≤ maxElements (default 2^28 = 1 GiB of float32), otherwise FormatError; a dataset
// with no stored data is a FormatError too.
Tensor readFloatDataset(const File& f, hid_t loc, const std::string& path,
                        std::int64_t maxElements = std::int64_t(1) << 28);
// Shape of a dataset (dims), and its HDF5 type class.
Shape datasetShape(const File& f, hid_t dataset, const std::string& path);

// Where a dataset's values lie in the file when they are stored as plain little-endian float32 in
// one contiguous block (no chunks, filters or external files, storage allocated, inside the file
// `rawFd` refers to) and the first and last values read through the library equal the bytes at
// that offset: the absolute byte offset, with `shape` set; nullopt otherwise (read it normally).
// The isolated reader hands such tensors to its parent by location (io/Transfer.h).
std::optional<std::uint64_t> contiguousFloat32Offset(const File& f, hid_t loc, const std::string& path, int rawFd,
                                                     Shape& shape);

// Writing (variable-length UTF-8 strings, like Keras 3; or fixed-length like Keras 2).
void writeString(const File& f, hid_t obj, const std::string& name, const std::string& value);
void writeStrings(const File& f, hid_t obj, const std::string& name, const std::vector<std::string>& values,
                  bool fixedLength = false);
void writeIntAttr(const File& f, hid_t obj, const std::string& name, std::int64_t value);
void writeFloatDataset(const File& f, hid_t loc, const std::string& path, const Tensor& t);
void writeRawDataset(const File& f, hid_t loc, const std::string& path, hid_t memType, hid_t fileType,
                     const Shape& shape, const void* data);

} // namespace circnn::h5
