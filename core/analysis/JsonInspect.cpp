// JSON of an InspectResult (schema circnn.inspect/1).
#include "analysis/WorkflowJson.h"

namespace circnn {

using nlohmann::json;

json toJson(const InspectResult& r)
{
    json j;
    j["schema"] = "circnn.inspect/1";
    j["file"] = r.file;
    j["format"] = r.format;
    j["name"] = r.name;
    j["input_shape"] = r.inputShape;
    j["output_shape"] = r.outputShape;
    j["provenance"] = {{"source_file", r.provenance.sourceFile},
                       {"source_format", r.provenance.sourceFormat},
                       {"keras_version", r.provenance.kerasVersion},
                       {"created_by", r.provenance.createdBy},
                       {"created_at", r.provenance.createdAt},
                       {"epochs", r.provenance.history.size()},
                       {"notes", r.provenance.notes}};
    j["plan"] = json::object();
    for (const auto& [name, k] : r.plan.perLayer)
        j["plan"][name] = k;
    j["layers"] = json::array();
    for (const LayerSummary& l : r.layers) {
        json lj = {{"name", l.name},
                   {"class", l.className},
                   {"kind", l.kind},
                   {"inputs", l.inputs},
                   {"output_shape", l.outputShape},
                   {"parameters", l.parameters},
                   {"dense_parameters", l.denseParameters},
                   {"macs", l.macs},
                   {"activation", l.activation},
                   {"representation", l.representation}};
        if (l.representation == "circulant")
            lj["k"] = l.blockSize;
        j["layers"].push_back(lj);
    }
    j["totals"] = {{"parameters", r.parameters},
                   {"dense_parameters", r.denseParameters},
                   {"macs", r.macs},
                   {"compression", r.compression}};
    j["weights"] = json::array();
    for (const TensorStatistics& w : r.weights)
        j["weights"].push_back({{"layer", w.layer},
                                {"role", w.role},
                                {"shape", w.shape},
                                {"min", w.min},
                                {"max", w.max},
                                {"mean", w.mean},
                                {"std", w.std},
                                {"sparsity", w.sparsity}});
    return j;
}

} // namespace circnn
