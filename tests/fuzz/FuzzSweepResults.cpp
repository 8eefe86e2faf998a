// Sweep results (JSON Lines: header, points; analysis/SweepResultsFile.h) → readSweepResults, and
// for a file that parses, the merge of it with itself (duplicate points must be refused cleanly).
#include "FuzzUtil.h"
#include "analysis/SweepResultsFile.h"
#include "common/Error.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const circnn::fuzz::MemoryFile file(data, size);
    try {
        const circnn::SweepResultsContents c = circnn::readSweepResults(file.path());
        try {
            (void)circnn::mergeSweepResults({c});
            (void)circnn::mergeSweepResults({c, c});
        } catch (const circnn::Error&) {
        }
    } catch (const circnn::Error&) {
    }
    return 0;
}
