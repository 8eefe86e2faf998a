// Conversion plan JSON text (analysis/ConversionPlanFile.h).
#include "FuzzUtil.h"
#include "analysis/ConversionPlanFile.h"
#include "common/Error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    try {
        (void)circnn::parseConversionPlan(circnn::fuzz::text(data, size));
    } catch (const circnn::Error&) {
    }
    return 0;
}
