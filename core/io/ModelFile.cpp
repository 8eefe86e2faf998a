#include "io/ModelFile.h"

#include <cstring>
#include <fstream>
#include <new>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/InputFile.h"
#include "io/Hdf5.h"
#include "io/IsolatedReader.h"
#include "io/KerasReader.h"
#include "io/NativeFormat.h"
#include "model/ShapeInference.h"

namespace circnn {

namespace {
// The first bytes of a regular file (opened non-blocking: never waits on a FIFO swapped in).
std::string fileHead(const std::filesystem::path& path, std::size_t n)
{
    requireRegularFile(path, "model");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw FormatError(path.string() + ": cannot open (missing or unreadable)");
    std::string head(n, '\0');
    in.read(head.data(), static_cast<std::streamsize>(n));
    head.resize(static_cast<std::size_t>(in.gcount()));
    return head;
}

bool isHdf5Head(const std::string& head)
{
    return head.size() == 8 && std::memcmp(head.data(), "\x89HDF\r\n\x1a\n", 8) == 0;
}
bool isZipHead(const std::string& head)
{
    return head.size() >= 4 && std::memcmp(head.data(), "PK\x03\x04", 4) == 0;
}
} // namespace

ModelFormat detectModelFormat(const std::filesystem::path& path)
{
    if (isolationEnabled() && isHdf5Head(fileHead(path, 8)))
        return detectModelFormatIsolated(path);
    return detectModelFormatInProcess(path);
}

ModelSpec readModel(const std::filesystem::path& path, const ProgressFn& progress)
{
    reportProgress(progress, 0, 0);
    const std::string head = fileHead(path, 8);
    if (!isolationEnabled() || !(isHdf5Head(head) || isZipHead(head))) {
        ModelSpec spec = readModelInProcess(path);
        reportProgress(progress, 0, 0);
        return spec;
    }
    return readModelIsolated(path, nullptr, progress); // validated again there (inferShapes)
}

ModelSpec readModelArchitecture(const std::filesystem::path& path, ModelFormat* format, const ProgressFn& progress)
{
    reportProgress(progress, 0, 0);
    const std::string head = fileHead(path, 8);
    if (!isolationEnabled() || !(isHdf5Head(head) || isZipHead(head))) {
        ModelSpec spec = readModelArchitectureInProcess(path, format);
        reportProgress(progress, 0, 0);
        return spec;
    }
    return readModelArchitectureIsolated(path, format, progress); // validated again there (inferShapes)
}

ModelFormat detectModelFormatInProcess(const std::filesystem::path& path)
{
    const std::string file = path.string();
    requireRegularFile(path, "model");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw FormatError(file + ": cannot open (missing or unreadable)");
    char head[8] = {};
    in.read(head, 8);
    const auto got = in.gcount();
    if (got == 8 && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0)
        return native::isNative(file) ? ModelFormat::Native : ModelFormat::KerasH5;
    if (got >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0)
        return ModelFormat::KerasZip;
    if (got == 0)
        throw FormatError(file + ": file is empty");
    throw FormatError(file + ": not a model file (expected HDF5 .h5 / .circnn.h5 or a Keras .keras zip)");
}

namespace {

// The whole model (`deferred`: large native tensors left in the file) or, with
// `architectureOnly`, the architecture with recorded weight shapes (see readModelArchitecture).
ModelSpec readInProcess(const std::filesystem::path& path, ModelFormat* formatOut,
                        std::vector<native::DeferredTensor>* deferred, bool architectureOnly = false)
{
    h5::silenceHdf5Errors();
    const std::string file = path.string();
    try {
        ModelSpec m;
        const ModelFormat format = detectModelFormatInProcess(path);
        if (formatOut)
            *formatOut = format;
        switch (format) {
        case ModelFormat::KerasH5:
            m = architectureOnly ? keras::readLegacyH5Architecture(file) : keras::readLegacyH5(file);
            break;
        case ModelFormat::KerasZip:
            m = architectureOnly ? keras::readKerasZipArchitecture(file) : keras::readKerasZip(file);
            break;
        case ModelFormat::Native:
            m = native::read(file, deferred, architectureOnly);
            break;
        }
        // A native file keeps the provenance it was written with (the Keras file it came from).
        if (format != ModelFormat::Native)
            m.provenance.sourceFile = file;
        try {
            // Architecture only: a native file recorded every stored weight's shape, checked as
            // the tensors would be; a Keras configuration implies them, so they are recorded.
            if (architectureOnly && format != ModelFormat::Native)
                inferWeightShapes(m);
            else
                inferShapes(m, /*checkWeights=*/!deferred || deferred->empty());
        } catch (const ShapeError& e) {
            throw FormatError(file + ": " + e.what());
        }
        return m;
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw FormatError(file + ": out of memory while reading (absurd sizes in the file?)");
    } catch (const std::exception& e) {
        throw FormatError(file + ": cannot read model: " + e.what());
    }
}

} // namespace

ModelSpec readModelInProcess(const std::filesystem::path& path, ModelFormat* format)
{
    return readInProcess(path, format, nullptr);
}

ModelSpec readModelArchitectureInProcess(const std::filesystem::path& path, ModelFormat* format)
{
    return readInProcess(path, format, nullptr, /*architectureOnly=*/true);
}

ModelSpec native::readModelDeferred(const std::filesystem::path& path, ModelFormat* format,
                                    std::vector<DeferredTensor>& deferred)
{
    return readInProcess(path, format, &deferred);
}

const char* modelFormatName(ModelFormat format)
{
    switch (format) {
    case ModelFormat::KerasH5:
        return "Keras HDF5 model";
    case ModelFormat::KerasZip:
        return "Keras .keras model";
    case ModelFormat::Native:
        return "native CirCNN model";
    }
    return "model";
}

void checkModelReplaceable(const std::filesystem::path& path, ModelFormat format, const ModelWriteOptions& options)
{
    const std::filesystem::path target = resolveWriteTarget(path); // refuses special files
    std::error_code ec;
    if (!std::filesystem::exists(target, ec) || std::filesystem::file_size(target, ec) == 0 || ec ||
        options.replaceOtherFormat)
        return;
    std::string found;
    try {
        const ModelFormat existing = detectModelFormat(target);
        if (existing == format)
            return;
        found = std::string("a ") + modelFormatName(existing);
    } catch (const Error&) {
        found = "not a model file";
    }
    throw Error("'" + path.string() + "' exists and is " + found + "; writing a " + modelFormatName(format) +
                " would replace it (use --force to replace it, or choose another output name)");
}

void writeNativeModel(const ModelSpec& model, const std::filesystem::path& path, const ModelWriteOptions& options)
{
    h5::silenceHdf5Errors();
    checkModelReplaceable(path, ModelFormat::Native, options);
    native::write(model, path.string());
}

} // namespace circnn
