#pragma once
// A hardware platform for the cost model, as plain data. Platforms are JSON files whose field
// names carry their units (see docs/hardware-model.md and resources/platforms/*.json):
//
//   { "name": "xcku060", "kind": "fpga", "description": "...",
//     "process_nm": 20, "clock_mhz": 200, "dsp_blocks": 2760,
//     "multipliers_per_dsp": {"fixed8": 2, "fixed16": 1, "float32": 0.5},
//     "compute_efficiency": 1, "onchip_memory_kib": 4860, "onchip_bandwidth_bits_per_cycle": 77760,
//     "onchip_energy_pj_per_bit": 1.4, "offchip_bandwidth_gbps": 204.8,
//     "offchip_energy_pj_per_bit": 20, "static_power_w": 2,
//     "energy_pj": {"fixed8": {"add": .., "mul": ..}, "fixed16": {..}, "float32": {..}},
//     "sources": {"clock_mhz": "ESE (FPGA 2017) runs the XCKU060 at 200 MHz", ...} }
//
// Every field is required except "description", "process_nm" and "sources". "sources" maps a field
// name to where its value comes from (or says it is an assumption); the built-in presets give one
// for every field, and an estimate warns about fields of a user file that have none.

#include <array>
#include <filesystem>
#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace circnn::hw {

// Arithmetic precision of the datapath (weights, activations and arithmetic alike).
enum class Precision { Fixed8, Fixed16, Float32 };
constexpr std::array<Precision, 3> kAllPrecisions{Precision::Fixed8, Precision::Fixed16, Precision::Float32};

const char* precisionKey(Precision p); // "fixed8", "fixed16", "float32" (JSON keys)
int precisionBits(Precision p);        // 8, 16, 32
// Parses "8"/"16"/"32" (CLI) or a JSON key ("fixed16"); throws ShapeError naming the accepted values.
Precision parsePrecision(const std::string& text);

enum class PlatformKind { Fpga, Asic, Cpu };
const char* platformKindName(PlatformKind k); // "fpga", "asic", "cpu"

// Dynamic energy of one arithmetic operation at one precision, in picojoules.
struct OpEnergy {
    double addPj = 0; // one add, subtract or compare
    double mulPj = 0; // one multiply
    bool operator==(const OpEnergy&) const = default;
};

struct Platform {
    std::string name; // preset name, also the JSON file's stem
    PlatformKind kind = PlatformKind::Fpga;
    std::string description;
    double processNm = 0; // informational (0 = unknown)
    double clockMhz = 0;  // datapath clock, MHz
    // Compute blocks: DSP blocks (FPGA), MAC units (ASIC) or cores (CPU). Each multiplier is paired
    // with one adder (DSP accumulator, MAC unit, fused multiply-add lane).
    double dspBlocks = 0;
    // Multipliers per block per precision: DSP packing (FPGA), 1 (ASIC MAC), SIMD lanes (CPU).
    std::array<double, 3> multipliersPerDsp{};  // indexed by Precision
    double computeEfficiency = 1;               // fraction of the peak the datapath sustains, (0, 1]
    double onchipMemoryKib = 0;                 // on-chip memory for weights and activations, KiB (1024 bytes)
    double onchipBandwidthBitsPerCycle = 0;     // on-chip memory bits delivered per clock cycle
    double onchipEnergyPjPerBit = 0;            // energy per bit read or written on chip, pJ
    double offchipBandwidthGbps = 0;            // off-chip (DRAM) bandwidth, gigabits per second (1e9 bit/s)
    double offchipEnergyPjPerBit = 0;           // energy per bit moved to or from DRAM, pJ
    double staticPowerW = 0;                    // static (leakage + idle) power, W
    std::array<OpEnergy, 3> energyPj{};         // indexed by Precision
    std::map<std::string, std::string> sources; // field name → source or "assumption: ..."

    double multipliers(Precision p) const { return dspBlocks * multipliersPerDsp[static_cast<int>(p)]; }
    const OpEnergy& energy(Precision p) const { return energyPj[static_cast<int>(p)]; }
    bool operator==(const Platform&) const = default;
};

// The JSON field names of a platform in file order (without "sources").
const std::array<const char*, 15>& platformFieldNames();

// Checks ranges (positive, finite, efficiency ≤ 1) and sources keys; throws Error naming `origin`
// (a file path or "built-in preset 'x'") and the field.
void validatePlatform(const Platform& platform, const std::string& origin);

// JSON conversion. fromJson validates and throws FormatError naming `origin` and the field for a
// missing field, a wrong type, an unknown field (a typo would otherwise be ignored) or a bad value.
Platform platformFromJson(const nlohmann::json& json, const std::string& origin);
nlohmann::ordered_json platformToJson(const Platform& platform); // fields in file order

// Reads a platform file; errors name the file (and the field). The name defaults to the file stem
// when the file has none.
Platform loadPlatform(const std::filesystem::path& path);
// Writes a platform file atomically (temporary file + rename), pretty-printed, fields in order.
void savePlatform(const Platform& platform, const std::filesystem::path& path);

} // namespace circnn::hw
