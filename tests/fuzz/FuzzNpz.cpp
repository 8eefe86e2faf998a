// NumPy .npz datasets (zip of .npy members) through readDataset, and the .npy parser directly.
#include "FuzzUtil.h"
#include "common/Error.h"
#include "common/MemoryBudget.h"
#include "io/DatasetFile.h"
#include "io/DatasetFormats.h"
#include "io/IsolatedReader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    circnn::setIsolationEnabled(false);
    circnn::setMemoryLimitBytes(std::int64_t(256) << 20);
    try {
        (void)circnn::dataset::parseNpy(circnn::fuzz::text(data, size), "fuzz.npy", 0);
    } catch (const circnn::Error&) {
    }
    circnn::fuzz::MemoryFile file(data, size);
    try {
        (void)circnn::readDatasetInProcess(file.path());
    } catch (const circnn::Error&) {
    }
    return 0;
}
