// JSON of an EstimateResult: one estimate as an object (hw::estimateToJson, schema
// circnn.estimate/1), several as an array of them.
#include "analysis/WorkflowJson.h"
#include "hw/EstimateJson.h"

namespace circnn {

nlohmann::ordered_json toJson(const EstimateResult& r)
{
    if (r.estimates.size() == 1)
        return hw::estimateToJson(r.estimates.front());
    nlohmann::ordered_json all = nlohmann::ordered_json::array();
    for (const hw::Estimate& e : r.estimates)
        all.push_back(hw::estimateToJson(e));
    return all;
}

} // namespace circnn
