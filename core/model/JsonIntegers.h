#pragma once
// Integers out of JSON, refusing numbers written with a fraction or an exponent.
//
// nlohmann::json's get<std::int64_t>() (and get<Shape>(), get<std::map<..., std::int64_t>>(), and
// value(key, 1)) converts a JSON number stored as a double with a plain cast: 0.5 becomes 0, and
// 1e300 is undefined behaviour (UBSan: float-cast-overflow; FuzzNativeMetadata found it in a
// native model description). Readers of our own formats take every integer through these
// instead; a double is refused with nlohmann::json's own type_error, which the reader's catch
// already turns into a FormatError naming the file.

#include <string>

#include <nlohmann/json.hpp>

namespace circnn::json_integers {

// Throws nlohmann::json::type_error (302) if `v` holds a JSON number that is not an integer,
// anywhere inside it (lists and objects are searched).
inline void require(const nlohmann::json& v)
{
    if (v.is_number_float())
        throw nlohmann::json::type_error::create(302, "type must be an integer, but is the number " + v.dump(), &v);
    if (v.is_structured())
        for (const auto& e : v)
            require(e);
}

// v.get<T>() for a T made of integers (an integer, a Shape, a map of block sizes), checked first.
template <typename T> T get(const nlohmann::json& v)
{
    require(v);
    return v.get<T>();
}

// obj.value(key, def) for an integer: `def` when absent; an error when present and not an integer.
template <typename T> T value(const nlohmann::json& obj, const char* key, T def)
{
    const auto it = obj.find(key);
    return it == obj.end() ? def : get<T>(*it);
}

} // namespace circnn::json_integers
