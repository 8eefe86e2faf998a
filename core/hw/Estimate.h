#pragma once
// Results of the hardware cost model: plain values. Every figure is an ESTIMATE from the formulas
// in docs/hardware-model.md; `assumptions` lists them in words for display next to the numbers.
// Units are in the member names or comments: operation counts and bits are per frame (one input
// sample), cycles and latency per batch, energy in picojoules per frame.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "hw/Platform.h"

namespace circnn::hw {

// What limits a layer (for a design: the bound that accounts for most of its cycles).
enum class Bound { Compute, OnchipMemory, OffchipBandwidth };
const char* boundName(Bound b); // "compute", "on-chip memory", "off-chip bandwidth"

// Operation counts per frame. mults/adds are all real arithmetic the datapath performs (adds
// include subtracts and compares); the other members break them down.
struct OpCounts {
    double mults = 0;
    double adds = 0;
    double realMacs = 0;       // dense multiply-accumulates (1 mul + 1 add each)
    double fftButterflies = 0; // radix-2 butterflies in forward and inverse real FFTs (4 mul + 6 add each)
    double complexMacs = 0;    // frequency-domain complex multiply-accumulates (4 mul + 4 add each)
    double biasAdds = 0;
    double activationOps = 0;       // mults + adds spent in activation functions and batch-norm
    double poolingOps = 0;          // adds/compares (+ 1 mul for averages) in pooling
    double otherOps = 0;            // element-wise adds of Add layers
    double denseEquivalentMacs = 0; // MACs of the same layer dense (what "effective" GOP/s counts)

    double total() const { return mults + adds; }
    OpCounts& operator+=(const OpCounts& o);
};

// Energy per frame in picojoules.
struct EnergyBreakdown {
    double computePj = 0;
    double onchipPj = 0;
    double offchipPj = 0;
    double staticPj = 0;
    double totalPj() const { return computePj + onchipPj + offchipPj + staticPj; }
    EnergyBreakdown& operator+=(const EnergyBreakdown& o);
};

struct LayerEstimate {
    std::string name;
    std::string kind;           // Keras class name ("Dense", "Conv2D", ...)
    std::int64_t blockSize = 1; // 1 = dense (also for layers without weights)
    bool hasWeights = false;
    std::string note; // why a layer stayed dense, etc. (empty if nothing to say)

    OpCounts ops;                // per frame
    double weightBits = 0;       // stored weights + biases (block-circulant: spectra, p·q·k reals per tap)
    double weightBitsOnChip = 0; // the part pinned on chip; the rest streams from DRAM once per batch
    bool weightsOnChip = true;   // all of the layer's weights are on chip
    double activationBits = 0;   // input + output of the layer per frame
    double onchipBits = 0;       // on-chip memory traffic per frame (reads + writes)
    double offchipBits = 0;      // DRAM traffic per frame

    double computeCycles = 0; // per batch
    double onchipCycles = 0;  // per batch
    double offchipCycles = 0; // per batch
    double cycles = 0;        // max of the three
    Bound bound = Bound::Compute;
    double latencyS = 0;    // per batch, seconds
    EnergyBreakdown energy; // per frame
};

// One configuration (all dense, or with block sizes applied) on one platform.
struct DesignEstimate {
    std::string label;                              // "dense" or "block-circulant k=8" ...
    std::map<std::string, std::int64_t> blockSizes; // layer name → k for the block-circulant layers
    std::vector<LayerEstimate> layers;

    OpCounts ops; // per frame, all layers
    double weightBits = 0;
    double weightBitsOnChip = 0;
    double activationBufferBits = 0; // reserved on chip for the largest layer's input + output (× batch)
                                     // when it fits; weights then fill the rest in model order
    bool activationsOnChip = true;
    bool allWeightsOnChip = true;
    double onchipBits = 0, offchipBits = 0; // per frame

    double multipliers = 0;     // parallel multipliers (processing elements) from the resource budget
    double complexMacUnits = 0; // multipliers / 4: complex MACs per cycle in frequency-domain stages
    double peakGops = 0;        // 2 · multipliers · clock · efficiency, 1e9 op/s
    double cycles = 0;          // per batch
    double latencyS = 0;        // per batch (layers run one after another)
    double framesPerSecond = 0;
    double effectiveGops = 0; // 2 · dense-equivalent MACs · frames/s (what papers call dense-equivalent)
    double actualGops = 0;    // (mults + adds) actually performed · frames/s
    EnergyBreakdown energy;   // per frame
    double powerW = 0;        // energy per frame · frames per second
    double framesPerJoule = 0;
    double computeUtilisation = 0;      // compute cycles / total cycles (0..1)
    double onchipMemoryUtilisation = 0; // (pinned weights + activation buffer) / on-chip capacity
    Bound bound = Bound::Compute;       // the bound that accounts for most cycles
};

struct Estimate {
    std::string platform;
    std::string platformKind;
    Precision precision = Precision::Fixed16;
    std::int64_t batch = 1;
    std::string model;

    DesignEstimate dense;            // every layer dense
    DesignEstimate circulant;        // with block sizes applied (equals dense when none apply)
    double speedup = 1;              // dense latency / block-circulant latency
    double energyEfficiencyGain = 1; // dense energy per frame / block-circulant energy per frame
    double storageReduction = 1;     // dense weight bits / block-circulant weight bits

    std::vector<std::string> warnings;
    std::vector<std::string> assumptions;
};

} // namespace circnn::hw
