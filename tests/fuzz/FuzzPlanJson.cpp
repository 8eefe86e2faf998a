// Conversion plan JSON text (io/ConversionPlanFile.h).
#include "FuzzUtil.h"
#include "common/Error.h"
#include "io/ConversionPlanFile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    try {
        (void)circnn::parseConversionPlan(circnn::fuzz::text(data, size));
    } catch (const circnn::Error&) {
    }
    return 0;
}
