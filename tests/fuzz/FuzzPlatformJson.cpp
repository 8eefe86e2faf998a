// Hardware platform JSON (hw/Platform.h) → validated Platform.
#include <nlohmann/json.hpp>

#include "FuzzUtil.h"
#include "common/Error.h"
#include "hw/Platform.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(circnn::fuzz::text(data, size));
    } catch (const nlohmann::json::exception&) {
        return 0; // loadPlatform reports parse errors itself
    }
    try {
        (void)circnn::hw::platformFromJson(j, "fuzz");
    } catch (const circnn::Error&) {
    }
    return 0;
}
