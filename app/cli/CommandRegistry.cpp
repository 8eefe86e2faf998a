#include "CommandRegistry.h"

#include <algorithm>
#include <exception>
#include <iomanip>
#include <new>
#include <ostream>

#include "ArgParser.h"
#include "GlobalOptions.h"
#include "common/Environment.h"
#include "common/Error.h"

namespace circnn::cli {

std::vector<Command>& commandRegistry()
{
    static std::vector<Command> commands;
    return commands;
}

namespace {
void printUsage(std::ostream& out)
{
    out << "circnn " CIRCNN_VERSION " — block-circulant (CirCNN) model tools\n\n"
        << "Usage: circnn <command> [arguments] [options]\n"
        << "       circnn <command> --help     details of one command\n\n"
        << "Commands:\n";
    auto commands = commandRegistry();
    std::sort(commands.begin(), commands.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
    for (const Command& c : commands)
        out << "  " << std::left << std::setw(12) << c.name << c.summary << "\n";
    out << "\n" << GlobalOptions::helpText();
    out << "\nEnvironment:\n"
        << "  CIRCNN_THREADS       worker threads for batch work (default: all cores)\n"
        << "  CIRCNN_MEMORY_LIMIT  memory budget, as --memory-limit (default: half of the physical memory)\n"
        << "  CIRCNN_ISOLATION     0 to read HDF5 files in-process, as --no-isolation (default: 1)\n"
        << "  CIRCNN_READER_TIMEOUT seconds the isolated reader may take (default: 5 + 1 per 20 MB)\n"
        << "  CIRCNN_PLATFORM_DIR  folder of user platform JSON files, searched before the built-in presets\n"
        << "  CIRCNN_WISDOM_FILE   FFTW wisdom cache (default: ~/.cache/circnn/wisdom.fftwf)\n";
}
} // namespace

int runCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
        printUsage(args.empty() ? err : out);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        out << "circnn " CIRCNN_VERSION "\n";
        return 0;
    }
    const auto& commands = commandRegistry();
    auto it = std::find_if(commands.begin(), commands.end(), [&](const Command& c) { return c.name == args[0]; });
    if (it == commands.end()) {
        err << "circnn: unknown command '" << args[0] << "' (see circnn --help)\n";
        return 2;
    }
    std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        validateEnvironment();
    } catch (const Error& e) {
        err << "circnn " << it->name << ": error: " << e.what() << "\n";
        return 2;
    }
    try {
        const GlobalOptions global(rest);
        return it->run(rest, out, err);
    } catch (const ArgError& e) {
        err << "circnn " << it->name << ": " << e.what() << " (see circnn " << it->name << " --help)\n";
        return 2;
    } catch (const Cancelled&) {
        err << "circnn " << it->name << ": cancelled\n";
        return 130;
    } catch (const Error& e) {
        err << "circnn " << it->name << ": error: " << e.what() << "\n";
        return 1;
    } catch (const std::bad_alloc&) {
        err << "circnn " << it->name << ": error: out of memory\n";
        return 1;
    } catch (const std::exception& e) {
        err << "circnn " << it->name << ": internal error: " << e.what() << "\n";
        return 3;
    }
}

} // namespace circnn::cli
