#include "ArgParser.h"

#include <algorithm>
#include <iomanip>
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
        if (onlyPositionals || a.size() < 2 || a[0] != '-' || (a.size() > 1 && std::isdigit(static_cast<unsigned char>(a[1])))) {
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
            std::vector<std::string> rest(positionals.begin() + static_cast<std::ptrdiff_t>(std::min(p, positionals.size())),
                                          positionals.end());
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
    if (!m_epilog.empty())
        out << "\n" << m_epilog << "\n";
}

bool ArgParser::given(const std::string& name) const { return m_values.count(name) > 0; }

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

std::int64_t ArgParser::getInt(const std::string& name) const
{
    const std::string v = get(name);
    std::size_t used = 0;
    long long r = 0;
    try {
        r = std::stoll(v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != v.size() || v.empty())
        throw ArgError(m_usageName + ": --" + name + " expects an integer, got '" + v + "'");
    return r;
}

double ArgParser::getDouble(const std::string& name) const
{
    const std::string v = get(name);
    std::size_t used = 0;
    double r = 0;
    try {
        r = std::stod(v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != v.size() || v.empty())
        throw ArgError(m_usageName + ": --" + name + " expects a number, got '" + v + "'");
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

std::vector<std::int64_t> ArgParser::getIntList(const std::string& name) const
{
    std::vector<std::int64_t> r;
    for (const std::string& s : getList(name)) {
        std::size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(s, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != s.size())
            throw ArgError(m_usageName + ": --" + name + " expects integers, got '" + s + "'");
        r.push_back(v);
    }
    return r;
}

} // namespace circnn::cli
