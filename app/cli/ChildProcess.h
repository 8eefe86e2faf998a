#pragma once
// Runs this executable again (/proc/self/exe) as a child process with extra environment variables
// and captures its standard output; standard error is inherited. Used by `circnn bench` to repeat a
// measurement with another OpenBLAS kernel family (OPENBLAS_CORETYPE is read when the library loads,
// so it cannot change inside one process).

#include <string>
#include <utility>
#include <vector>

namespace circnn::cli {

struct ChildResult {
    int exitCode = -1; // the child's exit status, or -1 if it did not exit normally
    std::string output;
};

// args: the arguments after the program name. env: variables set (or replaced) for the child.
// Throws circnn::Error if the child cannot be started.
ChildResult runSelf(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env);

} // namespace circnn::cli
