#include "hw/Platform.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/AtomicFile.h"
#include "common/Error.h"
#include "common/InputFile.h"

namespace circnn::hw {

namespace {

constexpr std::array<const char*, 15> kFields{
    "name",
    "kind",
    "description",
    "process_nm",
    "clock_mhz",
    "dsp_blocks",
    "multipliers_per_dsp",
    "compute_efficiency",
    "onchip_memory_kib",
    "onchip_bandwidth_bits_per_cycle",
    "onchip_energy_pj_per_bit",
    "offchip_bandwidth_gbps",
    "offchip_energy_pj_per_bit",
    "static_power_w",
    "energy_pj",
};

[[noreturn]] void failField(const std::string& origin, const std::string& field, const std::string& what)
{
    throw FormatError("platform " + origin + ", field \"" + field + "\": " + what);
}

std::string jsonTypeName(const nlohmann::json& j)
{
    return j.type_name();
}

double numberField(const nlohmann::json& obj, const std::string& key, const std::string& path,
                   const std::string& origin, bool required = true, double fallback = 0)
{
    auto it = obj.find(key);
    if (it == obj.end()) {
        if (required)
            failField(origin, path, "missing (a number is required)");
        return fallback;
    }
    if (!it->is_number())
        failField(origin, path, "expected a number, found " + jsonTypeName(*it) + " " + it->dump());
    return it->get<double>();
}

std::string stringField(const nlohmann::json& obj, const std::string& key, const std::string& origin, bool required)
{
    auto it = obj.find(key);
    if (it == obj.end()) {
        if (required)
            failField(origin, key, "missing (a string is required)");
        return {};
    }
    if (!it->is_string())
        failField(origin, key, "expected a string, found " + jsonTypeName(*it) + " " + it->dump());
    return it->get<std::string>();
}

const nlohmann::json& objectField(const nlohmann::json& obj, const std::string& key, const std::string& path,
                                  const std::string& origin)
{
    auto it = obj.find(key);
    if (it == obj.end())
        failField(origin, path, "missing (an object is required)");
    if (!it->is_object())
        failField(origin, path, "expected an object, found " + jsonTypeName(*it) + " " + it->dump());
    return *it;
}

void rejectUnknownKeys(const nlohmann::json& obj, const std::set<std::string>& known, const std::string& path,
                       const std::string& origin)
{
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        if (!known.count(it.key())) {
            std::string list;
            for (const std::string& k : known)
                list += (list.empty() ? "" : ", ") + k;
            failField(origin, path.empty() ? it.key() : path + "." + it.key(), "unknown field (known: " + list + ")");
        }
    }
}

void checkPositive(double v, const std::string& origin, const std::string& field)
{
    if (!std::isfinite(v) || v <= 0)
        failField(origin, field, "must be a positive finite number, found " + std::to_string(v));
}

void checkNonNegative(double v, const std::string& origin, const std::string& field)
{
    if (!std::isfinite(v) || v < 0)
        failField(origin, field, "must be a non-negative finite number, found " + std::to_string(v));
}

// Whole numbers are written without a fraction ("2760", not "2760.0") so files read naturally.
nlohmann::ordered_json number(double v)
{
    if (std::isfinite(v) && v == std::floor(v) && std::abs(v) < 9e15)
        return static_cast<std::int64_t>(v);
    return v;
}

} // namespace

const char* precisionKey(Precision p)
{
    switch (p) {
    case Precision::Fixed8:
        return "fixed8";
    case Precision::Fixed16:
        return "fixed16";
    case Precision::Float32:
        return "float32";
    }
    return "?";
}

int precisionBits(Precision p)
{
    switch (p) {
    case Precision::Fixed8:
        return 8;
    case Precision::Fixed16:
        return 16;
    case Precision::Float32:
        return 32;
    }
    return 0;
}

Precision parsePrecision(const std::string& text)
{
    if (text == "8" || text == "fixed8")
        return Precision::Fixed8;
    if (text == "16" || text == "fixed16")
        return Precision::Fixed16;
    if (text == "32" || text == "float32")
        return Precision::Float32;
    throw ShapeError("precision '" + text +
                     "' is not supported (use 8 = 8-bit fixed point, 16 = 16-bit fixed point, "
                     "32 = 32-bit float)");
}

const char* platformKindName(PlatformKind k)
{
    switch (k) {
    case PlatformKind::Fpga:
        return "fpga";
    case PlatformKind::Asic:
        return "asic";
    case PlatformKind::Cpu:
        return "cpu";
    }
    return "?";
}

const std::array<const char*, 15>& platformFieldNames()
{
    return kFields;
}

void validatePlatform(const Platform& p, const std::string& origin)
{
    if (p.name.empty())
        failField(origin, "name", "must not be empty");
    for (char c : p.name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            failField(origin, "name", "'" + p.name + "' may only contain letters, digits, '-', '_' and '.'");
    checkNonNegative(p.processNm, origin, "process_nm");
    checkPositive(p.clockMhz, origin, "clock_mhz");
    checkPositive(p.dspBlocks, origin, "dsp_blocks");
    for (Precision pr : kAllPrecisions) {
        checkPositive(p.multipliersPerDsp[static_cast<int>(pr)], origin,
                      std::string("multipliers_per_dsp.") + precisionKey(pr));
        checkNonNegative(p.energy(pr).addPj, origin, std::string("energy_pj.") + precisionKey(pr) + ".add");
        checkNonNegative(p.energy(pr).mulPj, origin, std::string("energy_pj.") + precisionKey(pr) + ".mul");
    }
    checkPositive(p.computeEfficiency, origin, "compute_efficiency");
    if (p.computeEfficiency > 1)
        failField(origin, "compute_efficiency",
                  "must be at most 1 (a fraction of the peak), found " + std::to_string(p.computeEfficiency));
    checkNonNegative(p.onchipMemoryKib, origin, "onchip_memory_kib");
    checkPositive(p.onchipBandwidthBitsPerCycle, origin, "onchip_bandwidth_bits_per_cycle");
    checkNonNegative(p.onchipEnergyPjPerBit, origin, "onchip_energy_pj_per_bit");
    checkPositive(p.offchipBandwidthGbps, origin, "offchip_bandwidth_gbps");
    checkNonNegative(p.offchipEnergyPjPerBit, origin, "offchip_energy_pj_per_bit");
    checkNonNegative(p.staticPowerW, origin, "static_power_w");
    const std::set<std::string> known(kFields.begin(), kFields.end());
    for (const auto& [field, text] : p.sources)
        if (!known.count(field))
            failField(origin, "sources." + field, "names no platform field");
}

Platform platformFromJson(const nlohmann::json& j, const std::string& origin)
{
    if (!j.is_object())
        throw FormatError("platform " + origin + ": expected a JSON object, found " + jsonTypeName(j));
    std::set<std::string> known(kFields.begin(), kFields.end());
    known.insert("sources");
    rejectUnknownKeys(j, known, "", origin);

    Platform p;
    p.name = stringField(j, "name", origin, true);
    const std::string kind = stringField(j, "kind", origin, true);
    if (kind == "fpga")
        p.kind = PlatformKind::Fpga;
    else if (kind == "asic")
        p.kind = PlatformKind::Asic;
    else if (kind == "cpu")
        p.kind = PlatformKind::Cpu;
    else
        failField(origin, "kind", "'" + kind + "' is not one of fpga, asic, cpu");
    p.description = stringField(j, "description", origin, false);
    p.processNm = numberField(j, "process_nm", "process_nm", origin, false, 0);
    p.clockMhz = numberField(j, "clock_mhz", "clock_mhz", origin);
    p.dspBlocks = numberField(j, "dsp_blocks", "dsp_blocks", origin);
    p.computeEfficiency = numberField(j, "compute_efficiency", "compute_efficiency", origin);
    p.onchipMemoryKib = numberField(j, "onchip_memory_kib", "onchip_memory_kib", origin);
    p.onchipBandwidthBitsPerCycle =
        numberField(j, "onchip_bandwidth_bits_per_cycle", "onchip_bandwidth_bits_per_cycle", origin);
    p.onchipEnergyPjPerBit = numberField(j, "onchip_energy_pj_per_bit", "onchip_energy_pj_per_bit", origin);
    p.offchipBandwidthGbps = numberField(j, "offchip_bandwidth_gbps", "offchip_bandwidth_gbps", origin);
    p.offchipEnergyPjPerBit = numberField(j, "offchip_energy_pj_per_bit", "offchip_energy_pj_per_bit", origin);
    p.staticPowerW = numberField(j, "static_power_w", "static_power_w", origin);

    const std::set<std::string> precisionKeys{"fixed8", "fixed16", "float32"};
    const nlohmann::json& mpd = objectField(j, "multipliers_per_dsp", "multipliers_per_dsp", origin);
    rejectUnknownKeys(mpd, precisionKeys, "multipliers_per_dsp", origin);
    const nlohmann::json& energy = objectField(j, "energy_pj", "energy_pj", origin);
    rejectUnknownKeys(energy, precisionKeys, "energy_pj", origin);
    for (Precision pr : kAllPrecisions) {
        const std::string key = precisionKey(pr);
        p.multipliersPerDsp[static_cast<int>(pr)] = numberField(mpd, key, "multipliers_per_dsp." + key, origin);
        const nlohmann::json& e = objectField(energy, key, "energy_pj." + key, origin);
        rejectUnknownKeys(e, {"add", "mul"}, "energy_pj." + key, origin);
        p.energyPj[static_cast<int>(pr)].addPj = numberField(e, "add", "energy_pj." + key + ".add", origin);
        p.energyPj[static_cast<int>(pr)].mulPj = numberField(e, "mul", "energy_pj." + key + ".mul", origin);
    }

    if (auto it = j.find("sources"); it != j.end()) {
        if (!it->is_object())
            failField(origin, "sources", "expected an object mapping field names to text, found " + jsonTypeName(*it));
        for (auto s = it->begin(); s != it->end(); ++s) {
            if (!s->is_string())
                failField(origin, "sources." + s.key(), "expected a string, found " + jsonTypeName(*s));
            p.sources[s.key()] = s->get<std::string>();
        }
    }
    validatePlatform(p, origin);
    return p;
}

nlohmann::ordered_json platformToJson(const Platform& p)
{
    nlohmann::ordered_json j;
    j["name"] = p.name;
    j["kind"] = platformKindName(p.kind);
    j["description"] = p.description;
    j["process_nm"] = number(p.processNm);
    j["clock_mhz"] = number(p.clockMhz);
    j["dsp_blocks"] = number(p.dspBlocks);
    nlohmann::ordered_json mpd = nlohmann::ordered_json::object();
    nlohmann::ordered_json energy = nlohmann::ordered_json::object();
    for (Precision pr : kAllPrecisions) {
        mpd[precisionKey(pr)] = number(p.multipliersPerDsp[static_cast<int>(pr)]);
        energy[precisionKey(pr)] = {{"add", number(p.energy(pr).addPj)}, {"mul", number(p.energy(pr).mulPj)}};
    }
    j["multipliers_per_dsp"] = mpd;
    j["compute_efficiency"] = number(p.computeEfficiency);
    j["onchip_memory_kib"] = number(p.onchipMemoryKib);
    j["onchip_bandwidth_bits_per_cycle"] = number(p.onchipBandwidthBitsPerCycle);
    j["onchip_energy_pj_per_bit"] = number(p.onchipEnergyPjPerBit);
    j["offchip_bandwidth_gbps"] = number(p.offchipBandwidthGbps);
    j["offchip_energy_pj_per_bit"] = number(p.offchipEnergyPjPerBit);
    j["static_power_w"] = number(p.staticPowerW);
    j["energy_pj"] = energy;
    nlohmann::ordered_json sources = nlohmann::ordered_json::object();
    for (const char* field : kFields) // file order first, then anything else
        if (auto it = p.sources.find(field); it != p.sources.end())
            sources[field] = it->second;
    for (const auto& [field, text] : p.sources)
        if (!sources.contains(field))
            sources[field] = text;
    j["sources"] = sources;
    return j;
}

Platform loadPlatform(const std::filesystem::path& path)
{
    const std::string origin = "file '" + path.string() + "'";
    const std::string text = readTextInput(path, "platform file");
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) { // syntax, or a number out of range
        throw FormatError("platform " + origin + ": not valid JSON (" + e.what() + ")");
    }
    if (j.is_object() && !j.contains("name"))
        j["name"] = path.stem().string();
    return platformFromJson(j, origin);
}

void savePlatform(const Platform& platform, const std::filesystem::path& path)
{
    validatePlatform(platform, "to be written to '" + path.string() + "'");
    writeTextFileAtomically(path, platformToJson(platform).dump(2) + "\n");
}

} // namespace circnn::hw
