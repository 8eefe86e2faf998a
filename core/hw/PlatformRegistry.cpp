#include "hw/PlatformRegistry.h"

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "common/Error.h"

namespace circnn::hw {

namespace {

// The presets. Each field's value is justified in "sources"; resources/platforms/<name>.json holds
// the same data (test_hw_platform checks it). FPGA and ASIC energies follow stated scaling rules
// from Horowitz's 45 nm table (ISSCC 2014): see docs/hardware-model.md.
const char* const kPresetTexts[] = {
    R"json({
  "name": "cyclone-v-5cseba6",
  "kind": "fpga",
  "description": "Intel Cyclone V SE 5CSEBA6 (DE10-Nano class), 28 nm low-cost FPGA with an ARM HPS and DDR3",
  "process_nm": 28,
  "clock_mhz": 150,
  "dsp_blocks": 112,
  "multipliers_per_dsp": {"fixed8": 3, "fixed16": 2, "float32": 1},
  "compute_efficiency": 1.0,
  "onchip_memory_kib": 696.25,
  "onchip_bandwidth_bits_per_cycle": 22280,
  "onchip_energy_pj_per_bit": 1.944,
  "offchip_bandwidth_gbps": 25.6,
  "offchip_energy_pj_per_bit": 20,
  "static_power_w": 0.4,
  "energy_pj": {
    "fixed8": {"add": 0.1867, "mul": 1.244},
    "fixed16": {"add": 0.3111, "mul": 4.978},
    "float32": {"add": 5.6, "mul": 23.02}
  },
  "sources": {
    "name": "preset name",
    "kind": "Cyclone V is an FPGA",
    "description": "Intel Cyclone V device overview (5CSEBA6 column)",
    "process_nm": "Intel: Cyclone V is built on a 28 nm process",
    "clock_mhz": "assumption: a DSP-heavy 16-bit datapath closes timing around 150 MHz on Cyclone V (not measured)",
    "dsp_blocks": "Intel Cyclone V device overview: 5CSEBA6 has 112 variable-precision DSP blocks",
    "multipliers_per_dsp": "Cyclone V variable-precision DSP block: three 9x9, two 18x18 or one 27x27 multiplier(s); float32 assumes the 27x27 mode for the 24-bit mantissa with exponent logic in soft fabric (assumption)",
    "compute_efficiency": "assumption: the layer-sequential datapath keeps every multiplier busy (an upper bound)",
    "onchip_memory_kib": "Intel Cyclone V device overview: 5CSEBA6 has 5,570 Kbit of M10K memory = 696.25 KiB (MLAB memory not counted)",
    "onchip_bandwidth_bits_per_cycle": "assumption: 557 M10K blocks, each read 40 bits wide per cycle (simple dual-port x40 mode)",
    "onchip_energy_pj_per_bit": "assumption: Horowitz 45 nm 32 KB SRAM (20 pJ per 64-bit access = 0.3125 pJ/bit) x (28/45) node scaling x 10 FPGA/ASIC gap",
    "offchip_bandwidth_gbps": "assumption: the HPS DDR3 interface of DE10-Nano class boards, 32 bit at 800 MT/s = 3.2 GB/s = 25.6 Gbit/s, all available to the accelerator",
    "offchip_energy_pj_per_bit": "Han et al. 2015 / Horowitz 2014: about 640 pJ per 32-bit DRAM access = 20 pJ/bit",
    "static_power_w": "assumption: order of magnitude of Intel's power estimator for a mid-size Cyclone V at room temperature (not measured)",
    "energy_pj": "assumption: Horowitz 45 nm per-operation energies (16-bit fixed interpolated: add 0.05, mul 0.8 pJ) x (28/45) node scaling x 10 for the FPGA/ASIC dynamic energy gap (Kuon & Rose 2007 report roughly 7-14x)"
  }
})json",
    R"json({
  "name": "xcku060",
  "kind": "fpga",
  "description": "Xilinx Kintex UltraScale XCKU060, 20 nm, the device ESE (FPGA 2017) used at 200 MHz",
  "process_nm": 20,
  "clock_mhz": 200,
  "dsp_blocks": 2760,
  "multipliers_per_dsp": {"fixed8": 2, "fixed16": 1, "float32": 0.5},
  "compute_efficiency": 1.0,
  "onchip_memory_kib": 4860,
  "onchip_bandwidth_bits_per_cycle": 77760,
  "onchip_energy_pj_per_bit": 1.389,
  "offchip_bandwidth_gbps": 204.8,
  "offchip_energy_pj_per_bit": 20,
  "static_power_w": 2.0,
  "energy_pj": {
    "fixed8": {"add": 0.1333, "mul": 0.8889},
    "fixed16": {"add": 0.2222, "mul": 3.556},
    "float32": {"add": 4.0, "mul": 16.44}
  },
  "sources": {
    "name": "preset name",
    "kind": "Kintex UltraScale is an FPGA",
    "description": "Xilinx UltraScale product tables; ESE (Han et al., FPGA 2017)",
    "process_nm": "Xilinx: Kintex UltraScale is built on a 20 nm process",
    "clock_mhz": "ESE (FPGA 2017): XCKU060 at 200 MHz",
    "dsp_blocks": "Xilinx UltraScale product table: XCKU060 has 2,760 DSP48E2 slices",
    "multipliers_per_dsp": "DSP48E2 has one 27x18 multiplier: one 16-bit multiply per slice; two 8-bit multiplies sharing an operand can be packed into one slice (Xilinx INT8 white paper WP487); float32: assumption of 2 slices per single-precision multiplier",
    "compute_efficiency": "assumption: the layer-sequential datapath keeps every multiplier busy (an upper bound)",
    "onchip_memory_kib": "Xilinx UltraScale product table: 1,080 block RAMs of 36 Kbit = 38.0 Mbit = 4,860 KiB",
    "onchip_bandwidth_bits_per_cycle": "assumption: all 1,080 block RAMs read 72 bits wide per cycle (simple dual-port mode)",
    "onchip_energy_pj_per_bit": "assumption: Horowitz 45 nm 32 KB SRAM (0.3125 pJ/bit) x (20/45) node scaling x 10 FPGA/ASIC gap",
    "offchip_bandwidth_gbps": "assumption: two 64-bit DDR3-1600 channels (12.8 GB/s each) = 25.6 GB/s = 204.8 Gbit/s, typical of XCKU060 accelerator boards",
    "offchip_energy_pj_per_bit": "Han et al. 2015 / Horowitz 2014: about 640 pJ per 32-bit DRAM access = 20 pJ/bit",
    "static_power_w": "assumption: device static power of a large 20 nm FPGA at moderate temperature, order of magnitude of the Xilinx Power Estimator; ESE's 41 W is board-level and is not this figure",
    "energy_pj": "assumption: Horowitz 45 nm per-operation energies (16-bit fixed interpolated: add 0.05, mul 0.8 pJ) x (20/45) node scaling x 10 for the FPGA/ASIC dynamic energy gap (Kuon & Rose 2007 report roughly 7-14x)"
  }
})json",
    R"json({
  "name": "asic-45nm",
  "kind": "asic",
  "description": "A 45 nm ASIC datapath of 64 MAC units at 800 MHz (EIE's process, clock and PE count) with Horowitz's per-operation energies",
  "process_nm": 45,
  "clock_mhz": 800,
  "dsp_blocks": 64,
  "multipliers_per_dsp": {"fixed8": 1, "fixed16": 1, "float32": 1},
  "compute_efficiency": 1.0,
  "onchip_memory_kib": 8192,
  "onchip_bandwidth_bits_per_cycle": 4096,
  "onchip_energy_pj_per_bit": 0.3125,
  "offchip_bandwidth_gbps": 102.4,
  "offchip_energy_pj_per_bit": 20,
  "static_power_w": 0.05,
  "energy_pj": {
    "fixed8": {"add": 0.03, "mul": 0.2},
    "fixed16": {"add": 0.05, "mul": 0.8},
    "float32": {"add": 0.9, "mul": 3.7}
  },
  "sources": {
    "name": "preset name",
    "kind": "an application-specific datapath",
    "description": "EIE (Han et al., ISCA 2016): 45 nm, 800 MHz, 64 processing elements",
    "process_nm": "Horowitz (ISSCC 2014) energies are for 45 nm, 0.9 V",
    "clock_mhz": "EIE (ISCA 2016) runs at 800 MHz in 45 nm",
    "dsp_blocks": "assumption: 64 MAC units, one per EIE processing element",
    "multipliers_per_dsp": "assumption: each MAC unit is built at the chosen precision (one multiplier and one adder)",
    "compute_efficiency": "assumption: every MAC unit busy every cycle (an upper bound)",
    "onchip_memory_kib": "assumption: 8 MiB of SRAM, the scale of EIE's on-chip weight memory",
    "onchip_bandwidth_bits_per_cycle": "assumption: 64 SRAM banks of 64-bit words, one access per bank per cycle",
    "onchip_energy_pj_per_bit": "Horowitz (ISSCC 2014): 32 KB SRAM, about 20 pJ per 64-bit access = 0.3125 pJ/bit (banked memory of 32 KB banks assumed)",
    "offchip_bandwidth_gbps": "assumption: one 32-bit LPDDR4-3200 channel = 12.8 GB/s = 102.4 Gbit/s",
    "offchip_energy_pj_per_bit": "Han et al. 2015 / Horowitz 2014: about 640 pJ per 32-bit DRAM access = 20 pJ/bit",
    "static_power_w": "assumption: leakage of a small 45 nm accelerator (about 10% of EIE's 600 mW would be 60 mW)",
    "energy_pj": "Horowitz (ISSCC 2014) 45 nm: 8-bit int add/mult 0.03/0.2 pJ, 32-bit float add/mult 0.9/3.7 pJ; 16-bit fixed is an assumption interpolated from the 8- and 32-bit integer figures (add linear in width: 0.05 pJ; mult quadratic in width: 0.8 pJ)"
  }
})json",
    R"json({
  "name": "asic-28nm",
  "kind": "asic",
  "description": "The asic-45nm datapath scaled to 28 nm at 1.2 GHz (PermDNN's node and clock)",
  "process_nm": 28,
  "clock_mhz": 1200,
  "dsp_blocks": 64,
  "multipliers_per_dsp": {"fixed8": 1, "fixed16": 1, "float32": 1},
  "compute_efficiency": 1.0,
  "onchip_memory_kib": 8192,
  "onchip_bandwidth_bits_per_cycle": 4096,
  "onchip_energy_pj_per_bit": 0.1944,
  "offchip_bandwidth_gbps": 102.4,
  "offchip_energy_pj_per_bit": 20,
  "static_power_w": 0.05,
  "energy_pj": {
    "fixed8": {"add": 0.01867, "mul": 0.1244},
    "fixed16": {"add": 0.03111, "mul": 0.4978},
    "float32": {"add": 0.56, "mul": 2.302}
  },
  "sources": {
    "name": "preset name",
    "kind": "an application-specific datapath",
    "description": "scaling rule stated in energy_pj",
    "process_nm": "PermDNN (MICRO 2018) is a 28 nm design",
    "clock_mhz": "PermDNN (MICRO 2018): 1.2 GHz in 28 nm",
    "dsp_blocks": "assumption: the same 64 MAC units as asic-45nm",
    "multipliers_per_dsp": "assumption: each MAC unit is built at the chosen precision (one multiplier and one adder)",
    "compute_efficiency": "assumption: every MAC unit busy every cycle (an upper bound)",
    "onchip_memory_kib": "assumption: the same 8 MiB of SRAM as asic-45nm",
    "onchip_bandwidth_bits_per_cycle": "assumption: 64 SRAM banks of 64-bit words, one access per bank per cycle",
    "onchip_energy_pj_per_bit": "asic-45nm value (0.3125 pJ/bit) x 0.6222, the scaling rule in energy_pj",
    "offchip_bandwidth_gbps": "assumption: one 32-bit LPDDR4-3200 channel = 12.8 GB/s = 102.4 Gbit/s",
    "offchip_energy_pj_per_bit": "assumption: DRAM interface energy does not scale with the logic node; 20 pJ/bit as at 45 nm",
    "static_power_w": "assumption: as asic-45nm (leakage per transistor rises while area falls)",
    "energy_pj": "scaling rule (assumption): dynamic energy = C V^2 with capacitance proportional to feature size and supply held at 0.9 V (voltage scaling has stalled), so E(28 nm) = E(45 nm) x 28/45 = 0.6222 x Horowitz's 45 nm figures"
  }
})json",
    R"json({
  "name": "cortex-a72",
  "kind": "cpu",
  "description": "ARM Cortex-A72 quad core at 1.5 GHz with 128-bit NEON (Raspberry Pi 4 / BCM2711 class), 48 GFLOP/s float32 peak",
  "process_nm": 28,
  "clock_mhz": 1500,
  "dsp_blocks": 4,
  "multipliers_per_dsp": {"fixed8": 16, "fixed16": 8, "float32": 4},
  "compute_efficiency": 0.5,
  "onchip_memory_kib": 1024,
  "onchip_bandwidth_bits_per_cycle": 512,
  "onchip_energy_pj_per_bit": 1.5625,
  "offchip_bandwidth_gbps": 102.4,
  "offchip_energy_pj_per_bit": 20,
  "static_power_w": 1.0,
  "energy_pj": {
    "fixed8": {"add": 15.625, "mul": 15.625},
    "fixed16": {"add": 31.25, "mul": 31.25},
    "float32": {"add": 62.5, "mul": 62.5}
  },
  "sources": {
    "name": "preset name",
    "kind": "an embedded CPU",
    "description": "peak = 4 cores x 4 float32 lanes x 2 FLOP (multiply-accumulate) x 1.5 GHz = 48 GFLOP/s",
    "process_nm": "BCM2711 is a 28 nm SoC",
    "clock_mhz": "Raspberry Pi 4: Cortex-A72 at 1.5 GHz",
    "dsp_blocks": "four Cortex-A72 cores (a 'block' is a core)",
    "multipliers_per_dsp": "assumption: one 128-bit NEON multiply-accumulate per core per cycle = 16 x 8-bit, 8 x 16-bit or 4 x float32 lanes",
    "compute_efficiency": "assumption: optimised FFT and GEMM kernels sustain about half of the NEON peak",
    "onchip_memory_kib": "the shared 1 MiB L2 cache (L1 not counted)",
    "onchip_bandwidth_bits_per_cycle": "assumption: each core loads one 128-bit vector per cycle",
    "onchip_energy_pj_per_bit": "Horowitz (ISSCC 2014): 1 MB SRAM, about 100 pJ per 64-bit access = 1.5625 pJ/bit (45 nm figure, not scaled)",
    "offchip_bandwidth_gbps": "Raspberry Pi 4: 32-bit LPDDR4-3200 = 12.8 GB/s = 102.4 Gbit/s",
    "offchip_energy_pj_per_bit": "Han et al. 2015 / Horowitz 2014: about 640 pJ per 32-bit DRAM access = 20 pJ/bit",
    "static_power_w": "assumption: idle power of the SoC of about 1 W",
    "energy_pj": "assumption: 3 W of dynamic power at full NEON load divided by the peak lane rate (96, 48, 24 G multiply-accumulates/s for 8, 16, 32 bit), split evenly between the multiply and the add; this includes instruction overheads, which is why it is far above the ASIC figures"
  }
})json",
};

std::vector<Platform> parsePresets()
{
    std::vector<Platform> out;
    for (const char* text : kPresetTexts) {
        const nlohmann::json j = nlohmann::json::parse(text);
        out.push_back(platformFromJson(j, "built-in preset '" + j.value("name", std::string("?")) + "'"));
    }
    return out;
}

std::string availableNames()
{
    std::string names;
    for (const PlatformListing& l : listPlatforms())
        names += (names.empty() ? "" : ", ") + l.name;
    return names;
}

} // namespace

const std::vector<Platform>& builtinPlatforms()
{
    static const std::vector<Platform> presets = parsePresets();
    return presets;
}

std::filesystem::path userPlatformDir()
{
    const char* dir = std::getenv("CIRCNN_PLATFORM_DIR");
    return dir && *dir ? std::filesystem::path(dir) : std::filesystem::path();
}

Platform findPlatform(const std::string& nameOrPath)
{
    if (nameOrPath.empty())
        throw ShapeError("no platform given (available: " + availableNames() + ")");
    const std::filesystem::path asPath(nameOrPath);
    std::error_code ec;
    if (std::filesystem::is_regular_file(asPath, ec) || asPath.extension() == ".json")
        return loadPlatform(asPath);
    if (const auto dir = userPlatformDir(); !dir.empty()) {
        const auto candidate = dir / (nameOrPath + ".json");
        if (std::filesystem::is_regular_file(candidate, ec))
            return loadPlatform(candidate);
    }
    for (const Platform& p : builtinPlatforms())
        if (p.name == nameOrPath)
            return p;
    throw Error("unknown platform '" + nameOrPath + "' (available: " + availableNames() +
                "; or give the path of a platform .json file)");
}

std::vector<PlatformListing> listPlatforms()
{
    std::vector<PlatformListing> out;
    for (const Platform& p : builtinPlatforms())
        out.push_back({p.name, "built-in", p.description});
    const auto dir = userPlatformDir();
    std::error_code ec;
    if (dir.empty() || !std::filesystem::is_directory(dir, ec))
        return out;
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
        if (entry.path().extension() == ".json")
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        try {
            const Platform p = loadPlatform(f);
            out.push_back({p.name, f.string(), p.description});
        } catch (const Error& e) {
            out.push_back({f.stem().string(), f.string(), std::string("unreadable: ") + e.what()});
        }
    }
    return out;
}

} // namespace circnn::hw
