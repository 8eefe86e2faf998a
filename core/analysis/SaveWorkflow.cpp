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
    const std::string name = path.filename().string();
    const bool circulant = hasCirculantLayers(model);
    bool keras = policy.format == SaveFormat::KerasH5;
    if (policy.format == SaveFormat::KerasH5 && circulant)
        throw Error(path.string() + ": model '" + model.name +
                    "' has block-circulant layers, which Keras .h5 cannot store (save it in the native format)");
    if (policy.format == SaveFormat::Auto && endsWith(name, ".h5") && !endsWith(name, ".circnn.h5")) {
        if (!circulant)
            keras = true;
        else
            result.warnings.push_back(path.string() +
                                      ": the model has block-circulant layers, which Keras cannot "
                                      "store; written in the native CirCNN format (name it .circnn.h5)");
    }
    if (keras) {
        writeKerasH5(model, path);
        result.format = "keras-h5";
    } else {
        writeNativeModel(model, path);
        result.format = "circnn";
    }
    return result;
}

} // namespace circnn
