#include "analysis/SaveWorkflow.h"

#include <ctime>

#include "common/Error.h"
#include "io/ModelFile.h"

namespace circnn {

namespace {

bool endsWith(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool hasCirculantLayers(const ModelSpec& model)
{
    for (const LayerSpec& l : model.layers)
        if (l.circulant)
            return true;
    return false;
}

} // namespace

std::string currentTimeIso()
{
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

ModelFormat plannedSaveFormat(bool circulant, const std::filesystem::path& path, const SavePolicy& policy,
                              std::string* warning)
{
    const std::string name = path.filename().string();
    if (policy.format == SaveFormat::KerasH5 && circulant)
        throw Error(
            path.string() +
            ": the model has block-circulant layers, which Keras .h5 cannot store (save it in the native format)");
    if (policy.format == SaveFormat::KerasH5)
        return ModelFormat::KerasH5;
    if (policy.format == SaveFormat::Auto && endsWith(name, ".h5") && !endsWith(name, ".circnn.h5")) {
        if (!circulant)
            return ModelFormat::KerasH5;
        if (warning)
            *warning = path.string() + ": the model has block-circulant layers, which Keras cannot "
                                       "store; written in the native CirCNN format (name it .circnn.h5)";
    }
    return ModelFormat::Native;
}

void checkSaveTarget(bool circulant, const std::filesystem::path& path, const SavePolicy& policy)
{
    if (path.empty())
        return;
    checkModelReplaceable(path, plannedSaveFormat(circulant, path, policy), ModelWriteOptions{policy.force});
}

SaveResult saveModel(ModelSpec model, const std::filesystem::path& path, const SavePolicy& policy)
{
    if (path.empty())
        throw Error("saving model '" + model.name + "': no output file name given");
    if (!policy.createdBy.empty())
        model.provenance.createdBy = policy.createdBy;
    if (policy.stampTime)
        model.provenance.createdAt = currentTimeIso();
    SaveResult result;
    result.path = path;
    std::string warning;
    const bool circulant = hasCirculantLayers(model);
    if (policy.format == SaveFormat::KerasH5 && circulant)
        throw Error(path.string() + ": model '" + model.name +
                    "' has block-circulant layers, which Keras .h5 cannot store (save it in the native format)");
    const ModelFormat format = plannedSaveFormat(circulant, path, policy, &warning);
    if (!warning.empty())
        result.warnings.push_back(warning);
    const ModelWriteOptions options{policy.force};
    if (format == ModelFormat::KerasH5) {
        writeKerasH5(model, path, options);
        result.format = "keras-h5";
    } else {
        writeNativeModel(model, path, options);
        result.format = "circnn";
    }
    return result;
}

} // namespace circnn
