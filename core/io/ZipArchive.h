#pragma once
// Read-only access to the members of a zip archive (libzip): Keras 3 `.keras` files and NumPy
// `.npz` archives. Stored and deflated members are both supported. Errors throw FormatError
// naming the archive and the member.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace circnn {

class ZipArchive {
public:
    // Opens `path`; throws FormatError if it is missing or not a readable zip.
    explicit ZipArchive(const std::string& path);
    ~ZipArchive();
    ZipArchive(const ZipArchive&) = delete;
    ZipArchive& operator=(const ZipArchive&) = delete;

    std::vector<std::string> memberNames() const;
    bool contains(const std::string& member) const;
    // The whole uncompressed member. Throws FormatError if absent, larger than maxBytes, or if
    // decompression / the CRC check fails (a broken or truncated member).
    std::string read(const std::string& member, std::uint64_t maxBytes = std::uint64_t(2) << 30) const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace circnn
