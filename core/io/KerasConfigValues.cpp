#include "io/KerasConfigValues.h"

#include <cmath>

#include "common/Error.h"

namespace circnn::keras {

using nlohmann::json;

void ConfigContext::fail(const std::string& what) const
{
    throw FormatError(file + ": layer '" + layer + "' (" + className + "): " + what);
}

const json* member(const json& obj, const std::string& key)
{
    if (!obj.is_object())
        return nullptr;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
        return nullptr;
    return &*it;
}

std::string stringOr(const json& obj, const std::string& key, const std::string& def)
{
    const json* v = member(obj, key);
    return v && v->is_string() ? v->get<std::string>() : def;
}

std::int64_t toInt(const ConfigContext& c, const json& v, const std::string& key)
{
    if (v.is_number_integer())
        return v.get<std::int64_t>();
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::isfinite(d) && d == std::floor(d) && std::abs(d) < 9e15)
            return static_cast<std::int64_t>(d);
    }
    c.fail("'" + key + "' should be an integer, found " + v.dump());
}

std::int64_t getInt(const ConfigContext& c, const json& cfg, const std::string& key, std::optional<std::int64_t> def)
{
    const json* v = member(cfg, key);
    if (!v) {
        if (def)
            return *def;
        c.fail("configuration has no '" + key + "'");
    }
    return toInt(c, *v, key);
}

double getDouble(const ConfigContext& c, const json& cfg, const std::string& key, double def)
{
    const json* v = member(cfg, key);
    if (!v)
        return def;
    if (!v->is_number())
        c.fail("'" + key + "' should be a number, found " + v->dump());
    return v->get<double>();
}

bool getBool(const ConfigContext& c, const json& cfg, const std::string& key, bool def)
{
    const json* v = member(cfg, key);
    if (!v)
        return def;
    if (!v->is_boolean())
        c.fail("'" + key + "' should be true or false, found " + v->dump());
    return v->get<bool>();
}

std::string getString(const ConfigContext& c, const json& cfg, const std::string& key, const std::string& def)
{
    const json* v = member(cfg, key);
    if (!v)
        return def;
    if (!v->is_string())
        c.fail("'" + key + "' should be a string, found " + v->dump());
    return v->get<std::string>();
}

std::pair<std::int64_t, std::int64_t> getPair(const ConfigContext& c, const json& cfg, const std::string& key,
                                              std::optional<std::pair<std::int64_t, std::int64_t>> def)
{
    const json* v = member(cfg, key);
    if (!v) {
        if (def)
            return *def;
        c.fail("configuration has no '" + key + "'");
    }
    if (v->is_number())
        return {toInt(c, *v, key), toInt(c, *v, key)};
    if (v->is_array() && v->size() == 2)
        return {toInt(c, (*v)[0], key), toInt(c, (*v)[1], key)};
    c.fail("'" + key + "' should be an integer or two integers, found " + v->dump());
}

Shape batchShape(const ConfigContext& c, const json& v, const std::string& key)
{
    if (!v.is_array() || v.size() < 2)
        c.fail("'" + key + "' should be a shape with a batch dimension, found " + v.dump());
    Shape s;
    for (std::size_t i = 1; i < v.size(); ++i) {
        if (v[i].is_null())
            c.fail("'" + key + "' " + v.dump() + " has an unknown (null) dimension; a fixed input size is needed");
        const std::int64_t d = toInt(c, v[i], key);
        if (d <= 0 || d > (std::int64_t(1) << 32))
            c.fail("'" + key + "' " + v.dump() + " has an invalid dimension");
        s.push_back(d);
    }
    return s;
}

void checkChannelsLast(const ConfigContext& c, const json& cfg)
{
    const std::string df = getString(c, cfg, "data_format", "channels_last");
    if (df != "channels_last")
        c.fail("data_format '" + df + "' is not supported (only channels_last, NHWC)");
}

Padding parsePadding(const ConfigContext& c, const json& cfg, bool allowCausal)
{
    const std::string p = getString(c, cfg, "padding", "valid");
    if (p == "valid")
        return Padding::Valid;
    if (p == "same")
        return Padding::Same;
    if (p == "causal" && allowCausal)
        return Padding::Causal;
    c.fail("padding '" + p + "' is not supported (valid, same" + (allowCausal ? ", causal)" : ")"));
}

std::int64_t getSingle(const ConfigContext& c, const json& cfg, const std::string& key, std::optional<std::int64_t> def)
{
    const json* v = member(cfg, key);
    if (!v)
        return getInt(c, cfg, key, def); // the default, or the message for a missing key
    if (v->is_number())
        return toInt(c, *v, key);
    if (v->is_array() && v->size() == 1)
        return toInt(c, (*v)[0], key);
    c.fail("'" + key + "' should be an integer or a list of one integer, found " + v->dump());
}

} // namespace circnn::keras
