#include "hw/EstimateJson.h"

#include <nlohmann/json.hpp>

namespace circnn::hw {

namespace {

nlohmann::ordered_json opsToJson(const OpCounts& o)
{
    return {{"mults", o.mults},
            {"adds", o.adds},
            {"real_macs", o.realMacs},
            {"fft_butterflies", o.fftButterflies},
            {"complex_macs", o.complexMacs},
            {"bias_adds", o.biasAdds},
            {"activation_ops", o.activationOps},
            {"pooling_ops", o.poolingOps},
            {"other_ops", o.otherOps},
            {"dense_equivalent_macs", o.denseEquivalentMacs}};
}

nlohmann::ordered_json energyToJson(const EnergyBreakdown& e)
{
    return {{"compute", e.computePj},
            {"onchip", e.onchipPj},
            {"offchip", e.offchipPj},
            {"static", e.staticPj},
            {"total", e.totalPj()}};
}

} // namespace

nlohmann::ordered_json designToJson(const DesignEstimate& d)
{
    nlohmann::ordered_json j;
    j["label"] = d.label;
    j["block_sizes"] = d.blockSizes;
    j["ops_per_frame"] = opsToJson(d.ops);
    j["weight_bits"] = d.weightBits;
    j["weight_bits_onchip"] = d.weightBitsOnChip;
    j["all_weights_onchip"] = d.allWeightsOnChip;
    j["activation_buffer_bits"] = d.activationBufferBits;
    j["activations_onchip"] = d.activationsOnChip;
    j["onchip_bits_per_frame"] = d.onchipBits;
    j["offchip_bits_per_frame"] = d.offchipBits;
    j["multipliers"] = d.multipliers;
    j["complex_mac_units"] = d.complexMacUnits;
    j["peak_gops"] = d.peakGops;
    j["cycles_per_batch"] = d.cycles;
    j["latency_s"] = d.latencyS;
    j["frames_per_s"] = d.framesPerSecond;
    j["effective_gops"] = d.effectiveGops;
    j["actual_gops"] = d.actualGops;
    j["energy_pj_per_frame"] = energyToJson(d.energy);
    j["power_w"] = d.powerW;
    j["frames_per_joule"] = d.framesPerJoule;
    j["compute_utilisation"] = d.computeUtilisation;
    j["onchip_memory_utilisation"] = d.onchipMemoryUtilisation;
    j["bound"] = boundName(d.bound);
    nlohmann::ordered_json layers = nlohmann::ordered_json::array();
    for (const LayerEstimate& l : d.layers) {
        nlohmann::ordered_json lj;
        lj["name"] = l.name;
        lj["kind"] = l.kind;
        lj["k"] = l.blockSize;
        lj["has_weights"] = l.hasWeights;
        if (!l.note.empty())
            lj["note"] = l.note;
        lj["ops_per_frame"] = opsToJson(l.ops);
        lj["weight_bits"] = l.weightBits;
        lj["weight_bits_onchip"] = l.weightBitsOnChip;
        lj["weights_onchip"] = l.weightsOnChip;
        lj["activation_bits_per_frame"] = l.activationBits;
        lj["onchip_bits_per_frame"] = l.onchipBits;
        lj["offchip_bits_per_frame"] = l.offchipBits;
        lj["compute_cycles"] = l.computeCycles;
        lj["onchip_cycles"] = l.onchipCycles;
        lj["offchip_cycles"] = l.offchipCycles;
        lj["cycles_per_batch"] = l.cycles;
        lj["bound"] = boundName(l.bound);
        lj["latency_s"] = l.latencyS;
        lj["energy_pj_per_frame"] = energyToJson(l.energy);
        layers.push_back(std::move(lj));
    }
    j["layers"] = std::move(layers);
    return j;
}

nlohmann::ordered_json estimateToJson(const Estimate& e)
{
    nlohmann::ordered_json j;
    j["schema"] = "circnn.estimate/1";
    j["kind"] = "estimate";
    j["model"] = e.model;
    j["platform"] = e.platform;
    j["platform_kind"] = e.platformKind;
    j["precision"] = precisionKey(e.precision);
    j["precision_bits"] = precisionBits(e.precision);
    j["batch"] = e.batch;
    j["speedup"] = e.speedup;
    j["energy_efficiency_gain"] = e.energyEfficiencyGain;
    j["storage_reduction"] = e.storageReduction;
    j["dense"] = designToJson(e.dense);
    j["block_circulant"] = designToJson(e.circulant);
    j["warnings"] = e.warnings;
    j["assumptions"] = e.assumptions;
    return j;
}

} // namespace circnn::hw
