#include "hw/Estimator.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <sstream>

#include "common/Error.h"
#include "hw/AttentionCost.h"
#include "hw/RecurrentCost.h"
#include "model/LayerShapeRules.h"
#include "model/LayerTraits.h"
#include "model/ShapeInference.h"

namespace circnn::hw {

namespace {

std::int64_t ceilDiv(std::int64_t a, std::int64_t b)
{
    return (a + b - 1) / b;
}

const Shape* inputShape(const ModelSpec& spec, const LayerSpec& l)
{
    if (l.inputs.empty())
        return nullptr;
    const LayerSpec* src = spec.find(l.inputs.front());
    return src ? &src->outputShape : nullptr;
}

double elements(const Shape* s)
{
    return s ? static_cast<double>(shapeSize(*s)) : 0.0;
}

// Multiplies and adds per output element of an activation function (see docs/hardware-model.md:
// transcendental functions are piecewise-linear approximations: a segment lookup and a multiply-add).
void activationCost(ActivationKind a, double& mul, double& add)
{
    mul = add = 0;
    switch (a) {
    case ActivationKind::Linear:
        break;
    case ActivationKind::Relu:
        add = 1;
        break; // one compare
    case ActivationKind::Relu6:
        add = 2;
        break; // two compares
    case ActivationKind::LeakyRelu:
        mul = 1;
        add = 1;
        break;
    case ActivationKind::Sigmoid:
    case ActivationKind::HardSigmoid:
    case ActivationKind::HardSigmoidKeras2:
    case ActivationKind::Tanh:
        mul = 1;
        add = 1;
        break;
    case ActivationKind::Elu:
    case ActivationKind::Selu:
        mul = 1;
        add = 2;
        break; // compare + multiply-add
    case ActivationKind::Swish:
    case ActivationKind::Gelu:
        mul = 2;
        add = 1;
        break; // sigmoid-like segment, then × x
    case ActivationKind::Softmax:
        mul = 2;
        add = 2;
        break; // exp segment, running sum, × 1/sum
    }
}

std::string fmt(double v)
{
    std::ostringstream os;
    os << v;
    return os.str();
}

bool isPowerOfTwo(std::int64_t k)
{
    return k > 0 && (k & (k - 1)) == 0;
}

} // namespace

const char* boundName(Bound b)
{
    switch (b) {
    case Bound::Compute:
        return "compute";
    case Bound::OnchipMemory:
        return "on-chip memory";
    case Bound::OffchipBandwidth:
        return "off-chip bandwidth";
    }
    return "?";
}

OpCounts& OpCounts::operator+=(const OpCounts& o)
{
    mults += o.mults;
    adds += o.adds;
    realMacs += o.realMacs;
    fftButterflies += o.fftButterflies;
    complexMacs += o.complexMacs;
    biasAdds += o.biasAdds;
    activationOps += o.activationOps;
    poolingOps += o.poolingOps;
    otherOps += o.otherOps;
    denseEquivalentMacs += o.denseEquivalentMacs;
    return *this;
}

EnergyBreakdown& EnergyBreakdown::operator+=(const EnergyBreakdown& o)
{
    computePj += o.computePj;
    onchipPj += o.onchipPj;
    offchipPj += o.offchipPj;
    staticPj += o.staticPj;
    return *this;
}

double realFftButterflies(std::int64_t k)
{
    if (k <= 1)
        return 0;
    return static_cast<double>(k) / 4.0 * std::log2(static_cast<double>(k));
}

OpCounts layerOps(const ModelSpec& spec, const LayerSpec& l, std::int64_t k)
{
    OpCounts c;
    const Shape* in = inputShape(spec, l);
    const double outElems = static_cast<double>(shapeSize(l.outputShape));
    auto addActivation = [&](ActivationKind a) {
        double mul = 0, add = 0;
        activationCost(a, mul, add);
        c.mults += mul * outElems;
        c.adds += add * outElems;
        c.activationOps += (mul + add) * outElems;
    };
    const CostClass cost = layerTraits(l.kind).cost;
    if (cost == CostClass::Matmul || cost == CostClass::Transposed) {
        // Conv2DTranspose (Transposed): every INPUT position meets every tap and the products are
        // scattered into the output; block-circulant, each input position's q blocks are
        // transformed once and products accumulate in the frequency domain per output position
        // (one inverse FFT per output block), as for Conv2D.
        const bool conv = l.kind != LayerKind::Dense;               // Conv2D, Conv1D: taps = kernelH·kernelW
        const std::int64_t n = in && !in->empty() ? in->back() : 0; // input features / C_in
        const std::int64_t m = l.units;                             // output features / C_out
        const double taps = conv ? static_cast<double>(l.kernelH * l.kernelW) : 1.0;
        // Output vectors per frame (Dense: rows of a rank>1 input; Conv2D: output positions) and
        // input vectors (Conv2D: input positions, each FFT'd once and reused by every tap).
        const double outVectors = m > 0 ? outElems / static_cast<double>(m) : 0;
        const double inVectors = conv ? (n > 0 ? elements(in) / static_cast<double>(n) : 0) : outVectors;
        const double productVectors = cost == CostClass::Transposed ? inVectors : outVectors; // matrix products
        c.denseEquivalentMacs = static_cast<double>(layerStats(spec, l).macs);
        if (k <= 1) {
            c.realMacs = productVectors * taps * static_cast<double>(n) * static_cast<double>(m);
            c.mults += c.realMacs;
            c.adds += c.realMacs;
        } else {
            const auto p = static_cast<double>(ceilDiv(m, k));
            const auto q = static_cast<double>(ceilDiv(n, k));
            const auto bins = static_cast<double>(k / 2 + 1);
            c.fftButterflies = (inVectors * q + outVectors * p) * realFftButterflies(k);
            c.complexMacs = productVectors * taps * p * q * bins;
            c.mults += 4 * c.fftButterflies + 4 * c.complexMacs;
            c.adds += 6 * c.fftButterflies + 4 * c.complexMacs;
        }
        if (l.useBias) {
            c.biasAdds = outElems;
            c.adds += outElems;
        }
        addActivation(l.activation);
    } else if (cost == CostClass::Recurrent) {
        if (in)
            c = recurrentOps(l, *in, k);
    } else if (cost == CostClass::Attention) {
        c = attentionOps(spec, l, k);
    } else if (cost == CostClass::Depthwise) { // per output element: kh·kw multiply-adds, always dense
        c.denseEquivalentMacs = static_cast<double>(layerStats(spec, l).macs);
        c.realMacs = c.denseEquivalentMacs;
        c.mults += c.realMacs;
        c.adds += c.realMacs;
        if (l.useBias) {
            c.biasAdds = outElems;
            c.adds += outElems;
        }
        addActivation(l.activation);
    } else if (cost == CostClass::Activation) {
        addActivation(l.activation);
    } else if (cost == CostClass::Affine) { // folded to one multiply-add per element
        c.mults += outElems;
        c.adds += outElems;
        c.activationOps += 2 * outElems;
    } else if (cost == CostClass::Normalize) {
        // Per element: 1 add (mean), 1 sub + 1 mul + 1 add (variance), 1 sub + 1 mul (normalise),
        // 1 mul + 1 add (gamma, beta); per group a reciprocal square root, not counted.
        c.mults += 3 * outElems;
        c.adds += 4 * outElems;
        c.otherOps = 7 * outElems;
    } else if (cost == CostClass::Pooling || cost == CostClass::GlobalPooling) {
        const bool global = cost == CostClass::GlobalPooling;
        const bool average = l.kind == LayerKind::AveragePooling2D || l.kind == LayerKind::GlobalAveragePooling2D ||
                             l.kind == LayerKind::AveragePooling1D || l.kind == LayerKind::GlobalAveragePooling1D;
        const double window = global ? (in && in->size() >= 2 ? static_cast<double>(shapeSize(*in) / in->back()) : 0)
                                     : static_cast<double>(l.kernelH * l.kernelW);
        const double adds = std::max(0.0, window - 1) * outElems;
        const double mults = average ? outElems : 0;
        c.adds += adds;
        c.mults += mults;
        c.poolingOps = adds + mults;
    } else if (cost == CostClass::Resize) { // nearest: addressing only; bilinear: 3 lerps (1 mul, 2 adds)
        if (l.bilinear) {
            c.mults += 3 * outElems;
            c.adds += 6 * outElems;
            c.otherOps = 9 * outElems;
        }
    } else if (cost == CostClass::Product || cost == CostClass::Compare || cost == CostClass::Mean) {
        const double extra = static_cast<double>(std::max<std::size_t>(l.inputs.size(), 1) - 1) * outElems;
        (cost == CostClass::Product ? c.mults : c.adds) += extra;
        const double scale = cost == CostClass::Mean ? outElems : 0; // × 1/inputs
        c.mults += scale;
        c.otherOps = extra + scale;
    } else if (cost == CostClass::Mask) { // compare with mask_value, zero masked steps
        c.adds += outElems;
        c.mults += outElems;
        c.otherOps = 2 * outElems;
    } else if (cost == CostClass::Elementwise) {
        const double extra = static_cast<double>(std::max<std::size_t>(l.inputs.size(), 1) - 1) * outElems;
        c.adds += extra;
        c.otherOps = extra;
    } // CostClass::Free (Input, Flatten, Reshape, ZeroPadding2D, Dropout, Concatenate): addressing only
    return c;
}

double layerWeightCount(const ModelSpec& spec, const LayerSpec& l, std::int64_t k)
{
    const Shape* in = inputShape(spec, l);
    const CostClass cost = layerTraits(l.kind).cost;
    if (cost == CostClass::Matmul || cost == CostClass::Transposed) {
        const std::int64_t n = in && !in->empty() ? in->back() : 0;
        const std::int64_t m = l.units;
        const double taps = l.kind != LayerKind::Dense ? static_cast<double>(l.kernelH * l.kernelW) : 1.0;
        const double bias = l.useBias ? static_cast<double>(m) : 0.0;
        if (k <= 1)
            return taps * static_cast<double>(n) * static_cast<double>(m) + bias;
        return taps * static_cast<double>(ceilDiv(m, k) * ceilDiv(n, k) * k) + bias;
    }
    if (cost == CostClass::Recurrent)
        return in ? recurrentWeightCount(l, *in, k) : 0.0;
    if (cost == CostClass::Attention)
        return attentionWeightCount(spec, l, k);
    if (cost == CostClass::Depthwise)
        return static_cast<double>(layerStats(spec, l).parameters);
    if (cost == CostClass::Normalize) { // gamma and beta over the normalised axes
        if (!in || in->empty())
            return 0.0;
        double params = 1;
        for (std::int64_t a : shape_rules::normalisedAxes(l, in->size()))
            params *= static_cast<double>((*in)[static_cast<std::size_t>(a)]);
        return params * ((l.scale ? 1 : 0) + (l.center ? 1 : 0));
    }
    if (cost == CostClass::Affine) // per-channel scale and offset (Rescaling: one of each)
        return l.kind == LayerKind::Rescaling
                   ? 2.0
                   : 2.0 * (l.outputShape.empty() ? 0.0 : static_cast<double>(l.outputShape.back()));
    return 0;
}

DesignEstimate estimateDesign(const ModelSpec& spec, const Platform& platform, Precision precision, std::int64_t batch,
                              const std::map<std::string, std::int64_t>& blockSizes,
                              const std::map<std::string, std::string>& notes)
{
    if (batch < 1)
        throw ShapeError("batch size " + std::to_string(batch) + " must be at least 1");
    validatePlatform(platform, "'" + platform.name + "'");
    const double bits = precisionBits(precision);
    const double clockHz = platform.clockMhz * 1e6;
    const double multipliers = platform.multipliers(precision);
    const double capacityBits = platform.onchipMemoryKib * 1024.0 * 8.0;
    const OpEnergy& e = platform.energy(precision);
    const double b = static_cast<double>(batch);

    DesignEstimate d;
    d.blockSizes = blockSizes;
    d.multipliers = multipliers;
    d.complexMacUnits = multipliers / 4.0;
    d.peakGops = 2.0 * multipliers * clockHz * platform.computeEfficiency / 1e9;
    if (blockSizes.empty()) {
        d.label = "dense";
    } else {
        std::set<std::int64_t> ks;
        for (const auto& [name, k] : blockSizes)
            ks.insert(k);
        std::string list;
        for (std::int64_t k : ks) {
            if (!list.empty())
                list.push_back('/');
            list.append(std::to_string(k));
        }
        d.label = "block-circulant k=" + list;
    }

    // Pass 1: per-layer ops, weights and activation traffic; the activation buffer.
    for (const LayerSpec& l : spec.layers) {
        LayerEstimate le;
        le.name = l.name;
        le.kind = layerKindName(l.kind);
        le.hasWeights = layerTraits(l.kind).convertible; // Dense, convolutions, recurrent layers
        if (auto it = blockSizes.find(l.name); it != blockSizes.end() && le.hasWeights)
            le.blockSize = std::max<std::int64_t>(1, it->second);
        if (auto it = notes.find(l.name); it != notes.end())
            le.note = it->second;
        le.ops = layerOps(spec, l, le.blockSize);
        le.weightBits = layerWeightCount(spec, l, le.blockSize) * bits;
        if (le.ops.total() > 0) { // layers that compute read their inputs and write their output
            double inElems = 0;
            for (const std::string& name : l.inputs)
                if (const LayerSpec* src = spec.find(name))
                    inElems += static_cast<double>(shapeSize(src->outputShape));
            le.activationBits = (inElems + static_cast<double>(shapeSize(l.outputShape))) * bits;
        }
        d.activationBufferBits = std::max(d.activationBufferBits, le.activationBits * b);
        d.layers.push_back(std::move(le));
    }

    // Pass 2: placement. Activation buffer first, then weights pinned in model order while they fit.
    double free = capacityBits;
    d.activationsOnChip = d.activationBufferBits <= free;
    if (d.activationsOnChip)
        free -= d.activationBufferBits;
    for (LayerEstimate& le : d.layers) {
        if (le.weightBits <= 0)
            continue;
        // A layer that does not fit whole keeps what fits (tiles) on chip: the DRAM traffic is the
        // total minus the capacity whatever the order.
        le.weightBitsOnChip = std::min(le.weightBits, free);
        le.weightsOnChip = le.weightBitsOnChip >= le.weightBits;
        free -= le.weightBitsOnChip;
        d.weightBitsOnChip += le.weightBitsOnChip;
        d.allWeightsOnChip = d.allWeightsOnChip && le.weightsOnChip;
        d.weightBits += le.weightBits;
    }

    // Pass 3: traffic, cycles, energy.
    double computeCyclesTotal = 0;
    double boundCycles[3] = {0, 0, 0};
    for (std::size_t i = 0; i < d.layers.size(); ++i) {
        LayerEstimate& le = d.layers[i];
        const LayerSpec& l = spec.layers[i];
        const bool recurrent = layerTraits(l.kind).cost == CostClass::Recurrent;
        if (const Shape* in = recurrent ? inputShape(spec, l) : nullptr; in && in->size() == 2) {
            // U is read every time step (hw/RecurrentCost.h), by the whole batch at once.
            double onchip = 0, offchip = 0;
            recurrentWeightTraffic(le.weightBits, le.weightBitsOnChip,
                                   recurrentStateWeightCount(l, le.blockSize) * bits, static_cast<double>((*in)[0]),
                                   onchip, offchip);
            le.onchipBits += onchip / b;
            le.offchipBits += offchip / b;
        } else {
            le.onchipBits += le.weightBitsOnChip / b;
            le.offchipBits += (le.weightBits - le.weightBitsOnChip) / b;
        }
        (d.activationsOnChip ? le.onchipBits : le.offchipBits) += le.activationBits;
        if (le.blockSize > 1 && recurrent) {
            if (const Shape* in = inputShape(spec, l))
                le.onchipBits += 2.0 * recurrentSpectraValues(l, *in, le.blockSize) * bits;
        } else if (le.blockSize > 1 && layerTraits(l.kind).cost == CostClass::Attention) {
            // The four projections' spectra, each complex value (2 numbers) written once, read once.
            le.onchipBits += 2.0 * 2.0 * attentionSpectraValues(spec, l, le.blockSize) * bits;
        } else if (le.blockSize > 1) {
            // Spectra: every FFT'd vector's k/2+1 complex bins written once and read once.
            const Shape* in = inputShape(spec, l);
            const std::int64_t n = in && !in->empty() ? in->back() : 0;
            const double outVectors = static_cast<double>(shapeSize(l.outputShape)) / static_cast<double>(l.units);
            const double inVectors =
                l.kind != LayerKind::Dense && n > 0 ? elements(in) / static_cast<double>(n) : outVectors;
            const double spectra = (inVectors * static_cast<double>(ceilDiv(n, le.blockSize)) +
                                    outVectors * static_cast<double>(ceilDiv(l.units, le.blockSize))) *
                                   2.0 * static_cast<double>(le.blockSize / 2 + 1);
            le.onchipBits += 2.0 * spectra * bits;
        }
        le.computeCycles = b * std::max(le.ops.mults, le.ops.adds) / (multipliers * platform.computeEfficiency);
        if (recurrent) { // time steps run one after another: at least steps × the step's dependent chain
            const Shape* in = inputShape(spec, l);
            const double steps = in && in->size() == 2 ? static_cast<double>((*in)[0]) : 0;
            le.computeCycles = std::max(le.computeCycles, steps * recurrentStepDepth(l, le.blockSize));
        }
        le.onchipCycles = b * le.onchipBits / platform.onchipBandwidthBitsPerCycle;
        le.offchipCycles = b * le.offchipBits / (platform.offchipBandwidthGbps * 1e9) * clockHz;
        le.cycles = le.computeCycles;
        le.bound = Bound::Compute;
        if (le.onchipCycles > le.cycles) {
            le.cycles = le.onchipCycles;
            le.bound = Bound::OnchipMemory;
        }
        if (le.offchipCycles > le.cycles) {
            le.cycles = le.offchipCycles;
            le.bound = Bound::OffchipBandwidth;
        }
        le.latencyS = le.cycles / clockHz;
        le.energy.computePj = le.ops.mults * e.mulPj + le.ops.adds * e.addPj;
        le.energy.onchipPj = le.onchipBits * platform.onchipEnergyPjPerBit;
        le.energy.offchipPj = le.offchipBits * platform.offchipEnergyPjPerBit;
        le.energy.staticPj = platform.staticPowerW * le.latencyS / b * 1e12;

        d.ops += le.ops;
        d.onchipBits += le.onchipBits;
        d.offchipBits += le.offchipBits;
        d.cycles += le.cycles;
        d.energy += le.energy;
        computeCyclesTotal += le.computeCycles;
        boundCycles[static_cast<int>(le.bound)] += le.cycles;
    }
    d.latencyS = d.cycles / clockHz;
    d.framesPerSecond = d.latencyS > 0 ? b / d.latencyS : 0;
    d.effectiveGops = 2.0 * d.ops.denseEquivalentMacs * d.framesPerSecond / 1e9;
    d.actualGops = d.ops.total() * d.framesPerSecond / 1e9;
    d.powerW = d.energy.totalPj() * 1e-12 * d.framesPerSecond;
    d.framesPerJoule = d.energy.totalPj() > 0 ? 1e12 / d.energy.totalPj() : 0;
    d.computeUtilisation = d.cycles > 0 ? computeCyclesTotal / d.cycles : 0;
    d.onchipMemoryUtilisation =
        capacityBits > 0 ? (d.weightBitsOnChip + (d.activationsOnChip ? d.activationBufferBits : 0)) / capacityBits : 0;
    d.bound = Bound::Compute;
    for (int bIdx = 1; bIdx < 3; ++bIdx)
        if (boundCycles[bIdx] > boundCycles[static_cast<int>(d.bound)])
            d.bound = static_cast<Bound>(bIdx);
    return d;
}

Estimate estimateModel(const ModelSpec& specIn, const Platform& platform, const EstimateOptions& options)
{
    if (options.batch < 1)
        throw ShapeError("batch size " + std::to_string(options.batch) + " must be at least 1");
    // Shapes are all the estimate needs. A model read from a file or built from an architecture has
    // them already: copying it (weights included: 100 MB for a large model, once per platform and
    // configuration) only to infer them again kept a core busy for seconds after opening a model.
    std::optional<ModelSpec> inferred;
    if (std::any_of(specIn.layers.begin(), specIn.layers.end(),
                    [](const LayerSpec& l) { return l.outputShape.empty(); })) {
        inferred = specIn;
        inferShapes(*inferred, /*checkWeights=*/false);
    }
    const ModelSpec& spec = inferred ? *inferred : specIn;

    Estimate est;
    est.platform = platform.name;
    est.platformKind = platformKindName(platform.kind);
    est.precision = options.precision;
    est.batch = options.batch;
    est.model = spec.name;

    std::map<std::string, std::string> notes;
    const auto blockSizes = resolveBlockSizes(spec, options.blocks, est.warnings, notes);
    est.dense = estimateDesign(spec, platform, options.precision, options.batch, {}, {});
    est.circulant = estimateDesign(spec, platform, options.precision, options.batch, blockSizes, notes);
    if (est.circulant.latencyS > 0)
        est.speedup = est.dense.latencyS / est.circulant.latencyS;
    if (est.circulant.energy.totalPj() > 0)
        est.energyEfficiencyGain = est.dense.energy.totalPj() / est.circulant.energy.totalPj();
    if (est.circulant.weightBits > 0)
        est.storageReduction = est.dense.weightBits / est.circulant.weightBits;

    // Warnings: what a reader should know before trusting a figure.
    if (blockSizes.empty() && options.blocks.defaultBlockSize > 1)
        est.warnings.push_back("no layer could take k = " + std::to_string(options.blocks.defaultBlockSize) +
                               ": the block-circulant design equals the dense one");
    for (const auto& [name, k] : blockSizes)
        if (!isPowerOfTwo(k)) {
            est.warnings.push_back("layer '" + name + "': k = " + std::to_string(k) +
                                   " is not a power of two; FFT cost uses the radix-2 formula per point "
                                   "(mixed-radix FFTs cost somewhat more)");
        }
    for (const DesignEstimate* d : {&est.dense, &est.circulant}) {
        if (!d->activationsOnChip)
            est.warnings.push_back(d->label + ": the activation buffer (" + fmt(d->activationBufferBits / 8192.0) +
                                   " KiB) does not fit on chip (" + fmt(platform.onchipMemoryKib) +
                                   " KiB); activations go to DRAM");
        if (!d->allWeightsOnChip)
            est.warnings.push_back(d->label + ": weights of " + fmt(d->weightBits / 8192.0) +
                                   " KiB do not all fit on chip (" + fmt(platform.onchipMemoryKib) + " KiB); " +
                                   fmt((d->weightBits - d->weightBitsOnChip) / 8192.0) +
                                   " KiB stream from DRAM once per batch (a recurrent matrix: every time step)");
    }
    for (const char* field : platformFieldNames())
        if (!platform.sources.count(field))
            est.warnings.push_back(std::string("platform '") + platform.name + "': field \"" + field +
                                   "\" states no source (treat it as an assumption)");

    // Assumptions in words, with this platform's numbers.
    const std::string prec = std::string(precisionKey(options.precision)) + " (" +
                             std::to_string(precisionBits(options.precision)) + "-bit" +
                             (options.precision == Precision::Float32 ? " float" : " fixed point") + ")";
    auto& a = est.assumptions;
    a.push_back("All figures are estimates from an analytical model (docs/hardware-model.md), not measurements.");
    a.push_back("Precision " + prec + " for weights, activations and arithmetic; batch " +
                std::to_string(options.batch) + ".");
    a.push_back("One datapath of " + fmt(est.dense.multipliers) + " multipliers (" + fmt(platform.dspBlocks) +
                " blocks x " + fmt(platform.multipliersPerDsp[static_cast<int>(options.precision)]) +
                "), each paired with an adder, at " + fmt(platform.clockMhz) + " MHz and " +
                fmt(platform.computeEfficiency * 100) +
                "% efficiency; layers run one after another, each using "
                "the whole datapath.");
    a.push_back("A layer takes max(compute, on-chip memory, off-chip memory) cycles (transfers overlap compute "
                "perfectly); compute cycles = batch x max(multiplies, adds) / (multipliers x efficiency).");
    a.push_back("Dense layers: one multiply and one add per weight and output position.");
    a.push_back("Block-circulant layers (k > 1): q real FFTs per input vector and p real inverse FFTs per output "
                "vector, each (k/4)·log2(k) radix-2 butterflies of 4 multiplies + 6 adds (about 2.5·k·log2 k "
                "operations), plus p·q·(k/2+1) complex multiply-accumulates (4 multiplies + 4 adds) per tap and "
                "output vector, accumulated in the frequency domain; Conv2D inputs are transformed once per "
                "input position.");
    a.push_back("Block-circulant weights are stored as spectra: p·q·k real numbers per tap (k/2+1 complex bins, "
                "DC and Nyquist real); biases stay dense; batch normalisation is folded to 2 numbers per channel.");
    a.push_back("On-chip memory (" + fmt(platform.onchipMemoryKib) +
                " KiB) holds the activation buffer (largest "
                "layer input + output x batch) first, then layer weights in model order until it is full; the "
                "weights that do not fit stream from DRAM once per batch.");
    a.push_back("Weights are read once per batch; each activation is written once and read once per consuming "
                "layer (ideal reuse); spectra of block-circulant layers are written and read once.");
    a.push_back("Energy per frame = multiplies x " + fmt(platform.energy(options.precision).mulPj) + " pJ + adds x " +
                fmt(platform.energy(options.precision).addPj) + " pJ + on-chip bits x " +
                fmt(platform.onchipEnergyPjPerBit) + " pJ + DRAM bits x " + fmt(platform.offchipEnergyPjPerBit) +
                " pJ + static " + fmt(platform.staticPowerW) + " W x latency / batch.");
    a.push_back("Recurrent layers (SimpleRNN/LSTM/GRU): per time step W·x_t and U·h_{t-1} (block-circulant: both "
                "accumulated into the same output spectra, one inverse FFT per output block), gate activations and "
                "the state update; time steps are sequential, so a frame takes at least steps x the step's "
                "dependent chain (multiply, adder tree or FFT stages, activation, update) cycles. U is read every "
                "step (kept on chip first; what does not fit streams from DRAM every step), W once per batch.");
    a.push_back("Activation functions use piecewise-linear approximations (relu: 1 compare; sigmoid/tanh: 1 multiply "
                "+ 1 add; softmax: 2 multiplies + 2 adds per element); pooling costs window-1 compares/adds.");
    a.push_back("Effective GOP/s counts 2 operations per dense-equivalent multiply-accumulate; control logic, "
                "host I/O of the input and result, and routing limits are not modelled.");
    return est;
}

} // namespace circnn::hw
