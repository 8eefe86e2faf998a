// IDX datasets (images + labels files, raw or gzip) through readDataset. The input is split in
// two: bytes [2, s) are the images file and [s, end) the labels file, s chosen by the first two
// bytes, so the fuzzer controls both files and their agreement.
#include "FuzzUtil.h"
#include "common/Error.h"
#include "common/MemoryBudget.h"
#include "io/DatasetFile.h"
#include "io/IsolatedReader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 3)
        return 0;
    circnn::setIsolationEnabled(false);
    circnn::setMemoryLimitBytes(std::int64_t(256) << 20);
    const std::size_t split = 2 + (std::size_t(data[0]) | (std::size_t(data[1]) << 8)) % (size - 2);
    circnn::fuzz::MemoryFile images(data + 2, split - 2), labels(data + split, size - split);
    circnn::DatasetOptions options;
    options.labelsPath = labels.path();
    try {
        (void)circnn::readDatasetInProcess(images.path(), options);
    } catch (const circnn::Error&) {
    }
    return 0;
}
