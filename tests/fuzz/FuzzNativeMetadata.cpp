// The native format's metadata (architecture, plan, provenance as JSON: io/NativeFormat.h) and
// the isolated reader's transfer messages (io/Transfer.h), which carry it: the parent decodes
// whatever the child wrote, so this is a trust boundary of its own.
#include <nlohmann/json.hpp>

#include "FuzzUtil.h"
#include "common/Error.h"
#include "common/MemoryBudget.h"
#include "io/NativeFormat.h"
#include "io/Transfer.h"
#include "model/ShapeInference.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    circnn::setMemoryLimitBytes(std::int64_t(256) << 20);
    const char* bytes = reinterpret_cast<const char*>(data);
    try {
        circnn::ModelSpec m = circnn::transfer::readModel(bytes, size, "fuzz");
        circnn::inferShapes(m);
    } catch (const circnn::Error&) {
    }
    try {
        (void)circnn::transfer::readDataset(bytes, size, "fuzz");
    } catch (const circnn::Error&) {
    }
    try {
        const auto j = nlohmann::json::parse(circnn::fuzz::text(data, size));
        circnn::ModelSpec m = circnn::native::modelFromDescription(j.contains("model") ? j["model"] : j, "fuzz");
        circnn::inferShapes(m, false);
    } catch (const nlohmann::json::exception&) {
    } catch (const circnn::Error&) {
    }
    return 0;
}
