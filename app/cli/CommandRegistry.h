#pragma once
// Subcommands of `circnn`. Each Cmd*.cpp defines one command and registers it with a static
// CommandRegistrar; main() dispatches on the first argument. Commands are thin: parse arguments,
// call core/, print. They throw circnn::Error (or ArgError) for anything a user can fix; main()
// prints one line on stderr and exits non-zero.

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace circnn::cli {

struct Command {
    std::string name;     // "bench"
    std::string summary;  // one line for `circnn --help`
    // Runs the command; args excludes the program and command names. Returns the exit code.
    std::function<int(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)> run;
};

std::vector<Command>& commandRegistry();

struct CommandRegistrar {
    explicit CommandRegistrar(Command command) { commandRegistry().push_back(std::move(command)); }
};

// Runs `circnn <args...>` in-process (used by main and by tests). Catches every exception and
// maps it to a message on `err` and a non-zero exit code.
int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

} // namespace circnn::cli
