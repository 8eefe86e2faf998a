#pragma once
// Reading untrusted HDF5-based files (Keras .h5, .keras, native models, HDF5 datasets) in a
// short-lived child process. The HDF5 library itself crashes or loops forever on some damaged
// files (docs/reliability.md); no check of ours can run before it does. So readModel(),
// readDataset() (HDF5 datasets) and detectModelFormat() hand such files to `circnn-reader`, a
// small executable built from core, started with posix_spawn (safe in a multi-threaded process)
// under a time limit and a memory limit. The child parses the file with the ordinary in-process
// readers and writes the result in the transfer format (io/Transfer.h) into a memory file
// (memfd) shared with the parent; the parent validates and copies it — it never opens the
// untrusted bytes with HDF5 itself. A crash, a hang or an exceeded limit in the child becomes a
// FormatError: "FILE is damaged: the HDF5 library crashed while reading it (signal 11)".
//
// Settings: setIsolationEnabled (CLI --no-isolation, a GUI setting), else the environment
// variable CIRCNN_ISOLATION (0/off to disable), else on. The reader executable is found as
// $CIRCNN_READER, beside the running program, or in the build tree.

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/Progress.h"
#include "io/DatasetFile.h"
#include "io/ModelFile.h"
#include "model/Dataset.h"
#include "model/ModelSpec.h"

namespace circnn {

bool isolationEnabled();
void setIsolationEnabled(bool enabled);

// Limits of one child: wall-clock seconds and address space in bytes.
struct IsolationLimits {
    double seconds = 0;
    std::int64_t memoryBytes = 0;
};
// The default for a file of `fileBytes` bytes: 5 s + 1 s per 20 MB (CIRCNN_READER_TIMEOUT, in
// seconds, overrides), memory = the memory budget (common/MemoryBudget.h) + 1 GiB for the program.
IsolationLimits isolationLimitsFor(std::int64_t fileBytes);

// The path of the circnn-reader executable, or Error saying where it was looked for.
std::filesystem::path readerExecutable();

// Each runs one child (whatever isolationEnabled() says) and returns its result, or throws the
// error the child reported, or FormatError when it crashed, hung or exceeded a limit. The model
// passes inferShapes() (checked in the parent again).
// `progress`, when set, is asked with (0, 0) (total unknown) about every 20 ms while the child
// runs; when it returns false the child is killed (SIGKILL) and reaped, its result file closed,
// and Cancelled is thrown: nothing of the read is left behind.
ModelSpec readModelIsolated(const std::filesystem::path& path, ModelFormat* format = nullptr,
                            const ProgressFn& progress = {});
// readModelArchitecture in a child ("architecture" request): the transfer message carries the
// description and the recorded weight shapes, no tensor.
ModelSpec readModelArchitectureIsolated(const std::filesystem::path& path, ModelFormat* format = nullptr,
                                        const ProgressFn& progress = {});
Dataset readDatasetIsolated(const std::filesystem::path& path, const DatasetOptions& options);
ModelFormat detectModelFormatIsolated(const std::filesystem::path& path);

// Entry point of the child (core/tools/CircnnReader.cpp): parses argv, applies the limits, reads
// in-process and writes the transfer message to file descriptor 3. Returns the exit code.
int runReaderChild(int argc, char** argv);

} // namespace circnn
