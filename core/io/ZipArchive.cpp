#include "io/ZipArchive.h"

#include <zip.h>

#include "common/Error.h"
#include "common/InputFile.h"

namespace circnn {

struct ZipArchive::Impl {
    zip_t* archive = nullptr;
    std::string path;
};

ZipArchive::ZipArchive(const std::string& path) : m_impl(std::make_unique<Impl>())
{
    m_impl->path = path;
    requireRegularFile(path, "zip archive");
    int errorCode = 0;
    m_impl->archive = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &errorCode);
    if (!m_impl->archive) {
        zip_error_t error;
        zip_error_init_with_code(&error, errorCode);
        const std::string why = zip_error_strerror(&error);
        zip_error_fini(&error);
        throw FormatError(path + ": cannot open as a zip archive: " + why);
    }
}

ZipArchive::~ZipArchive()
{
    if (m_impl && m_impl->archive)
        zip_discard(m_impl->archive);
}

std::vector<std::string> ZipArchive::memberNames() const
{
    std::vector<std::string> names;
    const zip_int64_t n = zip_get_num_entries(m_impl->archive, 0);
    for (zip_int64_t i = 0; i < n; ++i)
        if (const char* name = zip_get_name(m_impl->archive, static_cast<zip_uint64_t>(i), 0))
            names.emplace_back(name);
    return names;
}

bool ZipArchive::contains(const std::string& member) const
{
    return zip_name_locate(m_impl->archive, member.c_str(), 0) >= 0;
}

std::string ZipArchive::read(const std::string& member, std::uint64_t maxBytes) const
{
    const std::string where = m_impl->path + ": member '" + member + "'";
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat(m_impl->archive, member.c_str(), 0, &st) != 0)
        throw FormatError(where + " is missing");
    if (!(st.valid & ZIP_STAT_SIZE))
        throw FormatError(where + ": size unknown");
    if (st.size > maxBytes)
        throw FormatError(where + " is too large (" + std::to_string(st.size) + " bytes)");
    zip_file_t* file = zip_fopen(m_impl->archive, member.c_str(), 0);
    if (!file)
        throw FormatError(where + ": cannot open (" + zip_strerror(m_impl->archive) +
                          "; unsupported compression or corrupt)");
    std::string bytes(static_cast<std::size_t>(st.size), '\0');
    zip_uint64_t done = 0;
    while (done < st.size) {
        const zip_int64_t got = zip_fread(file, bytes.data() + done, st.size - done);
        if (got <= 0) {
            const std::string why = zip_error_strerror(zip_file_get_error(file));
            zip_fclose(file);
            throw FormatError(where + ": cannot read (" + why + "; truncated or corrupt)");
        }
        done += static_cast<zip_uint64_t>(got);
    }
    // Reading past the end makes libzip verify the CRC of the whole member.
    char extra = 0;
    const zip_int64_t tail = zip_fread(file, &extra, 1);
    const std::string why = tail < 0 ? zip_error_strerror(zip_file_get_error(file)) : "";
    const int closeResult = zip_fclose(file);
    if (tail < 0 || closeResult != 0)
        throw FormatError(where + ": data is corrupt (" + (why.empty() ? "CRC mismatch" : why) + ")");
    if (tail > 0)
        throw FormatError(where + ": longer than its recorded size");
    return bytes;
}

} // namespace circnn
