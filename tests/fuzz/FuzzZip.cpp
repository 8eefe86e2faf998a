// The zip reader (io/ZipArchive.h, libzip): open, list, read every member (bounded).
#include "FuzzUtil.h"
#include "common/Error.h"
#include "io/ZipArchive.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    circnn::fuzz::MemoryFile file(data, size);
    try {
        circnn::ZipArchive zip(file.path());
        for (const auto& name : zip.memberNames()) {
            try {
                (void)zip.read(name, std::uint64_t(16) << 20);
            } catch (const circnn::Error&) {
            }
        }
    } catch (const circnn::Error&) {
    }
    return 0;
}
