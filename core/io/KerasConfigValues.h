#pragma once
// Typed access to one Keras layer config (JSON) with messages that name the file, the layer and
// its class: the helpers every layer codec (io/KerasLayerCodecs.h) reads its fields with.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "model/ModelSpec.h"

namespace circnn::keras {

// The layer being parsed: file and layer for messages.
struct ConfigContext {
    const std::string& file;
    std::string layer;
    std::string className;
    [[noreturn]] void fail(const std::string& what) const;
};

// The value of `key`, or nullptr when absent or null.
const nlohmann::json* member(const nlohmann::json& obj, const std::string& key);
// The string value of `key`, or `def` when `obj` is not an object or the value is absent or not a
// string. For dispatch (class_name, a name to match); a value that must be a string is read with
// getString, which fails naming the layer.
std::string stringOr(const nlohmann::json& obj, const std::string& key, const std::string& def = "");

std::int64_t toInt(const ConfigContext& c, const nlohmann::json& v, const std::string& key);
std::int64_t getInt(const ConfigContext& c, const nlohmann::json& cfg, const std::string& key,
                    std::optional<std::int64_t> def = {});
double getDouble(const ConfigContext& c, const nlohmann::json& cfg, const std::string& key, double def);
bool getBool(const ConfigContext& c, const nlohmann::json& cfg, const std::string& key, bool def);
std::string getString(const ConfigContext& c, const nlohmann::json& cfg, const std::string& key,
                      const std::string& def);
// An int or a list of two ints (kernel_size, strides, pool_size, dilation_rate).
std::pair<std::int64_t, std::int64_t> getPair(const ConfigContext& c, const nlohmann::json& cfg, const std::string& key,
                                              std::optional<std::pair<std::int64_t, std::int64_t>> def);
// A Keras shape with a leading batch entry ([null, 28, 28, 1]) → {28, 28, 1}.
Shape batchShape(const ConfigContext& c, const nlohmann::json& v, const std::string& key);
// Fails unless data_format is absent or channels_last.
void checkChannelsLast(const ConfigContext& c, const nlohmann::json& cfg);
// "valid", "same", and with allowCausal (Conv1D) "causal".
Padding parsePadding(const ConfigContext& c, const nlohmann::json& cfg, bool allowCausal = false);
// An int or a list of one int (1-D kernel_size, strides, pool_size, dilation_rate).
std::int64_t getSingle(const ConfigContext& c, const nlohmann::json& cfg, const std::string& key,
                       std::optional<std::int64_t> def);

} // namespace circnn::keras
