#include "ArgParser.h"

#include "GlobalOptions.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>

namespace circnn::cli {

ArgParser::ArgParser(std::string usageName, std::string description)
    : m_usageName(std::move(usageName)), m_description(std::move(description))
{
}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help, char shortName)
{
    Spec s;
    s.name = name;
    s.help = help;
    s.shortName = shortName;
    s.isFlag = true;
    m_specs.push_back(s);
    return *this;
}

ArgParser& ArgParser::option(const std::string& name, const std::string& valueName, const std::string& help,
                             const std::string& defaultValue, char shortName)
{
    Spec s;
    s.name = name;
    s.valueName = valueName;
    s.help = help;
    s.defaultValue = defaultValue;
    s.shortName = shortName;
    m_specs.push_back(s);
    return *this;
}

ArgParser& ArgParser::positional(const std::string& name, const std::string& help, bool required, bool variadic)
{
    Spec s;
    s.name = name;
    s.help = help;
    s.isPositional = true;
    s.required = required;
    s.variadic = variadic;
    m_specs.push_back(s);
    return *this;
}

ArgParser& ArgParser::epilog(const std::string& text)
{
    m_epilog = text;
    return *this;
}

const ArgParser::Spec* ArgParser::findLong(const std::string& name) const
{
    for (const Spec& s : m_specs)
        if (!s.isPositional && s.name == name)
            return &s;
    return nullptr;
}

const ArgParser::Spec* ArgParser::findShort(char c) const
{
    for (const Spec& s : m_specs)
        if (!s.isPositional && s.shortName == c)
            return &s;
    return nullptr;
}

bool ArgParser::parse(const std::vector<std::string>& args, std::ostream& out)
{
    m_values.clear();
    std::vector<std::string> positionals;
    bool onlyPositionals = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (onlyPositionals || a.size() < 2 || a[0] != '-' ||
            (a.size() > 1 && std::isdigit(static_cast<unsigned char>(a[1])))) {
            positionals.push_back(a);
            continue;
        }
        if (a == "--") {
            onlyPositionals = true;
            continue;
        }
        if (a == "-h" || a == "--help") {
            printHelp(out);
            return false;
        }
        const Spec* spec = nullptr;
        std::string inlineValue;
        bool hasInline = false;
        if (a.rfind("--", 0) == 0) {
            std::string name = a.substr(2);
            if (auto eq = name.find('='); eq != std::string::npos) {
                inlineValue = name.substr(eq + 1);
                name = name.substr(0, eq);
                hasInline = true;
            }
            spec = findLong(name);
        } else if (a.size() == 2) {
            spec = findShort(a[1]);
        }
        if (!spec)
            throw ArgError(m_usageName + ": unknown option '" + a + "'");
        if (spec->isFlag) {
            if (hasInline)
                throw ArgError(m_usageName + ": option --" + spec->name + " takes no value");
            m_values[spec->name] = {"1"};
            continue;
        }
        if (!hasInline) {
            if (i + 1 >= args.size())
                throw ArgError(m_usageName + ": option --" + spec->name + " needs a value " + spec->valueName);
            inlineValue = args[++i];
        }
        m_values[spec->name] = {inlineValue};
    }
    std::size_t p = 0;
    for (const Spec& s : m_specs) {
        if (!s.isPositional)
            continue;
        if (s.variadic) {
            std::vector<std::string> rest(
                positionals.begin() + static_cast<std::ptrdiff_t>(std::min(p, positionals.size())), positionals.end());
            p = positionals.size();
            if (rest.empty() && s.required)
                throw ArgError(m_usageName + ": missing " + s.name);
            if (!rest.empty())
                m_values[s.name] = rest;
            continue;
        }
        if (p < positionals.size())
            m_values[s.name] = {positionals[p++]};
        else if (s.required)
            throw ArgError(m_usageName + ": missing " + s.name);
    }
    if (p < positionals.size())
        throw ArgError(m_usageName + ": unexpected argument '" + positionals[p] + "'");
    return true;
}

void ArgParser::printHelp(std::ostream& out) const
{
    out << "Usage: " << m_usageName;
    for (const Spec& s : m_specs)
        if (s.isPositional)
            out << ' ' << (s.required ? "" : "[") << s.name << (s.variadic ? "..." : "") << (s.required ? "" : "]");
    out << " [options]\n\n" << m_description << "\n";
    bool anyPositional = false;
    for (const Spec& s : m_specs)
        anyPositional |= s.isPositional;
    auto wrap = [&](const std::string& head, const std::string& text) {
        out << "  " << std::left << std::setw(26) << head;
        if (head.size() > 25)
            out << "\n  " << std::string(26, ' ');
        out << text << "\n";
    };
    if (anyPositional) {
        out << "\nArguments:\n";
        for (const Spec& s : m_specs)
            if (s.isPositional)
                wrap(s.name, s.help);
    }
    out << "\nOptions:\n";
    for (const Spec& s : m_specs) {
        if (s.isPositional)
            continue;
        std::string head = s.shortName ? std::string("-") + s.shortName + ", " : std::string("    ");
        head += "--" + s.name + (s.isFlag ? "" : " " + s.valueName);
        std::string text = s.help;
        if (!s.defaultValue.empty())
            text += " (default: " + s.defaultValue + ")";
        wrap(head, text);
    }
    wrap("-h, --help", "Show this help and exit.");
    out << "\n" << GlobalOptions::helpText();
    if (!m_epilog.empty())
        out << "\n" << m_epilog << "\n";
}

bool ArgParser::given(const std::string& name) const
{
    return m_values.count(name) > 0;
}

bool ArgParser::has(const std::string& name) const
{
    if (given(name))
        return true;
    const Spec* s = findLong(name);
    return s && !s->isFlag && !s->defaultValue.empty();
}

std::string ArgParser::get(const std::string& name) const
{
    if (auto it = m_values.find(name); it != m_values.end())
        return it->second.front();
    for (const Spec& s : m_specs)
        if (s.name == name && !s.defaultValue.empty())
            return s.defaultValue;
    throw ArgError(m_usageName + ": missing --" + name);
}

namespace {

std::string trimBlanks(const std::string& v)
{
    std::size_t b = 0, e = v.size();
    while (b < e && std::isspace(static_cast<unsigned char>(v[b])))
        ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(v[e - 1])))
        --e;
    return v.substr(b, e - b);
}

std::string formatNumber(double v)
{
    std::ostringstream os;
    os << v;
    return os.str();
}

// Parses a whole integer (blanks around it ignored); nullopt otherwise.
std::optional<std::int64_t> parseInteger(const std::string& raw)
{
    const std::string v = trimBlanks(raw);
    if (v.empty())
        return std::nullopt;
    std::size_t used = 0;
    try {
        const long long r = std::stoll(v, &used, 10);
        if (used == v.size())
            return r;
    } catch (const std::exception&) {
    }
    return std::nullopt;
}

} // namespace

bool NumberRange::contains(double v) const
{
    if (!std::isfinite(v))
        return false;
    const bool aboveMin = minInclusive ? v >= min : v > min;
    const bool belowMax = maxInclusive ? v <= max : v < max;
    return aboveMin && belowMax;
}

std::string NumberRange::describe() const
{
    if (std::isinf(max))
        return std::string(minInclusive ? ">= " : "> ") + formatNumber(min);
    return "in " + std::string(minInclusive ? "[" : "(") + formatNumber(min) + ", " + formatNumber(max) +
           (maxInclusive ? "]" : ")");
}

std::int64_t ArgParser::getInt(const std::string& name, std::int64_t min, std::int64_t max) const
{
    const std::string v = get(name);
    const auto r = parseInteger(v);
    if (!r)
        throw ArgError(m_usageName + ": --" + name + " expects an integer, got '" + v + "'");
    if (*r < min || *r > max)
        throw ArgError(m_usageName + ": --" + name + " must be " +
                       (max == std::numeric_limits<std::int64_t>::max()
                            ? ">= " + std::to_string(min)
                            : "in [" + std::to_string(min) + ", " + std::to_string(max) + "]") +
                       ", got " + std::to_string(*r));
    return *r;
}

double ArgParser::getDouble(const std::string& name, const NumberRange& range) const
{
    const std::string raw = get(name);
    const std::string v = trimBlanks(raw);
    std::size_t used = 0;
    double r = 0;
    bool ok = !v.empty();
    if (ok) {
        try {
            r = std::stod(v, &used);
            ok = used == v.size();
        } catch (const std::exception&) {
            ok = false; // not a number, or out of double's range
        }
    }
    if (!ok)
        throw ArgError(m_usageName + ": --" + name + " expects a number, got '" + raw + "'");
    if (!std::isfinite(r))
        throw ArgError(m_usageName + ": --" + name + " must be a finite number, got '" + raw + "'");
    if (!range.contains(r))
        throw ArgError(m_usageName + ": --" + name + " must be " + range.describe() + ", got " + v);
    return r;
}

std::vector<std::string> ArgParser::getList(const std::string& name) const
{
    std::vector<std::string> items;
    if (auto it = m_values.find(name); it != m_values.end() && it->second.size() > 1)
        return it->second;
    std::stringstream ss(get(name));
    std::string item;
    while (std::getline(ss, item, ','))
        if (!item.empty())
            items.push_back(item);
    return items;
}

std::vector<std::int64_t> ArgParser::getIntList(const std::string& name, std::int64_t min, std::int64_t max) const
{
    std::vector<std::int64_t> r;
    for (const std::string& s : getList(name)) {
        const auto v = parseInteger(s);
        if (!v)
            throw ArgError(m_usageName + ": --" + name + " expects integers, got '" + s + "'");
        if (*v < min || *v > max)
            throw ArgError(m_usageName + ": --" + name + " values must be " +
                           (max == std::numeric_limits<std::int64_t>::max()
                                ? ">= " + std::to_string(min)
                                : "in [" + std::to_string(min) + ", " + std::to_string(max) + "]") +
                           ", got " + std::to_string(*v));
        r.push_back(*v);
    }
    return r;
}

} // namespace circnn::cli
