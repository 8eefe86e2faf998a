#pragma once
// A "label done/total" progress line on stderr for long steps of a command, shown only when the
// command writes to the real stderr and that is a terminal (in-process tests and pipes get none).

#include <iosfwd>
#include <string>

#include "common/Progress.h"

namespace circnn::cli {

ProgressFn terminalProgress(std::ostream& err, const std::string& label);

} // namespace circnn::cli
