#include "nn/training/Architecture.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "common/Error.h"
#include "common/MemoryBudget.h"
#include "model/ArchitectureParser.h"
#include "model/AttentionMembers.h"
#include "model/ConversionRules.h"
#include "model/LayerShapeRules.h"
#include "model/RecurrentKinds.h"
#include "model/ShapeInference.h"
#include "nn/training/WeightInitialiser.h"

namespace circnn {

namespace {

CirculantWeights circulantMatrix(std::int64_t rows, std::int64_t cols, std::int64_t k)
{
    CirculantWeights cw;
    cw.k = k;
    cw.rows = rows;
    cw.cols = cols;
    const std::int64_t p = (rows + k - 1) / k, q = (cols + k - 1) / k;
    cw.vectors = Tensor({p, q, k});
    return cw;
}

// The weight tensors of a layer, in their shapes (dense, or block-circulant at the layer's block
// size when `k` > 0), values to be drawn (WeightInitialiser).
void allocateWeights(LayerSpec& s, std::int64_t in, std::int64_t k)
{
    if (s.kind == LayerKind::Embedding) {
        s.embeddings = Tensor({s.inputDim, s.units});
    } else if (isRecurrent(s.kind)) {
        const std::int64_t g = recurrentGateCount(s.kind) * s.units;
        if (k > 0) {
            s.circulant = circulantMatrix(g, in, k);
            s.recurrentCirculant = circulantMatrix(g, s.units, k);
        } else {
            s.kernel = Tensor({in, g});
            s.recurrentKernel = Tensor({s.units, g});
        }
        if (s.useBias)
            s.bias = s.kind == LayerKind::GRU && s.resetAfter ? Tensor({2, g}) : Tensor({g});
    } else if (s.kind == LayerKind::MultiHeadAttention) { // self-attention: query = key = value
        const auto proj = shape_rules::attentionProjections(s, in, in, in);
        const Shape kernelShapes[] = {{in, s.numHeads, s.keyDim},
                                      {in, s.numHeads, s.keyDim},
                                      {in, s.numHeads, s.valueDim},
                                      {s.numHeads, s.valueDim, proj[3].rows}};
        const Shape biasShapes[] = {
            {s.numHeads, s.keyDim}, {s.numHeads, s.keyDim}, {s.numHeads, s.valueDim}, {proj[3].rows}};
        for (std::size_t p = 0; p < 4; ++p) {
            if (k > 0)
                s.attentionCirculant[p] = circulantMatrix(proj[p].rows, proj[p].cols, k);
            else
                s.*kAttentionKernels[p] = Tensor(kernelShapes[p]);
            if (s.useBias)
                s.*kAttentionBiases[p] = Tensor(biasShapes[p]);
        }
    } else if (s.kind == LayerKind::LayerNormalization) { // over the features
        s.gamma = Tensor({in});
        s.beta = Tensor({in});
    } else if (s.kind == LayerKind::Dense || s.kind == LayerKind::Conv2D) {
        const bool conv = s.kind == LayerKind::Conv2D;
        if (k > 0) {
            s.circulant = circulantMatrix(s.units, in, k);
            if (conv) {
                const Shape v = s.circulant->vectors.shape();
                s.circulant->vectors = Tensor({s.kernelH, s.kernelW, v[0], v[1], v[2]});
            }
        } else {
            s.kernel = conv ? Tensor({s.kernelH, s.kernelW, in, s.units}) : Tensor({in, s.units});
        }
        if (s.useBias)
            s.bias = Tensor({s.units});
    }
}

// Weights of the trainable layers (the memory check before allocating): dense or at block size k.
std::int64_t parameterCount(const LayerSpec& s, std::int64_t in, std::int64_t k)
{
    auto matrix = [&](std::int64_t rows, std::int64_t cols) {
        return k > 0 ? saturatingMultiply(saturatingMultiply((rows + k - 1) / k, (cols + k - 1) / k), k)
                     : saturatingMultiply(rows, cols);
    };
    if (s.kind == LayerKind::Dense || s.kind == LayerKind::Conv2D)
        return saturatingAdd(saturatingMultiply(s.kernelH * s.kernelW, matrix(s.units, in)), s.useBias ? s.units : 0);
    if (s.kind == LayerKind::MultiHeadAttention) {
        std::int64_t n = 0;
        for (const auto& p : shape_rules::attentionProjections(s, in, in, in))
            n = saturatingAdd(n, saturatingAdd(matrix(p.rows, p.cols), s.useBias ? p.rows : 0));
        return n;
    }
    if (isRecurrent(s.kind)) {
        const std::int64_t g = recurrentGateCount(s.kind) * s.units;
        return saturatingAdd(saturatingAdd(matrix(g, in), matrix(g, s.units)), s.useBias ? 2 * g : 0);
    }
    if (s.kind == LayerKind::Embedding)
        return saturatingMultiply(s.inputDim, s.units);
    return s.kind == LayerKind::LayerNormalization ? 2 * in : 0;
}

} // namespace

float uniformFloat(std::uint32_t bits, float lo, float hi)
{
    const double u = double(bits >> 8) * (1.0 / 16777216.0); // 24 random bits in [0, 1)
    return static_cast<float>(lo + (hi - lo) * u);
}

BuiltArchitecture buildArchitecture(const std::string& description, const ArchitectureOptions& options)
{
    if (options.blockSize < 1)
        throw Error("architecture: block size k must be >= 1, found " + std::to_string(options.blockSize));
    ParsedArchitecture parsed = parseArchitecture(description, LayerNaming::Keras, options.outputActivation);
    BuiltArchitecture out;
    out.model = std::move(parsed.model);
    ModelSpec& m = out.model;
    if (!options.name.empty())
        m.name = options.name;
    ConversionPlan plan = parsed.plan;
    if (options.blockSize > 1)
        plan.defaultBlockSize = options.blockSize;
    plan.convertOutputLayer = options.circulantOutput;
    // The shared block-size rule; a layer too small for the default k stays dense with a warning,
    // a per-layer "k" that does not fit is an error.
    std::map<std::string, std::int64_t> blockSize;
    for (const BlockSizeDecision& d : decideBlockSizes(m, plan)) {
        if (d.tooSmall()) {
            const std::string what = d.layer + ": block size " + std::to_string(d.requestedK) + " exceeds its " +
                                     (d.kind == LayerKind::Conv2D ? "channels" : "dimensions") + " (" +
                                     std::to_string(d.cols) + " in, " + std::to_string(d.rows) + " out)";
            if (d.explicitK)
                throw Error("architecture layer " + what);
            out.warnings.push_back(d.layer + ": left dense, " + what.substr(d.layer.size() + 2));
        }
        if (d.converts())
            blockSize[d.layer] = d.blockSize;
    }

    // Checked before any weight is allocated: training holds each weight with its gradient and two
    // optimizer moments (16 bytes), and each activation of a mini-batch with its gradient (8 bytes
    // per value and sample).
    std::int64_t parameters = 0, activations = 0;
    for (const LayerSpec& s : m.layers) {
        activations = saturatingAdd(activations, shapeSize(s.outputShape));
        if (s.inputs.empty())
            continue;
        const Shape& inShape = m.find(s.inputs.front())->outputShape;
        const auto k = blockSize.find(s.name);
        parameters = saturatingAdd(parameters, parameterCount(s, inShape.back(), k != blockSize.end() ? k->second : 0));
        if (s.kind == LayerKind::MultiHeadAttention) // the attention weights (heads × steps × steps)
            activations = saturatingAdd(
                activations, saturatingMultiply(s.numHeads, saturatingMultiply(inShape.front(), inShape.front())));
    }
    const std::int64_t batch = std::max<std::int64_t>(1, options.trainingBatch);
    checkMemoryBudget(saturatingAdd(saturatingMultiply(parameters, 16),
                                    saturatingMultiply(saturatingMultiply(activations, 8), batch)),
                      "architecture '" + m.provenance.notes.substr(m.provenance.notes.find(' ') + 1) + "' (" +
                          std::to_string(parameters) + " weights, " + std::to_string(activations) +
                          " activations per sample, batch " + std::to_string(batch) + ")");

    // Seeded weights, layer by layer in order.
    WeightInitialiser init(options.seed);
    for (LayerSpec& s : m.layers) {
        if (s.inputs.empty())
            continue;
        const std::int64_t in = m.find(s.inputs.front())->outputShape.back();
        const auto k = blockSize.find(s.name);
        allocateWeights(s, in, k != blockSize.end() ? k->second : 0);
        if (k != blockSize.end())
            m.plan.perLayer[s.name] = k->second;
        init.initialise(s, in);
    }
    inferShapes(m, true);
    return out;
}

} // namespace circnn
