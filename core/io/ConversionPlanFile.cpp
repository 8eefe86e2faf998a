#include "io/ConversionPlanFile.h"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/InputFile.h"

namespace circnn {

namespace {
std::int64_t blockSizeOf(const nlohmann::json& v, const std::string& what, std::int64_t minimum)
{
    if (!v.is_number_integer())
        throw FormatError("conversion plan: " + what + " must be an integer, found " + v.dump());
    const std::int64_t k = v.get<std::int64_t>();
    if (k < minimum)
        throw FormatError("conversion plan: " + what + " is " + std::to_string(k) + ", must be at least " +
                          std::to_string(minimum));
    return k;
}
} // namespace

ConversionPlan parseConversionPlan(const std::string& jsonText)
{
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(jsonText);
    } catch (const nlohmann::json::exception& e) { // syntax, or a number out of range
        throw FormatError(std::string("conversion plan is not valid JSON: ") + e.what());
    }
    if (!j.is_object())
        throw FormatError(
            "conversion plan must be a JSON object like {\"default_k\": 8, \"layers\": {\"dense_1\": 16}}");
    ConversionPlan r;
    for (const auto& [key, value] : j.items()) {
        if (key == "default_k") {
            r.defaultBlockSize = blockSizeOf(value, "\"default_k\"", 0);
        } else if (key == "layers") {
            if (!value.is_object())
                throw FormatError("conversion plan: \"layers\" must be an object mapping layer names to block sizes");
            for (const auto& [name, k] : value.items())
                r.perLayer[name] = blockSizeOf(k, "block size of layer '" + name + "'", 1);
        } else if (key == "convert_output_layer") {
            if (!value.is_boolean())
                throw FormatError("conversion plan: \"convert_output_layer\" must be true or false");
            r.convertOutputLayer = value.get<bool>();
        } else {
            throw FormatError("conversion plan: unknown key \"" + key +
                              "\" (expected \"default_k\", \"layers\", \"convert_output_layer\")");
        }
    }
    return r;
}

ConversionPlan readConversionPlan(const std::filesystem::path& file)
{
    const std::string text = readTextInput(file, "conversion plan");
    try {
        return parseConversionPlan(text);
    } catch (const FormatError& e) {
        throw FormatError("'" + file.string() + "': " + e.what());
    }
}

std::string conversionPlanToJson(const ConversionPlan& plan)
{
    nlohmann::json layers = nlohmann::json::object();
    for (const auto& [name, k] : plan.perLayer)
        layers[name] = k;
    nlohmann::json j = {{"default_k", plan.defaultBlockSize}, {"convert_output_layer", plan.convertOutputLayer}};
    if (!layers.empty())
        j["layers"] = layers;
    return j.dump(2) + "\n";
}

void writeConversionPlan(const ConversionPlan& plan, const std::filesystem::path& file)
{
    for (const auto& [name, k] : plan.perLayer)
        if (k < 1)
            throw Error("conversion plan for '" + file.string() + "': block size of layer '" + name + "' is " +
                        std::to_string(k) + ", must be at least 1");
    if (plan.defaultBlockSize < 0)
        throw Error("conversion plan for '" + file.string() + "': default_k is " +
                    std::to_string(plan.defaultBlockSize) + ", must be at least 0");
    writeTextFileAtomically(file, conversionPlanToJson(plan));
}

} // namespace circnn
