// End to end through the isolation path: any bytes as a model file, read by readModel with the
// isolated reader (a child process per input). Whatever the child does — crash, hang, limit —
// the parent must get a value or a circnn::Error. Slow (a process per input): CI gives it a few
// hundred executions.
#include "FuzzUtil.h"
#include "common/Error.h"
#include "io/IsolatedReader.h"
#include "io/ModelFile.h"

#include <cstdlib>

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    ::setenv("CIRCNN_READER_TIMEOUT", "2", 0);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    circnn::setIsolationEnabled(true);
    // A real file: the child opens it by path (a memfd path would be the child's own fd table).
    char path[] = "/tmp/circnn-fuzz-model-XXXXXX";
    const int fd = ::mkstemp(path);
    if (fd < 0)
        return 0;
    std::size_t done = 0;
    while (done < size) {
        const ssize_t w = ::write(fd, data + done, size - done);
        if (w <= 0)
            break;
        done += static_cast<std::size_t>(w);
    }
    ::close(fd);
    try {
        (void)circnn::readModel(path);
    } catch (const circnn::Error&) {
    }
    ::unlink(path);
    return 0;
}
