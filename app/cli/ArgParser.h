#pragma once
// A small declarative command-line parser shared by all subcommands, so every flag is documented
// in `--help` the same way.
//
//   ArgParser p("circnn bench", "Compare block-circulant and dense products.");
//   p.flag("json", "Print machine-readable JSON rows.");
//   p.option("k", "K", "Block size(s), comma-separated.", "16");
//   p.positional("MODEL", "Model file (.h5, .keras, .circnn.h5).");
//   if (!p.parse(args, out)) return 0;        // --help was printed
//   int k = p.getInt("k", 1);                // ranges checked, nan/inf refused
//
// Global options (accepted by every command, applied by runCli; see GlobalOptions.h):
//   --memory-limit SIZE, --no-isolation

#include <cstdint>
#include <iosfwd>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/Error.h"

namespace circnn::cli {

// A usage error (unknown flag, missing value). main() prints it with a hint to use --help.
class ArgError : public circnn::Error {
public:
    using circnn::Error::Error;
};

// Allowed values of a numeric option; values must always be finite (no nan / inf).
struct NumberRange {
    double min = 0, max = std::numeric_limits<double>::infinity();
    bool minInclusive = true, maxInclusive = true;

    static NumberRange nonNegative() { return {}; }                                   // [0, inf)
    static NumberRange positive() { return {0, std::numeric_limits<double>::infinity(), false, true}; } // (0, inf)
    static NumberRange unitInterval() { return {0, 1, true, true}; }                  // [0, 1]
    static NumberRange fraction() { return {0, 1, true, false}; }                     // [0, 1)
    static NumberRange between(double lo, double hi) { return {lo, hi, true, true}; } // [lo, hi]
    bool contains(double v) const;
    std::string describe() const;  // ">= 0", "> 0", "in [0, 1)"
};

class ArgParser {
public:
    ArgParser(std::string usageName, std::string description);

    // A boolean switch --name (and -s if shortName is given).
    ArgParser& flag(const std::string& name, const std::string& help, char shortName = 0);
    // An option --name VALUE (or --name=VALUE, or -s VALUE). Empty defaultValue = no default.
    ArgParser& option(const std::string& name, const std::string& valueName, const std::string& help,
                      const std::string& defaultValue = {}, char shortName = 0);
    // A positional argument; optional ones must come last. variadic collects the rest.
    ArgParser& positional(const std::string& name, const std::string& help, bool required = true,
                          bool variadic = false);
    // Free text printed after the option list (examples, notes).
    ArgParser& epilog(const std::string& text);

    // Parses; prints help and returns false on -h/--help. Throws ArgError on bad usage.
    bool parse(const std::vector<std::string>& args, std::ostream& out);
    void printHelp(std::ostream& out) const;

    bool has(const std::string& name) const;      // flag given, or option given / defaulted
    bool given(const std::string& name) const;    // explicitly on the command line
    std::string get(const std::string& name) const;  // option value or positional; ArgError if absent
    // Typed getters: the value (surrounding blanks ignored) must parse completely and lie in the
    // range, else ArgError naming the option, the value and the range. Defaults: non-negative.
    std::int64_t getInt(const std::string& name, std::int64_t min = 0,
                        std::int64_t max = std::numeric_limits<std::int64_t>::max()) const;
    double getDouble(const std::string& name, const NumberRange& range = NumberRange::nonNegative()) const;
    std::vector<std::string> getList(const std::string& name) const;  // comma-separated or variadic
    std::vector<std::int64_t> getIntList(const std::string& name, std::int64_t min = 0,
                                         std::int64_t max = std::numeric_limits<std::int64_t>::max()) const;

private:
    struct Spec {
        std::string name, valueName, help, defaultValue;
        char shortName = 0;
        bool isFlag = false, isPositional = false, required = false, variadic = false;
    };
    const Spec* findLong(const std::string& name) const;
    const Spec* findShort(char c) const;

    std::string m_usageName, m_description, m_epilog;
    std::vector<Spec> m_specs;
    std::map<std::string, std::vector<std::string>> m_values;
};

} // namespace circnn::cli
