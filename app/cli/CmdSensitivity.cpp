// `circnn sensitivity MODEL --data DATA -k 2,4,8,16`: per-layer sensitivity, one layer converted
// at a time over the k list, the others dense. A sweep of its own kind (same flags, results file,
// resume, shards and reports as `circnn sweep`; the implementation is shared in CmdSweep.cpp).

#include <iosfwd>
#include <string>
#include <vector>

#include "CommandRegistry.h"
#include "SweepCli.h"

namespace circnn::cli {

namespace {
int runSensitivity(const std::vector<std::string>& args, std::ostream& out, std::ostream& err)
{
    return runSweepCommand("sensitivity", SweepKind::Sensitivity, args, out, err);
}

const CommandRegistrar registrar({"sensitivity", "Per-layer sensitivity: accuracy vs k, one layer at a time.",
                                  runSensitivity});
} // namespace

} // namespace circnn::cli
