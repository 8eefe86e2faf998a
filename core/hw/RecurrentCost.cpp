#include "hw/RecurrentCost.h"

#include <algorithm>
#include <cmath>

#include "hw/Estimator.h"
#include "model/RecurrentKinds.h"

namespace circnn::hw {

namespace {

double ceilDiv(std::int64_t a, std::int64_t b)
{
    return static_cast<double>((a + b - 1) / b);
}

struct Dims {
    double steps = 0, n = 0, u = 0, g = 0;
};

Dims dims(const LayerSpec& l, const Shape& in)
{
    Dims d;
    d.steps = in.size() == 2 ? static_cast<double>(in[0]) : 0;
    d.n = in.size() == 2 ? static_cast<double>(in[1]) : 0;
    d.u = static_cast<double>(l.units);
    d.g = static_cast<double>(recurrentGateCount(l.kind)) * d.u;
    return d;
}

} // namespace

OpCounts recurrentOps(const LayerSpec& l, const Shape& in, std::int64_t k)
{
    OpCounts c;
    const Dims d = dims(l, in);
    c.denseEquivalentMacs = d.steps * d.g * (d.n + d.u);
    if (k <= 1) {
        c.realMacs = c.denseEquivalentMacs;
        c.mults += c.realMacs;
        c.adds += c.realMacs;
    } else {
        const double p = ceilDiv(static_cast<std::int64_t>(d.g), k);
        const double qW = ceilDiv(static_cast<std::int64_t>(d.n), k), qU = ceilDiv(l.units, k);
        const double bins = static_cast<double>(k / 2 + 1);
        c.fftButterflies = d.steps * (qW + qU + p) * realFftButterflies(k);
        c.complexMacs = d.steps * p * (qW + qU) * bins;
        c.mults += 4 * c.fftButterflies + 4 * c.complexMacs;
        c.adds += 6 * c.fftButterflies + 4 * c.complexMacs;
    }
    if (l.useBias) { // input bias, and the recurrent bias of a GRU with reset_after
        c.biasAdds = d.steps * d.g * (l.kind == LayerKind::GRU && l.resetAfter ? 2 : 1);
        c.adds += c.biasAdds;
    }
    // Gate arithmetic per unit and step (traits table); an activation evaluation is a
    // piecewise-linear segment: 1 multiply + 1 add.
    const GateArithmetic& g = layerTraits(l.kind).gateArithmetic;
    const double mul = g.multiplies, add = g.adds, acts = g.activations;
    c.mults += d.steps * d.u * (mul + acts);
    c.adds += d.steps * d.u * (add + acts);
    c.activationOps = d.steps * d.u * (mul + add + 2 * acts);
    return c;
}

double recurrentWeightCount(const LayerSpec& l, const Shape& in, std::int64_t k)
{
    const Dims d = dims(l, in);
    const double bias = l.useBias ? d.g * (l.kind == LayerKind::GRU && l.resetAfter ? 2 : 1) : 0.0;
    if (k <= 1)
        return d.g * (d.n + d.u) + bias;
    const double p = ceilDiv(static_cast<std::int64_t>(d.g), k);
    return p * (ceilDiv(static_cast<std::int64_t>(d.n), k) + ceilDiv(l.units, k)) * static_cast<double>(k) + bias;
}

double recurrentSpectraValues(const LayerSpec& l, const Shape& in, std::int64_t k)
{
    if (k <= 1)
        return 0;
    const Dims d = dims(l, in);
    const double vectors =
        ceilDiv(static_cast<std::int64_t>(d.n), k) + ceilDiv(l.units, k) + ceilDiv(static_cast<std::int64_t>(d.g), k);
    return d.steps * vectors * 2.0 * static_cast<double>(k / 2 + 1);
}

double recurrentStateWeightCount(const LayerSpec& l, std::int64_t k)
{
    const double g = static_cast<double>(recurrentGateCount(l.kind) * l.units);
    if (k <= 1)
        return g * static_cast<double>(l.units);
    return ceilDiv(static_cast<std::int64_t>(g), k) * ceilDiv(l.units, k) * static_cast<double>(k);
}

void recurrentWeightTraffic(double weightBits, double weightBitsOnChip, double stateBits, double steps, double& onchip,
                            double& offchip)
{
    const double off = weightBits - weightBitsOnChip;
    const double stateOff = std::max(0.0, off - (weightBits - stateBits)); // U streams only when W and bias do
    const double stateOn = stateBits - stateOff;
    onchip = (weightBitsOnChip - stateOn) + stateOn * steps;
    offchip = (off - stateOff) + stateOff * steps;
}

double recurrentStepDepth(const LayerSpec& l, std::int64_t k)
{
    constexpr double kGateAndUpdate = 5; // activation segment (2) + state update multiply-adds (3)
    if (k <= 1)
        return 1 + std::ceil(std::log2(std::max<double>(2, static_cast<double>(l.units)))) + kGateAndUpdate;
    const double stages = std::log2(static_cast<double>(k));
    const double blocks = ceilDiv(l.units, k);
    return 2 * stages + 1 + std::ceil(std::log2(std::max(2.0, blocks))) + kGateAndUpdate;
}

} // namespace circnn::hw
