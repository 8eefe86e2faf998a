// JSON of an EvaluateResult (schema circnn.evaluate/1): the model's evaluation at the top level,
// the block-circulant one under "circulant".
#include "analysis/WorkflowJson.h"

namespace circnn {

using nlohmann::json;

json toJson(const EvaluateResult& r)
{
    json j;
    j["schema"] = "circnn.evaluate/1";
    j["model"] = r.model;
    j["data"] = r.data;
    j["task"] = taskName(r.task);
    j.update(evaluationToJson(r.evaluation));
    if (r.circulant) {
        const ConvertedEvaluation& c = *r.circulant;
        json cj = evaluationToJson(c.evaluation);
        cj["k"] = c.blockSize;
        cj["agreement"] = {{"count", c.agreement.count},
                           {"top1_match", c.agreement.top1Match},
                           {"max_abs_difference", c.agreement.maxAbsDifference},
                           {"mean_squared_difference", c.agreement.meanSquaredDifference}};
        if (r.task != Task::Classify)
            cj["agreement"].erase("top1_match");
        cj["reordering"] = reorderingToJson(c.reordering);
        cj["converted_layers"] = json::array();
        for (const LayerConversion& l : c.layers)
            if (l.converted)
                cj["converted_layers"].push_back(l.layer);
        j["circulant"] = cj;
    }
    return j;
}

} // namespace circnn
