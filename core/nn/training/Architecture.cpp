#include "nn/training/Architecture.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "common/Error.h"
#include "common/MemoryBudget.h"
#include "model/ArchitectureParser.h"
#include "model/ConversionRules.h"
#include "model/RecurrentKinds.h"
#include "model/ShapeInference.h"

namespace circnn {

namespace {

class Initialiser {
public:
    explicit Initialiser(std::uint32_t seed) : m_rng(seed) {}
    void glorot(Tensor& t, std::int64_t fanIn, std::int64_t fanOut)
    {
        uniform(t, static_cast<float>(std::sqrt(6.0 / double(fanIn + fanOut))));
    }
    void uniform(Tensor& t, float limit)
    {
        for (std::int64_t i = 0; i < t.size(); ++i)
            t[i] = uniformFloat(static_cast<std::uint32_t>(m_rng()), -limit, limit);
    }

private:
    std::mt19937 m_rng;
};

// Glorot-uniform gate matrices (Keras uses an orthogonal recurrent kernel; Glorot is close enough
// for training from scratch), dense or block-circulant at the layer's k; zero bias except the
// LSTM forget gate's 1 (Keras' unit_forget_bias); a GRU gets the reset_after (2, 3·units) bias.
void initRecurrent(LayerSpec& s, std::int64_t in, const std::map<std::string, std::int64_t>& blockSize,
                   Initialiser& init, ConversionPlan& plan)
{
    const std::int64_t g = recurrentGateCount(s.kind) * s.units;
    const auto k = blockSize.find(s.name);
    auto circulant = [&](std::int64_t cols, std::int64_t fanIn) {
        CirculantWeights cw;
        cw.k = k->second;
        cw.rows = g;
        cw.cols = cols;
        cw.vectors = Tensor({(g + cw.k - 1) / cw.k, (cols + cw.k - 1) / cw.k, cw.k});
        init.glorot(cw.vectors, fanIn, g);
        return cw;
    };
    if (k != blockSize.end()) {
        s.circulant = circulant(in, in);
        s.recurrentCirculant = circulant(s.units, s.units);
        plan.perLayer[s.name] = k->second;
    } else {
        s.kernel = Tensor({in, g});
        init.glorot(s.kernel, in, g);
        s.recurrentKernel = Tensor({s.units, g});
        init.glorot(s.recurrentKernel, s.units, g);
    }
    if (!s.useBias)
        return;
    s.bias = s.kind == LayerKind::GRU && s.resetAfter ? Tensor({2, g}, 0.0f) : Tensor({g}, 0.0f);
    if (s.kind == LayerKind::LSTM)
        for (std::int64_t j = s.units; j < 2 * s.units; ++j)
            s.bias[j] = 1.0f;
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
        if (s.kind != LayerKind::Dense && s.kind != LayerKind::Conv2D)
            continue;
        const std::int64_t in = m.find(s.inputs.front())->outputShape.back();
        const auto k = blockSize.find(s.name);
        std::int64_t n = saturatingMultiply(s.kernelH * s.kernelW, s.units);
        n = k != blockSize.end() ? saturatingMultiply(saturatingMultiply((s.units + k->second - 1) / k->second,
                                                                         (in + k->second - 1) / k->second),
                                                      saturatingMultiply(s.kernelH * s.kernelW, k->second))
                                 : saturatingMultiply(n, in);
        parameters = saturatingAdd(parameters, saturatingAdd(n, s.useBias ? s.units : 0));
    }
    const std::int64_t batch = std::max<std::int64_t>(1, options.trainingBatch);
    checkMemoryBudget(saturatingAdd(saturatingMultiply(parameters, 16),
                                    saturatingMultiply(saturatingMultiply(activations, 8), batch)),
                      "architecture '" + m.provenance.notes.substr(m.provenance.notes.find(' ') + 1) + "' (" +
                          std::to_string(parameters) + " weights, " + std::to_string(activations) +
                          " activations per sample, batch " + std::to_string(batch) + ")");

    // Seeded weights, layer by layer in order.
    Initialiser init(options.seed);
    for (LayerSpec& s : m.layers) {
        if (s.kind == LayerKind::Embedding) { // Keras: uniform(-0.05, 0.05)
            s.embeddings = Tensor({s.inputDim, s.units});
            init.uniform(s.embeddings, 0.05f);
            continue;
        }
        if (isRecurrent(s.kind)) {
            initRecurrent(s, m.find(s.inputs.front())->outputShape.back(), blockSize, init, m.plan);
            continue;
        }
        if (s.kind != LayerKind::Dense && s.kind != LayerKind::Conv2D)
            continue;
        const bool conv = s.kind == LayerKind::Conv2D;
        const std::int64_t in = m.find(s.inputs.front())->outputShape.back();
        const std::int64_t taps = s.kernelH * s.kernelW;
        const std::int64_t fanIn = taps * in, fanOut = taps * s.units;
        const auto k = blockSize.find(s.name);
        if (k != blockSize.end()) {
            CirculantWeights cw;
            cw.k = k->second;
            cw.rows = s.units;
            cw.cols = in;
            const std::int64_t p = (s.units + cw.k - 1) / cw.k, q = (in + cw.k - 1) / cw.k;
            cw.vectors = conv ? Tensor({s.kernelH, s.kernelW, p, q, cw.k}) : Tensor({p, q, cw.k});
            init.glorot(cw.vectors, fanIn, fanOut);
            s.circulant = std::move(cw);
            m.plan.perLayer[s.name] = k->second;
        } else {
            s.kernel = conv ? Tensor({s.kernelH, s.kernelW, in, s.units}) : Tensor({in, s.units});
            init.glorot(s.kernel, fanIn, fanOut);
        }
        if (s.useBias)
            s.bias = Tensor({s.units}, 0.0f);
    }
    inferShapes(m, true);
    return out;
}

} // namespace circnn
