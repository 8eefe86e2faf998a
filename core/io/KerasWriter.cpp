// writeKerasH5: a ModelSpec with dense weights as a Keras 2-layout legacy .h5 (see
// docs/file-formats.md), so models made here open in Keras again (keras.models.load_model).

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "io/Hdf5.h"
#include "io/KerasLayerCodecs.h"
#include "io/ModelFile.h"
#include "model/LayerTraits.h"
#include "model/ShapeInference.h"

namespace circnn {

using nlohmann::json;

namespace {

// The Keras version whose layout is written (root attribute keras_version).
constexpr const char* kWrittenKerasVersion = "2.15.0";

// Keras splits attributes larger than this many bytes into name0, name1, ...
constexpr std::size_t kMaxAttributeBytes = 64512;

bool isSequential(const ModelSpec& m)
{
    if (m.layers.empty() || m.layers[0].kind != LayerKind::Input || m.outputs.size() != 1 ||
        m.outputs[0] != m.layers.back().name)
        return false;
    for (std::size_t i = 1; i < m.layers.size(); ++i)
        if (m.layers[i].inputs != std::vector<std::string>{m.layers[i - 1].name})
            return false;
    return true;
}

json modelConfig(const ModelSpec& m)
{
    json layers = json::array();
    const bool sequential = isSequential(m);
    for (const auto& l : m.layers) {
        auto [cls, cfg] = keras::kerasLayerCodec(l.kind).write(l);
        json entry = {{"class_name", cls}, {"config", cfg}};
        if (!sequential) {
            entry["name"] = l.name;
            json node = json::array();
            if (l.kind == LayerKind::MultiHeadAttention && l.inputs.size() >= 2) {
                // tf.keras records the call mha(query, value[, key], use_causal_mask=...) so.
                json kwargs = {{"value", json::array({l.inputs[1], 0, 0})}};
                if (l.inputs.size() == 3)
                    kwargs["key"] = json::array({l.inputs[2], 0, 0});
                if (l.useCausalMask)
                    kwargs["use_causal_mask"] = true;
                node.push_back(json::array({l.inputs[0], 0, 0, kwargs}));
            } else {
                for (const auto& in : l.inputs)
                    node.push_back(json::array({in, 0, 0, json::object()}));
            }
            entry["inbound_nodes"] = l.inputs.empty() ? json::array() : json::array({node});
        }
        layers.push_back(entry);
    }
    if (sequential)
        return {{"class_name", "Sequential"},
                {"config", {{"name", m.name.empty() ? "sequential" : m.name}, {"layers", layers}}}};
    json ins = json::array(), outs = json::array();
    for (const auto& n : m.inputs)
        ins.push_back(json::array({n, 0, 0}));
    for (const auto& n : m.outputs)
        outs.push_back(json::array({n, 0, 0}));
    return {{"class_name", "Functional"},
            {"config",
             {{"name", m.name.empty() ? "model" : m.name},
              {"layers", layers},
              {"input_layers", ins},
              {"output_layers", outs}}}};
}

// Fixed-length string list, split into name0, name1, ... when larger than Keras' attribute limit.
void writeNameList(const h5::File& f, hid_t obj, const std::string& name, const std::vector<std::string>& values)
{
    std::size_t width = 1;
    for (const auto& v : values)
        width = std::max(width, v.size());
    const std::size_t bytes = width * values.size();
    if (bytes <= kMaxAttributeBytes) {
        h5::writeStrings(f, obj, name, values, true);
        return;
    }
    const std::size_t chunks = (bytes + kMaxAttributeBytes - 1) / kMaxAttributeBytes;
    const std::size_t per = (values.size() + chunks - 1) / chunks;
    for (std::size_t c = 0, start = 0; start < values.size(); ++c, start += per) {
        std::vector<std::string> part(values.begin() + static_cast<std::ptrdiff_t>(start),
                                      values.begin() +
                                          static_cast<std::ptrdiff_t>(std::min(values.size(), start + per)));
        h5::writeStrings(f, obj, name + std::to_string(c), part, true);
    }
}

} // namespace

void writeKerasH5(const ModelSpec& model, const std::filesystem::path& path, const ModelWriteOptions& options)
{
    const std::string file = path.string();
    for (const auto& l : model.layers)
        if (l.circulant || l.recurrentCirculant ||
            std::any_of(l.attentionCirculant.begin(), l.attentionCirculant.end(), [](const auto& c) { return c; }))
            throw Error(file + ": layer '" + l.name +
                        "' is block-circulant; Keras has no such layer (save the native format, or expand it first)");
    ModelSpec checked = model;
    try {
        inferShapes(checked);
    } catch (const ShapeError& e) {
        throw Error(file + ": cannot write an inconsistent model: " + e.what());
    }
    checkModelReplaceable(path, ModelFormat::KerasH5, options);
    const std::string config = modelConfig(model).dump();
    {
        // Built in memory, then written by writeBytesAtomically: the HDF5 library never holds a
        // handle on the destination's disk, so a full disk cannot leave a file open in it.
        h5::File f = h5::createInMemory(file);
        h5::writeString(f, f.id(), "keras_version", kWrittenKerasVersion);
        h5::writeString(f, f.id(), "backend", "tensorflow");
        h5::writeString(f, f.id(), "model_config", config);
        h5::writeString(f, f.id(), "circnn_writer", "CirCNN Studio writeKerasH5 (Keras 2 legacy layout)");
        h5::Handle weights = h5::createGroup(f, f.id(), "model_weights");
        h5::writeString(f, weights.id(), "keras_version", kWrittenKerasVersion);
        h5::writeString(f, weights.id(), "backend", "tensorflow");
        std::vector<std::string> names;
        for (const auto& l : model.layers)
            names.push_back(l.name);
        writeNameList(f, weights.id(), "layer_names", names);
        for (const auto& l : model.layers) {
            h5::Handle group = h5::createGroup(f, weights.id(), l.name);
            std::vector<std::string> weightNames;
            const auto roles = layerWeightRoles(l, 2);
            const auto names = kerasWeightNames(l, 2);
            for (std::size_t r = 0; r < roles.size(); ++r) {
                const Tensor& t = weightTensor(l, roles[r]);
                if (t.empty())
                    continue;
                const std::string wn = l.name + "/" + names[r] + ":0";
                h5::writeFloatDataset(f, group.id(), wn, t);
                weightNames.push_back(wn);
            }
            writeNameList(f, group.id(), "weight_names", weightNames);
        }
        h5::commitImage(f, path);
    }
}

} // namespace circnn
