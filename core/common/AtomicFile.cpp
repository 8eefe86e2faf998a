#include "common/AtomicFile.h"

#include <atomic>
#include <fstream>
#include <random>

#include <unistd.h>

#include "common/Error.h"

namespace circnn {

namespace fs = std::filesystem;

namespace {
fs::path temporarySibling(const fs::path& destination)
{
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    const std::string suffix = ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                               std::to_string(rd() % 100000);
    fs::path tmp = destination;
    tmp += suffix;
    return tmp;
}
} // namespace

void writeFileAtomically(const fs::path& destination, const std::function<void(const fs::path&)>& write)
{
    const fs::path parent = destination.parent_path().empty() ? fs::path(".") : destination.parent_path();
    std::error_code ec;
    if (!fs::is_directory(parent, ec))
        throw Error("cannot write '" + destination.string() + "': folder '" + parent.string() + "' does not exist");
    const fs::path tmp = temporarySibling(destination);
    try {
        write(tmp);
    } catch (...) {
        fs::remove(tmp, ec);
        throw;
    }
    fs::rename(tmp, destination, ec);
    if (ec) {
        fs::remove(tmp, ec);
        throw Error("cannot write '" + destination.string() + "': " + ec.message());
    }
}

void writeTextFileAtomically(const fs::path& destination, const std::string& contents)
{
    writeFileAtomically(destination, [&](const fs::path& tmp) {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out)
            throw Error("cannot create '" + tmp.string() + "'");
        out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
        out.flush();
        if (!out)
            throw Error("cannot write '" + destination.string() + "' (disk full?)");
    });
}

} // namespace circnn
