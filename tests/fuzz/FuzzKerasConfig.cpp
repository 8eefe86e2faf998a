// Keras model_config JSON → ModelSpec architecture (io/KerasConfig.h) → shape inference.
#include <nlohmann/json.hpp>

#include "FuzzUtil.h"
#include "common/Error.h"
#include "io/KerasConfig.h"
#include "model/ShapeInference.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    nlohmann::json config;
    try {
        config = nlohmann::json::parse(circnn::fuzz::text(data, size));
    } catch (const nlohmann::json::exception&) {
        return 0; // the readers turn a parse error into FormatError before calling parseModelConfig
    }
    try {
        circnn::ModelSpec m = circnn::keras::parseModelConfig(config, "fuzz.h5");
        circnn::inferShapes(m, false);
    } catch (const circnn::Error&) {
    }
    return 0;
}
