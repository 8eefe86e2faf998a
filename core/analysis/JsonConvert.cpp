// JSON of a ConvertResult (schema circnn.convert/1).
#include "analysis/WorkflowJson.h"

namespace circnn {

using nlohmann::json;

json toJson(const ConvertResult& r)
{
    json j;
    j["schema"] = "circnn.convert/1";
    j["input"] = r.input;
    j["output"] = r.output;
    j["layers"] = layerConversionsToJson(r.conversion.layers);
    j["totals"] = {{"parameters_before", r.parametersBefore},
                   {"parameters_after", r.parametersAfter},
                   {"compression", r.compression}};
    j["warnings"] = r.conversion.warnings;
    j["reordering"] = reorderingToJson(r.conversion.reordering);
    if (r.dataAware)
        j["data_aware"] =
            dataAwareToJson(r.dataAware->calibrationSamples, r.dataAware->relativeRidge, r.dataAware->layers);
    return j;
}

} // namespace circnn
